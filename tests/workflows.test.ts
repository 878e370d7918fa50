/**
 * The renewal schedule shipped as GitHub Actions workflows: validated by actionlint (installed into
 * .tools/ by the test setup), and read here for what matters to renewal: the cron, the permissions,
 * one run per stack at a time, OIDC into aws-cn, and the same commands the README gives.
 */
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { cronProblems } from "../config/deployments";

const root = path.resolve(__dirname, "..");
const workflows = path.join(root, ".github", "workflows");

interface Step {
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
    "continue-on-error"?: unknown;
}
interface Job {
    strategy?: { matrix?: { include?: Array<Record<string, string>> } };
    concurrency?: { group: string; "cancel-in-progress": boolean };
    env?: Record<string, string>;
    permissions?: Record<string, string>;
    environment?: string;
    steps: Step[];
    "continue-on-error"?: unknown;
}
interface Workflow {
    on: Record<string, unknown>;
    permissions: Record<string, string>;
    jobs: Record<string, Job>;
}

const load = (file: string) => yaml.load(fs.readFileSync(path.join(workflows, file), "utf8")) as Workflow;
const readme = () => fs.readFileSync(path.join(root, "README.md"), "utf8");
/** The README section with this heading, up to the next heading of the same level. */
function readmeSection(heading: string): string {
    const text = readme();
    const start = text.indexOf(`\n## ${heading}\n`);
    assert.ok(start >= 0, `README has a "## ${heading}" section`);
    const end = text.indexOf("\n## ", start + 4);
    return text.slice(start, end < 0 ? undefined : end);
}

describe("GitHub Actions workflows (.github/workflows)", () => {
    it("pass actionlint", () => {
        const r = spawnSync(path.join(root, ".tools", "bin", "actionlint"), ["-color=false"], { cwd: root, encoding: "utf8" });
        assert.equal(r.error, undefined, "actionlint is installed by tests/peers/install.sh");
        assert.equal(r.status, 0, r.stdout + r.stderr);
    });

    it("pass zizmor's security audit with no finding (pinned actions, no persisted credentials, no template injection, …)", () => {
        const r = spawnSync(
            path.join(root, ".tools", "analyzers", "bin", "zizmor"),
            // The whole folder: the workflows and dependabot.yml (zizmor audits its cooldown too).
            ["--offline", "--format", "plain", ".github"],
            {
                cwd: root,
                encoding: "utf8",
            },
        );
        assert.equal(r.error, undefined, "zizmor is installed by tests/peers/install.sh");
        assert.equal(r.status, 0, r.stdout + r.stderr);
        assert.match(r.stdout + r.stderr, /No findings to report/);
    });

    it("dependabot proposes updates of the pinned actions and the lockfile, weekly, after a cooldown", () => {
        const d = yaml.load(fs.readFileSync(path.join(root, ".github", "dependabot.yml"), "utf8")) as {
            updates: Array<{ "package-ecosystem": string; directory: string; cooldown?: { "default-days"?: number } }>;
        };
        assert.deepEqual(d.updates.map((u) => u["package-ecosystem"]).sort(), ["github-actions", "npm"]);
        for (const u of d.updates) {
            assert.equal(u.directory, "/");
            assert.ok((u.cooldown?.["default-days"] ?? 0) >= 7, `${u["package-ecosystem"]}: a week's cooldown`);
        }
    });

    it("renew.yml: daily off the hour, manual too, OIDC into aws-cn, one run per stack, a failed up fails the job", () => {
        const w = load("renew.yml");
        const schedule = w.on.schedule as Array<{ cron: string }>;
        assert.equal(schedule.length, 1);
        const cron = schedule[0].cron;
        assert.deepEqual(cronProblems(cron, "cron"), []);
        const [minute, hour, ...rest] = cron.split(" ");
        assert.ok(Number(minute) > 0, "never on the hour");
        assert.match(hour, /^\d+$/, "once a day");
        assert.deepEqual(rest, ["*", "*", "*"], "every day");
        assert.ok("workflow_dispatch" in w.on, "can be run by hand");
        assert.deepEqual(w.permissions, {}, "nothing granted workflow-wide");

        const job = w.jobs.up;
        assert.deepEqual(job.permissions, { "id-token": "write", contents: "read" }, "the job asks for the OIDC token and a read");
        assert.equal(job.environment, "${{ matrix.stack }}", "each stack's job runs in the environment its role trusts");
        assert.deepEqual(job.concurrency, { group: "pulumi-up-${{ matrix.stack }}", "cancel-in-progress": false });
        for (const entry of job.strategy?.matrix?.include ?? []) {
            assert.ok(fs.existsSync(path.join(root, `Pulumi.${entry.stack}.yaml`)), `a stack file for ${entry.stack}`);
            assert.match(entry.region, /^cn-(north|northwest)-1$/);
        }
        assert.equal(job["continue-on-error"], undefined);
        const uses = (prefix: string) => job.steps.find((s) => s.uses?.startsWith(prefix));
        assert.ok(
            job.steps.some((s) => s.run === "npm ci --ignore-scripts"),
            "installs exactly the lockfile, and runs no install script",
        );
        for (const step of job.steps.filter((s) => s.uses)) {
            assert.match(step.uses ?? "", /@[0-9a-f]{40}$/, `${step.uses} pinned by commit`);
        }
        const checkout = uses("actions/checkout@");
        assert.equal(checkout?.with?.["persist-credentials"], false, "no token left in .git/config");
        // Secrets only where they are used: the pulumi step.
        const withSecrets = job.steps.filter((s) => JSON.stringify(s).includes("secrets."));
        assert.deepEqual(
            withSecrets.map((s) => s.uses?.split("@")[0]),
            ["pulumi/actions"],
        );
        assert.equal(JSON.stringify(job.env ?? {}).includes("secrets."), false, "no secret in the job's environment");
        const aws = uses("aws-actions/configure-aws-credentials@");
        assert.equal(aws?.with?.audience, "sts.amazonaws.com.cn", "the aws-cn audience");
        assert.equal(aws?.with?.["role-to-assume"], "${{ vars.AWS_ROLE_ARN }}");
        assert.equal(aws?.with?.["aws-access-key-id"], undefined, "no stored keys");
        const up = uses("pulumi/actions@");
        assert.ok(up, "the pulumi step");
        assert.deepEqual([up?.with?.command, up?.with?.["stack-name"]], ["up", "${{ matrix.stack }}"]);
        const tested = /PULUMI_VERSION=v(\S+)/.exec(fs.readFileSync(path.join(root, "tests", "peers", "install-pulumi.sh"), "utf8"))![1];
        assert.equal(up?.with?.["pulumi-version"], tested, "the CLI pinned to the version the suite tests with");
        assert.equal(up?.["continue-on-error"], undefined);
        assert.equal(job.env?.PULUMI_BACKEND_URL, "${{ vars.PULUMI_BACKEND_URL }}");
        // The npm ci comes before the up, the credentials too.
        const order = job.steps.map((s) => s.run ?? s.uses ?? "");
        assert.ok(order.indexOf("npm ci --ignore-scripts") < order.findIndex((s) => s.startsWith("pulumi/actions@")));
    });

    it("the README's schedule section and docs/run-on-a-schedule.md give the same cron, commands and files", () => {
        const section =
            readmeSection("Run it on a schedule") + fs.readFileSync(path.join(__dirname, "..", "docs", "run-on-a-schedule.md"), "utf8");
        assert.ok(readmeSection("Run it on a schedule").includes("docs/run-on-a-schedule.md"), "the README links the details");
        const cron = (load("renew.yml").on.schedule as Array<{ cron: string }>)[0].cron;
        assert.ok(section.includes(cron), `the docs name the cron ${cron}`);
        for (const text of [
            ".github/workflows/renew.yml",
            ".github/workflows/plan.yml",
            "docs/github-oidc-trust-policy.json",
            "sts.amazonaws.com.cn",
            "npm ci",
            "pulumi up --stack",
            "npm run plan -- --stack",
            "cloudfront-china:deployments",
            "60 days",
        ]) {
            assert.ok(section.includes(text), `the section mentions ${text}`);
        }
    });

    it("plan.yml: on pull requests, read-only, and its script runs the offline plan of every stack file (run here)", async function () {
        this.timeout(180_000);
        const w = load("plan.yml");
        assert.ok("pull_request" in w.on);
        assert.deepEqual(w.permissions, { contents: "read" });
        assert.ok(
            w.jobs.plan.steps.some((s) => s.run === "npm ci --ignore-scripts"),
            "no install script",
        );
        const script = w.jobs.plan.steps.find((s) => s.run?.includes("npm run --silent plan -- --stack"))?.run;
        assert.ok(script, "the step runs the README's plan command");
        const run = await new Promise<{ code: number | null; out: string }>((resolve) => {
            const child = spawn("bash", ["-e", "-c", script], {
                cwd: root,
                env: { ...process.env, AWS_PROFILE: "", AWS_ACCESS_KEY_ID: "" },
            });
            let out = "";
            child.stdout.on("data", (d: Buffer) => (out += d.toString()));
            child.stderr.on("data", (d: Buffer) => (out += d.toString()));
            child.on("close", (code) => resolve({ code, out }));
        });
        assert.equal(run.code, 0, run.out);
        const stacks = fs.readdirSync(root).filter((f) => /^Pulumi\..+\.yaml$/.test(f));
        assert.equal((run.out.match(/Result: compatible/g) ?? []).length, stacks.length, "one plan per stack file");
    });

    it("docs/github-oidc-trust-policy.json: GitHub's OIDC provider in aws-cn, the .com.cn audience, one repository's one environment", () => {
        const policy = JSON.parse(fs.readFileSync(path.join(root, "docs", "github-oidc-trust-policy.json"), "utf8")) as {
            Statement: Array<{ Principal: { Federated: string }; Action: string; Condition: { StringEquals: Record<string, string> } }>;
        };
        const [s] = policy.Statement;
        assert.match(s.Principal.Federated, /^arn:aws-cn:iam::ACCOUNT_ID:oidc-provider\/token\.actions\.githubusercontent\.com$/);
        assert.equal(s.Action, "sts:AssumeRoleWithWebIdentity");
        assert.equal(s.Condition.StringEquals["token.actions.githubusercontent.com:aud"], "sts.amazonaws.com.cn");
        assert.equal(s.Condition.StringEquals["token.actions.githubusercontent.com:sub"], "repo:OWNER/REPO:environment:STACK");
    });
});
