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
import { CONFIG_DEFAULTS, SettingsSource, settingReader } from "./settingsSource";
import { ChallengeSettings, readChallengeSettings } from "./challengeConfig";
import { AcmeSettings, readAcmeSettings } from "./issuerConfig";

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
    /** Certificate issuance (used when iamCertificateId is unset): the CAs and accounts, and how names are validated. */
    acme: AcmeSettings & ChallengeSettings;
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
    const read = settingReader(source, problems);

    const domains = source.value("domains");
    problems.push(...domainsProblems(domains, label("domains")));
    if (Array.isArray(domains) && source.value("iamCertificateId") === undefined) {
        // Names the program puts on a certificate: the CA's own rules too.
        problems.push(...caNameProblems(domains, label("domains")));
    }

    const hostedZoneId = read.string("hostedZoneId");
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

    const iamCertificateId = read.string("iamCertificateId");
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

    const hashedNamePattern = read.string("hashedNamePattern");
    const patternProblem =
        hashedNamePattern === undefined ? undefined : hashedNamePatternProblem(hashedNamePattern, label("hashedNamePattern"));
    if (patternProblem) {
        problems.push(patternProblem);
    }
    const contentDir = read.string("contentDir");
    if (contentDir !== undefined && patternProblem === undefined) {
        // The folder's files too (empty, over 5 GiB, a name CloudFront cannot serve), named by the setting.
        problems.push(...siteFolderProblems(contentDir, label("contentDir"), { hashedNamePattern }));
    }

    const defaultRootObject = read.string("defaultRootObject") ?? CONFIG_DEFAULTS.defaultRootObject;
    problems.push(...defaultRootObjectProblems(defaultRootObject, label("defaultRootObject")));
    const tags = source.value("tags");
    problems.push(...tagsProblems(tags, label("tags")));

    // The CAs and their accounts (./issuerConfig.ts); how names are validated and renewed (./challengeConfig.ts).
    const cas = readAcmeSettings(source, problems);
    const challenge = readChallengeSettings(source, domains, problems, warnings);
    const adoptDistributionId = read.string("adoptDistributionId");
    const adoptProblem = distributionIdProblem(adoptDistributionId, label("adoptDistributionId"));
    if (adoptProblem) {
        problems.push(adoptProblem);
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
        spa: read.bool("spa"),
        logging: read.bool("logging"),
        forwardQueryString: read.bool("forwardQueryString"),
        versioning: read.bool("versioning"),
        destroyBuckets: read.bool("destroyBuckets"),
        waitForInvalidation: read.bool("waitForInvalidation"),
        logRetentionDays: typeof logRetentionDays === "number" ? logRetentionDays : CONFIG_DEFAULTS.logRetentionDays,
        tags: (tags as Record<string, string> | undefined) ?? {},
        acme: { ...cas, ...challenge },
    };
    return { settings, problems, warnings };
}
