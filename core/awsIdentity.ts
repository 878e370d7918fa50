/**
 * The stack's AWS identity as data: where the providers get credentials (a profile name, file paths,
 * role ARNs, never the credentials themselves), read from the same `aws:` stack keys pulumi-aws
 * reads, and checked without touching the machine or the network. The SDK side is ../aws/identity.ts.
 *
 * Why the providers need it at all: a dynamic provider sees none of pulumi-aws's settings (its SDK
 * clients use the default chain), so the program passes them as an input (docs/how-it-works.md,
 * "Which AWS identity the providers use"). Static keys in stack config are refused with the fix
 * rather than copied into the state: a stored key goes stale on rotation, and the old certificate's
 * `delete` would then fail on every run.
 */
import { holdsUnknown } from "./runtime";

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
