/**
 * The live check's cost, for `npm run bench`: the time of one check of a distribution with 1, 10
 * and 50 aliases, on loopback and through a relay that adds a network round trip (aliases are probed
 * concurrently: goal, 50 in under 2x the time of one when the edge is a round trip away; on loopback
 * the handshakes' CPU, both ends on the same 2 cores, is all there is to measure), and the
 * watch's Lambda code: its size and the peak memory of one invocation (goal: fits 128 MB). Against
 * the bench's moto and Pebble, with a local TLS edge serving a Pebble-issued certificate per alias.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { CloudFrontClient, CreateDistributionCommand } from "@aws-sdk/client-cloudfront";
import { lambdaCode } from "../../components/certificateWatch";
import type { CertificateInputs } from "../../core/certificate";
import { iamAcmeCertificateProvider } from "../../providers/iamAcmeCertificate";
import { testDistributionConfig } from "../engine/program/testDistribution";
import { FaultProxy, Pebble, startLatencyRelay, startSniServer, trustPebbleRoots } from "../support/peers";

const root = path.resolve(__dirname, "..", "..");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function node(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
    return new Promise((resolve) => {
        const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env } });
        let out = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (out += d.toString()));
        child.on("close", (code) => resolve({ code, out }));
    });
}

export interface LiveCheckResult {
    /** Median seconds of one check by alias count, on loopback (rtt 0) and with the emulated round trip. */
    aliases: Record<string, Record<number, number>>;
    rttMs: number;
    bundleBytes: number;
    handlerPeakRssMb: number;
    handlerSeconds: number;
    goals: { fiftyUnderTwiceOneAtRtt: boolean; handlerFits128Mb: boolean };
}

export async function benchLiveCheck(context: {
    pebble: Pebble;
    proxy: FaultProxy;
    work: string;
    certificateInputs: (names: string[]) => CertificateInputs;
    zoneNames: (n: number) => Promise<string[]>;
    runs: number;
    /** Emulated round trip to the edge (a CloudFront edge seen from a China region: tens of ms). */
    rttMs: number;
}): Promise<LiveCheckResult> {
    const { proxy, work } = context;
    const edge = await startSniServer();
    const far = await startLatencyRelay(edge.address, context.rttMs);
    const trusted = await trustPebbleRoots(context.pebble, work);
    // One name set per distribution (1 + 10 + 50): an alias belongs to one distribution (CloudFront's
    // CNAMEAlreadyExists, which the test AWS enforces), so each size has aliases of its own.
    const SIZES = [1, 10, 50];
    const names = await context.zoneNames(SIZES.reduce((a, b) => a + b, 0));
    const issued = (await iamAcmeCertificateProvider.create(context.certificateInputs(names))).outs as Record<string, string>;
    names.forEach((n) => edge.serving.set(n, { cert: `${issued.certificatePem}${issued.chainPem}`, key: issued.privateKeyPem }));
    // moto never reports ICP status: every alias APPROVED, the distribution Deployed.
    proxy.rewrites.push({
        match: /^GET \/2020-05-31\/distribution\/[^/]+$/,
        transform: (body) =>
            body
                .replace(/<Status>[^<]*<\/Status>/, "<Status>Deployed</Status>")
                .replace(
                    "</DistributionConfig>",
                    `</DistributionConfig><AliasICPRecordals>${[...body.matchAll(/<CNAME>([^<]+)<\/CNAME>/g)]
                        .map(
                            (m) =>
                                `<AliasICPRecordal><CNAME>${m[1]}</CNAME><ICPRecordalStatus>APPROVED</ICPRecordalStatus></AliasICPRecordal>`,
                        )
                        .join("")}</AliasICPRecordals>`,
                ),
    });
    const cloudfront = new CloudFrontClient({ region: "cn-north-1" });
    const result: LiveCheckResult = {
        aliases: { "0": {}, [context.rttMs]: {} },
        rttMs: context.rttMs,
        bundleBytes: 0,
        handlerPeakRssMb: 0,
        handlerSeconds: 0,
        goals: { fiftyUnderTwiceOneAtRtt: false, handlerFits128Mb: false },
    };
    let fiftyId = "";
    let taken = 0;
    for (const n of SIZES) {
        const aliases = names.slice(taken, (taken += n));
        const created = await cloudfront.send(
            new CreateDistributionCommand({ DistributionConfig: testDistributionConfig(aliases, issued.serverCertificateId) }),
        );
        const id = created.Distribution?.Id ?? "";
        fiftyId = id;
        for (const [rtt, address] of [
            [0, edge.address],
            [context.rttMs, far.address],
        ] as const) {
            const options = path.join(work, `check-${n}-${rtt}.json`);
            fs.writeFileSync(
                options,
                JSON.stringify({
                    distributionId: id,
                    region: "cn-north-1",
                    iamPathPrefix: "/cloudfront/bench/",
                    connect: Object.fromEntries(aliases.map((a) => [a, address])),
                }),
            );
            // One more run than measured: the first pays module loading and the first connections.
            const r = await node(
                ["-r", "ts-node/register/transpile-only", "tests/bench/liveCheckDriver.ts", options, String(context.runs + 1)],
                {
                    NODE_EXTRA_CA_CERTS: trusted,
                },
            );
            if (r.code !== 0) {
                throw new Error(`live check with ${n} aliases failed:\n${r.out}`);
            }
            const line = JSON.parse(r.out.trim().split("\n").pop()!) as { seconds: number[]; verdict: string };
            if (line.verdict !== "ok") {
                throw new Error(`live check with ${n} aliases: verdict ${line.verdict}`);
            }
            result.aliases[rtt][n] = median(line.seconds.slice(1));
        }
    }

    const code = await lambdaCode();
    result.bundleBytes = Buffer.byteLength(code);
    const file = path.join(work, "index.js");
    fs.writeFileSync(file, code);
    const h = await node(
        [
            "-e",
            `const t = process.hrtime.bigint(); require(${JSON.stringify(file)}).handler().then(() => { console.log(JSON.stringify({ seconds: Number(process.hrtime.bigint() - t) / 1e9, rssMb: process.resourceUsage().maxRSS / 1024 })); process.exit(0); }, (e) => { console.error(e); process.exit(1); })`,
        ],
        {
            NODE_EXTRA_CA_CERTS: trusted,
            NODE_PATH: path.join(root, "node_modules"),
            DISTRIBUTION_ID: fiftyId,
            METRIC_NAMESPACE: "CloudFrontChina/Bench",
            IAM_PATH_PREFIX: "/cloudfront/bench/",
            PROBE_ADDRESSES: JSON.stringify(Object.fromEntries(names.map((a) => [a, edge.address]))),
        },
    );
    if (h.code !== 0) {
        throw new Error(`handler failed:\n${h.out}`);
    }
    const handler = JSON.parse(h.out.trim().split("\n").pop()!) as { seconds: number; rssMb: number };
    result.handlerPeakRssMb = handler.rssMb;
    result.handlerSeconds = handler.seconds;
    const atRtt = result.aliases[context.rttMs];
    result.goals = { fiftyUnderTwiceOneAtRtt: atRtt[50] < 2 * atRtt[1], handlerFits128Mb: handler.rssMb < 128 };
    proxy.rewrites.length = 0;
    far.stop();
    edge.stop();
    return result;
}
