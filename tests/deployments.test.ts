/**
 * Renewal on a schedule with Pulumi Deployments, as code: the stack config key, the default
 * schedule, and the pulumiservice resources the program registers (under runtime mocks; the
 * pulumiservice plugin is not needed for that).
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { ORDERS_PER_ACCOUNT_LIMIT, cronProblems, defaultSchedule, isSelfManagedBackend, peakRunsInWindow } from "../config/deployments";
import { runProgramUnderMocks } from "./support/pulumi";

const KEY = "cloudfront-china:deployments";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- inputs are untyped on the wire
const isSecret = (v: any) => v !== null && typeof v === "object" && v[SIG_KEY] === SECRET_SIG;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- inputs are untyped on the wire
const reveal = (v: any) => (isSecret(v) ? v.value : v);

/** Runs index.ts with `config` under mocks, the deployments key encrypted unless `secretKeys` says otherwise. */
/** Runs index.ts with `config` (`secretKeys` encrypted) under mocks. */
const runProgram = (config: Record<string, unknown>, secretKeys: string[] = [KEY]) => runProgramUnderMocks(config, { secretKeys });

const base = {
    "aws:region": "cn-north-1",
    "cloudfront-china:domains": ["www.example.cn"],
    "cloudfront-china:iamCertificateId": "ASCAEXAMPLE0123456789",
};
const deployments = {
    repoUrl: "https://github.com/acme/site.git",
    repoDir: "infra",
    awsAccessKeyId: "AKIAEXAMPLEEXAMPLE01",
    awsSecretAccessKey: "example-secret-access-key",
};

describe("renewal schedule with Pulumi Deployments (cloudfront-china:deployments)", () => {
    after(() => pulumi.runtime.setAllConfig({}, []));

    it("the default schedule is daily, stable per stack, never on minute 0, and spreads 1,000 stacks over the day", () => {
        assert.equal(defaultSchedule("acme", "cloudfront-china", "prod"), defaultSchedule("acme", "cloudfront-china", "prod"));
        assert.notEqual(defaultSchedule("acme", "cloudfront-china", "prod"), defaultSchedule("acme", "cloudfront-china", "staging"));
        const crons = Array.from({ length: 1000 }, (_, i) => defaultSchedule("acme", "cloudfront-china", `stack-${i}`));
        const parsed = crons.map((c) => {
            const m = /^(\d+) (\d+) \* \* \*$/.exec(c);
            assert.ok(m, `daily cron: ${c}`);
            return { minute: Number(m[1]), hour: Number(m[2]) };
        });
        assert.ok(
            parsed.every((p) => p.minute >= 1 && p.minute <= 59),
            "never minute 0",
        );
        assert.ok(parsed.every((p) => p.hour >= 0 && p.hour <= 23));
        const perHour = Array.from({ length: 24 }, (_, h) => parsed.filter((p) => p.hour === h).length);
        // 1,000 over 24 hours is ~42 each; a uniform spread keeps every hour well inside 20..70.
        assert.ok(Math.min(...perHour) >= 20 && Math.max(...perHour) <= 70, `per hour: ${perHour.join(" ")}`);
        assert.equal(new Set(parsed.map((p) => p.minute)).size, 59, "every minute 1-59 is used");
        // 1,000 draws from 1,416 slots leave ~717 distinct when uniform.
        assert.ok(new Set(crons).size > 650, `distinct times: ${new Set(crons).size}`);
    });

    it("a fleet of 500 stacks, every certificate due at once, stays inside 300 new orders per 3 hours (one account shared by EAB)", () => {
        // The window arithmetic itself: across midnight, and the busiest start.
        assert.deepEqual(peakRunsInWindow(["50 23 * * *", "10 0 * * *", "20 1 * * *", "0 12 * * *"], 60), { peak: 2, startsAt: 1391 });
        assert.throws(() => peakRunsInWindow(["*/5 * * * *"], 180), /is not a daily schedule/);
        const crons = Array.from({ length: 500 }, (_, i) => defaultSchedule("acme", `site-${i % 7}`, `cn-north-1-${i}`));
        const { peak, startsAt } = peakRunsInWindow(crons, ORDERS_PER_ACCOUNT_LIMIT.windowMinutes);
        // Uniform would be 500 × 3 / 24 = 62.5; the hash spread stays near it, far from the limit
        // even with two certificates per stack (two sites each).
        const at = `${String(Math.floor(startsAt / 60)).padStart(2, "0")}:${String(startsAt % 60).padStart(2, "0")}`;
        console.log(
            `      500 stacks: at most ${peak} runs start in any 3 hours (from ${at} UTC); limit ${ORDERS_PER_ACCOUNT_LIMIT.orders}`,
        );
        assert.ok(peak <= 95, `peak ${peak} runs in 3 hours: the default schedules bunch up`);
        assert.ok(2 * peak <= ORDERS_PER_ACCOUNT_LIMIT.orders);
    });

    it("cron validation accepts the standard forms and names the bad field", () => {
        for (const ok of ["17 3 * * *", "*/15 * * * *", "0 0-23/6 * * 1-5", "5,35 1 1 1,7 0"]) {
            assert.deepEqual(cronProblems(ok, "k"), [], ok);
        }
        assert.match(cronProblems("60 * * * *", "k")[0], /the minute field "60"/);
        assert.match(cronProblems("* * * *", "k")[0], /must have 5 fields/);
        assert.match(cronProblems("* * * * 7-1", "k")[0], /day of week field "7-1"/);
        assert.deepEqual(["file:///state", "s3://b?region=cn-north-1", "https://api.pulumi.com", undefined].map(isSelfManagedBackend), [
            true,
            true,
            false,
            false,
        ]);
    });

    it("absent: nothing of Pulumi Deployments is registered", async () => {
        const { mocks, outputs } = await runProgram(base, []);
        assert.deepEqual(
            mocks.registrations.filter((r) => r.type.startsWith("pulumiservice:") || r.type.endsWith("ScheduledDeployments")),
            [],
        );
        assert.equal(outputs.renewalSchedule, undefined);
    });

    it("registers settings (git, npm ci, secret AWS keys), a daily update schedule and nothing optional", async () => {
        const { mocks, outputs, dependencies: dependsOn } = await runProgram({ ...base, [KEY]: deployments });
        const settings = mocks.find("pulumiservice:index:DeploymentSettings", "renewal-settings")[0];
        assert.deepEqual(
            [settings.inputs.organization, settings.inputs.project, settings.inputs.stack],
            ["acme", "cloudfront-china", "cn-north-1"],
        );
        assert.deepEqual(settings.inputs.sourceContext.git, {
            repoUrl: "https://github.com/acme/site.git",
            branch: "refs/heads/main",
            repoDir: "infra",
        });
        assert.ok(isSecret(settings.inputs.operationContext), "the credentials make the operation context secret");
        const ctx = reveal(settings.inputs.operationContext);
        assert.deepEqual(ctx.preRunCommands, ["npm ci --ignore-scripts"]);
        assert.equal(ctx.options.skipInstallDependencies, true, "npm ci instead of Deployments' own npm install");
        assert.deepEqual(ctx.environmentVariables, {
            AWS_ACCESS_KEY_ID: "AKIAEXAMPLEEXAMPLE01",
            AWS_SECRET_ACCESS_KEY: "example-secret-access-key",
        });
        assert.equal(ctx.oidc, undefined, "no OIDC: Deployments' AWS OIDC has no aws-cn partition");

        const schedule = mocks.find("pulumiservice:index:DeploymentSchedule", "renewal-update")[0];
        const cron = defaultSchedule("acme", "cloudfront-china", "cn-north-1");
        assert.deepEqual([schedule.inputs.pulumiOperation, schedule.inputs.scheduleCron], ["update", cron]);
        assert.deepEqual(dependsOn["renewal-update"], ["renewal-settings"], "the schedule needs the settings first");
        assert.equal(outputs.renewalSchedule, cron);
        assert.deepEqual(mocks.find("pulumiservice:index:DriftSchedule"), []);
        assert.deepEqual(mocks.find("pulumiservice:index:Webhook"), []);
        const component = mocks.find("cloudfront-china:index:ScheduledDeployments", "renewal");
        assert.equal(component.length, 1);
        // Same stack, same cron, on every run.
        const again = await runProgram({ ...base, [KEY]: deployments });
        assert.equal(again.outputs.renewalSchedule, cron);
    });

    it("a chosen schedule, drift detection, a private repository token and a failure webhook", async () => {
        const { mocks, dependencies: dependsOn } = await runProgram({
            ...base,
            [KEY]: {
                ...deployments,
                branch: "release",
                schedule: "41 2 * * *",
                driftSchedule: "7 */6 * * *",
                gitToken: "ghp_example",
                notify: { url: "https://hooks.slack.com/services/T/B/x", format: "slack" },
            },
        });
        assert.equal(mocks.find("pulumiservice:index:DeploymentSchedule")[0].inputs.scheduleCron, "41 2 * * *");
        const settings = mocks.find("pulumiservice:index:DeploymentSettings")[0];
        const git = reveal(settings.inputs.sourceContext).git;
        assert.equal(git.branch, "refs/heads/release");
        assert.deepEqual(git.gitAuth, { basicAuth: { username: "git", password: "ghp_example" } });
        assert.ok(isSecret(settings.inputs.sourceContext), "the git token is secret");
        const drift = mocks.find("pulumiservice:index:DriftSchedule", "renewal-drift")[0];
        assert.deepEqual([drift.inputs.scheduleCron, drift.inputs.autoRemediate], ["7 */6 * * *", false]);
        assert.deepEqual(dependsOn["renewal-drift"], ["renewal-settings"]);
        const hook = mocks.find("pulumiservice:index:Webhook", "renewal-notify")[0];
        assert.ok(isSecret(hook.inputs.payloadUrl), "the webhook URL is secret");
        assert.equal(reveal(hook.inputs.payloadUrl), "https://hooks.slack.com/services/T/B/x");
        assert.deepEqual(
            [hook.inputs.organizationName, hook.inputs.projectName, hook.inputs.stackName, hook.inputs.format, hook.inputs.active],
            ["acme", "cloudfront-china", "cn-north-1", "slack", true],
        );
        assert.deepEqual(hook.inputs.filters, ["deployment_failed", "update_failed", "drift_detected"]);
    });
});
