/**
 * The README quickstart, run as written up to the offline plan, in a fresh clone of this repository:
 * the commands are read from the README's first bash block after "## Quickstart". Only what cannot
 * run here is swapped: the clone source (this repository), `pulumi login` (a file:// backend, since
 * Pulumi Cloud cannot be reached) and the CLI (the one the tests build). `npm ci` installs from the
 * npm registry as a user's would.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { engineEnv } from "./support/engine";
import { tempDir } from "./support/peers";

const root = path.resolve(__dirname, "..");

/** The quickstart's commands, one per line (comments and blank lines dropped), up to the offline plan. */
export function quickstartCommands(readme: string): string[] {
    const section = readme.split(/^## Quickstart$/m)[1] ?? "";
    const block = /```bash\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
    const lines = block
        .split("\n")
        .map((l) => l.replace(/\s+#.*$/, "").trim())
        .filter((l) => l && !l.startsWith("#"));
    return lines.slice(0, lines.findIndex((l) => l.startsWith("npm run plan")) + 1);
}

describe("README quickstart, in a fresh clone, up to the offline plan", function () {
    this.timeout(600_000);

    it("every command succeeds and the plan says the stack is China-compatible", () => {
        const commands = quickstartCommands(fs.readFileSync(path.join(root, "README.md"), "utf8"));
        assert.ok(commands.length >= 8, commands.join("\n"));
        assert.match(commands[0], /^git clone \S+ && cd cloudfront-china$/);
        assert.ok(commands.some((c) => c.startsWith("pulumi stack init")));
        assert.match(commands[commands.length - 1], /^npm run plan -- --stack cn-north-1$/);

        const work = tempDir("cfcn-quickstart-");
        const env = { ...engineEnv(work), AWS_PROFILE: "", AWS_ACCESS_KEY_ID: "", AWS_REGION: "" };
        let cwd = work;
        for (const command of commands) {
            const run = command
                .replace(/^git clone \S+ && cd cloudfront-china$/, `git clone --quiet ${root} cloudfront-china`)
                .replace(/^pulumi login\b.*$/, `pulumi login file://${work}`)
                .replace(/^npm ci$/, "npm ci --no-audit --no-fund --prefer-offline");
            const started = Date.now();
            const result = spawnSync("bash", ["-c", run], { cwd, env, encoding: "utf8" });
            console.log(`      $ ${command}  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
            assert.equal(result.status, 0, `${command}\n${result.stdout}\n${result.stderr}`);
            if (run.startsWith("git clone")) {
                cwd = path.join(work, "cloudfront-china");
            }
            if (command.startsWith("npm run plan")) {
                assert.match(result.stdout, /Result: compatible with CloudFront in the AWS China regions\./);
                assert.match(result.stdout, /domains: www\.your-domain\.cn, your-domain\.cn/);
            }
        }
    });
});
