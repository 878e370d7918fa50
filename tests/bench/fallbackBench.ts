/**
 * `npm run bench -- --only fallback`: what a dead first CA costs (docs/issuers.md). Time to a
 * certificate in IAM with two issuers, at 1 and 20 names, when the first CA is healthy, refuses
 * connections, or accepts them and never answers; the second is a Pebble of its own that requires
 * EAB. The goal: a dead first CA costs at most the bounded retry time plus one normal issuance.
 */
import { CreateHostedZoneCommand, Route53Client } from "@aws-sdk/client-route-53";
import { acmeAccountProvider } from "../../providers/acmeAccount";
import { iamAcmeCertificateProvider } from "../../providers/iamAcmeCertificate";
import { DIRECTORY_ATTEMPTS, DIRECTORY_TIMEOUT_MS } from "../../acme/client";
import { CertificateInputs } from "../../core/certificate";
import { DnsServer, Pebble, startAcmeFaultProxy, startPebble, PEBBLE_TEST_EAB_HMAC } from "../support/peers";
import { FallbackCliBench, benchFallbackCli, printFallbackCli } from "./fallbackCliBench";

const KID = "bench-kid";
const HMAC = PEBBLE_TEST_EAB_HMAC;

type Mode = "healthy" | "refused" | "hanging";
export interface FallbackBench {
    runs: number;
    /** Median seconds to the certificate in IAM, by names and by the first CA's state. */
    seconds: Record<number, Record<Mode, number>>;
    /** The bound on the time before the second CA is asked when the first hangs (directory attempts). */
    hangBoundSeconds: number;
    goals: Record<string, boolean>;
    /** The same under the CLI, the project's program (tests/bench/fallbackCliBench.ts). */
    cli: FallbackCliBench;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchFallback(ctx: {
    pebble: Pebble;
    dns: DnsServer;
    work: string;
    runs: number;
    sizes?: number[];
}): Promise<FallbackBench> {
    const first = await startAcmeFaultProxy(ctx.pebble.directoryUrl);
    const second = await startPebble(ctx.dns.address, ctx.work, { eabKeys: { [KID]: HMAC }, env: { PEBBLE_WFE_NONCEREJECT: "0" } });
    const pick = (o: unknown) => {
        const { accountUrl, accountKeyPem } = o as { accountUrl: string; accountKeyPem: string };
        return { accountUrl, accountKeyPem };
    };
    const accountA = pick((await acmeAccountProvider.create({ directoryUrl: first.directoryUrl })).outs);
    const accountB = pick((await acmeAccountProvider.create({ directoryUrl: second.directoryUrl, eabKeyId: KID, eabHmacKey: HMAC })).outs);
    const r53 = new Route53Client({ region: "cn-north-1" });
    let counter = 0;
    const inputsFor = async (n: number): Promise<CertificateInputs> => {
        const name = `f${++counter}-${Date.now().toString(36)}.example.cn`;
        await r53.send(new CreateHostedZoneCommand({ Name: name, CallerReference: `${name}-${Math.random()}` }));
        return {
            domains: Array.from({ length: n }, (_, i) => `h${i}.${name}`),
            acmeDirectoryUrl: first.directoryUrl,
            ...accountA,
            fallbackIssuers: [{ directoryUrl: second.directoryUrl, ...accountB }],
            region: "cn-north-1",
            path: `/cloudfront/bench/fallback-${counter}/`,
            keyType: "rsa-2048",
            challenge: "dns-01",
            dnsResolvers: [ctx.dns.address],
            propagationTimeoutSeconds: 60,
            pollIntervalSeconds: 0.2,
            deleteConflictTimeoutSeconds: 60,
        };
    };
    const seconds: FallbackBench["seconds"] = {};
    const log = console.log;
    let cli: FallbackCliBench;
    try {
        for (const n of ctx.sizes ?? [1, 20]) {
            seconds[n] = { healthy: 0, refused: 0, hanging: 0 };
            for (const mode of ["healthy", "refused", "hanging"] as const) {
                const samples: number[] = [];
                for (let run = 0; run < ctx.runs; run++) {
                    const inputs = await inputsFor(n);
                    await first.outage(mode === "refused" ? "refuse" : mode === "hanging" ? "hang" : undefined);
                    console.log = () => undefined;
                    const started = process.hrtime.bigint();
                    const created = await iamAcmeCertificateProvider.create!(inputs);
                    samples.push(Number(process.hrtime.bigint() - started) / 1e9);
                    console.log = log;
                    const issuer = (created.outs as { issuerDirectoryUrl: string }).issuerDirectoryUrl;
                    if (issuer !== (mode === "healthy" ? first.directoryUrl : second.directoryUrl)) {
                        throw new Error(`${mode}, ${n} names: issued by ${issuer}`);
                    }
                    await first.outage(undefined);
                }
                seconds[n][mode] = median(samples);
            }
        }
        cli = await benchFallbackCli({ ...ctx, first, second, hmac: HMAC });
    } finally {
        console.log = log;
        first.stop();
        second.stop();
    }
    // The hanging CA is given up after DIRECTORY_ATTEMPTS timeouts and the pause between them.
    const hangBoundSeconds = (DIRECTORY_ATTEMPTS * DIRECTORY_TIMEOUT_MS + (DIRECTORY_ATTEMPTS - 1) * 1000) / 1000;
    const goals: Record<string, boolean> = {};
    for (const [n, s] of Object.entries(seconds)) {
        // One normal issuance (the healthy time, with slack for run-to-run noise) plus the bound.
        goals[`${n} names, refused: at most 2 s + one issuance`] = s.refused <= 2 + s.healthy * 1.5 + 0.5;
        goals[`${n} names, hanging: at most ${hangBoundSeconds} s + one issuance`] = s.hanging <= hangBoundSeconds + s.healthy * 1.5 + 0.5;
    }
    return { runs: ctx.runs, seconds, hangBoundSeconds, goals: { ...goals, ...cli.goals }, cli };
}

export function printFallback(b: FallbackBench): void {
    console.log(`\nA dead first CA (two issuers; median of ${b.runs} runs; seconds to the certificate in IAM):`);
    console.log("| names | first CA healthy | refused | hanging | refused − healthy | hanging − healthy |");
    console.log("|------:|-----------------:|--------:|--------:|------------------:|------------------:|");
    for (const [n, s] of Object.entries(b.seconds)) {
        console.log(
            `| ${n} | ${s.healthy.toFixed(2)} | ${s.refused.toFixed(2)} | ${s.hanging.toFixed(2)} | ${(s.refused - s.healthy).toFixed(2)} | ${(s.hanging - s.healthy).toFixed(2)} |`,
        );
    }
    printFallbackCli(b.cli);
    console.log(`Goals: ${JSON.stringify(b.goals)}`);
}
