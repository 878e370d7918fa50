/**
 * CloudFront for the site content: invalidations of the paths a change touched, and the wait for one.
 * Serialized with the dynamic providers (closure serialization stores the code in the state): npm
 * and node modules are `require`d inside functions, clients are built per call.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside functions on purpose (serialization) */
import type * as CF from "@aws-sdk/client-cloudfront";
import { clientConfig } from "./identity";
import { SDK_MAX_ATTEMPTS, errorName } from "./errors";
import { AwsTarget } from "../core/awsIdentity";
import { sleep } from "../core/runtime";
import { aliasKey } from "../core/validation";

function cloudfront(aws: AwsTarget): CF.CloudFrontClient {
    const { CloudFrontClient } = require("@aws-sdk/client-cloudfront") as typeof CF;
    return new CloudFrontClient({ ...clientConfig(aws), maxAttempts: SDK_MAX_ATTEMPTS });
}

/**
 * One invalidation for `paths`. The caller reference makes a retry of the same batch return the same
 * invalidation instead of a second one (CloudFront's idempotency rule).
 */
export async function createInvalidation(
    aws: AwsTarget,
    distributionId: string,
    paths: readonly string[],
    callerReference: string,
): Promise<string> {
    const { CreateInvalidationCommand } = require("@aws-sdk/client-cloudfront") as typeof CF;
    const client = cloudfront(aws);
    try {
        const out = await client.send(
            new CreateInvalidationCommand({
                DistributionId: distributionId,
                InvalidationBatch: { CallerReference: callerReference, Paths: { Quantity: paths.length, Items: [...paths] } },
            }),
        );
        return out.Invalidation?.Id ?? "";
    } finally {
        client.destroy();
    }
}

/** Polls GetInvalidation until Completed or `timeoutMs` passes (then throws, naming the invalidation). */
export async function waitForInvalidation(
    aws: AwsTarget,
    distributionId: string,
    invalidationId: string,
    timeoutMs: number,
    pollMs: number,
): Promise<void> {
    const { GetInvalidationCommand } = require("@aws-sdk/client-cloudfront") as typeof CF;
    const client = cloudfront(aws);
    const deadline = Date.now() + timeoutMs;
    try {
        for (;;) {
            const out = await client.send(new GetInvalidationCommand({ DistributionId: distributionId, Id: invalidationId }));
            if (out.Invalidation?.Status === "Completed") {
                return;
            }
            if (Date.now() + pollMs > deadline) {
                throw new Error(
                    `invalidation ${invalidationId} of distribution ${distributionId} is still ${out.Invalidation?.Status ?? "unknown"} after ${Math.round(timeoutMs / 1000)} s; the files are uploaded, the edges catch up when it completes`,
                );
            }
            await sleep(pollMs);
        }
    } finally {
        client.destroy();
    }
}

/** Every distribution of the account as ListDistributions summarizes it (all pages, the SDK's paginator). */
async function allDistributions(aws: AwsTarget): Promise<CF.DistributionSummary[]> {
    const { paginateListDistributions } = require("@aws-sdk/client-cloudfront") as typeof CF;
    const client = cloudfront(aws);
    const all: CF.DistributionSummary[] = [];
    try {
        for await (const page of paginateListDistributions({ client }, {})) {
            all.push(...(page.DistributionList?.Items ?? []));
        }
    } finally {
        client.destroy(); // its kept-alive sockets would hold a short-lived process (the cleanup command) open
    }
    return all;
}

/**
 * The IAM server-certificate ids every distribution of the account serves (ListDistributions, all
 * pages): a certificate in this set is in use, whatever stack or tool made it.
 */
export async function certificatesServedInAccount(aws: AwsTarget): Promise<Set<string>> {
    return new Set(
        (await allDistributions(aws)).flatMap((d) => (d.ViewerCertificate?.IAMCertificateId ? [d.ViewerCertificate.IAMCertificateId] : [])),
    );
}

/** CloudFront's tag list as a map. */
const tagMap = (tags: CF.Tags | undefined) => Object.fromEntries((tags?.Items ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));

/** A distribution of the account that holds at least one of the aliases asked about. */
export interface AliasHolder {
    id: string;
    arn: string;
    /** Its aliases among those asked about, lower case. */
    aliases: string[];
    comment: string;
}

/** The distributions of the account holding any of `aliases` (ListDistributions, all pages; compared by aliasKey). */
export async function distributionsHoldingAliases(aws: AwsTarget, aliases: ReadonlySet<string>): Promise<AliasHolder[]> {
    return (await allDistributions(aws)).flatMap((d) => {
        const held = (d.Aliases?.Items ?? []).map(aliasKey).filter((a) => aliases.has(a));
        return held.length > 0 && d.Id && d.ARN ? [{ id: d.Id, arn: d.ARN, aliases: held, comment: d.Comment ?? "" }] : [];
    });
}

/**
 * A distribution's tags, or undefined when the identity may not read them: a steady-state policy
 * reads only the stack's own distributions (docs/iam-policy.md), so an unreadable one is another's.
 */
export async function distributionTags(aws: AwsTarget, arn: string): Promise<Record<string, string> | undefined> {
    const { ListTagsForResourceCommand } = require("@aws-sdk/client-cloudfront") as typeof CF;
    const client = cloudfront(aws);
    try {
        return tagMap((await client.send(new ListTagsForResourceCommand({ Resource: arn }))).Tags);
    } catch (e) {
        if (errorName(e) === "AccessDenied") {
            return undefined;
        }
        throw e;
    } finally {
        client.destroy();
    }
}

/** A distribution as it is: its ETag-free settings in pulumi-aws's shape, for the China rules and the adoption plan. */
export interface ExistingDistribution {
    id: string;
    status: string;
    settings: Record<string, unknown>;
    tags: Record<string, string>;
}

const items = <T>(l: { Items?: T[] } | undefined): T[] => l?.Items ?? [];

/** A cache behavior of the API in pulumi-aws's shape (only what the rules and the plan read). */
function behaviorSettings(b: CF.DefaultCacheBehavior | CF.CacheBehavior) {
    return {
        targetOriginId: b.TargetOriginId,
        viewerProtocolPolicy: b.ViewerProtocolPolicy,
        cachePolicyId: b.CachePolicyId || undefined,
        originRequestPolicyId: b.OriginRequestPolicyId || undefined,
        forwardedValues: b.ForwardedValues
            ? { queryString: b.ForwardedValues.QueryString, cookies: { forward: b.ForwardedValues.Cookies?.Forward } }
            : undefined,
        lambdaFunctionAssociations: items(b.LambdaFunctionAssociations).map((a) => ({
            eventType: a.EventType,
            lambdaArn: a.LambdaFunctionARN,
        })),
        functionAssociations: items(b.FunctionAssociations).map((a) => ({ eventType: a.EventType, functionArn: a.FunctionARN })),
        ...("PathPattern" in b ? { pathPattern: b.PathPattern } : {}),
    };
}

/**
 * GetDistribution, as pulumi-aws's `aws.cloudfront.Distribution` arguments would describe it, and its
 * tags; undefined when there is no such distribution. Read-only (cloudfront:GetDistribution,
 * cloudfront:ListTagsForResource).
 */
export async function existingDistribution(aws: AwsTarget, id: string): Promise<ExistingDistribution | undefined> {
    const { GetDistributionCommand, ListTagsForResourceCommand } = require("@aws-sdk/client-cloudfront") as typeof CF;
    const client = cloudfront(aws);
    try {
        const d = (await client.send(new GetDistributionCommand({ Id: id }))).Distribution;
        const c = d?.DistributionConfig;
        if (!d || !c) {
            return undefined;
        }
        const tags = tagMap((await client.send(new ListTagsForResourceCommand({ Resource: d.ARN }))).Tags);
        const vc = c.ViewerCertificate ?? {};
        const logging = c.Logging?.Enabled ? { bucket: c.Logging.Bucket, prefix: c.Logging.Prefix } : undefined;
        return {
            id,
            status: d.Status ?? "",
            tags,
            settings: {
                enabled: c.Enabled,
                aliases: items(c.Aliases),
                isIpv6Enabled: c.IsIPV6Enabled,
                httpVersion: c.HttpVersion,
                priceClass: c.PriceClass,
                webAclId: c.WebACLId || undefined,
                defaultRootObject: c.DefaultRootObject,
                loggingConfig: logging,
                origins: items(c.Origins).map((o) => ({
                    originId: o.Id,
                    domainName: o.DomainName,
                    originAccessControlId: o.OriginAccessControlId || undefined,
                    s3OriginConfig: o.S3OriginConfig ? { originAccessIdentity: o.S3OriginConfig.OriginAccessIdentity } : undefined,
                    customOriginConfig: o.CustomOriginConfig
                        ? { originProtocolPolicy: o.CustomOriginConfig.OriginProtocolPolicy }
                        : undefined,
                    originShield: o.OriginShield?.Enabled
                        ? { enabled: true, originShieldRegion: o.OriginShield.OriginShieldRegion }
                        : undefined,
                })),
                originGroups: items(c.OriginGroups).length > 0 ? items(c.OriginGroups).map((g) => ({ originId: g.Id })) : undefined,
                defaultCacheBehavior: c.DefaultCacheBehavior ? behaviorSettings(c.DefaultCacheBehavior) : undefined,
                orderedCacheBehaviors: items(c.CacheBehaviors).map(behaviorSettings),
                viewerCertificate: {
                    iamCertificateId: vc.IAMCertificateId || undefined,
                    acmCertificateArn: vc.ACMCertificateArn || undefined,
                    cloudfrontDefaultCertificate: vc.CloudFrontDefaultCertificate || undefined,
                    sslSupportMethod: vc.SSLSupportMethod,
                    minimumProtocolVersion: vc.MinimumProtocolVersion,
                },
            },
        };
    } catch (e) {
        if (errorName(e) === "NoSuchDistribution") {
            return undefined;
        }
        throw e;
    } finally {
        client.destroy();
    }
}
