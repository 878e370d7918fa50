/**
 * The real Pulumi engine for tests: the CLI built by tests/peers/install-pulumi.sh, a `file://`
 * backend per test, and the engine test program (tests/engine/program) configured against the peers.
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Peers } from "./fixture";

const root = path.resolve(__dirname, "..", "..");
export const ENGINE_PROGRAM = path.join(root, "tests", "engine", "program");
/** The site-content engine program (SiteContent and the stand-in distribution, no certificate). */
export const CONTENT_PROGRAM = path.join(root, "tests", "engine", "content");

export interface Run {
    code: number | null;
    output: string;
    seconds: number;
}

export function pulumiBinDir(): string {
    const file = path.join(root, ".tools", "pulumi", "bin-dir");
    if (!fs.existsSync(file)) {
        throw new Error("no Pulumi CLI: run `bash tests/peers/install-pulumi.sh` (npm test does)");
    }
    return fs.readFileSync(file, "utf8").trim();
}

/**
 * The project's own program copied to `program` (tracked files and this checkout's changes, no stack
 * files), with node_modules linked: what a user's clone holds.
 */
export function copyProjectProgram(program: string): void {
    const files = execFileSync("git", ["ls-files", "-c", "-m", "-o", "--exclude-standard"], { cwd: root, encoding: "utf8" })
        .split("\n")
        .filter((f) => f && fs.statSync(path.join(root, f), { throwIfNoEntry: false })?.isFile() && !/^Pulumi\..+\.yaml$/.test(f));
    for (const f of files) {
        fs.mkdirSync(path.dirname(path.join(program, f)), { recursive: true });
        fs.copyFileSync(path.join(root, f), path.join(program, f));
    }
    fs.symlinkSync(path.join(root, "node_modules"), path.join(program, "node_modules"));
}

/** Environment for a `file://` backend in `work`, with the built CLI first on PATH. */
export function engineEnv(work: string): NodeJS.ProcessEnv {
    return {
        ...process.env,
        PATH: `${pulumiBinDir()}${path.delimiter}${process.env.PATH}`,
        PULUMI_BACKEND_URL: `file://${work}`,
        PULUMI_CONFIG_PASSPHRASE: "engine-test",
        PULUMI_SKIP_UPDATE_CHECK: "1",
        PULUMI_HOME: path.join(work, ".pulumi-home"),
        PULUMI_NODEJS_TRANSPILE_ONLY: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        // Enables `--event-log` (the engine events the ordering assertions read).
        PULUMI_DEBUG_COMMANDS: "true",
    };
}

/** Runs the CLI in the test program without blocking this event loop (proxy and DNS live here). */
export function runPulumi(env: NodeJS.ProcessEnv, stack: string, args: string[], program = ENGINE_PROGRAM): Promise<Run> {
    const started = Date.now();
    return new Promise((resolve) => {
        const child = spawn(path.join(pulumiBinDir(), "pulumi"), [...args, "--non-interactive", "--stack", stack], {
            cwd: program,
            env,
        });
        let output = "";
        child.stdout.on("data", (d: Buffer) => (output += d.toString()));
        child.stderr.on("data", (d: Buffer) => (output += d.toString()));
        child.on("close", (code) => resolve({ code, output, seconds: (Date.now() - started) / 1000 }));
    });
}

/**
 * Sets the test program's configuration for a stack whose names live in `zone` (a Route 53 zone in
 * moto), or, given a domain name instead, in a zone hosted elsewhere (no Route 53 zone given).
 */
export async function configureStack(
    run: (...args: string[]) => Promise<Run>,
    peers: Peers,
    zone: { id: string; name: string } | string,
    profile: string,
    renewBeforeDays: number | undefined,
    extra: Record<string, string> = {},
) {
    const name = typeof zone === "string" ? zone : zone.name;
    await run("stack", "init");
    await run("config", "set", "--path", "domains[0]", `www.${name}`);
    await run("config", "set", "--path", "domains[1]", name);
    const settings: Record<string, string> = {
        directoryUrl: peers.pebble.directoryUrl,
        profile,
        ...(renewBeforeDays === undefined ? {} : { renewBeforeDays: String(renewBeforeDays) }),
        ...(typeof zone === "string" ? {} : { zoneName: zone.name, zoneId: zone.id }),
        dnsResolver: peers.dns.address,
        deleteConflictTimeoutSeconds: "60",
        ...extra,
    };
    for (const [key, value] of Object.entries(settings)) {
        await run("config", "set", key, value);
    }
}

export interface StackCli {
    /** Runs `pulumi <args>` for the stack; the caller checks the exit code. */
    run(...args: string[]): Promise<Run>;
    /** Runs `pulumi <args>` and fails the test (with the CLI's output) unless it exits 0. */
    ok(...args: string[]): Promise<Run>;
    /** A stack output, JSON-decoded. */
    output<T = string>(name: string): Promise<T>;
}

/** The CLI bound to one stack of `program`, with `env` read when each command runs (set it in `before`). */
export function stackCli(env: () => NodeJS.ProcessEnv, stack: string, program = ENGINE_PROGRAM): StackCli {
    const run = (...args: string[]) => runPulumi(env(), stack, args, program);
    const ok = async (...args: string[]) => {
        const result = await run(...args);
        if (result.code !== 0) {
            throw new Error(`pulumi ${args.join(" ")} failed:\n${result.output}`);
        }
        return result;
    };
    return { run, ok, output: async <T>(name: string) => JSON.parse((await ok("stack", "output", name, "--json")).output) as T };
}
