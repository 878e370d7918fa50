/**
 * One site's settings, read and checked in one place, from the stack config or a ChinaSite's args
 * (SettingsSource). Every key is declared in Pulumi.yaml (type, description, default);
 * tests/config.test.ts keeps the two in step. The CAs and their accounts are read by
 * ./issuerConfig.ts, where settings come from by ./settingsSource.ts, the whole stack (further sites,
 * deployments, the watch) by ./stackConfig.ts, the keys by ./configKeys.ts.
 */
import { AwsIdentity } from "../core/awsIdentity";
import { WatchConfig } from "./watch";
import { DeploymentsConfig, OFFLINE_SECRET } from "./deployments";
import { KeyType, checkInputs } from "../core/certificate";
import { PersistDraft } from "../core/persistAccount";
import { ChallengeMode, PERSIST_WARN_DAYS } from "../core/challenges";
import {
    defaultRootObjectProblems,
    caNameProblems,
    domainsProblems,
    iamCertificateIdProblems,
    logRetentionProblems,
    tagsProblems,
} from "../core/validation";
import { distributionIdProblem } from "../core/adoption";
import { hashedNamePatternProblem } from "../core/content";
import { siteFolderProblems } from "./siteFolder";
import { ISSUANCE_SETTINGS } from "./configKeys";
import { CONFIG_DEFAULTS, SettingsSource, SiteSettingName } from "./settingsSource";
import { IssuerSettings, readAcmeSettings } from "./issuerConfig";

export interface SiteConfig {
    region: string;
    /** The stack's AWS identity settings (aws:profile, aws:shared*Files, aws:assumeRoles), for the providers. */
    awsIdentity?: AwsIdentity;
    domains: string[];
    hostedZoneId?: string;
    iamCertificateId?: string;
    /** A distribution made outside the stack to take over, with its bucket, OAI and certificate (docs/migrate.md). */
    adoptDistributionId?: string;
    contentDir?: string;
    defaultRootObject: string;
    spa: boolean;
    logging: boolean;
    forwardQueryString: boolean;
    versioning: boolean;
    /** `pulumi destroy` deletes the buckets with everything in them (true) or keeps them (false). */
    destroyBuckets: boolean;
    /** `pulumi up` waits for each content invalidation to complete. */
    waitForInvalidation: boolean;
    /** The build's hashed-name pattern (a regular expression over file names), when it has its own. */
    hashedNamePattern?: string;
    logRetentionDays: number;
    tags: Record<string, string>;
    /** Scheduled renewal with Pulumi Deployments (opt-in). */
    deployments?: DeploymentsConfig;
    /** The in-account watch with alarms (opt-in). */
    watch?: WatchConfig;
    /** The stack's further sites (`sites`), after the first (the top-level keys); [] with one site. */
    sites: NamedSite[];
    /** Certificate issuance (used when iamCertificateId is unset). */
    acme: {
        directoryUrl: string;
        email?: string;
        profile?: string;
        keyType: KeyType;
        renewBeforeDays?: number;
        dnsResolvers?: string[];
        /** How names prove control: "auto" (default), "dns-01", "dns-persist-01". */
        challenge: ChallengeMode;
        /** dns-01 delegation targets by name, when the CNAME cannot be looked up from where `pulumi up` runs. */
        challengeDelegations?: Record<string, string>;
        /** The end (Unix seconds) of the standing dns-persist-01 records (`dnsPersistUntil`), if any. */
        persistUntil?: number;
        /** Which dns-persist-01 draft the first CA validates (`dnsPersistDraft`); "auto" when unset. */
        dnsPersistDraft?: PersistDraft;
        /** External Account Binding (ZeroSSL, Google Trust Services): key id and HMAC key (a secret). */
        eab?: { keyId: string; hmacKey: string };
        /** Change it (add 1) to roll the account key over (RFC 8555 key change): same account, no new certificate. */
        accountKeyRotation: number;
        /** Deactivate the ACME account at the CA when it is replaced or the stack destroyed. */
        deactivateAccountOnDelete: boolean;
        /**
         * The CAs after the first, tried in order when it cannot issue (`issuers` minus its first
         * entry, which is directoryUrl/email/eab above); [] with one CA.
         */
        fallbackIssuers: IssuerSettings[];
    };
}

/** A further site of the stack (`cloudfront-china:sites`): its name, its settings, and how messages name its entry. */
export interface NamedSite {
    name: string;
    /** The entry's stack key, e.g. `cloudfront-china:sites[0]`. */
    setting: string;
    settings: SiteSettings;
}

/**
 * The fields of a `sites` entry: what makes a site its own (docs/sites.md). Every other setting (the
 * CA and its account, the challenge, tags, logging, the buckets' fate) is the stack's, shared by all
 * its sites: one ACME account per CA serves them all.
 */
export const SITE_FIELDS = [
    "name",
    "domains",
    "hostedZoneId",
    "iamCertificateId",
    "adoptDistributionId",
    "contentDir",
    "hashedNamePattern",
    "defaultRootObject",
    "spa",
    "forwardQueryString",
] as const;

/** The settings of one site, wherever they come from: the program's stack config or a ChinaSite's args. */
export type SiteSettings = Omit<SiteConfig, "deployments" | "watch" | "sites">;

/** Stack keys of the certificate settings, by the provider input they feed (for messages). */
const CERTIFICATE_SETTINGS: Record<string, SiteSettingName> = {
    renewBeforeDays: "renewBeforeDays",
    dnsResolvers: "dnsResolvers",
    challenge: "challenge",
    challengeDelegations: "challengeDelegations",
};

/**
 * Reads and validates one site's settings from `source`, collecting every problem (naming the
 * setting and the fix) instead of stopping at the first. `region` and `awsIdentity` are the ones
 * the caller checked (they come from the `aws:` stack keys, or a component's own arg).
 */
export function readSiteSettings(
    source: SettingsSource,
    target: { region?: string; awsIdentity?: AwsIdentity },
): { settings: SiteSettings; problems: string[]; warnings: string[] } {
    const problems: string[] = [];
    const warnings: string[] = [];
    const label = source.label;
    const fix = (name: SiteSettingName, example: string, secret?: boolean) =>
        source.setCommand ? `: run \`${source.setCommand(name, example, secret)}\`` : "";

    const bool = (
        name:
            | "spa"
            | "logging"
            | "forwardQueryString"
            | "versioning"
            | "destroyBuckets"
            | "waitForInvalidation"
            | "acmeDeactivateAccountOnDelete",
    ): boolean => {
        const v = source.value(name);
        if (v === undefined) {
            return CONFIG_DEFAULTS[name];
        }
        if (typeof v !== "boolean") {
            problems.push(`\`${label(name)}\` must be true or false (got ${JSON.stringify(v)})${fix(name, "true")}`);
            return false;
        }
        return v;
    };
    const optionalString = (name: SiteSettingName): string | undefined => {
        const v = source.value(name);
        if (v === undefined) {
            return undefined;
        }
        if (typeof v !== "string") {
            problems.push(`\`${label(name)}\` must be a string (got ${JSON.stringify(v)})`);
            return undefined;
        }
        return v;
    };

    const domains = source.value("domains");
    problems.push(...domainsProblems(domains, label("domains")));
    if (Array.isArray(domains) && source.value("iamCertificateId") === undefined) {
        // Names the program puts on a certificate: the CA's own rules too.
        problems.push(...caNameProblems(domains, label("domains")));
    }

    const hostedZoneId = optionalString("hostedZoneId");
    // A secret id is legal (`pulumi config set --secret`); offline its value is not known, so not judged.
    if (
        hostedZoneId !== undefined &&
        hostedZoneId !== OFFLINE_SECRET &&
        !/^Z[A-Z0-9]{1,31}$/.test(hostedZoneId.replace(/^\/hostedzone\//, ""))
    ) {
        problems.push(
            `\`${label("hostedZoneId")}\` "${hostedZoneId}" is not a Route 53 hosted zone id (Z…): find it with \`aws route53 list-hosted-zones-by-name\``,
        );
    }

    const iamCertificateId = optionalString("iamCertificateId");
    if (iamCertificateId !== undefined) {
        problems.push(...iamCertificateIdProblems(iamCertificateId, label("iamCertificateId")));
        // Nothing is issued with a certificate of one's own: certificate settings would be ignored in silence.
        const ignored = ISSUANCE_SETTINGS.filter((name) => {
            const v = source.value(name);
            return v !== undefined && v !== (CONFIG_DEFAULTS as Record<string, unknown>)[name];
        });
        if (ignored.length > 0) {
            warnings.push(
                `${ignored.map((n) => `\`${label(n)}\``).join(", ")} ${ignored.length === 1 ? "has" : "have"} no effect: ` +
                    `\`${label("iamCertificateId")}\` is set, so no certificate is issued` +
                    (source.setCommand
                        ? `; remove ${ignored.length === 1 ? "it" : "them"} with ${ignored.map((n) => `\`pulumi config rm ${label(n)}\``).join(", ")}`
                        : ""),
            );
        }
    }

    const hashedNamePattern = optionalString("hashedNamePattern");
    const patternProblem =
        hashedNamePattern === undefined ? undefined : hashedNamePatternProblem(hashedNamePattern, label("hashedNamePattern"));
    if (patternProblem) {
        problems.push(patternProblem);
    }
    const contentDir = optionalString("contentDir");
    if (contentDir !== undefined && patternProblem === undefined) {
        // The folder's files too (empty, over 5 GiB, a name CloudFront cannot serve), named by the setting.
        problems.push(...siteFolderProblems(contentDir, label("contentDir"), { hashedNamePattern }));
    }

    const defaultRootObject = optionalString("defaultRootObject") ?? CONFIG_DEFAULTS.defaultRootObject;
    problems.push(...defaultRootObjectProblems(defaultRootObject, label("defaultRootObject")));
    const tags = source.value("tags");
    problems.push(...tagsProblems(tags, label("tags")));

    // The CAs and their accounts (./issuerConfig.ts); then how names are validated and renewed.
    const cas = readAcmeSettings(source, problems);
    const acme = {
        directoryUrl: cas.directoryUrl,
        email: cas.email,
        profile: cas.profile,
        keyType: cas.keyType,
        renewBeforeDays: source.value("renewBeforeDays") as number | undefined,
        dnsResolvers: source.value("dnsResolvers") as string[] | undefined,
        challenge: (optionalString("challenge") ?? CONFIG_DEFAULTS.challenge) as ChallengeMode,
        challengeDelegations: source.value("challengeDelegations") as Record<string, string> | undefined,
        dnsPersistDraft: cas.dnsPersistDraft,
    };
    const adoptDistributionId = optionalString("adoptDistributionId");
    const adoptProblem = distributionIdProblem(adoptDistributionId, label("adoptDistributionId"));
    if (adoptProblem) {
        problems.push(adoptProblem);
    }
    const persistUntilDate = optionalString("dnsPersistUntil");
    let persistUntil: number | undefined;
    if (persistUntilDate !== undefined) {
        const at = /^\d{4}-\d{2}-\d{2}$/.test(persistUntilDate) ? Date.parse(`${persistUntilDate}T00:00:00Z`) : NaN;
        const nextYear = new Date(Date.now() + 365 * 86400_000).toISOString().slice(0, 10);
        if (Number.isNaN(at) || new Date(at).toISOString().slice(0, 10) !== persistUntilDate) {
            problems.push(
                `\`${label("dnsPersistUntil")}\` "${persistUntilDate}" must be a date, YYYY-MM-DD (UTC)${fix("dnsPersistUntil", nextYear)}`,
            );
        } else if (at <= Date.now()) {
            problems.push(
                `\`${label("dnsPersistUntil")}\` ${persistUntilDate} has passed: the dns-persist-01 records no longer validate. ` +
                    `Set a later date${fix("dnsPersistUntil", nextYear)}, then update the records the program lists (output dnsChallengeRecords)`,
            );
        } else {
            persistUntil = at / 1000;
            const daysLeft = (at - Date.now()) / 86400_000;
            if (daysLeft <= PERSIST_WARN_DAYS) {
                warnings.push(
                    `the dns-persist-01 records expire on ${persistUntilDate} (in ${daysLeft.toFixed(1)} days; \`${label("dnsPersistUntil")}\`): ` +
                        `set a later date${fix("dnsPersistUntil", nextYear)} and update the records at your DNS host before then (output dnsChallengeRecords)`,
                );
            }
        }
    }
    // The provider's own input checks, reported under the settings that feed them (the inputs
    // not given here, like domains and path, are checked elsewhere).
    const certificateProblems = checkInputs(
        {
            domains,
            challenge: acme.challenge,
            challengeDelegations: acme.challengeDelegations,
            renewBeforeDays: acme.renewBeforeDays,
            dnsResolvers: acme.dnsResolvers,
        },
        Object.keys(CERTIFICATE_SETTINGS),
    );
    for (const f of certificateProblems) {
        problems.push(f.reason.replace(`\`${f.property}\``, `\`${label(CERTIFICATE_SETTINGS[f.property])}\``));
    }

    const logRetentionDays = source.value("logRetentionDays");
    problems.push(
        ...logRetentionProblems(
            logRetentionDays,
            label("logRetentionDays"),
            source.setCommand ? `: e.g. \`${source.setCommand("logRetentionDays", "90")}\`` : "",
        ),
    );

    const settings: SiteSettings = {
        region: target.region ?? "",
        awsIdentity: target.awsIdentity,
        domains: Array.isArray(domains) ? (domains as string[]) : [],
        hostedZoneId: hostedZoneId?.replace(/^\/hostedzone\//, ""),
        iamCertificateId,
        ...(adoptDistributionId === undefined ? {} : { adoptDistributionId }),
        contentDir,
        hashedNamePattern,
        defaultRootObject,
        spa: bool("spa"),
        logging: bool("logging"),
        forwardQueryString: bool("forwardQueryString"),
        versioning: bool("versioning"),
        destroyBuckets: bool("destroyBuckets"),
        waitForInvalidation: bool("waitForInvalidation"),
        logRetentionDays: typeof logRetentionDays === "number" ? logRetentionDays : CONFIG_DEFAULTS.logRetentionDays,
        tags: (tags as Record<string, string> | undefined) ?? {},
        acme: {
            ...acme,
            eab: cas.eab,
            persistUntil,
            accountKeyRotation: cas.accountKeyRotation,
            deactivateAccountOnDelete: cas.deactivateAccountOnDelete,
            fallbackIssuers: cas.fallbackIssuers,
        },
    };
    return { settings, problems, warnings };
}
