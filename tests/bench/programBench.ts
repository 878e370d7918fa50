/**
 * `npm run bench -- --only program`: what the project's own program costs under the real CLI, next
 * to the floor the engine itself sets. In one run, for an empty TypeScript program and for this
 * program (the example stack against Pebble and moto, through the stand-in aws plugin): the wall
 * time of `pulumi preview` and of a no-op `pulumi up`, and how long the providers were busy (the
 * dynamic providers and the aws plugin, from their gRPC handlers; tests/bench/grpcTiming.js). The
 * goal: the program's no-op `up` within 1.5x the empty program's. Beside them, the least a program of
 * this kind runs (one aws resource, one dynamic resource that does nothing): what any program that
 * uses pulumi-aws and a dynamic provider pays before its own work.
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
    /**
     * The program's own process, summed over its runs (an `up` runs it twice: preview and update):
     * from its start to the entry module loaded (Node, ts-node, the SDKs, every module it imports),
     * and from there to its exit (configuration, look-ups, registrations, the wait on the engine).
     */
    program: { load: number; run: number; runs: number };
    /**
     * Seconds the program spent serializing dynamic providers (union of @pulumi/pulumi's
     * serializeFunction calls, summed over its runs): 0 when providers/dynamicResource.ts's cache held them.
     */
    serialize: number;
}

/** One stack measured: the empty program's, or this program's with `sites` sites. */
export interface ProgramRow {
    sites: number;
    resources: number;
    preview: Timed[];
    noopUp: Timed[];
    /** `pulumi up --skip-preview`: one phase, what a scheduled run needs (nobody reads its preview). */
    noopUpSkipPreview: Timed[];
}

export interface ProgramBench {
    runs: number;
    empty: ProgramRow;
    /** The least a program of this kind runs: @pulumi/aws with one bucket, and one dynamic resource. */
    minimal: ProgramRow;
    program: ProgramRow[];
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
                // The engine's diagnostics ("error: …") come first and the resource log after: both.
                const errors = output.split("\n").filter((l) => /\berror\b/i.test(l));
                reject(new Error(`pulumi ${args.join(" ")} in ${dir} failed:\n${errors.join("\n")}\n…\n${output.slice(-2000)}`));
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
                program: { load: sum("program-load"), run: sum("program-run"), runs: of("program-load").length },
                serialize: union(of("program-serialize")),
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

/**
 * This program's settings for a stack of `sites` sites under one zone: the top-level keys are the
 * first site, `sites[i]` the others (docs/sites.md), each with two names of its own (an alias
 * belongs to one distribution: CNAMEAlreadyExists across the stacks otherwise).
 */
function siteSettings(sites: number, zoneId: string, o: { pebble: Pebble; dns: DnsServer }): Array<[string, string]> {
    const settings: Array<[string, string]> = [
        ["--path cloudfront-china:domains[0]", `www.stack${sites}.bench-site.cn`],
        ["--path cloudfront-china:domains[1]", `stack${sites}.bench-site.cn`],
        ["cloudfront-china:hostedZoneId", zoneId],
        ["cloudfront-china:acmeDirectoryUrl", o.pebble.directoryUrl],
        ["cloudfront-china:acmeProfile", "default"],
        ["--path cloudfront-china:dnsResolvers[0]", o.dns.address],
    ];
    for (let i = 1; i < sites; i++) {
        settings.push(
            [`--path cloudfront-china:sites[${i - 1}].name`, `site${i}`],
            [`--path cloudfront-china:sites[${i - 1}].domains[0]`, `www.site${i}.stack${sites}.bench-site.cn`],
            [`--path cloudfront-china:sites[${i - 1}].domains[1]`, `site${i}.stack${sites}.bench-site.cn`],
            [`--path cloudfront-china:sites[${i - 1}].hostedZoneId`, zoneId],
        );
    }
    return settings;
}

/**
 * Measures, interleaved run by run so a slow moment of the machine hits every row: an empty TypeScript
 * program, and this program with each number of `sites`. The environment is the one users have: no
 * PULUMI_NODEJS_TRANSPILE_ONLY, so the project's own tsconfig.json decides how TypeScript is run.
 */
export async function benchProgram(o: {
    pebble: Pebble;
    dns: DnsServer;
    work: string;
    runs: number;
    sites: number[];
}): Promise<ProgramBench> {
    const env: NodeJS.ProcessEnv = { ...engineEnv(o.work), PULUMI_CONFIG_PASSPHRASE: "bench" };
    delete env.PULUMI_DEBUG_COMMANDS;
    delete env.PULUMI_NODEJS_TRANSPILE_ONLY;
    installStandInAws(env.PULUMI_HOME!);

    // The floor: an empty TypeScript program (one stack output), same CLI, same language host, at its
    // fastest: transpiled without a type check, as this project's tsconfig.json runs its own program.
    const empty = path.join(o.work, "empty");
    fs.mkdirSync(empty);
    fs.writeFileSync(
        path.join(empty, "tsconfig.json"),
        '{ "compilerOptions": { "strict": true }, "ts-node": { "transpileOnly": true } }\n',
    );
    fs.writeFileSync(path.join(empty, "Pulumi.yaml"), "name: empty\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n");
    fs.writeFileSync(path.join(empty, "index.ts"), "export const answer = 42;\n");
    fs.writeFileSync(path.join(empty, "package.json"), '{ "name": "empty", "main": "index.ts" }\n');
    fs.symlinkSync(path.join(root, "node_modules"), path.join(empty, "node_modules"));
    await pulumi(empty, env, ["stack", "init", "bench"]);
    await pulumi(empty, env, ["up", "--yes", "--stack", "bench"]);

    // The least a program of this kind runs: @pulumi/aws with one resource (the aws plugin) and one
    // dynamic resource whose provider does nothing (the dynamic-provider host), so the rows show
    // what this program adds to what any such program pays.
    const minimal = path.join(o.work, "minimal");
    fs.mkdirSync(minimal);
    for (const file of ["tsconfig.json", "package.json"]) {
        fs.copyFileSync(path.join(empty, file), path.join(minimal, file));
    }
    fs.writeFileSync(path.join(minimal, "Pulumi.yaml"), "name: minimal\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n");
    fs.writeFileSync(
        path.join(minimal, "index.ts"),
        [
            'import * as pulumi from "@pulumi/pulumi";',
            'import * as aws from "@pulumi/aws";',
            'const nothing: pulumi.dynamic.ResourceProvider = { async create() { return { id: "nothing", outs: {} }; } };',
            "class Nothing extends pulumi.dynamic.Resource {",
            '    constructor(name: string) { super(nothing, name, {}, undefined, "bench", "Nothing"); }',
            "}",
            'new Nothing("nothing");',
            'export const bucket = new aws.s3.Bucket("minimal", { forceDestroy: true }).id;',
            "",
        ].join("\n"),
    );
    fs.symlinkSync(path.join(root, "node_modules"), path.join(minimal, "node_modules"));
    await pulumi(minimal, env, ["stack", "init", "bench"]);
    await pulumi(minimal, env, ["config", "set", "aws:region", "cn-north-1", "--stack", "bench"]);
    await pulumi(minimal, env, ["up", "--yes", "--stack", "bench"]);

    const program = programCopy(path.join(o.work, "program"));
    const zone = await new Route53Client({ region: "cn-north-1" }).send(
        new CreateHostedZoneCommand({ Name: "bench-site.cn", CallerReference: `bench-${Date.now()}` }),
    );
    const zoneId = zone.HostedZone!.Id!.replace("/hostedzone/", "");
    const stacks: Array<{ name: string; row: ProgramRow }> = [];
    for (const sites of o.sites) {
        const name = `sites-${sites}`;
        await pulumi(program, env, ["stack", "init", name]);
        for (const [key, value] of siteSettings(sites, zoneId, o)) {
            await pulumi(program, env, ["config", "set", ...key.split(" "), value, "--stack", name]);
        }
        await pulumi(program, env, ["up", "--yes", "--stack", name]);
        const state = JSON.parse(
            spawnSync("pulumi", ["stack", "export", "--stack", name], { cwd: program, env, encoding: "utf8", maxBuffer: 1 << 28 }).stdout,
        ) as { deployment: { resources: unknown[] } };
        stacks.push({ name, row: { sites, resources: state.deployment.resources.length, preview: [], noopUp: [], noopUpSkipPreview: [] } });
    }

    const emptyRow: ProgramRow = { sites: 0, resources: 0, preview: [], noopUp: [], noopUpSkipPreview: [] };
    const minimalRow: ProgramRow = { sites: 0, resources: 2, preview: [], noopUp: [], noopUpSkipPreview: [] };
    const measure = async (dir: string, stack: string, row: ProgramRow) => {
        row.preview.push(await pulumi(dir, env, ["preview", "--stack", stack]));
        row.noopUp.push(await pulumi(dir, env, ["up", "--yes", "--stack", stack]));
        row.noopUpSkipPreview.push(await pulumi(dir, env, ["up", "--yes", "--skip-preview", "--stack", stack]));
    };
    for (let i = 0; i < o.runs; i++) {
        await measure(empty, "bench", emptyRow);
        await measure(minimal, "bench", minimalRow);
        for (const { name, row } of stacks) {
            await measure(program, name, row);
        }
    }
    for (const { name } of stacks) {
        await pulumi(program, env, ["destroy", "--yes", "--stack", name]);
    }
    await pulumi(minimal, env, ["destroy", "--yes", "--stack", "bench"]);
    return { runs: o.runs, empty: emptyRow, minimal: minimalRow, program: stacks.map((s) => s.row) };
}

const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Goal: this program's preview and no-op up each within 1.5x the empty program's, at every number of sites. */
const GOAL_RATIO = 1.5;

export function printProgram(r: ProgramBench): { ratios: Record<string, number>; overMinimal: Record<string, number>; goalMet: boolean } {
    const wall = (xs: Timed[]) => median(xs.map((x) => x.seconds));
    const m = (xs: Timed[], f: (x: Timed) => number) => median(xs.map(f)).toFixed(2);
    const line = (label: string, xs: Timed[]) =>
        console.log(
            `  ${label.padEnd(40)} ${wall(xs).toFixed(2).padStart(6)} s | program load ${m(xs, (x) => x.program.load)} s, ` +
                `program run ${m(xs, (x) => x.program.run)} s (${median(xs.map((x) => x.program.runs))}x), serializing providers ` +
                `${m(xs, (x) => x.serialize)} s | provider start-up ` +
                `dynamic ${m(xs, (x) => x.startup.dynamic)} s, aws ${m(xs, (x) => x.startup.aws)} s | busy dynamic ` +
                `${m(xs, (x) => x.busy.dynamic)} s, aws ${m(xs, (x) => x.busy.aws)} s`,
        );
    console.log(`\nThe program under the CLI (median of ${r.runs} runs; program load and run summed over the program's runs):`);
    const ratios: Record<string, number> = {};
    const overMinimal: Record<string, number> = {};
    for (const phase of ["preview", "noopUp", "noopUpSkipPreview"] as const) {
        const label = { preview: "preview", noopUp: "no-op up", noopUpSkipPreview: "no-op up --skip-preview" }[phase];
        line(`empty program: ${label}`, r.empty[phase]);
        line(`one aws, one dynamic resource: ${label}`, r.minimal[phase]);
        for (const row of r.program) {
            line(`${row.sites} site(s), ${row.resources} resources: ${label}`, row[phase]);
            ratios[`${label}, ${row.sites} site(s)`] = wall(row[phase]) / wall(r.empty[phase]);
            overMinimal[`${label}, ${row.sites} site(s)`] = wall(row[phase]) / wall(r.minimal[phase]);
        }
    }
    const list = (xs: Record<string, number>) =>
        Object.entries(xs)
            .map(([k, v]) => `${k} ${v.toFixed(2)}x`)
            .join(", ");
    console.log(`  against the empty program (goal: at most ${GOAL_RATIO}x for preview and no-op up): ${list(ratios)}`);
    console.log(`  against one aws and one dynamic resource (what any program of this kind pays): ${list(overMinimal)}`);
    const judged = Object.entries(ratios).filter(([k]) => !k.includes("skip-preview"));
    return { ratios, overMinimal, goalMet: judged.every(([, v]) => v <= GOAL_RATIO) };
}
