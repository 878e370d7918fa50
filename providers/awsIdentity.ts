/**
 * The stack's AWS identity, for the dynamic providers. pulumi-aws reads `aws:profile`,
 * `aws:sharedCredentialsFiles`, `aws:sharedConfigFiles` and `aws:assumeRoles` from stack config; a
 * dynamic provider sees none of it (its SDK clients use the default chain), so the program passes
 * the same settings as an input and every AWS client of the providers is built from them
 * (../shared/facts/operations.md, "Credentials: the engine vs. our dynamic providers").
 *
 * What is stored is *where* to get credentials (a profile name, file paths, role ARNs), never the
 * credentials themselves: they are resolved at call time, so a `delete` that runs with the inputs
 * stored in the state still works after keys are rotated. For the same reason static keys in stack
 * config (`aws:accessKey`, `aws:secretKey`, `aws:token`) are refused with the fix rather than copied
 * into the state: a stored key goes stale on rotation (a session token within hours), and the old
 * certificate's `delete` would then fail on every run.
 *
 * Serialized with the providers: npm and node modules are `require`d inside functions, and the
 * per-process credential cache lives on `globalThis`, not in a captured variable.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside functions on purpose (serialization) */
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@aws-sdk/types";

/** One role to assume, as pulumi-aws's `aws:assumeRoles` items (duration already in seconds). */
export interface AwsAssumeRole {
    roleArn: string;
    sessionName?: string;
    externalId?: string;
    /** 900 to 43200. */
    durationSeconds?: number;
    policy?: string;
    policyArns?: string[];
    tags?: Record<string, string>;
    transitiveTagKeys?: string[];
    sourceIdentity?: string;
}

/** Where the providers get their AWS credentials. Empty: the SDK's default chain (environment, AWS_PROFILE, web identity). */
export interface AwsIdentity {
    profile?: string;
    /** At most one file each (the SDK reads one); pulumi-aws accepts lists, so lists are taken. */
    sharedCredentialsFiles?: string[];
    sharedConfigFiles?: string[];
    /** Assumed in order, each with the credentials of the one before (role chaining, as pulumi-aws does). */
    assumeRoles?: AwsAssumeRole[];
}

/** A region and the identity to call it with: what every AWS call of the providers takes. */
export interface AwsTarget {
    region: string;
    identity?: AwsIdentity;
}

/** The region and identity of every AWS call a resource makes (its `region` and `awsIdentity` inputs). */
export const awsTargetOf = (r: { region: string; awsIdentity?: AwsIdentity }): AwsTarget => ({ region: r.region, identity: r.awsIdentity });

export interface IdentityFailure {
    property: string;
    reason: string;
}

/** What an input not yet known (a preview, before its resource exists) arrives as in `check` and `diff`. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Whether a value, or anything inside it, is not known yet (a preview): checks that need it wait. */
export const holdsUnknown = (value: unknown): boolean => JSON.stringify(value ?? null).includes(UNKNOWN);
const ROLE_ARN = /^arn:aws-cn:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

/** A Go duration as pulumi-aws takes it ("1h", "90m", "1h30m", "3600s") in seconds; undefined if malformed. */
export function durationSeconds(text: string): number | undefined {
    const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 1e-6, µs: 1e-6, ns: 1e-9 };
    const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g)];
    if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) {
        return undefined;
    }
    return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * (units[p[2]] ?? 0), 0));
}

/**
 * Shape checks of an identity (no file or network access): every failure names the stack key it
 * comes from and the fix. Unknown (preview) values pass.
 */
export function identityProblems(identity: unknown, property = "awsIdentity"): IdentityFailure[] {
    const failures: IdentityFailure[] = [];
    const fail = (reason: string) => failures.push({ property, reason });
    if (identity === undefined || identity === null || holdsUnknown(identity)) {
        return failures;
    }
    if (typeof identity !== "object" || Array.isArray(identity)) {
        fail(`\`${property}\` must be an object like {"profile": "china-prod"} (got ${JSON.stringify(identity)})`);
        return failures;
    }
    const id = identity as Record<string, unknown>;
    const known = ["profile", "sharedCredentialsFiles", "sharedConfigFiles", "assumeRoles"];
    for (const k of Object.keys(id).filter((k) => !known.includes(k))) {
        fail(`\`${property}.${k}\` is not an identity setting: use ${known.join(", ")}`);
    }
    if (id.profile !== undefined && (typeof id.profile !== "string" || id.profile === "")) {
        fail(
            `\`aws:profile\` must be a profile name (got ${JSON.stringify(id.profile)}): run \`pulumi config set aws:profile china-prod\``,
        );
    }
    for (const files of ["sharedCredentialsFiles", "sharedConfigFiles"] as const) {
        const v = id[files];
        if (v === undefined) {
            continue;
        }
        if (!Array.isArray(v) || v.some((f) => typeof f !== "string" || f === "")) {
            fail(`\`aws:${files}\` must be a list of file paths (got ${JSON.stringify(v)})`);
        } else if (v.length > 1) {
            fail(
                `\`aws:${files}\` lists ${v.length} files: the certificate provider's AWS SDK reads one; merge them into one file, or use the default ~/.aws files`,
            );
        }
    }
    const roles = id.assumeRoles;
    if (roles !== undefined) {
        if (!Array.isArray(roles)) {
            fail(`\`aws:assumeRoles\` must be a list of roles like [{"roleArn": "arn:aws-cn:iam::123456789012:role/deploy"}]`);
            return failures;
        }
        roles.forEach((role: Record<string, unknown>, i) => {
            const at = `aws:assumeRoles[${i}]`;
            const arn = role?.roleArn;
            if (typeof arn !== "string" || !ROLE_ARN.test(arn)) {
                const hint =
                    typeof arn === "string" && /^arn:aws:/.test(arn)
                        ? "it is an ARN of the global partition; roles in AWS China are arn:aws-cn:iam::<account>:role/<name>"
                        : 'use "arn:aws-cn:iam::<12-digit account>:role/<name>"';
                fail(`\`${at}.roleArn\` ${JSON.stringify(arn)} is not an AWS China role ARN: ${hint}`);
            }
            if (role?.sessionName !== undefined && !SESSION_NAME.test(String(role.sessionName))) {
                fail(`\`${at}.sessionName\` ${JSON.stringify(role.sessionName)} must be 2-64 characters of [A-Za-z0-9_+=,.@-]`);
            }
            if (role?.externalId !== undefined && !EXTERNAL_ID.test(String(role.externalId))) {
                fail(`\`${at}.externalId\` must be 2-1224 characters of [A-Za-z0-9_+=,.@:/-]`);
            }
            const seconds = role?.durationSeconds;
            if (seconds !== undefined && (typeof seconds !== "number" || seconds < 900 || seconds > 43200)) {
                fail(`\`${at}.duration\` must be between 15m and 12h (got ${JSON.stringify(seconds)} s), e.g. "1h"`);
            }
        });
    }
    return failures;
}

/** The shared files the SDK would read for this identity (env overrides, then ~/.aws). */
function sharedFiles(identity: AwsIdentity): { credentials: string; config: string } {
    const os = require("node:os") as typeof import("node:os");
    const path = require("node:path") as typeof import("node:path");
    const home = process.env.HOME || os.homedir();
    return {
        credentials:
            identity.sharedCredentialsFiles?.[0] ?? process.env.AWS_SHARED_CREDENTIALS_FILE ?? path.join(home, ".aws", "credentials"),
        config: identity.sharedConfigFiles?.[0] ?? process.env.AWS_CONFIG_FILE ?? path.join(home, ".aws", "config"),
    };
}

/** Profile names in an INI file: `[name]` in credentials, `[profile name]` (or `[default]`) in config. */
function profilesIn(file: string): string[] {
    const fs = require("node:fs") as typeof import("node:fs");
    if (!fs.existsSync(file)) {
        return [];
    }
    return [...fs.readFileSync(file, "utf8").matchAll(/^\s*\[\s*(?:profile\s+)?([^\]\s]+)\s*\]/gm)].map((m) => m[1]);
}

/**
 * Problems only the deploying machine can see: a named profile that is in neither shared file, a
 * shared file that does not exist. Reads local files only, no request.
 */
export function localIdentityProblems(identity: AwsIdentity | undefined, property = "awsIdentity"): IdentityFailure[] {
    if (!identity || holdsUnknown(identity)) {
        return [];
    }
    const fs = require("node:fs") as typeof import("node:fs");
    const failures: IdentityFailure[] = [];
    for (const files of ["sharedCredentialsFiles", "sharedConfigFiles"] as const) {
        for (const file of identity[files] ?? []) {
            if (!fs.existsSync(file)) {
                failures.push({ property, reason: `\`aws:${files}\` names ${file}, which does not exist on this machine` });
            }
        }
    }
    if (identity.profile && failures.length === 0) {
        const files = sharedFiles(identity);
        if (![...profilesIn(files.credentials), ...profilesIn(files.config)].includes(identity.profile)) {
            failures.push({
                property,
                reason:
                    `\`aws:profile\` "${identity.profile}" is in neither ${files.credentials} nor ${files.config}: ` +
                    `create it (\`aws configure --profile ${identity.profile}\`) or set the profile you use (\`pulumi config set aws:profile <name>\`)`,
            });
        }
    }
    return failures;
}

interface CachedCredentials {
    provider: AwsCredentialIdentityProvider;
    current?: Promise<AwsCredentialIdentity>;
}

/**
 * The credentials for `identity`, or undefined for the SDK's default chain. Memoized per process and
 * identity until five minutes before expiry, so a run assumes each role once, not once per client.
 */
export function credentialsFor(target: AwsTarget): AwsCredentialIdentityProvider | undefined {
    const identity = target.identity ?? {};
    const roles = identity.assumeRoles ?? [];
    const useFiles =
        identity.profile !== undefined || identity.sharedCredentialsFiles !== undefined || identity.sharedConfigFiles !== undefined;
    if (!useFiles && roles.length === 0) {
        return undefined;
    }
    const cacheKey = JSON.stringify([target.region, identity]);
    const g = globalThis as { __cloudfrontChinaCredentials?: Map<string, CachedCredentials> };
    const cache = (g.__cloudfrontChinaCredentials ??= new Map());
    let entry = cache.get(cacheKey);
    if (!entry) {
        const { fromIni, fromNodeProviderChain, fromTemporaryCredentials } =
            require("@aws-sdk/credential-providers") as typeof import("@aws-sdk/credential-providers");
        const files = { filepath: identity.sharedCredentialsFiles?.[0], configFilepath: identity.sharedConfigFiles?.[0] };
        // Like pulumi-aws, an explicit profile wins over AWS_ACCESS_KEY_ID in the environment: read
        // only the profile (any kind: keys, SSO, credential_process, role_arn). Files without a
        // profile: the SDK's chain with those files (environment first, then their default profile).
        let provider: AwsCredentialIdentityProvider =
            identity.profile !== undefined ? fromIni({ profile: identity.profile, ...files }) : fromNodeProviderChain(files);
        for (const role of roles) {
            provider = fromTemporaryCredentials({
                masterCredentials: provider,
                clientConfig: { region: target.region },
                params: {
                    RoleArn: role.roleArn,
                    RoleSessionName: role.sessionName ?? "cloudfront-china",
                    ExternalId: role.externalId,
                    DurationSeconds: role.durationSeconds,
                    Policy: role.policy,
                    PolicyArns: role.policyArns?.map((arn) => ({ arn })),
                    Tags: role.tags && Object.entries(role.tags).map(([Key, Value]) => ({ Key, Value })),
                    TransitiveTagKeys: role.transitiveTagKeys,
                    SourceIdentity: role.sourceIdentity,
                },
            });
        }
        entry = { provider };
        cache.set(cacheKey, entry);
    }
    const memo = entry;
    return async () => {
        const now = Date.now();
        const cached = memo.current && (await memo.current.catch(() => undefined));
        if (!cached || (cached.expiration && cached.expiration.getTime() - now < 5 * 60_000)) {
            memo.current = memo.provider();
            memo.current.catch(() => (memo.current = undefined));
        }
        return memo.current!;
    };
}

/** `{region, credentials}` for an SDK v3 client of the providers. */
export function clientConfig(target: AwsTarget): { region: string; credentials?: AwsCredentialIdentityProvider } {
    const credentials = credentialsFor(target);
    return credentials ? { region: target.region, credentials } : { region: target.region };
}

/** Stack config as pulumi-aws reads it (values already JSON-parsed), for `identityFromStackConfig`. */
export interface AwsStackConfig {
    profile?: unknown;
    sharedCredentialsFiles?: unknown;
    sharedConfigFiles?: unknown;
    assumeRoles?: unknown;
    accessKey?: unknown;
    secretKey?: unknown;
    token?: unknown;
    assumeRoleWithWebIdentity?: unknown;
}

/**
 * The providers' identity from the `aws:` stack config, with problems naming the key and the fix.
 * Static keys and web identity in stack config are refused (see the header): both pulumi-aws and
 * the providers read the same credentials from the environment or a profile instead.
 */
export function identityFromStackConfig(config: AwsStackConfig): { identity?: AwsIdentity; problems: string[] } {
    const problems: string[] = [];
    const staticKeys = (["accessKey", "secretKey", "token"] as const).filter((k) => config[k] !== undefined);
    if (staticKeys.length > 0) {
        problems.push(
            `${staticKeys.map((k) => `\`aws:${k}\``).join(", ")} in stack config: the certificate provider would have to keep the key in the state, ` +
                "where it goes stale when the key is rotated. Remove it (`pulumi config rm aws:accessKey` …) and put the key in a named profile " +
                "(`aws configure --profile china-prod`, then `pulumi config set aws:profile china-prod`) or in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY: " +
                "pulumi-aws and the certificate provider both read those",
        );
    }
    if (config.assumeRoleWithWebIdentity !== undefined) {
        problems.push(
            "`aws:assumeRoleWithWebIdentity` in stack config is not passed to the certificate provider: set AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE " +
                "in the environment instead (pulumi-aws and the certificate provider both read them), and remove the key",
        );
    }
    const identity: AwsIdentity = {};
    if (config.profile !== undefined) {
        identity.profile = config.profile as string;
    }
    for (const files of ["sharedCredentialsFiles", "sharedConfigFiles"] as const) {
        if (config[files] !== undefined) {
            identity[files] = config[files] as string[];
        }
    }
    if (config.assumeRoles !== undefined) {
        if (!Array.isArray(config.assumeRoles)) {
            problems.push(`\`aws:assumeRoles\` must be a list of roles like [{"roleArn": "arn:aws-cn:iam::123456789012:role/deploy"}]`);
        } else {
            identity.assumeRoles = config.assumeRoles.map((r: Record<string, unknown>, i) => {
                const { duration, ...rest } = r ?? {};
                let seconds: number | undefined;
                if (duration !== undefined) {
                    seconds = typeof duration === "string" ? durationSeconds(duration) : undefined;
                    if (seconds === undefined) {
                        problems.push(
                            `\`aws:assumeRoles[${i}].duration\` ${JSON.stringify(duration)} is not a duration: write it like "1h" or "45m"`,
                        );
                    }
                }
                return seconds === undefined
                    ? (rest as unknown as AwsAssumeRole)
                    : ({ ...rest, durationSeconds: seconds } as AwsAssumeRole);
            });
        }
    }
    problems.push(...identityProblems(identity).map((f) => f.reason));
    return { identity: Object.keys(identity).length > 0 ? identity : undefined, problems: [...new Set(problems)] };
}

/** The `aws:` identity settings of the running stack (what pulumi-aws will use). */
export function stackAwsConfig(get: (key: string) => string | undefined): AwsStackConfig {
    const parse = (key: string) => {
        const text = get(key);
        if (text === undefined || text === "") {
            return undefined;
        }
        try {
            return JSON.parse(text) as unknown;
        } catch {
            return text;
        }
    };
    return {
        profile: get("profile") || undefined,
        sharedCredentialsFiles: parse("sharedCredentialsFiles"),
        sharedConfigFiles: parse("sharedConfigFiles"),
        assumeRoles: parse("assumeRoles"),
        accessKey: get("accessKey") || undefined,
        secretKey: get("secretKey") || undefined,
        token: get("token") || undefined,
        assumeRoleWithWebIdentity: parse("assumeRoleWithWebIdentity"),
    };
}
