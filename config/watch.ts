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
}

export const WATCH_DEFAULTS = { schedule: "rate(1 hour)" } as const;

/** Seconds between runs of an EventBridge `rate(N unit)` expression; undefined if malformed. */
export function rateSeconds(expression: string): number | undefined {
    const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
    if (!m || Number(m[1]) < 1 || (Number(m[1]) === 1) !== !m[2].endsWith("s")) {
        return undefined;
    }
    return Number(m[1]) * { minute: 60, hour: 3600, day: 86400 }[m[2].replace(/s$/, "") as "minute" | "hour" | "day"];
}

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
    for (const k of Object.keys(w).filter((k) => !["emails", "schedule", "warnDays"].includes(k))) {
        problems.push(`\`${key}.${k}\` is not a watch setting: use emails, schedule, warnDays`);
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
    return problems.length > 0
        ? { problems }
        : { problems, watch: { emails: emails as string[], schedule: schedule as string, warnDays: w.warnDays as number | undefined } };
}
