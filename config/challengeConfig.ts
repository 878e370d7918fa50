/**
 * How a site's names prove control and when its certificate renews: `challenge`,
 * `challengeDelegations`, `dnsResolvers`, `dnsPersistUntil`, `renewBeforeDays`. Each is checked here
 * with the certificate provider's own rules (core/certificate.ts `checkInputs`), reported under the
 * stack key that feeds it (docs/dns-hosted-elsewhere.md).
 */
import { checkInputs } from "../core/certificate";
import { ChallengeMode, PERSIST_WARN_DAYS } from "../core/challenges";
import { CONFIG_DEFAULTS, SettingsSource, SiteSettingName, settingReader } from "./settingsSource";

export interface ChallengeSettings {
    renewBeforeDays?: number;
    dnsResolvers?: string[];
    /** How names prove control: "auto" (default), "dns-01", "dns-persist-01". */
    challenge: ChallengeMode;
    /** dns-01 delegation targets by name, when the CNAME cannot be looked up from where `pulumi up` runs. */
    challengeDelegations?: Record<string, string>;
    /** The end (Unix seconds) of the standing dns-persist-01 records (`dnsPersistUntil`), if any. */
    persistUntil?: number;
}

/** Stack keys of these settings, by the certificate input they feed (for messages). */
const CERTIFICATE_SETTINGS: Record<string, SiteSettingName> = {
    renewBeforeDays: "renewBeforeDays",
    dnsResolvers: "dnsResolvers",
    challenge: "challenge",
    challengeDelegations: "challengeDelegations",
};

/** Reads and checks these settings for a site of `domains` (a delegation must name one of them). */
export function readChallengeSettings(source: SettingsSource, domains: unknown, problems: string[], warnings: string[]): ChallengeSettings {
    const read = settingReader(source, problems);
    const settings: ChallengeSettings = {
        renewBeforeDays: source.value("renewBeforeDays") as number | undefined,
        dnsResolvers: source.value("dnsResolvers") as string[] | undefined,
        challenge: (read.string("challenge") ?? CONFIG_DEFAULTS.challenge) as ChallengeMode,
        challengeDelegations: source.value("challengeDelegations") as Record<string, string> | undefined,
        persistUntil: persistUntilOf(source, read, problems, warnings),
    };
    // The provider's own input checks, reported under the settings that feed them.
    for (const f of checkInputs({ ...settings, domains }, Object.keys(CERTIFICATE_SETTINGS))) {
        problems.push(f.reason.replace(`\`${f.property}\``, `\`${source.label(CERTIFICATE_SETTINGS[f.property])}\``));
    }
    return settings;
}

/** `dnsPersistUntil` (YYYY-MM-DD, UTC) as Unix seconds: refused when malformed or passed, a warning within PERSIST_WARN_DAYS. */
function persistUntilOf(
    source: SettingsSource,
    read: ReturnType<typeof settingReader>,
    problems: string[],
    warnings: string[],
): number | undefined {
    const date = read.string("dnsPersistUntil");
    if (date === undefined) {
        return undefined;
    }
    const label = source.label("dnsPersistUntil");
    const at = /^\d{4}-\d{2}-\d{2}$/.test(date) ? Date.parse(`${date}T00:00:00Z`) : NaN;
    const nextYear = new Date(Date.now() + 365 * 86400_000).toISOString().slice(0, 10);
    if (Number.isNaN(at) || new Date(at).toISOString().slice(0, 10) !== date) {
        problems.push(`\`${label}\` "${date}" must be a date, YYYY-MM-DD (UTC)${read.fix("dnsPersistUntil", nextYear)}`);
        return undefined;
    }
    if (at <= Date.now()) {
        problems.push(
            `\`${label}\` ${date} has passed: the dns-persist-01 records no longer validate. ` +
                `Set a later date${read.fix("dnsPersistUntil", nextYear)}, then update the records the program lists (output dnsChallengeRecords)`,
        );
        return undefined;
    }
    const daysLeft = (at - Date.now()) / 86400_000;
    if (daysLeft <= PERSIST_WARN_DAYS) {
        warnings.push(
            `the dns-persist-01 records expire on ${date} (in ${daysLeft.toFixed(1)} days; \`${label}\`): ` +
                `set a later date${read.fix("dnsPersistUntil", nextYear)} and update the records at your DNS host before then (output dnsChallengeRecords)`,
        );
    }
    return at / 1000;
}
