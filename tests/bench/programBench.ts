/**
 * `npm run bench -- --only program`: what the project's own program costs under the real CLI, next
 * to the floor the engine itself sets. In one run, for an empty TypeScript program and for this
 * program (the example stack against Pebble and moto, through the stand-in aws plugin): the wall
 * time of `pulumi preview` and of a no-op `pulumi up`, and how long the providers were busy (the
 * dynamic providers and the aws plugin, from their gRPC handlers; tests/bench/grpcTiming.js). The
 * goal: the program's no-op `up` within 1.5x the empty program's.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { CreateHostedZoneCommand, Route53Client } from "@aws-sdk/client-route-53";
import { engineEnv } from "../support/engine";
import type { DnsServer, Pebble } from "../support/peers";
import { installStandInAws } from "../support/standinAws";

const root = path.resolve(__dirname, "..", "..");

interface Timed {
    seconds: number;
    /** Seconds in which at least one handler of the kind was running (union of intervals). */
    busy: Record<"dynamic" | "aws", number>;
    /** Seconds from each provider process's start to its port being bound, summed over the processes started. */
    startup: Record<"dynamic" | "aws", number>;
}

export interface ProgramBench {
    runs: number;
    empty: { preview: Timed[]; noopUp: Timed[] };
    program: { preview: Timed[]; noopUp: Timed[]; resources: number };
}

function union(intervals: Array<[number, number]>): number {
    const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
    let total = 0;
    let [start, end] = [Number.NaN, Number.NaN];
    for (const [s, e] of sorted) {
        if (Number.isNaN(start) || s > end) {
            total += Number.isNaN(start) ? 0 : end - start;
            [start, end] = [s, e];
        } else {
            end = Math.max(end, e);
        }
    }
    return (Number.isNaN(start) ? total : total + end - start) / 1000;
}

function pulumi(dir: string, env: NodeJS.ProcessEnv, args: string[]): Promise<Timed> {
    const timing = path.join(env.PULUMI_HOME!, `timing-${Date.now()}-${Math.random()}.txt`);
    const started = process.hrtime.bigint();
    return new Promise((resolve, reject) => {
        const child = spawn("pulumi", [...args, "--non-interactive"], {
            cwd: dir,
            env: { ...env, CFCN_GRPC_TIMING: timing, NODE_OPTIONS: `--require ${path.join(__dirname, "grpcTiming.js")}` },
        });
        let output = "";
        child.stdout.on("data", (d: Buffer) => (output += d.toString()));
        child.stderr.on("data", (d: Buffer) => (output += d.toString()));
        child.on("close", (code) => {
            const seconds = Number(process.hrtime.bigint() - started) / 1e9;
            if (code !== 0) {
                reject(new Error(`pulumi ${args.join(" ")} in ${dir} failed:\n${output.slice(-4000)}`));
                return;
            }
            const lines = fs.existsSync(timing) ? fs.readFileSync(timing, "utf8").trim().split("\n").filter(Boolean) : [];
            const of = (kind: string) =>
                lines
                    .map((l) => l.split(" "))
                    .filter((p) => p[0] === kind)
                    .map((p) => [Number(p[2]), Number(p[3])] as [number, number]);
            const sum = (kind: string) => of(kind).reduce((t, [a, b]) => t + (b - a) / 1000, 0);
            resolve({
                seconds,
                busy: { dynamic: union(of("dynamic")), aws: union(of("aws")) },
                startup: { dynamic: sum("dynamic-startup"), aws: sum("aws-startup") },
            });
        });
    });
}

/** A copy of the repository's program (tracked files, node_modules linked), so the bench's stack files stay out of the checkout. */
function programCopy(dir: string): string {
    const files = spawnSync("git", ["ls-files"], { cwd: root, encoding: "utf8" }).stdout.split("\n").filter(Boolean);
    for (const file of files) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.copyFileSync(path.join(root, file), path.join(dir, file));
    }
    fs.symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"));
    return dir;
}

export async function benchProgram(o: { pebble: Pebble; dns: DnsServer; work: string; runs: number }): Promise<ProgramBench> {
    const env: NodeJS.ProcessEnv = { ...engineEnv(o.work), PULUMI_CONFIG_PASSPHRASE: "bench" };
    delete env.PULUMI_DEBUG_COMMANDS;
    installStandInAws(env.PULUMI_HOME!);

    // The floor: an empty TypeScript program (one stack resource), same CLI, same language host.
    const empty = path.join(o.work, "empty");
    fs.mkdirSync(empty);
    fs.writeFileSync(path.join(empty, "Pulumi.yaml"), "name: empty\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n");
    fs.writeFileSync(path.join(empty, "index.ts"), "export const answer = 42;\n");
    fs.writeFileSync(path.join(empty, "package.json"), '{ "name": "empty", "main": "index.ts" }\n');
    fs.symlinkSync(path.join(root, "node_modules"), path.join(empty, "node_modules"));

    const program = programCopy(path.join(o.work, "program"));
    const zone = await new Route53Client({ region: "cn-north-1" }).send(
        new CreateHostedZoneCommand({ Name: "bench-site.cn", CallerReference: `bench-${Date.now()}` }),
    );
    const settings: Array<[string, string]> = [
        ["--path cloudfront-china:domains[0]", "www.bench-site.cn"],
        ["--path cloudfront-china:domains[1]", "bench-site.cn"],
        ["cloudfront-china:hostedZoneId", zone.HostedZone!.Id!.replace("/hostedzone/", "")],
        ["cloudfront-china:acmeDirectoryUrl", o.pebble.directoryUrl],
        ["cloudfront-china:acmeProfile", "default"],
        ["--path cloudfront-china:dnsResolvers[0]", o.dns.address],
    ];
    await pulumi(empty, env, ["stack", "init", "bench"]);
    await pulumi(empty, env, ["up", "--yes", "--stack", "bench"]);
    await pulumi(program, env, ["stack", "init", "cn-north-1"]);
    for (const [key, value] of settings) {
        await pulumi(program, env, ["config", "set", ...key.split(" "), value, "--stack", "cn-north-1"]);
    }
    await pulumi(program, env, ["up", "--yes", "--stack", "cn-north-1"]);
    const state = JSON.parse(
        spawnSync("pulumi", ["stack", "export", "--stack", "cn-north-1"], { cwd: program, env, encoding: "utf8" }).stdout,
    ) as { deployment: { resources: unknown[] } };

    const result: ProgramBench = {
        runs: o.runs,
        empty: { preview: [], noopUp: [] },
        program: { preview: [], noopUp: [], resources: state.deployment.resources.length },
    };
    for (let i = 0; i < o.runs; i++) {
        // Interleaved, so a slow moment of the machine hits both.
        result.empty.preview.push(await pulumi(empty, env, ["preview", "--stack", "bench"]));
        result.program.preview.push(await pulumi(program, env, ["preview", "--stack", "cn-north-1"]));
        result.empty.noopUp.push(await pulumi(empty, env, ["up", "--yes", "--stack", "bench"]));
        result.program.noopUp.push(await pulumi(program, env, ["up", "--yes", "--stack", "cn-north-1"]));
    }
    await pulumi(program, env, ["destroy", "--yes", "--stack", "cn-north-1"]);
    return result;
}

const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export function printProgram(r: ProgramBench): { ratio: number; goalMet: boolean } {
    const row = (label: string, xs: Timed[]) => {
        const wall = median(xs.map((x) => x.seconds));
        const m = (f: (x: Timed) => number) => median(xs.map(f));
        const share = (s: number) => `${s.toFixed(2)} s (${wall > 0 ? Math.round((s / wall) * 100) : 0} %)`;
        console.log(
            `  ${label.padEnd(34)} ${wall.toFixed(2).padStart(6)} s   providers busy: dynamic ${share(m((x) => x.busy.dynamic))}, ` +
                `aws ${share(m((x) => x.busy.aws))}   provider start-up: dynamic ${share(m((x) => x.startup.dynamic))}, aws ${share(m((x) => x.startup.aws))}`,
        );
        return wall;
    };
    console.log(`\nThe program under the CLI (median of ${r.runs} runs; ${r.program.resources} resources in the program's state):`);
    row("empty TypeScript program: preview", r.empty.preview);
    row("this program: preview", r.program.preview);
    const floor = row("empty TypeScript program: no-op up", r.empty.noopUp);
    const ours = row("this program: no-op up", r.program.noopUp);
    const ratio = ours / floor;
    console.log(`  no-op up: ${ratio.toFixed(2)}x the empty program's (goal: at most 1.5x)`);
    return { ratio, goalMet: ratio <= 1.5 };
}
