/**
 * The stack configuration contract, read in one place. Every key here is declared in Pulumi.yaml
 * (type, description, default); tests/config.test.ts keeps the two in step.
 */
import * as pulumi from "@pulumi/pulumi";
import { AwsIdentity, identityFromStackConfig, stackAwsConfig } from "../providers/awsIdentity";
import { WatchConfig, readWatchConfig } from "./certificateWatch";
import { DeploymentsConfig, OFFLINE_SECRET, currentBackendUrl, readDeploymentsConfig } from "./deployments";
import { KeyType, LETS_ENCRYPT_PRODUCTION, checkInputs } from "../providers/certificateLogic";
import { ChallengeMode } from "../providers/dnsChallenge";
import { contentProblems } from "./content";
import { contentDirProblems, domainsProblems, iamCertificateIdProblems, regionProblems, tagsProblems, throwIfProblems } from "./validation";

export const PROJECT = "cloudfront-china";

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
} as const;

export interface SiteConfig {
    region: string;
    /** The stack's AWS identity settings (aws:profile, aws:shared*Files, aws:assumeRoles), for the providers. */
    awsIdentity?: AwsIdentity;
    domains: string[];
    hostedZoneId?: string;
    iamCertificateId?: string;
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
    logRetentionDays: number;
    tags: Record<string, string>;
    /** Scheduled renewal with Pulumi Deployments (opt-in). */
    deployments?: DeploymentsConfig;
    /** The in-account watch with alarms (opt-in). */
    watch?: WatchConfig;
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
        /** External Account Binding (ZeroSSL, Google Trust Services): key id and HMAC key (a secret). */
        eab?: { keyId: string; hmacKey: string };
    };
}

/** Every `cloudfront-china:` key the program reads (Pulumi.yaml declares the same; tests/config.test.ts checks). */
export const CONFIG_KEYS = [
    "domains",
    "hostedZoneId",
    "iamCertificateId",
    "contentDir",
    "waitForInvalidation",
    "defaultRootObject",
    "spa",
    "logging",
    "forwardQueryString",
    "versioning",
    "destroyBuckets",
    "logRetentionDays",
    "tags",
    "acmeDirectoryUrl",
    "acmeEmail",
    "acmeProfile",
    "acmeEabKeyId",
    "acmeEabHmacKey",
    "keyType",
    "renewBeforeDays",
    "dnsResolvers",
    "challenge",
    "challengeDelegations",
    "deployments",
    "watch",
] as const;

/** Edit distance (Levenshtein, case-insensitive), to name the key a typo meant. */
function editDistance(a: string, b: string): number {
    const [x, y] = [a.toLowerCase(), b.toLowerCase()];
    let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
    for (let i = 1; i <= x.length; i++) {
        const current = [i];
        for (let j = 1; j <= y.length; j++) {
            current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
        }
        previous = current;
    }
    return previous[y.length];
}

/**
 * Keys under `cloudfront-china:` that the program does not read: a typo (`acmeEmial`) or a provider
 * argument set as config (`deleteConflictTimeoutSeconds`) would otherwise be ignored in silence.
 */
export function unknownKeyProblems(keys: readonly string[]): string[] {
    return keys
        .filter((k) => k.startsWith(`${PROJECT}:`) && !(CONFIG_KEYS as readonly string[]).includes(k.slice(PROJECT.length + 1)))
        .map((k) => {
            const name = k.slice(PROJECT.length + 1);
            const nearest = [...CONFIG_KEYS].sort((a, b) => editDistance(name, a) - editDistance(name, b))[0];
            return (
                `\`${k}\` is not a setting of this program: did you mean \`${PROJECT}:${nearest}\`? ` +
                `Remove it with \`pulumi config rm ${k}\` (the settings are listed in Pulumi.yaml and the README)`
            );
        });
}

/** Stack keys of the certificate settings, by the provider input they feed (for messages). */
const CERTIFICATE_KEYS: Record<string, string> = {
    acmeDirectoryUrl: "acmeDirectoryUrl",
    keyType: "keyType",
    renewBeforeDays: "renewBeforeDays",
    dnsResolvers: "dnsResolvers",
    challenge: "challenge",
    challengeDelegations: "challengeDelegations",
};

const key = (name: string) => `${PROJECT}:${name}`;

/** Whether a key holds encrypted values (`pulumi config set --secret`); the SDK's check is internal API (runtime/config.ts), stable since 3.x. */
const isConfigSecret = (fullKey: string) => (pulumi.runtime as unknown as { isConfigSecret(k: string): boolean }).isConfigSecret(fullKey);

/** Reads a value without throwing on a wrong type, so every problem can be reported at once. */
function raw(config: pulumi.Config, name: string): unknown {
    const text = config.get(name);
    if (text === undefined || text === "") {
        return undefined;
    }
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

function bool(
    config: pulumi.Config,
    name: "spa" | "logging" | "forwardQueryString" | "versioning" | "destroyBuckets" | "waitForInvalidation",
    problems: string[],
): boolean {
    const v = raw(config, name);
    if (v === undefined) {
        return CONFIG_DEFAULTS[name];
    }
    if (typeof v !== "boolean") {
        problems.push(`\`${key(name)}\` must be true or false (got ${JSON.stringify(v)}): run \`pulumi config set ${key(name)} true\``);
        return false;
    }
    return v;
}

function optionalString(config: pulumi.Config, name: string, problems: string[]): string | undefined {
    const v = raw(config, name);
    if (v === undefined) {
        return undefined;
    }
    if (typeof v !== "string") {
        problems.push(`\`${key(name)}\` must be a string (got ${JSON.stringify(v)})`);
        return undefined;
    }
    return v;
}

/**
 * Reads and validates the stack configuration. Throws one InputError listing every problem
 * (naming the key and the fix) before the program registers anything.
 */
export function readSiteConfig(): SiteConfig {
    const config = new pulumi.Config(PROJECT);
    const problems: string[] = [];
    problems.push(...unknownKeyProblems(Object.keys(pulumi.runtime.allConfig())));

    // The provider cannot be asked for its region before it exists: read the same setting it reads.
    const awsConfig = new pulumi.Config("aws");
    const region = awsConfig.get("region") ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    problems.push(...regionProblems(region, "aws:region"));
    // The identity pulumi-aws deploys with, so the certificate is issued and uploaded by the same one.
    const identity = identityFromStackConfig(stackAwsConfig((k) => awsConfig.get(k)));
    problems.push(...identity.problems);

    const domains = raw(config, "domains");
    problems.push(...domainsProblems(domains, key("domains")));

    const hostedZoneId = optionalString(config, "hostedZoneId", problems);
    if (hostedZoneId !== undefined && !/^Z[A-Z0-9]{1,31}$/.test(hostedZoneId.replace(/^\/hostedzone\//, ""))) {
        problems.push(
            `\`${key("hostedZoneId")}\` "${hostedZoneId}" is not a Route 53 hosted zone id (Z…): find it with \`aws route53 list-hosted-zones-by-name\``,
        );
    }

    const iamCertificateId = optionalString(config, "iamCertificateId", problems);
    if (iamCertificateId !== undefined) {
        problems.push(...iamCertificateIdProblems(iamCertificateId, key("iamCertificateId")));
    }

    const contentDir = optionalString(config, "contentDir", problems);
    if (contentDir !== undefined) {
        const folderProblems = contentDirProblems(contentDir, key("contentDir"));
        // The folder's files too (empty, over 5 GiB, a name CloudFront cannot serve), named by the stack key.
        problems.push(...(folderProblems.length > 0 ? folderProblems : contentProblems(contentDir, key("contentDir"))));
    }

    const defaultRootObject = optionalString(config, "defaultRootObject", problems) ?? CONFIG_DEFAULTS.defaultRootObject;
    const tags = raw(config, "tags");
    problems.push(...tagsProblems(tags, key("tags")));

    const acme = {
        directoryUrl: optionalString(config, "acmeDirectoryUrl", problems) ?? CONFIG_DEFAULTS.acmeDirectoryUrl,
        email: optionalString(config, "acmeEmail", problems),
        profile: optionalString(config, "acmeProfile", problems),
        keyType: (optionalString(config, "keyType", problems) ?? CONFIG_DEFAULTS.keyType) as KeyType,
        renewBeforeDays: raw(config, "renewBeforeDays") as number | undefined,
        dnsResolvers: raw(config, "dnsResolvers") as string[] | undefined,
        challenge: (optionalString(config, "challenge", problems) ?? CONFIG_DEFAULTS.challenge) as ChallengeMode,
        challengeDelegations: raw(config, "challengeDelegations") as Record<string, string> | undefined,
    };
    const eabKeyId = optionalString(config, "acmeEabKeyId", problems);
    const eabHmacKey = optionalString(config, "acmeEabHmacKey", problems);
    if ((eabKeyId === undefined) !== (eabHmacKey === undefined)) {
        problems.push(
            `External Account Binding needs both \`${key("acmeEabKeyId")}\` and \`${key("acmeEabHmacKey")}\` (from your CA's account page, e.g. ZeroSSL's or Google Trust Services' EAB credentials)`,
        );
    } else if (eabHmacKey !== undefined && !isConfigSecret(key("acmeEabHmacKey"))) {
        problems.push(
            `\`${key("acmeEabHmacKey")}\` is stored in plaintext: set it with \`pulumi config set --secret ${key("acmeEabHmacKey")} <HMAC key>\` so that it is encrypted in the stack file`,
        );
    } else if (eabHmacKey !== undefined && eabHmacKey !== OFFLINE_SECRET && !/^[A-Za-z0-9_-]+={0,2}$/.test(eabHmacKey)) {
        problems.push(`\`${key("acmeEabHmacKey")}\` must be the base64url HMAC key your CA gives (letters, digits, "-" and "_")`);
    }
    const acmeEab = eabKeyId !== undefined && eabHmacKey !== undefined ? { keyId: eabKeyId, hmacKey: eabHmacKey } : undefined;
    if (acme.email !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(acme.email)) {
        problems.push(`\`${key("acmeEmail")}\` "${acme.email}" is not an email address: use e.g. ops@example.cn, or unset it`);
    }
    // The provider's own input checks, reported under the stack keys that feed them (the inputs
    // not given here, like domains and path, are checked elsewhere).
    const certificateProblems = checkInputs({
        domains,
        challenge: acme.challenge,
        challengeDelegations: acme.challengeDelegations,
        acmeDirectoryUrl: acme.directoryUrl,
        keyType: acme.keyType,
        renewBeforeDays: acme.renewBeforeDays,
        dnsResolvers: acme.dnsResolvers,
    });
    for (const f of certificateProblems.filter((p) => p.property in CERTIFICATE_KEYS)) {
        problems.push(f.reason.replace(`\`${f.property}\``, `\`${key(CERTIFICATE_KEYS[f.property] ?? f.property)}\``));
    }

    // Whether the key holds encrypted values (`pulumi config set --secret --path …`): credentials in
    // it are refused otherwise. The SDK's check is internal API (runtime/config.ts), stable since 3.x.
    const isSecret = isConfigSecret(key("deployments"));
    const deployments = readDeploymentsConfig(raw(config, "deployments"), key("deployments"), {
        isSecret,
        backendUrl: currentBackendUrl(),
        awsProfileSet: identity.identity?.profile !== undefined || identity.identity?.sharedCredentialsFiles !== undefined,
    });
    problems.push(...deployments.problems);
    const watch = readWatchConfig(raw(config, "watch"), key("watch"));
    problems.push(...watch.problems);

    const logRetentionDays = raw(config, "logRetentionDays");
    if (
        logRetentionDays !== undefined &&
        !(Number.isInteger(logRetentionDays) && (logRetentionDays as number) >= 1 && (logRetentionDays as number) <= 36500)
    ) {
        problems.push(
            `\`${key("logRetentionDays")}\` must be a whole number of days from 1 to 36500 (got ${JSON.stringify(logRetentionDays)}): e.g. \`pulumi config set ${key("logRetentionDays")} 90\``,
        );
    }

    const settings: SiteConfig = {
        region: region ?? "",
        awsIdentity: identity.identity,
        domains: Array.isArray(domains) ? (domains as string[]) : [],
        hostedZoneId: hostedZoneId?.replace(/^\/hostedzone\//, ""),
        iamCertificateId,
        contentDir,
        defaultRootObject,
        spa: bool(config, "spa", problems),
        logging: bool(config, "logging", problems),
        forwardQueryString: bool(config, "forwardQueryString", problems),
        versioning: bool(config, "versioning", problems),
        destroyBuckets: bool(config, "destroyBuckets", problems),
        waitForInvalidation: bool(config, "waitForInvalidation", problems),
        logRetentionDays: typeof logRetentionDays === "number" ? logRetentionDays : CONFIG_DEFAULTS.logRetentionDays,
        tags: (tags as Record<string, string> | undefined) ?? {},
        deployments: deployments.deployments,
        watch: watch.watch,
        acme: { ...acme, eab: acmeEab },
    };
    throwIfProblems(problems);
    return settings;
}
