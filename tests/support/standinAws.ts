/**
 * Installs the test-only `aws` plugin (tests/standin-aws) into a test PULUMI_HOME, the way a user's
 * CLI installs pulumi-aws: `pulumi plugin install resource aws <version> --file <tarball>`, at the
 * version the locked @pulumi/aws asks for. Nothing is downloaded.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { pulumiBinDir } from "./engine";

const root = path.resolve(__dirname, "..", "..");

/** The plugin version the program's @pulumi/aws requests from the engine. */
export function awsPluginVersion(): string {
    return (
        JSON.parse(fs.readFileSync(path.join(root, "node_modules", "@pulumi", "aws", "package.json"), "utf8")) as {
            pulumi: { version: string };
        }
    ).pulumi.version;
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
            `export TS_NODE_PROJECT='${path.join(root, "tsconfig.json")}' TS_NODE_TRANSPILE_ONLY=true`,
            `exec node -r '${path.join(root, "node_modules", "ts-node", "register")}' '${path.join(root, "tests", "standin-aws", "main.ts")}' "$@"`,
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
