/**
 * What every resource of the stand-in shares: the provider configuration the engine passes to
 * Configure (the stack's `aws:` keys, as pulumi-aws reads them), the AWS identity built from it,
 * and the handler contract each resource type implements.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- SDK clients loaded on first use */
import type { AwsCredentialIdentityProvider } from "@aws-sdk/types";

export type Props = Record<string, unknown>;

export interface Failure {
    property: string;
    reason: string;
}

export class Context {
    readonly region: string;
    readonly partition: string;
    readonly dnsSuffix: string;
    private readonly credentials?: AwsCredentialIdentityProvider;
    private account?: Promise<string>;

    /** `config` holds the provider's configuration by short key (`region`, `profile`, …), values as given. */
    constructor(config: Record<string, unknown>) {
        const region = (config.region as string | undefined) ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
        if (!region) {
            throw new Error("The aws provider needs a region: set aws:region (pulumi-aws fails the same way)");
        }
        this.region = region;
        this.partition = region.startsWith("cn-") ? "aws-cn" : "aws";
        this.dnsSuffix = this.partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
        this.credentials = credentialsFrom(config, region);
    }

    /** An SDK v3 client for the configured region and identity (the endpoint comes from AWS_ENDPOINT_URL). */
    client<C>(ctor: new (config: { region: string; credentials?: AwsCredentialIdentityProvider; maxAttempts?: number }) => C): C {
        return new ctor({ region: this.region, credentials: this.credentials, maxAttempts: 5 });
    }

    /** The account of the identity (sts:GetCallerIdentity, as pulumi-aws does when it configures). */
    accountId(): Promise<string> {
        this.account ??= (async () => {
            const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts") as typeof import("@aws-sdk/client-sts");
            const out = await this.client(STSClient).send(new GetCallerIdentityCommand({}));
            return out.Account ?? "";
        })();
        return this.account;
    }

    arn(service: string, resource: string, options: { region?: boolean; account?: string } = {}): string {
        return `arn:${this.partition}:${service}:${options.region ? this.region : ""}:${options.account ?? ""}:${resource}`;
    }
}

/** The identity pulumi-aws would use: aws:profile and shared files, then aws:assumeRoles; else the SDK's default chain. */
function credentialsFrom(config: Record<string, unknown>, region: string): AwsCredentialIdentityProvider | undefined {
    const { fromIni, fromTemporaryCredentials } =
        require("@aws-sdk/credential-providers") as typeof import("@aws-sdk/credential-providers");
    const list = (v: unknown) => (Array.isArray(v) ? (v as string[]) : typeof v === "string" && v ? [v] : []);
    const profile = config.profile as string | undefined;
    const credentialsFiles = list(config.sharedCredentialsFiles);
    const configFiles = list(config.sharedConfigFiles);
    let base: AwsCredentialIdentityProvider | undefined =
        profile || credentialsFiles.length > 0 || configFiles.length > 0
            ? fromIni({ profile, filepath: credentialsFiles[0], configFilepath: configFiles[0] })
            : undefined;
    const roles = Array.isArray(config.assumeRoles) ? (config.assumeRoles as Array<Record<string, unknown>>) : [];
    for (const role of roles) {
        base = fromTemporaryCredentials({
            masterCredentials: base,
            clientConfig: { region },
            params: {
                RoleArn: role.roleArn as string,
                RoleSessionName: (role.sessionName as string | undefined) ?? "pulumi",
                ExternalId: role.externalId as string | undefined,
            },
        });
    }
    return base;
}

/** One resource type: its AWS calls against moto, with pulumi-aws's property names. */
export interface ResourceHandler {
    /** Inputs whose change replaces the resource (terraform's ForceNew). */
    replaceOn?: readonly string[];
    /** The name property pulumi-aws fills from the resource name when unset (`<name>-<7 hex>`). */
    autoName?: { property: string; prefixProperty?: string; lowercase?: boolean; maxLength?: number };
    /** Inputs the real provider (or AWS) refuses, beyond the schema. */
    check?(inputs: Props, ctx: Context): Failure[];
    create(inputs: Props, ctx: Context): Promise<{ id: string; outs: Props }>;
    /** The current state, or undefined when the resource is gone. Defaults to the stored state. */
    read?(id: string, state: Props, ctx: Context): Promise<Props | undefined>;
    /** In-place update; without it every change replaces. */
    update?(id: string, olds: Props, news: Props, ctx: Context): Promise<Props>;
    delete(id: string, state: Props, ctx: Context): Promise<void>;
}

export type FunctionHandler = (args: Props, ctx: Context) => Promise<Props>;

/** The AWS error code of an SDK v3 error. */
export function errorCode(e: unknown): string {
    return (e as { name?: string; Code?: string }).Code ?? (e as { name?: string }).name ?? "";
}

/** Polls `done` every 200 ms until it holds or `seconds` pass (CloudFront and Route 53 waiters). */
export async function waitUntil(what: string, done: () => Promise<boolean>, seconds = 120): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    while (!(await done())) {
        if (Date.now() > deadline) {
            throw new Error(`timed out after ${seconds} s waiting for ${what}`);
        }
        await new Promise((r) => setTimeout(r, 200));
    }
}
