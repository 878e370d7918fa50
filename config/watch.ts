/**
 * Reading `cloudfront-china:watch`: the addresses the alarms mail, the schedule, the warning
 * threshold; docs/watch.md says what the watch does. The resources are ../components/certificateWatch.ts.
 */
import { isEmailAddress } from "../core/validation";

export interface WatchConfig {
    emails: string[];
    /** EventBridge `rate(...)`, between 5 minutes and 12 hours. */
    schedule: string;
    warnDays?: number;
    /**
     * The managed policy every watch role is created with as its permissions boundary: a name in the
     * stack's account, or a policy ARN. An account admin creates it once (docs/watch.md, "The
     * permissions boundary"); the deploy policy lets roles be created only with it.
     */
    permissionsBoundary: string;
}

/** IAM's managed policy name (CreatePolicy: `[\w+=,.@-]+`, 1 to 128 characters). */
const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;
/** A managed policy ARN in the China partition, with an optional path. */
const POLICY_ARN = /^arn:aws-cn:iam::\d{12}:policy\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,128}$/;

export const WATCH_DEFAULTS = { schedule: "rate(1 hour)", permissionsBoundary: "cloudfront-china-watch-boundary" } as const;

/** The boundary's ARN: `nameOrArn` as given when it is an ARN, else the managed policy of that name in `account`. */
export function boundaryArn(nameOrArn: string, partition: string, account: string): string {
    return nameOrArn.startsWith("arn:") ? nameOrArn : `arn:${partition}:iam::${account}:policy/${nameOrArn}`;
}

/** Seconds between runs of an EventBridge `rate(N unit)` expression; undefined if malformed. */
export function rateSeconds(expression: string): number | undefined {
    const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
    if (!m || Number(m[1]) < 1 || (Number(m[1]) === 1) !== !m[2].endsWith("s")) {
        return undefined;
    }
    return Number(m[1]) * { minute: 60, hour: 3600, day: 86400 }[m[2].replace(/s$/, "") as "minute" | "hour" | "day"];
}

const WATCH_SETTINGS = ["emails", "schedule", "warnDays", "permissionsBoundary"];

/** Validates `cloudfront-china:watch`; every problem names the key and the fix. */
export function readWatchConfig(value: unknown, key: string): { watch?: WatchConfig; problems: string[] } {
    if (value === undefined) {
        return { problems: [] };
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
        return { problems: [`\`${key}\` must be an object like {"emails": ["ops@example.cn"]} (got ${JSON.stringify(value)})`] };
    }
    const w = value as Record<string, unknown>;
    const problems: string[] = [];
    for (const k of Object.keys(w).filter((k) => !WATCH_SETTINGS.includes(k))) {
        problems.push(`\`${key}.${k}\` is not a watch setting: use ${WATCH_SETTINGS.join(", ")}`);
    }
    const emails = w.emails;
    if (!Array.isArray(emails) || emails.length === 0) {
        problems.push(`\`${key}.emails\` must list at least one address that receives the alarms, e.g. ["ops@example.cn"]`);
    } else {
        emails
            .filter((e) => !isEmailAddress(e))
            .forEach((e) => problems.push(`\`${key}.emails\` has ${JSON.stringify(e)}, which is not an email address`));
    }
    const schedule = w.schedule ?? WATCH_DEFAULTS.schedule;
    const seconds = typeof schedule === "string" ? rateSeconds(schedule) : undefined;
    if (seconds === undefined) {
        problems.push(
            `\`${key}.schedule\` ${JSON.stringify(schedule)} must be an EventBridge rate such as "rate(1 hour)" or "rate(30 minutes)"`,
        );
    } else if (seconds < 300 || seconds > 12 * 3600) {
        // Alarms evaluate two periods of one run interval each, and CloudWatch caps that at one day.
        problems.push(`\`${key}.schedule\` ${JSON.stringify(schedule)} must run between every 5 minutes and every 12 hours`);
    }
    if (w.warnDays !== undefined && (typeof w.warnDays !== "number" || !(w.warnDays > 0) || w.warnDays >= 90)) {
        problems.push(
            `\`${key}.warnDays\` must be a number of days in (0, 90), e.g. 10; leave it unset to scale it to each certificate's lifetime`,
        );
    }
    const boundary = w.permissionsBoundary ?? WATCH_DEFAULTS.permissionsBoundary;
    if (typeof boundary !== "string" || !(POLICY_NAME.test(boundary) || POLICY_ARN.test(boundary))) {
        problems.push(
            `\`${key}.permissionsBoundary\` ${JSON.stringify(boundary)} must be the name of a managed policy in the stack's account ` +
                `(e.g. "${WATCH_DEFAULTS.permissionsBoundary}") or its ARN ("arn:aws-cn:iam::<account>:policy/<name>")`,
        );
    }
    return problems.length > 0
        ? { problems }
        : {
              problems,
              watch: {
                  emails: emails as string[],
                  schedule: schedule as string,
                  warnDays: w.warnDays as number | undefined,
                  permissionsBoundary: boundary as string,
              },
          };
}
