/**
 * The AWS identity (../core/awsIdentity.ts) turned into SDK credentials: the shared files and
 * profiles a run would read (checked locally, no request), and one credential provider per identity
 * and process (roles assumed once, refreshed five minutes before expiry).
 * Serialized with the dynamic providers (closure serialization stores the code in the state): npm
 * and node modules are `require`d inside functions, clients are built per call.
 * The per-process credential cache lives on `globalThis`, not in a captured variable.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside functions on purpose (serialization) */
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@aws-sdk/types";
import { holdsUnknown } from "../core/runtime";
import { AwsIdentity, AwsTarget, IdentityFailure } from "../core/awsIdentity";

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
