/**
 * One site's settings, read and checked in one place, from the stack config or a ChinaSite's args
 * (SettingsSource). Every key is declared in Pulumi.yaml (type, description, default);
 * tests/config.test.ts keeps the two in step. The whole stack (further sites, deployments, the
 * watch) is read by config/stackConfig.ts, the keys by config/configKeys.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { AwsIdentity } from "../core/awsIdentity";
import { WatchConfig } from "./watch";
import { DeploymentsConfig, OFFLINE_SECRET } from "./deployments";
import {
    KeyType,
    LETS_ENCRYPT_PRODUCTION,
    canonicalDirectoryUrl,
    checkInputs,
    directoryUrlProblem,
    isStagingDirectory,
    keyTypeProblem,
    persistDraftProblem,
    profileProblem,
} from "../core/certificate";
import { PersistDraft } from "../core/persistAccount";
import { ChallengeMode, PERSIST_WARN_DAYS } from "../core/challenges";
import {
    defaultRootObjectProblems,
    caNameProblems,
    domainsProblems,
    iamCertificateIdProblems,
    isEmailAddress,
    logRetentionProblems,
    tagsProblems,
} from "../core/validation";
import { distributionIdProblem } from "../core/adoption";
import { hashedNamePatternProblem } from "../core/content";
import { siteFolderProblems } from "./siteFolder";
import { isSecretInStackFile } from "./stackFile";
import { CONFIG_KEYS, ISSUANCE_SETTINGS, PROJECT, nearestName } from "./configKeys";

/** Defaults, as declared in Pulumi.yaml. */
export const CONFIG_DEFAULTS = {
    spa: false,
    logging: false,
    forwardQueryString: false,
    versioning: false,
    destroyBuckets: false,
    waitForInvalidation: false,
    logRetentionDays: 90,
    defaultRootObject: "index.html",
    acmeDirectoryUrl: LETS_ENCRYPT_PRODUCTION,
    keyType: "rsa-2048",
    challenge: "auto",
    acmeAccountKeyRotation: 0,
    acmeDeactivateAccountOnDelete: true,
} as const;

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

/** One CA of `cloudfront-china:issuers`: its directory and an account there (one per CA). */
export interface IssuerSettings {
    directoryUrl: string;
    email?: string;
    eab?: { keyId: string; hmacKey: string };
    /** The profile to ask this CA for; `acmeProfile` when unset. */
    profile?: string;
    /** The key type of certificates from this CA; `keyType` when unset. */
    keyType?: KeyType;
    /** Which dns-persist-01 draft this CA validates; "auto" when unset (each CA its own, not inherited). */
    dnsPersistDraft?: PersistDraft;
}

/** The fields of an `issuers` entry. */
const ISSUER_FIELDS = ["directoryUrl", "email", "eabKeyId", "eabHmacKey", "profile", "keyType", "dnsPersistDraft"] as const;

/** The site's settings, by the names of the stack keys (a ChinaSite's args use the same names). */
export type SiteSettingName = Exclude<(typeof CONFIG_KEYS)[number], "deployments" | "watch" | "sites">;

/** The settings of one site, wherever they come from: the program's stack config or a ChinaSite's args. */
export type SiteSettings = Omit<SiteConfig, "deployments" | "watch" | "sites">;

/**
 * Where a site's settings come from. The program reads the stack config; the ChinaSite component
 * reads its args. One reader validates both, so both give the same errors for the same mistakes.
 */
export interface SettingsSource {
    /** A setting's value (parsed JSON for stack config), undefined when unset. */
    value(name: SiteSettingName): unknown;
    /** Whether the value (or its field at `field`, e.g. [1, "eabHmacKey"]) is held encrypted (a secret stack value, or a secret Output). */
    isSecret(name: SiteSettingName, field?: ReadonlyArray<string | number>): boolean;
    /** How messages name the setting: `cloudfront-china:spa`, or `spa` of a component. */
    label(name: SiteSettingName): string;
    /** The command that sets it, for messages (stack config only). */
    setCommand?(name: SiteSettingName, example: string, secret?: boolean): string;
}

/** Stack keys of the certificate settings, by the provider input they feed (for messages). */
const CERTIFICATE_SETTINGS: Record<string, SiteSettingName> = {
    acmeDirectoryUrl: "acmeDirectoryUrl",
    profile: "acmeProfile",
    keyType: "keyType",
    renewBeforeDays: "renewBeforeDays",
    dnsResolvers: "dnsResolvers",
    challenge: "challenge",
    challengeDelegations: "challengeDelegations",
    dnsPersistDraft: "dnsPersistDraft",
};

export const key = (name: string) => `${PROJECT}:${name}`;

/** Whether a key holds encrypted values (`pulumi config set --secret`); the SDK's check is internal API (runtime/config.ts), stable since 3.x. */
export const isConfigSecret = (fullKey: string) =>
    (pulumi.runtime as unknown as { isConfigSecret(k: string): boolean }).isConfigSecret(fullKey);

/**
 * The empty defaults Pulumi.yaml declares for optional keys: the CLI refuses a stack that lacks a
 * declared key without a default (it treats it as required) and passes the default to the program,
 * so these values mean "not set". Strings use "" (always unset).
 */
export const UNSET_DEFAULTS: Readonly<Record<string, unknown>> = {
    tags: {},
    renewBeforeDays: 0,
    dnsResolvers: [],
    challengeDelegations: {},
    deployments: {},
    watch: {},
    issuers: [],
    sites: [],
};

/**
 * The settings Pulumi.yaml declares `type: string`: their text is the value, as written. Parsing it
 * as JSON first made `contentDir: "2024"` or `acmeEabKeyId: "12345"` numbers, then refused them as
 * "must be a string" (tests/config.test.ts keeps this list and Pulumi.yaml in step).
 */
export const STRING_SETTINGS: readonly string[] = [
    "hostedZoneId",
    "iamCertificateId",
    "adoptDistributionId",
    "contentDir",
    "hashedNamePattern",
    "defaultRootObject",
    "acmeDirectoryUrl",
    "acmeEmail",
    "acmeEabKeyId",
    "acmeEabHmacKey",
    "acmeProfile",
    "dnsPersistUntil",
    "dnsPersistDraft",
    "keyType",
    "challenge",
];

/** Reads a value without throwing on a wrong type, so every problem can be reported at once. */
export function raw(config: pulumi.Config, name: string): unknown {
    const text = config.get(name);
    if (text === undefined || text === "") {
        return undefined;
    }
    if (STRING_SETTINGS.includes(name)) {
        return text;
    }
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch {
        return text;
    }
    return name in UNSET_DEFAULTS && JSON.stringify(value) === JSON.stringify(UNSET_DEFAULTS[name]) ? undefined : value;
}

/** The stack's `cloudfront-china:` keys as a settings source. */
export function stackConfigSource(config: pulumi.Config): SettingsSource {
    return {
        value: (name) => raw(config, name),
        // Field by field where the stack file tells (a key with one secret field is secret as a whole).
        isSecret: (name, field) => (field ? isSecretInStackFile(key(name), field) : undefined) ?? isConfigSecret(key(name)),
        label: key,
        setCommand: (name, example, secret) => `pulumi config set${secret ? " --secret" : ""} ${key(name)} ${example}`,
    };
}

const withoutUndefinedFields = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/**
 * `issuers`: the ordered list of ACME CAs (docs/issuers.md), each checked field by field and named
 * by its place (`cloudfront-china:issuers[1].eabHmacKey`); [] when unset.
 */
function readIssuers(source: SettingsSource, problems: string[]): IssuerSettings[] {
    const value = source.value("issuers");
    const label = source.label("issuers");
    if (value === undefined) {
        return [];
    }
    const example =
        '[{"directoryUrl": "https://acme-v02.api.letsencrypt.org/directory"}, {"directoryUrl": "https://acme.zerossl.com/v2/DV90", "eabKeyId": "…"}]';
    if (!Array.isArray(value) || value.length === 0) {
        problems.push(`\`${label}\` must be a list of ACME CAs in the order to try them, e.g. ${example}`);
        return [];
    }
    const issuers: IssuerSettings[] = [];
    value.forEach((entry: unknown, i) => {
        const at = (field?: string) => `\`${label}[${i}]${field ? `.${field}` : ""}\``;
        if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
            problems.push(`${at()} must be an object with at least directoryUrl, e.g. {"directoryUrl": "${LETS_ENCRYPT_PRODUCTION}"}`);
            return;
        }
        const e = entry as Record<string, unknown>;
        for (const k of Object.keys(e).filter((k) => !(ISSUER_FIELDS as readonly string[]).includes(k))) {
            problems.push(`${at(k)} is not a field of an issuer: did you mean \`${nearestName(k, ISSUER_FIELDS)}\`?`);
        }
        const text = (field: (typeof ISSUER_FIELDS)[number]) => {
            const v = e[field];
            if (v === undefined || v === "") {
                return undefined;
            }
            // `pulumi config set --path '…eabKeyId' 12345` stores a number: a key id that looks like one is still its text.
            if (field === "eabKeyId" && typeof v === "number" && Number.isSafeInteger(v)) {
                return String(v);
            }
            if (typeof v !== "string") {
                problems.push(`${at(field)} must be a string (got ${JSON.stringify(v)})`);
                return undefined;
            }
            return v;
        };
        const directoryUrl = text("directoryUrl");
        if (directoryUrl === undefined) {
            problems.push(`${at("directoryUrl")} is required: the CA's ACME directory URL, e.g. ${LETS_ENCRYPT_PRODUCTION}`);
        } else {
            const problem = directoryUrlProblem(directoryUrl, `${label}[${i}].directoryUrl`);
            if (problem) {
                problems.push(problem);
            } else if (issuers.some((x) => canonicalDirectoryUrl(x.directoryUrl) === canonicalDirectoryUrl(directoryUrl))) {
                // One CA in two spellings would be its own fallback, with two accounts (RFC 3986 §6.2).
                problems.push(
                    `${at("directoryUrl")} ${canonicalDirectoryUrl(directoryUrl)} is listed twice: give each CA once (one account each)`,
                );
            }
        }
        const email = text("email");
        if (email !== undefined && !isEmailAddress(email)) {
            problems.push(`${at("email")} "${email}" is not an email address: use e.g. ops@example.cn, or leave it out`);
        }
        const profile = text("profile");
        const profileIssue = profile === undefined ? undefined : profileProblem(profile, `${label}[${i}].profile`);
        if (profileIssue) {
            problems.push(profileIssue);
        }
        const keyType = text("keyType");
        const keyTypeIssue = keyType === undefined ? undefined : keyTypeProblem(keyType, `${label}[${i}].keyType`);
        if (keyTypeIssue) {
            problems.push(keyTypeIssue);
        }
        const draft = text("dnsPersistDraft");
        const draftIssue = draft === undefined ? undefined : persistDraftProblem(draft, `${label}[${i}].dnsPersistDraft`);
        if (draftIssue) {
            problems.push(draftIssue);
        }
        const keyId = text("eabKeyId");
        const hmacKey = text("eabHmacKey");
        if ((keyId === undefined) !== (hmacKey === undefined)) {
            problems.push(`External Account Binding needs both ${at("eabKeyId")} and ${at("eabHmacKey")} (from the CA's account page)`);
        } else if (hmacKey !== undefined && !source.isSecret("issuers", [i, "eabHmacKey"])) {
            problems.push(
                `${at("eabHmacKey")} is stored in plaintext: ` +
                    (source.setCommand
                        ? `set it with \`pulumi config set --secret --path '${label}[${i}].eabHmacKey' <HMAC key>\` so that it is encrypted in the stack file`
                        : "pass it as a secret so that it is encrypted in the state"),
            );
        } else if (hmacKey !== undefined && hmacKey !== OFFLINE_SECRET && !/^[A-Za-z0-9_-]+={0,2}$/.test(hmacKey)) {
            problems.push(`${at("eabHmacKey")} must be the base64url HMAC key your CA gives (letters, digits, "-" and "_")`);
        }
        if (directoryUrl !== undefined && directoryUrlProblem(directoryUrl, "") === undefined) {
            issuers.push(
                withoutUndefinedFields({
                    directoryUrl,
                    email,
                    eab: keyId !== undefined && hmacKey !== undefined ? { keyId, hmacKey } : undefined,
                    profile,
                    keyType: keyType as KeyType | undefined,
                    dnsPersistDraft: draftIssue === undefined ? (draft as PersistDraft | undefined) : undefined,
                }),
            );
        }
    });
    const staging = issuers.filter((x) => isStagingDirectory(x.directoryUrl));
    if (staging.length > 0 && staging.length < issuers.length) {
        problems.push(
            `\`${label}\` mixes a staging CA (${staging.map((x) => canonicalDirectoryUrl(x.directoryUrl)).join(", ")}) with production ones: ` +
                "an outage of one would serve a certificate of the other kind (a staging one no browser trusts). List only staging CAs for a dry run, or only production ones",
        );
    }
    return issuers;
}

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

    const acme = {
        directoryUrl: optionalString("acmeDirectoryUrl") ?? CONFIG_DEFAULTS.acmeDirectoryUrl,
        email: optionalString("acmeEmail"),
        profile: optionalString("acmeProfile"),
        keyType: (optionalString("keyType") ?? CONFIG_DEFAULTS.keyType) as KeyType,
        renewBeforeDays: source.value("renewBeforeDays") as number | undefined,
        dnsResolvers: source.value("dnsResolvers") as string[] | undefined,
        challenge: (optionalString("challenge") ?? CONFIG_DEFAULTS.challenge) as ChallengeMode,
        challengeDelegations: source.value("challengeDelegations") as Record<string, string> | undefined,
        dnsPersistDraft: optionalString("dnsPersistDraft") as PersistDraft | undefined,
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
    const rotation = source.value("acmeAccountKeyRotation") ?? CONFIG_DEFAULTS.acmeAccountKeyRotation;
    if (!(typeof rotation === "number" && Number.isInteger(rotation) && rotation >= 0)) {
        problems.push(
            `\`${label("acmeAccountKeyRotation")}\` must be a whole number, 0 or more (got ${JSON.stringify(rotation)}): ` +
                `add 1 to roll the ACME account key over${fix("acmeAccountKeyRotation", "1")}`,
        );
    }
    const eabKeyId = optionalString("acmeEabKeyId");
    const eabHmacKey = optionalString("acmeEabHmacKey");
    if ((eabKeyId === undefined) !== (eabHmacKey === undefined)) {
        problems.push(
            `External Account Binding needs both \`${label("acmeEabKeyId")}\` and \`${label("acmeEabHmacKey")}\` (from your CA's account page, e.g. ZeroSSL's or Google Trust Services' EAB credentials)`,
        );
    } else if (eabHmacKey !== undefined && !source.isSecret("acmeEabHmacKey")) {
        problems.push(
            `\`${label("acmeEabHmacKey")}\` is stored in plaintext: ` +
                (source.setCommand
                    ? `set it with \`${source.setCommand("acmeEabHmacKey", "<HMAC key>", true)}\` so that it is encrypted in the stack file`
                    : "pass it as a secret (pulumi.secret(…), or read it from secret config) so that it is encrypted in the state"),
        );
    } else if (eabHmacKey !== undefined && eabHmacKey !== OFFLINE_SECRET && !/^[A-Za-z0-9_-]+={0,2}$/.test(eabHmacKey)) {
        problems.push(`\`${label("acmeEabHmacKey")}\` must be the base64url HMAC key your CA gives (letters, digits, "-" and "_")`);
    }
    let acmeEab = eabKeyId !== undefined && eabHmacKey !== undefined ? { keyId: eabKeyId, hmacKey: eabHmacKey } : undefined;
    const issuers = readIssuers(source, problems);
    let fallbackIssuers: IssuerSettings[] = [];
    if (issuers.length > 0) {
        // `issuers` is the whole ordered list; the single-CA keys are its one-entry form.
        const [first, ...rest] = issuers;
        const given = optionalString("acmeDirectoryUrl");
        if (
            given !== undefined &&
            given !== CONFIG_DEFAULTS.acmeDirectoryUrl &&
            canonicalDirectoryUrl(given) !== canonicalDirectoryUrl(first.directoryUrl)
        ) {
            problems.push(
                `\`${label("acmeDirectoryUrl")}\` (${given}) and \`${label("issuers")}\` both name the first CA: ` +
                    `move it into \`${label("issuers")}\` as its first entry and remove \`${label("acmeDirectoryUrl")}\``,
            );
        }
        if (acmeEab !== undefined) {
            problems.push(
                `\`${label("acmeEabKeyId")}\` and \`${label("acmeEabHmacKey")}\` with \`${label("issuers")}\`: give eabKeyId and eabHmacKey in the entry of the CA that needs them, and remove the two keys`,
            );
        }
        acme.directoryUrl = first.directoryUrl;
        acme.email = first.email ?? acme.email;
        acme.profile = first.profile ?? acme.profile;
        acme.keyType = first.keyType ?? acme.keyType;
        acme.dnsPersistDraft = first.dnsPersistDraft ?? acme.dnsPersistDraft;
        acmeEab = first.eab;
        fallbackIssuers = rest.map((i) => withoutUndefinedFields({ ...i, email: i.email ?? acme.email }));
    }
    if (acme.email !== undefined && !isEmailAddress(acme.email)) {
        problems.push(`\`${label("acmeEmail")}\` "${acme.email}" is not an email address: use e.g. ops@example.cn, or unset it`);
    }
    // The provider's own input checks, reported under the settings that feed them (the inputs
    // not given here, like domains and path, are checked elsewhere).
    const certificateProblems = checkInputs(
        {
            domains,
            challenge: acme.challenge,
            challengeDelegations: acme.challengeDelegations,
            acmeDirectoryUrl: acme.directoryUrl,
            profile: acme.profile,
            keyType: acme.keyType,
            renewBeforeDays: acme.renewBeforeDays,
            dnsResolvers: acme.dnsResolvers,
            dnsPersistDraft: acme.dnsPersistDraft,
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
            eab: acmeEab,
            persistUntil,
            accountKeyRotation: typeof rotation === "number" ? rotation : 0,
            deactivateAccountOnDelete: bool("acmeDeactivateAccountOnDelete"),
            fallbackIssuers,
        },
    };
    return { settings, problems, warnings };
}
