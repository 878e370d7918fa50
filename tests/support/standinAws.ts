/**
 * Installs the test-only `aws` plugin (tests/standin-aws) into a test PULUMI_HOME, the way a user's
 * CLI installs pulumi-aws: `pulumi plugin install resource aws <version> --file <tarball>`, at the
 * version the locked @pulumi/aws asks for. Nothing is downloaded.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { StackCli, copyProjectProgram, engineEnv, pulumiBinDir, stackCli } from "./engine";

const root = path.resolve(__dirname, "..", "..");

/** The plugin version the program's @pulumi/aws requests from the engine. */
export function awsPluginVersion(): string {
    return (
        JSON.parse(fs.readFileSync(path.join(root, "node_modules", "@pulumi", "aws", "package.json"), "utf8")) as {
            pulumi: { version: string };
        }
    ).pulumi.version;
}

/**
 * The stand-in compiled to JavaScript once per content of tests/standin-aws (TypeScript's
 * transpileModule, no type check: `npm run typecheck` does that), under .tools/ so that its packages
 * resolve from the repository's node_modules. Each plugin start is then a plain `node` start instead
 * of a ts-node compile (the engine starts the plugin at least once per preview, up and destroy).
 */
function builtStandIn(): string {
    const source = path.join(root, "tests", "standin-aws");
    const files = fs
        .readdirSync(source)
        .filter((f) => f.endsWith(".ts"))
        .sort();
    const hash = createHash("sha256");
    for (const file of files) {
        hash.update(`${file}\0${fs.readFileSync(path.join(source, file), "utf8")}\0`);
    }
    const out = path.join(root, ".tools", "standin-aws", hash.digest("hex").slice(0, 16));
    if (!fs.existsSync(path.join(out, "main.js"))) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- the compiler, loaded only when a build is needed
        const ts = require("typescript") as typeof import("typescript");
        const partial = `${out}.${process.pid}`;
        fs.mkdirSync(partial, { recursive: true });
        for (const file of files) {
            const { outputText } = ts.transpileModule(fs.readFileSync(path.join(source, file), "utf8"), {
                fileName: file,
                compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
            });
            fs.writeFileSync(path.join(partial, file.replace(/\.ts$/, ".js")), outputText);
        }
        try {
            fs.renameSync(partial, out);
        } catch (e) {
            // Another process built the same content meanwhile: its copy serves.
            fs.rmSync(partial, { recursive: true, force: true });
            if (!fs.existsSync(path.join(out, "main.js"))) {
                throw e;
            }
        }
    }
    return path.join(out, "main.js");
}

/** Packs the stand-in and installs it as resource plugin `aws` into `pulumiHome`. */
export function installStandInAws(pulumiHome: string): void {
    const build = fs.mkdtempSync(path.join(path.dirname(pulumiHome), "standin-aws-"));
    const launcher = path.join(build, "pulumi-resource-aws");
    // The engine runs the executable with its own address; it prints the gRPC port.
    fs.writeFileSync(
        launcher,
        [
            "#!/bin/sh",
            "# Test-only stand-in for pulumi-aws (cloudfront-china tests/standin-aws), backed by moto.",
            `exec node '${builtStandIn()}' "$@"`,
            "",
        ].join("\n"),
        { mode: 0o755 },
    );
    const tarball = path.join(build, "pulumi-resource-aws.tgz");
    const tar = spawnSync("tar", ["-czf", tarball, "-C", build, "pulumi-resource-aws"], { encoding: "utf8" });
    if (tar.status !== 0) {
        throw new Error(`packing the stand-in aws plugin failed: ${tar.stderr}`);
    }
    const install = spawnSync(
        path.join(pulumiBinDir(), "pulumi"),
        ["plugin", "install", "resource", "aws", awsPluginVersion(), "--file", tarball, "--non-interactive"],
        { encoding: "utf8", env: { ...process.env, PULUMI_HOME: pulumiHome, PULUMI_SKIP_UPDATE_CHECK: "1" } },
    );
    if (install.status !== 0) {
        throw new Error(`pulumi plugin install resource aws --file failed:\n${install.stdout}\n${install.stderr}`);
    }
    fs.rmSync(build, { recursive: true, force: true });
}

/**
 * A stack of the project's own program (index.ts and Pulumi.yaml, as a user's clone holds them) in
 * `work`, on its own `file://` backend, with the stand-in aws plugin: what the user runs.
 */
export function projectProgramStack(work: string, stack: string): { cli: StackCli; env: NodeJS.ProcessEnv; program: string } {
    const program = path.join(work, "program");
    copyProjectProgram(program);
    const env = engineEnv(work);
    installStandInAws(env.PULUMI_HOME!);
    return { cli: stackCli(() => env, stack, program), env, program };
}

/**
 * `pulumi stack init` with what every Pebble stack of the project's program sets: the region, the
 * zone dns-01 writes to, the CA (Pebble's 90-day profile: renewals in the tests are forced, never
 * due), the test DNS server as the resolver, and `www.<zone>` as its one domain unless `domain` is false.
 */
export async function initPebbleStack(
    cli: StackCli,
    o: { zone: { id: string; name: string }; directoryUrl: string; dnsAddress: string; domain?: boolean },
): Promise<void> {
    await cli.ok("stack", "init");
    for (const [key, value] of [
        ["aws:region", "cn-north-1"],
        ["cloudfront-china:hostedZoneId", o.zone.id],
        ["cloudfront-china:acmeDirectoryUrl", o.directoryUrl],
        ["cloudfront-china:challenge", "dns-01"],
        ["cloudfront-china:acmeProfile", "default"],
    ]) {
        await cli.ok("config", "set", key, value);
    }
    if (o.domain !== false) {
        await cli.ok("config", "set", "--path", "cloudfront-china:domains[0]", `www.${o.zone.name}`);
    }
    await cli.ok("config", "set", "--path", "cloudfront-china:dnsResolvers[0]", o.dnsAddress);
}
