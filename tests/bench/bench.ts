/**
 * `npm run bench`: issuance latency and API cost of IamAcmeCertificate, side by side with certbot
 * and lego (Debian's packages), against the same local peers: Pebble (PEBBLE_VA_NOSLEEP=1), the DNS
 * server backed by moto's Route 53, moto's IAM; no injected nonce rejections. certbot and lego get
 * their TXT records into the same Route 53 through their hook interfaces (tests/bench/route53_txt.py),
 * so all three pay the same DNS path. Prints a table and writes .tools/bench/result.json. Not part of `npm test`'s assertions.
 *
 * It also measures the live check (tests/bench/liveCheckBench.ts): 1, 10, 50 aliases, and the watch's Lambda.
 *
 *   npm run bench [-- --runs 5 --sizes 1,10,50,100 --lego-max 10 --edge-rtt-ms 30] [-- --only live-check]
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CreateHostedZoneCommand, Route53Client } from "@aws-sdk/client-route-53";
import * as pulumi from "@pulumi/pulumi";
import { acmeAccountProvider } from "../../providers/acmeAccount";
import { iamAcmeCertificateProvider } from "../../providers/iamAcmeCertificate";
import { OfflineAwsChina } from "../../scripts/offlineMocks";
import { countConnections, startDnsFromRoute53, startFaultProxy, startMoto, startPebble, tempDir } from "../support/peers";
import { benchLiveCheck } from "./liveCheckBench";

const root = path.resolve(__dirname, "..", "..");
const arg = (name: string, fallback: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : fallback;
};
const RUNS = Number(arg("runs", "5"));
const SIZES = arg("sizes", "1,10,50,100").split(",").map(Number);
/** lego's exec provider solves names one after another: larger sizes take minutes per run. */
const LEGO_MAX = Number(arg("lego-max", "10"));
const ONLY = arg("only", "");
const EDGE_RTT_MS = Number(arg("edge-rtt-ms", "30"));

interface Sample {
    seconds: number;
    changeCalls: number;
    getChangeCalls: number;
    acmeRequests: number;
    peakRssMb?: number;
}

const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
    return new Promise((resolve) => {
        const child = spawn(command, args, { env, cwd: root });
        let out = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (out += d.toString()));
        child.on("close", (code) => resolve({ code, out }));
    });
}

async function main() {
    if (!process.env.NODE_EXTRA_CA_CERTS?.includes(".tools/certs")) {
        throw new Error("run through `npm run bench` (it sets NODE_EXTRA_CA_CERTS to the test CA)");
    }
    const work = tempDir("cfcn-bench-");
    const moto = await startMoto(work);
    const proxy = await startFaultProxy(moto.url);
    const dns = await startDnsFromRoute53(moto.url);
    // No injected nonce rejections here: certbot 2.1 retries a badNonce only once and then aborts.
    const pebble = await startPebble(dns.address, work, { env: { PEBBLE_WFE_NONCEREJECT: "0" } });
    Object.assign(process.env, {
        AWS_ENDPOINT_URL: proxy.url,
        AWS_ACCESS_KEY_ID: "testing",
        AWS_SECRET_ACCESS_KEY: "testing",
        AWS_REGION: "cn-north-1",
    });
    const r53 = new Route53Client({ region: "cn-north-1" });
    let zoneCounter = 0;
    const zones = async (n: number) => {
        const count = n >= 100 ? 2 : 1;
        const made: Array<{ id: string; name: string }> = [];
        for (let i = 0; i < count; i++) {
            const name = `b${++zoneCounter}-${Date.now().toString(36)}.example.cn`;
            const z = await r53.send(new CreateHostedZoneCommand({ Name: name, CallerReference: `${name}-${Math.random()}` }));
            made.push({ id: (z.HostedZone?.Id ?? "").replace("/hostedzone/", ""), name });
        }
        const names = Array.from({ length: n }, (_, i) => `h${i}.${made[i % made.length].name}`);
        return { names, zones: made };
    };
    const pebbleRequests = () => (fs.readFileSync(pebble.logFile, "utf8").match(/-> calling handler\(\)/g) ?? []).length;
    const measure = async (fn: () => Promise<number | undefined>): Promise<Sample> => {
        const before = { seen: proxy.seen.length, acme: pebbleRequests() };
        const started = process.hrtime.bigint();
        const peakRssMb = await fn();
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const calls = proxy.seen.slice(before.seen);
        return {
            seconds,
            changeCalls: calls.filter((c) => /^POST \/2013-04-01\/hostedzone\/[^/]+\/rrset/.test(c)).length,
            getChangeCalls: calls.filter((c) => /^GET \/2013-04-01\/change\//.test(c)).length,
            acmeRequests: pebbleRequests() - before.acme,
            peakRssMb,
        };
    };

    // Ours: the serialized provider in a fresh process, as the engine's host runs it.
    const account = (await acmeAccountProvider.create({ directoryUrl: pebble.directoryUrl })).outs as Record<string, string>;

    const liveCheck = await benchLiveCheck({
        pebble,
        proxy,
        work,
        runs: RUNS,
        rttMs: EDGE_RTT_MS,
        zoneNames: async (n) => (await zones(n)).names,
        certificateInputs: (names) => ({
            domains: names,
            acmeDirectoryUrl: pebble.directoryUrl,
            accountUrl: account.accountUrl,
            accountKeyPem: account.accountKeyPem,
            region: "cn-north-1",
            path: "/cloudfront/bench/live-check/",
            keyType: (process.env.BENCH_EDGE_KEY as "rsa-2048" | "ecdsa-p256" | undefined) ?? "rsa-2048",
            profile: "default",
            dnsResolvers: [dns.address],
            propagationTimeoutSeconds: 60,
            pollIntervalSeconds: 0.2,
            deleteConflictTimeoutSeconds: 60,
        }),
    });
    console.log(
        `\nLive check (npm run status / the watch), median of ${RUNS} warm runs, seconds by aliases:\n` +
            Object.entries(liveCheck.aliases)
                .map(
                    ([rtt, byCount]) =>
                        `  edge round trip ${rtt} ms: ` +
                        Object.entries(byCount)
                            .map(([n, s]) => `${n}: ${s.toFixed(3)}`)
                            .join(", ") +
                        ` (50 vs 1: ${(byCount[50] / byCount[1]).toFixed(2)}x)`,
                )
                .join("\n") +
            `\nWatch Lambda: bundle ${(liveCheck.bundleBytes / 1024).toFixed(1)} KiB, ` +
            `one invocation over 50 aliases ${liveCheck.handlerSeconds.toFixed(2)} s (cold process), peak RSS ${liveCheck.handlerPeakRssMb.toFixed(0)} MB. ` +
            `Goals: ${JSON.stringify(liveCheck.goals)}`,
    );
    if (ONLY === "live-check") {
        pebble.stop();
        dns.stop();
        proxy.stop();
        moto.stop();
        return;
    }
    const mocks = new OfflineAwsChina({ region: "cn-north-1" });
    await pulumi.runtime.setMocks(mocks, "cloudfront-china", "bench", false);
    const { IamAcmeCertificate } = await import("../../providers/iamAcmeCertificate");
    const { AcmeAccount } = await import("../../providers/acmeAccount");
    const cert = new IamAcmeCertificate("cert", { domains: ["a.example.cn"], account: new AcmeAccount("acct", {}), region: "cn-north-1" });
    await new Promise((resolve) => cert.id.apply(resolve));
    await new Promise((r) => setTimeout(r, 100));
    const providerFile = path.join(work, "provider.js");
    fs.writeFileSync(providerFile, mocks.find("pulumi-nodejs:dynamic/cloudfront-china:IamAcmeCertificate", "cert")[0].inputs.__provider);

    const python = path.join(root, ".tools", "moto", "bin", "python");
    const toolEnv = {
        ...process.env,
        BENCH_PYTHON: python,
        BENCH_DIR: path.join(root, "tests", "bench"),
        REQUESTS_CA_BUNDLE: path.join(root, ".tools", "certs", "ca.pem"),
        LEGO_CA_CERTIFICATES: path.join(root, ".tools", "certs", "ca.pem"),
    };

    const results: Record<string, Record<number, Sample[]>> = { ours: {}, certbot: {}, lego: {} };
    for (const n of SIZES) {
        for (const tool of ["ours", "certbot", "lego"] as const) {
            if (tool === "lego" && n > LEGO_MAX) {
                continue;
            }
            results[tool][n] = [];
            for (let r = 0; r < RUNS; r++) {
                const { names } = await zones(n);
                const dir = fs.mkdtempSync(path.join(work, `${tool}-`));
                const sample = await measure(async () => {
                    if (tool === "ours") {
                        const inputs = {
                            domains: names,
                            acmeDirectoryUrl: pebble.directoryUrl,
                            accountUrl: account.accountUrl,
                            accountKeyPem: account.accountKeyPem,
                            region: "cn-north-1",
                            path: `/cloudfront/bench/${n}-${r}/`,
                            keyType: "rsa-2048",
                            profile: "default",
                            dnsResolvers: [dns.address],
                            propagationTimeoutSeconds: 60,
                            pollIntervalSeconds: 0.2,
                            deleteConflictTimeoutSeconds: 60,
                        };
                        fs.writeFileSync(path.join(dir, "inputs.json"), JSON.stringify(inputs));
                        const out = await run(
                            process.execPath,
                            [
                                path.join(root, "tests", "support", "serializedDriver.js"),
                                "create",
                                providerFile,
                                path.join(dir, "inputs.json"),
                            ],
                            process.env,
                        );
                        if (out.code !== 0) {
                            throw new Error(`ours failed: ${out.out.slice(-2000)}`);
                        }
                        return JSON.parse(out.out.trim().split("\n").pop() ?? "{}").peakRssMb as number;
                    }
                    const domains = names.flatMap((d) => (tool === "certbot" ? ["-d", d] : ["--domains", d]));
                    const out =
                        tool === "certbot"
                            ? await run(
                                  "certbot",
                                  [
                                      "certonly",
                                      "--non-interactive",
                                      "--agree-tos",
                                      "--register-unsafely-without-email",
                                      "--server",
                                      pebble.directoryUrl,
                                      "--manual",
                                      "--preferred-challenges",
                                      "dns",
                                      "--manual-auth-hook",
                                      `${path.join(root, "tests", "bench", "certbot-hook.sh")} add`,
                                      "--manual-cleanup-hook",
                                      `${path.join(root, "tests", "bench", "certbot-hook.sh")} remove`,
                                      "--config-dir",
                                      path.join(dir, "config"),
                                      "--work-dir",
                                      path.join(dir, "work"),
                                      "--logs-dir",
                                      path.join(dir, "logs"),
                                      ...domains,
                                  ],
                                  toolEnv,
                              )
                            : await run(
                                  "lego",
                                  [
                                      "--server",
                                      pebble.directoryUrl,
                                      "--accept-tos",
                                      "--email",
                                      "bench@example.cn",
                                      "--path",
                                      dir,
                                      "--dns",
                                      "exec",
                                      "--dns.resolvers",
                                      dns.address,
                                      "--dns.disable-cp",
                                      ...domains,
                                      "run",
                                  ],
                                  {
                                      ...toolEnv,
                                      EXEC_PATH: path.join(root, "tests", "bench", "lego-exec.sh"),
                                      EXEC_POLLING_INTERVAL: "1",
                                      EXEC_PROPAGATION_TIMEOUT: "60",
                                      EXEC_SEQUENCE_INTERVAL: "1",
                                  },
                              );
                    if (out.code !== 0) {
                        throw new Error(`${tool} failed for ${n} names:\n${out.out.slice(-3000)}`);
                    }
                    return undefined;
                });
                results[tool][n].push(sample);
                process.stdout.write(`  ${tool} ${n} name(s) run ${r + 1}: ${sample.seconds.toFixed(2)} s\n`);
            }
        }
    }

    // The cost of a no-op diff: time per call, and connections opened (must be 0).
    const now = new Date();
    const olds = {
        domains: ["a.example.cn"],
        keyType: "rsa-2048",
        acmeDirectoryUrl: "https://ca",
        accountUrl: "a",
        path: "/cloudfront/x/",
        region: "cn-north-1",
        notBefore: now.toISOString(),
        notAfter: new Date(now.getTime() + 90 * 86400_000).toISOString(),
        renewAfter: new Date(now.getTime() + 60 * 86400_000).toISOString(),
    };
    const news = {
        domains: ["a.example.cn"],
        keyType: "rsa-2048",
        acmeDirectoryUrl: "https://ca",
        accountUrl: "a",
        path: "/cloudfront/x/",
        region: "cn-north-1",
    };
    const iterations = 20_000;
    const { result: diffSeconds, connections } = await countConnections(async () => {
        const started = process.hrtime.bigint();
        for (let i = 0; i < iterations; i++) {
            await iamAcmeCertificateProvider.diff!("x", olds, news);
        }
        return Number(process.hrtime.bigint() - started) / 1e9;
    });

    const table: string[] = [];
    const row = (cells: string[]) => table.push(cells.map((c, i) => (i === 0 ? c.padEnd(6) : c.padStart(12))).join(" "));
    row([
        "names",
        "ours (s)",
        "certbot (s)",
        "lego (s)",
        "certbot/ours",
        "lego/ours",
        "R53 changes",
        "GetChange",
        "ACME reqs",
        "peak RSS MB",
    ]);
    for (const n of SIZES) {
        const m = (tool: string) => (results[tool][n] ? median(results[tool][n].map((s) => s.seconds)) : undefined);
        const ours = m("ours")!;
        const fmt = (v?: number) => (v === undefined ? "not run" : v.toFixed(2));
        const s = results.ours[n];
        row([
            String(n),
            fmt(ours),
            fmt(m("certbot")),
            fmt(m("lego")),
            m("certbot") ? `${(m("certbot")! / ours).toFixed(1)}x` : "-",
            m("lego") ? `${(m("lego")! / ours).toFixed(1)}x` : "-",
            String(median(s.map((x) => x.changeCalls))),
            String(median(s.map((x) => x.getChangeCalls))),
            String(median(s.map((x) => x.acmeRequests))),
            String(Math.max(...s.map((x) => x.peakRssMb ?? 0)).toFixed(0)),
        ]);
    }
    const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? "cpu"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
    console.log(`\nIssuance, order to certificate-in-IAM (ours) / certificate on disk (certbot, lego); median of ${RUNS} runs; ${machine}`);
    console.log(table.join("\n"));
    console.log(
        `\nR53 changes / GetChange / ACME reqs / peak RSS: ours, per issuance (median; RSS max). certbot and lego route 53 calls per issuance: ` +
            SIZES.map(
                (n) =>
                    `${n}: certbot ${results.certbot[n] ? median(results.certbot[n].map((s) => s.changeCalls)) : "-"}, lego ${results.lego[n] ? median(results.lego[n].map((s) => s.changeCalls)) : "-"}`,
            ).join("; "),
    );
    console.log(
        `No-op diff: ${((diffSeconds / iterations) * 1e6).toFixed(1)} µs per call over ${iterations} calls, ${connections} network connection(s)`,
    );

    const goals = {
        changeCallsPerZone: SIZES.every((n) => median(results.ours[n].map((s) => s.changeCalls)) === (n >= 100 ? 4 : 2)),
        fiftyNamesAtMostHalfOfCertbot:
            !results.certbot[50] || median(results.ours[50].map((s) => s.seconds)) <= median(results.certbot[50].map((s) => s.seconds)) / 2,
        peakMemoryUnder200Mb: SIZES.every((n) => Math.max(...results.ours[n].map((s) => s.peakRssMb ?? 0)) < 200),
        noOpDiffNetworkCalls0: connections === 0,
    };
    console.log(`Goals: ${JSON.stringify(goals)}`);
    const out = path.join(root, ".tools", "bench");
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(
        path.join(out, "result.json"),
        JSON.stringify(
            { machine, runs: RUNS, results, liveCheck, noOpDiff: { microseconds: (diffSeconds / iterations) * 1e6, connections }, goals },
            null,
            2,
        ),
    );
    console.log(`Wrote ${path.join(out, "result.json")}`);
    pebble.stop();
    dns.stop();
    proxy.stop();
    moto.stop();
}

main()
    .then(() => process.exit(0))
    .catch((e) => {
        console.error(e instanceof Error ? e.message : e);
        process.exit(1);
    });
