/**
 * `npm run bench`: issuance latency and API cost of IamAcmeCertificate, side by side with certbot
 * and lego (Debian's packages), against the same local peers: Pebble (PEBBLE_VA_NOSLEEP=1), the DNS
 * server backed by moto's Route 53, moto's IAM; no injected nonce rejections. certbot and lego get
 * their TXT records into the same Route 53 through their hook interfaces (tests/bench/route53_txt.py),
 * so all three pay the same DNS path. Prints a table and writes .tools/bench/result.json. Not part of `npm test`'s assertions.
 *
 * It also measures the live check (tests/bench/liveCheckBench.ts): 1, 10, 50 aliases, and the watch's Lambda.
 *
 * And site content at scale (tests/bench/contentBench.ts): `--only content [--content-sizes 2000,20000]`.
 *
 * And a dead first CA with two issuers (tests/bench/fallbackBench.ts): `--only fallback [--runs 3]`.
 *
 * And the project's own program under the CLI against an empty program (tests/bench/programBench.ts):
 * `--only program [--runs 5] [--program-sites 1,10]`; runs with every other part too.
 *
 *   npm run bench [-- --runs 5 --sizes 1,10,50,100 --lego-max 10 --edge-rtt-ms 30 --tools floor,dns-01,delegated,persist,certbot,lego] [-- --only live-check|issuance|content|program|fallback]
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
import { benchContent, printContent } from "./contentBench";
import { benchLiveCheck } from "./liveCheckBench";
import { benchProgram, printProgram } from "./programBench";
import { benchFallback, printFallback } from "./fallbackBench";

const root = path.resolve(__dirname, "..", "..");
const arg = (name: string, fallback: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : fallback;
};
const RUNS = Number(arg("runs", "5"));
/** `--program-sites 1,10`: the stacks `--only program` measures, by number of sites. */
const PROGRAM_SITES = arg("program-sites", "1,10").split(",").map(Number);
const SIZES = arg("sizes", "1,10,50,100").split(",").map(Number);
/** lego's exec provider solves names one after another: larger sizes take minutes per run. */
const LEGO_MAX = Number(arg("lego-max", "10"));
const ONLY = arg("only", "");
const EDGE_RTT_MS = Number(arg("edge-rtt-ms", "30"));

/** The phases an issuance's time is split into, ours (from the provider's log lines) and the floor's (floorDriver.js). */
const PHASES = [
    "start-up",
    "before and after the order",
    "order",
    "DNS records",
    "validation",
    "authorizations, finalize and download",
    "IAM upload",
] as const;
type Phase = (typeof PHASES)[number];

/**
 * Seconds of each phase of one issuance of ours, `wall` in all, read from the lines the provider logs
 * with their durations (acme/order.ts, aws/route53.ts, dns/resolvers.ts, aws/iam.ts): the process's
 * start-up is what the wall time holds beyond the create; the DNS records are the TXT write, Route 53's
 * INSYNC and the propagation check (the slowest zone of each, as zones run side by side); what the
 * order's time holds beyond its creation, the records and the validation is reading the authorizations,
 * finalizing and downloading (the floor's split is the same, floorDriver.js).
 */
function oursPhases(log: string, wall: number): Record<Phase, number> {
    const all = (re: RegExp) => [...log.matchAll(re)].map((m) => Number(m[1]));
    const first = (re: RegExp) => all(re)[0] ?? 0;
    const slowest = (re: RegExp) => Math.max(0, ...all(re));
    const created = first(/\] \S+ ready, issued by .* \(([\d.]+) s\)$/gm);
    const sinceOrder = first(/certificate issued \(([\d.]+) s since the order\)/g);
    const upload = first(/\[iam\] .* uploaded under .* \(([\d.]+) s\)$/gm);
    const order = first(/order created for .* \(.*?([\d.]+) s\)$/gm);
    const dns =
        slowest(/TXT change submitted: .* \(([\d.]+) s\)$/gm) +
        slowest(/change\(s\) in sync \(([\d.]+) s\)/g) +
        slowest(/TXT value\(s\) visible at .* \(([\d.]+) s\)/g);
    const validation = first(/authorization\(s\) validated \(([\d.]+) s\)/g);
    return {
        "start-up": wall - created,
        "before and after the order": created - sinceOrder - upload,
        order,
        "DNS records": dns,
        validation,
        "authorizations, finalize and download": sinceOrder - order - dns - validation,
        "IAM upload": upload,
    };
}

interface Sample {
    seconds: number;
    /** Every Route 53 request (zone listing, record reads, changes, GetChange). */
    route53Calls: number;
    /** DNS questions this side asked (UDP: the provider's lookups and propagation checks; the CA asks over TCP). */
    lookups: number;
    changeCalls: number;
    getChangeCalls: number;
    acmeRequests: number;
    peakRssMb?: number;
    phases?: Record<Phase, number>;
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
    const stopPeers = () => {
        pebble.stop();
        dns.stop();
        proxy.stop();
        moto.stop();
    };
    /** One part alone (`--only <part>`): measured, printed, written to .tools/bench/<part>.json. */
    const alone: Record<string, () => Promise<object>> = {
        program: async () => {
            const program = await benchProgram({ pebble, dns, work, runs: RUNS, sites: PROGRAM_SITES });
            return { ...program, ...printProgram(program) };
        },
        fallback: async () => {
            const fallback = await benchFallback({ pebble, dns, work, runs: RUNS });
            printFallback(fallback);
            return fallback;
        },
        content: async () => {
            const content = await benchContent({ moto, proxy, work, sizes: arg("content-sizes", "2000,20000").split(",").map(Number) });
            printContent(content);
            return content;
        },
    };
    if (ONLY in alone) {
        const result = await alone[ONLY]();
        const out = path.join(root, ".tools", "bench");
        fs.mkdirSync(out, { recursive: true });
        fs.writeFileSync(path.join(out, `${ONLY}.json`), JSON.stringify(result, null, 2));
        stopPeers();
        return;
    }
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
    const measure = async (
        fn: () => Promise<number | undefined | { peakRssMb: number; phases: (wall: number) => Record<Phase, number> }>,
    ): Promise<Sample> => {
        const before = { seen: proxy.seen.length, acme: pebbleRequests(), lookups: dns.udpQuestions.length };
        const started = process.hrtime.bigint();
        const measured = await fn();
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const peakRssMb = typeof measured === "object" ? measured.peakRssMb : measured;
        const phases = typeof measured === "object" ? measured.phases(seconds) : undefined;
        const calls = proxy.seen.slice(before.seen);
        return {
            seconds,
            route53Calls: calls.filter((c) => c.includes("/2013-04-01/")).length,
            lookups: dns.udpQuestions.length - before.lookups,
            changeCalls: calls.filter((c) => /^POST \/2013-04-01\/hostedzone\/[^/]+\/rrset/.test(c)).length,
            getChangeCalls: calls.filter((c) => /^GET \/2013-04-01\/change\//.test(c)).length,
            acmeRequests: pebbleRequests() - before.acme,
            peakRssMb,
            phases,
        };
    };

    // Ours: the serialized provider in a fresh process, as the engine's host runs it.
    const account = (await acmeAccountProvider.create({ directoryUrl: pebble.directoryUrl })).outs as Record<string, string>;

    // `--only issuance` skips the live check (and `--only live-check` the issuance).
    const liveCheck =
        ONLY === "issuance"
            ? undefined
            : await benchLiveCheck({
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
    if (liveCheck)
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
        stopPeers();
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

    // Our three ways to validate, the raw ACME floor, and the two clients users compare us with.
    type Tool = "floor" | "dns-01" | "delegated" | "persist" | "certbot" | "lego";
    const TOOLS = (arg("tools", "floor,dns-01,delegated,persist,certbot,lego").split(",") as Tool[]).filter(Boolean);
    const results: Record<string, Record<number, Sample[]>> = Object.fromEntries(TOOLS.map((t) => [t, {}]));
    let elsewhereCounter = 0;
    /** n names at a DNS host we cannot write (the test DNS server's hand-written records). */
    const elsewhereNames = (n: number) => {
        const base = `x${++elsewhereCounter}-${Date.now().toString(36)}.elsewhere.cn`;
        return Array.from({ length: n }, (_, i) => `h${i}.${base}`);
    };
    /** The names of a run, with what a user would have set up at the DNS host beforehand. */
    const namesFor = async (tool: Tool, n: number): Promise<string[]> => {
        if (tool === "floor") {
            return elsewhereNames(n);
        }
        if (tool === "persist") {
            const names = elsewhereNames(n);
            names.forEach((d) =>
                dns.elsewhere.txt.set(`_validation-persist.${d}`, [`pebble.letsencrypt.org; accounturi=${account.accountUrl}`]),
            );
            return names;
        }
        if (tool === "delegated") {
            // Delegation targets in as many Route 53 zones as dns-01 uses (2 at 100 names).
            const targets = (await zones(n)).zones;
            const names = elsewhereNames(n);
            names.forEach((d, i) => dns.elsewhere.cname.set(`_acme-challenge.${d}`, `d${i}.${targets[i % targets.length].name}`));
            return names;
        }
        return (await zones(n)).names;
    };
    for (const n of SIZES) {
        for (const tool of TOOLS) {
            if (tool === "lego" && n > LEGO_MAX) {
                continue;
            }
            results[tool][n] = [];
            for (let r = 0; r < RUNS; r++) {
                const names = await namesFor(tool, n);
                const dir = fs.mkdtempSync(path.join(work, `${tool}-`));
                const sample = await measure(async () => {
                    if (tool === "floor") {
                        const inputs = {
                            directoryUrl: pebble.directoryUrl,
                            accountUrl: account.accountUrl,
                            accountKeyPem: account.accountKeyPem,
                            domains: names,
                            profile: "default",
                            dnsManagementUrl: dns.managementUrl,
                        };
                        fs.writeFileSync(path.join(dir, "inputs.json"), JSON.stringify(inputs));
                        const out = await run(
                            process.execPath,
                            [path.join(root, "tests", "bench", "floorDriver.js"), path.join(dir, "inputs.json")],
                            process.env,
                        );
                        if (out.code !== 0) {
                            throw new Error(`floor failed: ${out.out.slice(-2000)}`);
                        }
                        const printed = JSON.parse(out.out.trim().split("\n").pop() ?? "{}") as {
                            peakRssMb: number;
                            phases: Record<Phase, number>;
                        };
                        return { peakRssMb: printed.peakRssMb, phases: () => ({ ...printed.phases, "IAM upload": 0 }) };
                    }
                    if (tool === "dns-01" || tool === "delegated" || tool === "persist") {
                        const inputs = {
                            domains: names,
                            acmeDirectoryUrl: pebble.directoryUrl,
                            accountUrl: account.accountUrl,
                            accountKeyPem: account.accountKeyPem,
                            region: "cn-north-1",
                            path: `/cloudfront/bench/${tool}-${n}-${r}/`,
                            keyType: "rsa-2048",
                            profile: "default",
                            challenge: tool === "persist" ? "dns-persist-01" : "dns-01",
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
                            throw new Error(`ours (${tool}) failed: ${out.out.slice(-2000)}`);
                        }
                        if (process.env.BENCH_VERBOSE) {
                            console.log(out.out);
                        }
                        return {
                            peakRssMb: JSON.parse(out.out.trim().split("\n").pop() ?? "{}").peakRssMb as number,
                            phases: (wall: number) => oursPhases(out.out, wall),
                        };
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
                if (tool === "persist" || tool === "delegated") {
                    names.forEach((d) => {
                        dns.elsewhere.txt.delete(`_validation-persist.${d}`);
                        dns.elsewhere.cname.delete(`_acme-challenge.${d}`);
                    });
                }
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

    // The diff with the ARI re-check (renewBeforeDays unset, the CA offers ARI): one GET to the CA.
    const ariZone = (await zones(1)).names;
    const ariInputs = {
        domains: ariZone,
        acmeDirectoryUrl: pebble.directoryUrl,
        accountUrl: account.accountUrl,
        accountKeyPem: account.accountKeyPem,
        region: "cn-north-1",
        path: "/cloudfront/bench/ari/",
        keyType: "rsa-2048" as const,
        profile: "default",
        challenge: "dns-01" as const,
        dnsResolvers: [dns.address],
        propagationTimeoutSeconds: 60,
        pollIntervalSeconds: 0.2,
        deleteConflictTimeoutSeconds: 60,
    };
    const ariCertificate = await iamAcmeCertificateProvider.create!(ariInputs);
    const ariIterations = 200;
    const ariBefore = { aws: proxy.seen.length, acme: pebbleRequests() };
    const { result: ariSeconds, connections: ariConnections } = await countConnections(async () => {
        const started = process.hrtime.bigint();
        for (let i = 0; i < ariIterations; i++) {
            await iamAcmeCertificateProvider.diff!(ariCertificate.id, ariCertificate.outs, ariInputs);
        }
        return Number(process.hrtime.bigint() - started) / 1e9;
    });
    const ariAcmeRequests = (pebbleRequests() - ariBefore.acme) / ariIterations;
    const ariAwsRequests = proxy.seen.length - ariBefore.aws;

    const med = (tool: string, n: number, pick: (s: Sample) => number) =>
        results[tool]?.[n]?.length ? median(results[tool][n].map(pick)) : undefined;
    const secs = (tool: string, n: number) => med(tool, n, (s) => s.seconds);
    const fmt = (v?: number, digits = 2) => (v === undefined ? "-" : v.toFixed(digits));
    const ratio = (a?: number, b?: number) => (a === undefined || b === undefined ? "-" : `${(a / b).toFixed(2)}x`);
    const table: string[] = [];
    const row = (cells: string[]) => table.push(cells.map((c, i) => (i === 0 ? c.padEnd(6) : c.padStart(11))).join(" "));
    row([
        "names",
        "floor (s)",
        "dns-01 (s)",
        "delegated",
        "persist (s)",
        "certbot (s)",
        "lego (s)",
        "dns-01/flr",
        "persist/flr",
        "certbot/d01",
    ]);
    for (const n of SIZES) {
        row([
            String(n),
            fmt(secs("floor", n)),
            fmt(secs("dns-01", n)),
            fmt(secs("delegated", n)),
            fmt(secs("persist", n)),
            fmt(secs("certbot", n)),
            fmt(secs("lego", n)),
            ratio(secs("dns-01", n), secs("floor", n)),
            ratio(secs("persist", n), secs("floor", n)),
            ratio(secs("certbot", n), secs("dns-01", n)),
        ]);
    }
    const calls: string[] = [];
    const callRow = (cells: string[]) => calls.push(cells.map((c, i) => (i === 0 ? c.padEnd(10) : c.padStart(9))).join(" "));
    callRow(["mode", ...SIZES.flatMap((n) => [`R53@${n}`, `chg@${n}`, `dns@${n}`])]);
    for (const tool of TOOLS.filter((t) => t !== "floor")) {
        callRow([
            tool,
            ...SIZES.flatMap((n) => [
                fmt(
                    med(tool, n, (s) => s.route53Calls),
                    0,
                ),
                fmt(
                    med(tool, n, (s) => s.changeCalls),
                    0,
                ),
                tool === "certbot" || tool === "lego"
                    ? "-"
                    : fmt(
                          med(tool, n, (s) => s.lookups),
                          0,
                      ),
            ]),
        ]);
    }
    const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? "cpu"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
    console.log(
        `\nIssuance, order to certificate-in-IAM (ours) / certificate on disk (certbot, lego, floor); median of ${RUNS} runs; ${machine}\n` +
            "floor = the raw ACME exchange alone (acme-client, values set directly in the test DNS server, no Route 53, no IAM), in a fresh process like ours",
    );
    console.log(table.join("\n"));
    console.log(
        "\nCalls per issuance (median): R53 = every Route 53 request, chg = change batches, dns = DNS questions we asked (lookups and propagation checks)",
    );
    console.log(calls.join("\n"));
    // Where ours spends the time above the floor: each phase's median, floor and ours side by side.
    const phased = TOOLS.filter((t) => results[t]?.[SIZES[0]]?.some((x) => x.phases));
    for (const n of SIZES) {
        const phaseOf = (tool: string, phase: Phase) => med(tool, n, (x) => x.phases?.[phase] ?? 0);
        console.log(
            `\nWhere the time goes at ${n} name(s) (median seconds of each phase; ours' start-up holds its \`check\`, ` +
                "which the engine runs before `create`: the CA's directory and the challenge plan, which `create` then reuses):",
        );
        console.log(["phase".padEnd(38), ...phased.map((t) => t.padStart(10)), "dns-01 − floor".padStart(16)].join(" "));
        for (const phase of PHASES) {
            const cells = phased.map((t) => fmt(phaseOf(t, phase)).padStart(10));
            const over =
                phaseOf("dns-01", phase) !== undefined && phaseOf("floor", phase) !== undefined
                    ? phaseOf("dns-01", phase)! - phaseOf("floor", phase)!
                    : undefined;
            console.log([phase.padEnd(38), ...cells, fmt(over).padStart(16)].join(" "));
        }
    }
    const rss = (tool: string) => Math.max(0, ...SIZES.flatMap((n) => (results[tool]?.[n] ?? []).map((s) => s.peakRssMb ?? 0)));
    console.log(
        `Peak RSS (MB, max over runs): ${TOOLS.filter((t) => t !== "certbot" && t !== "lego")
            .map((t) => `${t} ${rss(t).toFixed(0)}`)
            .join(", ")}`,
    );
    console.log(
        `No-op diff: ${((diffSeconds / iterations) * 1e6).toFixed(1)} µs per call over ${iterations} calls, ${connections} network connection(s)`,
    );
    console.log(
        `Diff with the ARI re-check (renewBeforeDays unset): ${((ariSeconds / ariIterations) * 1000).toFixed(1)} ms per call over ${ariIterations} calls, ` +
            `${ariAcmeRequests.toFixed(2)} CA request(s) per call, ${ariAwsRequests} AWS request(s), ${ariConnections} connection(s) opened`,
    );

    const has = (tool: string) => TOOLS.includes(tool as Tool);
    const biggest = Math.max(...SIZES);
    const goals = {
        dns01OneChangeBatchPerZoneEachWay:
            !has("dns-01") || SIZES.every((n) => med("dns-01", n, (s) => s.changeCalls) === (n >= 100 ? 4 : 2)),
        delegatedSameChangeBatchesAsDns01:
            !has("delegated") || SIZES.every((n) => med("delegated", n, (s) => s.changeCalls) === (n >= 100 ? 4 : 2)),
        // One CNAME lookup per name on top of what dns-01 asks (its propagation check).
        delegatedAtMostOneExtraLookupPerName:
            !has("delegated") ||
            !has("dns-01") ||
            SIZES.every((n) => (med("delegated", n, (s) => s.lookups) ?? 0) - (med("dns-01", n, (s) => s.lookups) ?? 0) <= n),
        persistNoRoute53Call: !has("persist") || SIZES.every((n) => med("persist", n, (s) => s.route53Calls) === 0),
        // Its only DNS traffic is the read of the standing records: one question per name.
        persistOnlyItsRecordReads: !has("persist") || SIZES.every((n) => (med("persist", n, (s) => s.lookups) ?? 0) <= n),
        persistNoSlowerThanDns01:
            !has("persist") || !has("dns-01") || SIZES.every((n) => (secs("persist", n) ?? 0) <= (secs("dns-01", n) ?? 0)),
        [`dns01Within2xOfFloorAt${biggest}`]: !has("floor") || (secs("dns-01", biggest) ?? Infinity) <= 2 * (secs("floor", biggest) ?? 0),
        [`persistWithin1_5xOfFloorAt${biggest}`]:
            !has("floor") || (secs("persist", biggest) ?? Infinity) <= 1.5 * (secs("floor", biggest) ?? 0),
        fiftyNamesAtMostHalfOfCertbot: !results.certbot?.[50] || (secs("dns-01", 50) ?? Infinity) <= (secs("certbot", 50) ?? 0) / 2,
        peakMemoryUnder200Mb: ["dns-01", "delegated", "persist"].every((t) => rss(t) < 200),
        noOpDiffNetworkCalls0: connections === 0,
        ariDiffOneCaGetNoAws: Math.abs(ariAcmeRequests - 1) < 0.01 && ariAwsRequests === 0,
    };
    console.log(`Goals: ${JSON.stringify(goals)}`);
    const out = path.join(root, ".tools", "bench");
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(
        path.join(out, "result.json"),
        JSON.stringify(
            {
                machine,
                runs: RUNS,
                results,
                liveCheck,
                noOpDiff: { microseconds: (diffSeconds / iterations) * 1e6, connections },
                ariDiff: {
                    milliseconds: (ariSeconds / ariIterations) * 1000,
                    caRequestsPerCall: ariAcmeRequests,
                    awsRequests: ariAwsRequests,
                },
                goals,
            },
            null,
            2,
        ),
    );
    console.log(`Wrote ${path.join(out, "result.json")}`);
    stopPeers();
}

main()
    .then(() => process.exit(0))
    .catch((e) => {
        console.error(e instanceof Error ? e.message : e);
        process.exit(1);
    });
