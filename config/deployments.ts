/**
 * Reading `cloudfront-china:deployments`: renewal on a schedule with Pulumi Deployments (the git
 * source, the schedules, the AWS keys as secrets, the webhook), validated before anything is
 * registered; docs/run-on-a-schedule.md says what each field does. The resources are
 * ../components/deployments.ts.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const WEBHOOK_FORMATS = ["slack", "ms_teams", "raw"] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** The validated `cloudfront-china:deployments` object. */
export interface DeploymentsConfig {
    repoUrl: string;
    /** A full ref: "refs/heads/main". */
    branch: string;
    repoDir?: string;
    /** 5-field cron, UTC. Unset: `defaultSchedule(org, project, stack)`. */
    schedule?: string;
    driftSchedule?: string;
    autoRemediateDrift: boolean;
    awsAccessKeyId: string;
    awsSecretAccessKey: string;
    gitToken?: string;
    notify?: { url: string; format: WebhookFormat };
}

const DEPLOYMENT_KEYS = [
    "repoUrl",
    "branch",
    "repoDir",
    "schedule",
    "driftSchedule",
    "autoRemediateDrift",
    "awsAccessKeyId",
    "awsSecretAccessKey",
    "gitToken",
    "notify",
];
/** Values that are credentials: accepted only when the config key holds them encrypted. */
const SECRET_FIELDS = ["awsAccessKeyId", "awsSecretAccessKey", "gitToken", "notify.url"];

/**
 * Once a day at a minute and hour derived from org/project/stack: stable across runs (the same
 * stack always gets the same time), spread across a fleet, never on minute 0 (Let's Encrypt asks
 * clients not to run on the hour; acme-and-renewal.md).
 */
export function defaultSchedule(organization: string, project: string, stack: string): string {
    const digest = createHash("sha256").update(`${organization}/${project}/${stack}`).digest();
    const minute = 1 + (digest.readUInt32BE(0) % 59);
    const hour = digest.readUInt32BE(4) % 24;
    return `${minute} ${hour} * * *`;
}

/** Let's Encrypt's "New Orders per Account" limit: 300 per 3 hours (docs/run-on-a-schedule.md). */
export const ORDERS_PER_ACCOUNT_LIMIT = { orders: 300, windowMinutes: 180 };

/**
 * The most daily runs of a fleet that start within one window of `windowMinutes` (sliding, across
 * midnight), and where that window starts (minute of the day, UTC). With every certificate due at
 * once (a CA moving every ARI window to now ahead of a mass revocation), each run orders once per
 * certificate, so this bounds the orders the fleet sends in any window. `crons` are daily
 * "m h * * *" expressions (defaultSchedule's form); any other form is refused by name.
 */
export function peakRunsInWindow(crons: readonly string[], windowMinutes: number): { peak: number; startsAt: number } {
    const perMinute = new Array<number>(1440).fill(0);
    for (const cron of crons) {
        const m = /^(\d{1,2}) (\d{1,2}) \* \* \*$/.exec(cron.trim());
        if (!m) {
            throw new Error(`"${cron}" is not a daily schedule ("m h * * *"): count its runs per window by hand`);
        }
        perMinute[Number(m[2]) * 60 + Number(m[1])]++;
    }
    let best = { peak: 0, startsAt: 0 };
    let inWindow = perMinute.slice(0, windowMinutes).reduce((a, b) => a + b, 0);
    for (let start = 0; start < 1440; start++) {
        if (inWindow > best.peak) {
            best = { peak: inWindow, startsAt: start };
        }
        inWindow += perMinute[(start + windowMinutes) % 1440] - perMinute[start];
    }
    return best;
}

const CRON_FIELDS: Array<{ name: string; min: number; max: number }> = [
    { name: "minute", min: 0, max: 59 },
    { name: "hour", min: 0, max: 23 },
    { name: "day of month", min: 1, max: 31 },
    { name: "month", min: 1, max: 12 },
    { name: "day of week", min: 0, max: 6 },
];

/** Problems with a standard 5-field cron expression (numbers, `*`, ranges, lists, steps). */
export function cronProblems(cron: unknown, setting: string): string[] {
    const example = `e.g. "17 3 * * *" (03:17 UTC daily)`;
    if (typeof cron !== "string") {
        return [`\`${setting}\` must be a cron expression, ${example} (got ${JSON.stringify(cron)})`];
    }
    const fields = cron.trim().split(/\s+/);
    if (fields.length !== 5) {
        return [`\`${setting}\` "${cron}" must have 5 fields (minute hour day-of-month month day-of-week), ${example}`];
    }
    const problems: string[] = [];
    fields.forEach((field, i) => {
        const { name, min, max } = CRON_FIELDS[i];
        const ok = field.split(",").every((part) => {
            const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
            if (!m) {
                return false;
            }
            const [lo, hi, step] = [m[2], m[3], m[4]].map((v) => (v === undefined ? undefined : Number(v)));
            const inRange = (v?: number) => v === undefined || (v >= min && v <= max);
            return inRange(lo) && inRange(hi) && (hi === undefined || lo! <= hi) && (step === undefined || step > 0);
        });
        if (!ok) {
            problems.push(
                `\`${setting}\` "${cron}": the ${name} field "${field}" must be *, a number ${min}-${max}, a range, a list or a step`,
            );
        }
    });
    return problems;
}

/**
 * The backend the CLI is logged in to: PULUMI_BACKEND_URL, else the `current` of
 * $PULUMI_HOME/credentials.json (what `pulumi login` wrote). Undefined: the default, Pulumi Cloud.
 */
export function currentBackendUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
    if (env.PULUMI_BACKEND_URL) {
        return env.PULUMI_BACKEND_URL;
    }
    const home = env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi");
    try {
        return (JSON.parse(fs.readFileSync(path.join(home, "credentials.json"), "utf8")) as { current?: string }).current;
    } catch {
        return undefined;
    }
}

/** Self-managed ("DIY") backends have no Deployments. */
export function isSelfManagedBackend(url: string | undefined): boolean {
    return url !== undefined && /^(file|s3|azblob|gs|postgres|postgresql):\/\//.test(url);
}

/** What the offline plan shows for an encrypted config value. */
export const OFFLINE_SECRET = "[secret]";

const at = (key: string, field: string) => `\`${key}.${field}\``;

/**
 * Validates `cloudfront-china:deployments`. `isSecret`: the config key holds encrypted values (set
 * with `pulumi config set --secret --path`). Every problem names the key and the fix.
 */
export function readDeploymentsConfig(
    value: unknown,
    key: string,
    context: { isSecret: (field: string) => boolean; backendUrl: string | undefined; awsProfileSet: boolean },
): { deployments?: DeploymentsConfig; problems: string[] } {
    if (value === undefined) {
        return { problems: [] };
    }
    const problems: string[] = [];
    const setSecret = (field: string) => `\`pulumi config set --secret --path '${key}.${field}' …\``;
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
        return {
            problems: [`\`${key}\` must be an object like {"repoUrl": "https://github.com/acme/site.git"} (got ${JSON.stringify(value)})`],
        };
    }
    if (isSelfManagedBackend(context.backendUrl)) {
        problems.push(
            `\`${key}\` needs Pulumi Cloud (Pulumi Deployments), but this stack's backend is ${context.backendUrl}: ` +
                "remove the key (`pulumi config rm " +
                key +
                "`) and run renewals from the shipped GitHub Actions workflow (.github/workflows/renew.yml), which works with any backend",
        );
    }
    const d = value as Record<string, unknown>;
    for (const k of Object.keys(d).filter((k) => !DEPLOYMENT_KEYS.includes(k))) {
        problems.push(`${at(key, k)} is not a deployments setting: use ${DEPLOYMENT_KEYS.join(", ")}`);
    }
    const url = (v: unknown) => {
        try {
            return new URL(String(v));
        } catch {
            return undefined;
        }
    };
    const repo = url(d.repoUrl);
    if (d.repoUrl === undefined) {
        problems.push(`${at(key, "repoUrl")} is required: the git repository Deployments clones, e.g. https://github.com/acme/site.git`);
    } else if (!repo || repo.protocol !== "https:") {
        problems.push(
            `${at(key, "repoUrl")} ${JSON.stringify(d.repoUrl)} must be an https URL of the git repository, e.g. https://github.com/acme/site.git`,
        );
    }
    if (
        d.branch !== undefined &&
        (typeof d.branch !== "string" || !/^(refs\/heads\/)?[\w./-]+$/.test(d.branch) || d.branch.includes(".."))
    ) {
        problems.push(`${at(key, "branch")} ${JSON.stringify(d.branch)} must be a branch name such as "main" or "refs/heads/main"`);
    }
    if (d.repoDir !== undefined && (typeof d.repoDir !== "string" || path.isAbsolute(d.repoDir) || d.repoDir.split("/").includes(".."))) {
        problems.push(`${at(key, "repoDir")} ${JSON.stringify(d.repoDir)} must be a folder inside the repository, e.g. "infra/site"`);
    }
    if (d.schedule !== undefined) {
        problems.push(...cronProblems(d.schedule, `${key}.schedule`));
    }
    if (d.driftSchedule !== undefined) {
        problems.push(...cronProblems(d.driftSchedule, `${key}.driftSchedule`));
    }
    if (d.autoRemediateDrift !== undefined && typeof d.autoRemediateDrift !== "boolean") {
        problems.push(`${at(key, "autoRemediateDrift")} must be true or false`);
    }
    for (const field of ["awsAccessKeyId", "awsSecretAccessKey"]) {
        if (d[field] === undefined) {
            problems.push(
                `${at(key, field)} is required: the AWS China keys of an IAM user holding the stack's steady-state policy (npm run policy, docs/iam-policy.md) for the scheduled runs; ` +
                    `set it with ${setSecret(field)} (Deployments' AWS OIDC does not work with aws-cn)`,
            );
        } else if (typeof d[field] !== "string" || d[field] === "") {
            problems.push(`${at(key, field)} must be a string`);
        }
    }
    const notify = d.notify as Record<string, unknown> | undefined;
    if (notify !== undefined) {
        if (notify === null || typeof notify !== "object" || Array.isArray(notify)) {
            problems.push(`${at(key, "notify")} must be an object like {"url": "https://hooks.slack.com/…", "format": "slack"}`);
        } else {
            const hook = url(notify.url);
            // "[secret]": the offline plan cannot decrypt the value, so it cannot check it either.
            if (notify.url !== OFFLINE_SECRET && (!hook || hook.protocol !== "https:")) {
                problems.push(`${at(key, "notify.url")} must be an https webhook URL (set it with ${setSecret("notify.url")})`);
            }
            if (notify.format !== undefined && !(WEBHOOK_FORMATS as readonly unknown[]).includes(notify.format)) {
                problems.push(
                    `${at(key, "notify.format")} ${JSON.stringify(notify.format)} is not a webhook format: use ${WEBHOOK_FORMATS.join(", ")}`,
                );
            }
        }
    }
    // Each field on its own: a key with one encrypted field and one in plain text is not secret.
    const plainSecrets = SECRET_FIELDS.filter(
        (f) => f.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], d) !== undefined && !context.isSecret(f),
    );
    if (plainSecrets.length > 0) {
        problems.push(
            `${plainSecrets.map((f) => at(key, f)).join(", ")} ${plainSecrets.length > 1 ? "are" : "is"} in plain text in the stack file: ` +
                `set ${plainSecrets.length > 1 ? "them" : "it"} encrypted with ${setSecret(plainSecrets[0])} (and rotate the key if it was committed)`,
        );
    }
    if (context.awsProfileSet) {
        problems.push(
            `\`aws:profile\` / \`aws:sharedCredentialsFiles\` with \`${key}\`: the Deployments runner has no ~/.aws files, so the scheduled runs would fail. ` +
                "Remove them from the stack config and export AWS_PROFILE on your workstation instead; the runner uses the keys from " +
                `${at(key, "awsAccessKeyId")}`,
        );
    }
    if (problems.length > 0) {
        return { problems };
    }
    const branch = (d.branch as string | undefined) ?? "main";
    return {
        problems,
        deployments: {
            repoUrl: d.repoUrl as string,
            branch: branch.startsWith("refs/") ? branch : `refs/heads/${branch}`,
            repoDir: d.repoDir as string | undefined,
            schedule: d.schedule as string | undefined,
            driftSchedule: d.driftSchedule as string | undefined,
            autoRemediateDrift: (d.autoRemediateDrift as boolean | undefined) ?? false,
            awsAccessKeyId: d.awsAccessKeyId as string,
            awsSecretAccessKey: d.awsSecretAccessKey as string,
            gitToken: d.gitToken as string | undefined,
            notify: notify && { url: notify.url as string, format: (notify.format as WebhookFormat | undefined) ?? "raw" },
        },
    };
}
