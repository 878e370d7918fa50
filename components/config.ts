/**
 * The stack configuration contract, read in one place. Every key here is declared in Pulumi.yaml
 * (type, description, default); tests/config.test.ts keeps the two in step.
 */
import * as pulumi from "@pulumi/pulumi";
import { AwsIdentity, identityFromStackConfig, stackAwsConfig } from "../providers/awsIdentity";
import { WatchConfig, readWatchConfig } from "./certificateWatch";
import { DeploymentsConfig, currentBackendUrl, readDeploymentsConfig } from "./deployments";
import { KeyType, LETS_ENCRYPT_PRODUCTION, checkInputs } from "../providers/certificateLogic";
import { ChallengeMode } from "../providers/dnsChallenge";
import { contentDirProblems, domainsProblems, iamCertificateIdProblems, regionProblems, tagsProblems, throwIfProblems } from "./validation";

export const PROJECT = "cloudfront-china";

/** Defaults, as declared in Pulumi.yaml. */
export const CONFIG_DEFAULTS = {
    spa: false,
    logging: false,
    forwardQueryString: false,
    versioning: false,
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
    };
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

function bool(config: pulumi.Config, name: "spa" | "logging" | "forwardQueryString" | "versioning", problems: string[]): boolean {
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
        problems.push(...contentDirProblems(contentDir, key("contentDir")));
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
    const isSecret = (pulumi.runtime as unknown as { isConfigSecret(k: string): boolean }).isConfigSecret(key("deployments"));
    const deployments = readDeploymentsConfig(raw(config, "deployments"), key("deployments"), {
        isSecret,
        backendUrl: currentBackendUrl(),
        awsProfileSet: identity.identity?.profile !== undefined || identity.identity?.sharedCredentialsFiles !== undefined,
    });
    problems.push(...deployments.problems);
    const watch = readWatchConfig(raw(config, "watch"), key("watch"));
    problems.push(...watch.problems);

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
        tags: (tags as Record<string, string> | undefined) ?? {},
        deployments: deployments.deployments,
        watch: watch.watch,
        acme,
    };
    throwIfProblems(problems);
    return settings;
}
