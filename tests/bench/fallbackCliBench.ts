/**
 * `npm run bench -- --only fallback`, under the CLI: what a dead first CA costs the project's own
 * program (two issuers, docs/issuers.md), for a first deploy (`pulumi up --yes`: preview, then the
 * update) and for the daily no-op `pulumi up --yes` of a stack made while the CA was healthy, when the
 * first CA is healthy, refuses connections, accepts them and never answers, or answers 503 to
 * everything. The goal: at most the bounded directory wait plus one issuance above the healthy run.
 */
import { DIRECTORY_ATTEMPTS, DIRECTORY_TIMEOUT_MS } from "../../acme/client";
import { StackCli, stackCli } from "../support/engine";
import { CreateHostedZoneCommand, Route53Client } from "@aws-sdk/client-route-53";
import { AcmeProxy, DnsServer, Pebble } from "../support/peers";
import { initPebbleStack, projectProgramStack } from "../support/standinAws";

export const CLI_MODES = ["healthy", "refused", "hanging", "503"] as const;
type CliMode = (typeof CLI_MODES)[number];

export interface FallbackCliBench {
    /** Seconds of `pulumi up --yes` (preview and update) by the first CA's state. */
    firstDeploy: Record<CliMode, number>;
    noopUp: Record<CliMode, number>;
    /** The bound on the wait for a CA that hangs (directory attempts, timeouts and the pause between). */
    hangBoundSeconds: number;
    goals: Record<string, boolean>;
}

const KID = "bench-kid";

async function setMode(first: AcmeProxy, mode: CliMode): Promise<void> {
    first.faults.length = 0;
    await first.outage(mode === "refused" ? "refuse" : mode === "hanging" ? "hang" : undefined);
    if (mode === "503") {
        first.faults.push({ match: /./, times: Number.POSITIVE_INFINITY, status: 503 });
    }
}

async function timed(cli: StackCli, ...args: string[]): Promise<number> {
    const run = await cli.ok(...args);
    return run.seconds;
}

export async function benchFallbackCli(ctx: {
    pebble: Pebble;
    dns: DnsServer;
    first: AcmeProxy;
    second: Pebble;
    hmac: string;
    work: string;
}): Promise<FallbackCliBench> {
    const { cli: base, env, program } = projectProgramStack(`${ctx.work}/fallback-cli`, "fallback-daily");
    let n = 0;
    const newStack = async (label: string): Promise<StackCli> => {
        const cli = n++ === 0 ? base : stackCli(() => env, `fallback-${label}`, program);
        const name = `fbcli${n}-${Date.now().toString(36)}.example.cn`;
        const created = await new Route53Client({ region: "cn-north-1" }).send(
            new CreateHostedZoneCommand({ Name: name, CallerReference: `${name}-${Math.random()}` }),
        );
        const zone = { id: (created.HostedZone?.Id ?? "").replace(/^\/hostedzone\//, ""), name };
        await initPebbleStack(cli, { zone, directoryUrl: ctx.first.directoryUrl, dnsAddress: ctx.dns.address });
        for (const [key, value, secret] of [
            ["cloudfront-china:issuers[0].directoryUrl", ctx.first.directoryUrl],
            ["cloudfront-china:issuers[1].directoryUrl", ctx.second.directoryUrl],
            ["cloudfront-china:issuers[1].eabKeyId", KID],
            ["cloudfront-china:issuers[1].eabHmacKey", ctx.hmac, true],
        ] as Array<[string, string, boolean?]>) {
            await cli.ok("config", "set", ...(secret ? ["--secret"] : []), "--path", key, value);
        }
        return cli;
    };
    const firstDeploy = {} as Record<CliMode, number>;
    const noopUp = {} as Record<CliMode, number>;
    const stacks: StackCli[] = [];
    try {
        // The daily run: one stack made while the first CA was healthy, its no-op `up` in each state.
        const daily = await newStack("daily");
        stacks.push(daily);
        await setMode(ctx.first, "healthy");
        await daily.ok("up", "--yes", "--skip-preview");
        for (const mode of CLI_MODES) {
            await setMode(ctx.first, mode);
            noopUp[mode] = await timed(daily, "up", "--yes");
        }
        // A first deploy in each state, each on a stack of its own.
        for (const mode of CLI_MODES) {
            const cli = await newStack(mode);
            stacks.push(cli);
            await setMode(ctx.first, mode);
            firstDeploy[mode] = await timed(cli, "up", "--yes");
        }
    } finally {
        await setMode(ctx.first, "healthy");
        for (const cli of stacks) {
            await cli.run("destroy", "--yes", "--skip-preview");
        }
    }
    const hangBoundSeconds = (DIRECTORY_ATTEMPTS * DIRECTORY_TIMEOUT_MS + (DIRECTORY_ATTEMPTS - 1) * 1000) / 1000;
    // One issuance: what the healthy first deploy spends above its no-op run, with slack for noise.
    const issuance = Math.max(0, firstDeploy.healthy - noopUp.healthy);
    const goals: Record<string, boolean> = {};
    for (const mode of ["refused", "hanging", "503"] as const) {
        const bound = mode === "hanging" ? hangBoundSeconds : 2;
        goals[`first deploy, ${mode}: at most ${bound} s + one issuance above healthy`] =
            firstDeploy[mode] - firstDeploy.healthy <= bound + issuance * 1.5 + 1;
        goals[`no-op up, ${mode}: at most ${bound} s above healthy`] = noopUp[mode] - noopUp.healthy <= bound + 1;
    }
    return { firstDeploy, noopUp, hangBoundSeconds, goals };
}

export function printFallbackCli(b: FallbackCliBench): void {
    console.log("\nA dead first CA under the CLI (the project's program, two issuers; one run; seconds of `pulumi up --yes`):");
    console.log("| first CA | first deploy | above healthy | daily no-op up | above healthy |");
    console.log("|---|---:|---:|---:|---:|");
    for (const mode of CLI_MODES) {
        console.log(
            `| ${mode} | ${b.firstDeploy[mode].toFixed(2)} | ${(b.firstDeploy[mode] - b.firstDeploy.healthy).toFixed(2)} | ` +
                `${b.noopUp[mode].toFixed(2)} | ${(b.noopUp[mode] - b.noopUp.healthy).toFixed(2)} |`,
        );
    }
    console.log(`Goals (bound ${b.hangBoundSeconds} s): ${JSON.stringify(b.goals)}`);
}
