/**
 * ChinaCdn: a private S3 bucket served over HTTPS by CloudFront in the AWS China regions.
 *
 * Creates, all parented to the component and named from its name:
 *   `${name}-bucket` (+ `-public-access-block`, `-ownership`, `-encryption`, optional `-versioning`),
 *   `${name}-oai`, `${name}-bucket-policy`, `${name}-cdn`,
 *   optional `${name}-logs` (+ its settings, `-versioning` and a TLS-only `-policy`), `${name}-record-<alias>`, `${name}-content` (SiteContent).
 * Every China rule of ./chinaRules is applied to the distribution arguments before anything is
 * registered; bad input throws an InputError naming the setting and the fix.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { STACK_TAG, stackTagValue } from "../core/iamPolicy";
import { stackBucketBase } from "../core/sites";
import { ChinaRegion, MINIMUM_PROTOCOL_VERSION, PlainDistribution, SSL_SUPPORT_METHOD, checkDistribution } from "../core/chinaRules";
import { AwsIdentity } from "../core/awsIdentity";
import { SiteContent } from "../providers/siteContent";
import { NOT_FOUND_PAGE, hashedNamePatternProblem } from "../core/content";
import {
    defaultRootObjectProblems,
    domainsProblems,
    logRetentionProblems,
    regionProblems,
    tagsProblems,
    zoneCoverageProblems,
} from "../core/validation";
import { throwIfProblems } from "../config/inputError";
import { siteFolder, siteFolderProblems } from "../config/siteFolder";

/**
 * Extra distribution settings merged over the component's own (objects one level deep:
 * `defaultCacheBehavior`, `viewerCertificate`, `restrictions`). Anything China rejects is refused
 * with the reason. Typed loosely on purpose: the rule table, not the type, decides.
 */
export type DistributionOverrides = { readonly [K in keyof aws.cloudfront.DistributionArgs]?: unknown };

export interface DnsRecordsArgs {
    /** Route 53 hosted zone that receives an alias A record per domain. */
    readonly hostedZoneId: pulumi.Input<string>;
    /** The zone's DNS name (e.g. "example.cn"), used to check that every domain lies inside it. */
    readonly zoneName: string;
}

export interface ChinaCdnArgs {
    /** Host names served (CloudFront aliases), ICP-approved; the first is the primary. Changing them updates the distribution in place. */
    readonly domains: readonly string[];
    /** The aws-cn region the AWS provider deploys to: "cn-north-1" or "cn-northwest-1". */
    readonly region: string;
    /** IAM ServerCertificateId (ASCA…) of a certificate uploaded under /cloudfront/ that covers every domain. */
    readonly iamCertificateId: pulumi.Input<string>;
    /** Object served for "/". Defaults to "index.html". */
    readonly defaultRootObject?: string;
    /** Single-page app: answer 403/404 with /<defaultRootObject> and status 200. Defaults to false. */
    readonly spa?: boolean;
    /** Forward query strings to the origin and include them in the cache key. Defaults to false. */
    readonly forwardQueryString?: boolean;
    /** Keep object versions in the site bucket. Defaults to false. */
    readonly versioning?: boolean;
    /**
     * What `pulumi destroy` does with the site and log buckets: false (default) keeps them and their
     * contents (the stack forgets them; delete them by hand); true deletes every object and version,
     * then the buckets.
     */
    readonly destroyBuckets?: boolean;
    /** Days access logs are kept in the log bucket (lifecycle expiry). Defaults to 90. */
    readonly logRetentionDays?: number;
    /** Standard access logs into a separate private bucket (`${name}-logs`). Defaults to false. */
    readonly logging?: boolean;
    /** Write Route 53 alias A records for every domain. Defaults to none. */
    readonly dnsRecords?: DnsRecordsArgs;
    /**
     * Local folder synced to the bucket as one resource: new and changed files uploaded, removed ones
     * deleted, their paths invalidated. `404.html` at its top is the not-found page (when `spa` is
     * off); `dir/index.html` is also served at `/dir/`. Defaults to none (upload it yourself).
     */
    readonly contentDir?: string;
    /** Wait for each content invalidation to complete before `pulumi up` ends. Defaults to false. */
    readonly waitForInvalidation?: boolean;
    /**
     * A regular expression matching the file names that carry a content hash (cached a year as
     * `immutable`, never invalidated), e.g. "-[A-Za-z0-9_-]{8}\\.[a-z0-9]+$" for Vite. Defaults to
     * `.` or `-` then 8+ hex characters with a letter and a digit (webpack, Parcel, Hugo); a date or
     * a version is never taken for a hash.
     */
    readonly hashedNamePattern?: string;
    /** The AWS identity that writes the content; defaults to the stack's (aws:profile, shared files, assumeRoles). */
    readonly awsIdentity?: AwsIdentity;
    /** Tags for every resource that takes tags (not for the uploaded objects). Defaults to none. */
    readonly tags?: Readonly<Record<string, string>>;
    /** Extra distribution settings; China-incompatible ones are refused. Defaults to none. */
    readonly distributionOverrides?: DistributionOverrides;
    /**
     * A site made outside the stack to take over (docs/migrate.md): the distribution, its bucket and
     * its OAI are imported as they are and updated in place, never replaced (the aliases and their ICP
     * recordals stay), and kept when the stack is destroyed. Defaults to none (everything is created).
     */
    readonly adopt?: AdoptedSite;
}

/** The ids of what an adopted site already has. */
export interface AdoptedSite {
    readonly distributionId: string;
    readonly bucketName: string;
    /** Undefined when its origin uses no OAI: one is created. */
    readonly originAccessIdentityId?: string;
}

/**
 * Distribution settings the component decides itself, and where the user sets them instead.
 * Overriding them would silently break the site or the certificate rotation.
 */
const OWNED_SETTINGS: Readonly<Record<string, string>> = {
    aliases: "set them with `domains`",
    origins: "the component's private bucket is the only origin",
    originGroups: "the component's private bucket is the only origin",
    loggingConfig: "use `logging: true`",
    defaultRootObject: "use `defaultRootObject`",
    tags: "use `tags`",
    waitForDeployment: "it stays true, so an old certificate is deleted only after the distribution stopped using it",
};

export function ownedSettingProblems(overrides: DistributionOverrides): string[] {
    const problems = Object.keys(overrides)
        .filter((k) => k in OWNED_SETTINGS && (overrides as Record<string, unknown>)[k] !== undefined)
        .map((k) => `\`distributionOverrides.${k}\` cannot be overridden: ${OWNED_SETTINGS[k]}`);
    const vc = overrides.viewerCertificate as Record<string, unknown> | undefined;
    if (vc && vc.iamCertificateId !== undefined) {
        problems.push("`distributionOverrides.viewerCertificate.iamCertificateId` cannot be overridden: use `iamCertificateId`");
    }
    return problems;
}

/** TTLs used with legacy forwardedValues (China has no cache policies): objects' Cache-Control wins within them. */
export const TTL = { min: 0, default: 3600, max: 31536000 } as const;
const ORIGIN_ID = "s3-site";
/** Access logs are kept this many days unless `logRetentionDays` says otherwise. */
export const DEFAULT_LOG_RETENTION_DAYS = 90;

/** Whether the site has a 404 page at its top (served with status 404 for missing keys when `spa` is off). */
function hasNotFoundPage(args: ChinaCdnArgs): boolean {
    return (
        args.contentDir !== undefined &&
        siteFolder(args.contentDir, { hashedNamePattern: args.hashedNamePattern }).some((e) => e.key === NOT_FOUND_PAGE)
    );
}

/**
 * Checks every argument and the China rules on the distribution settings the component decides,
 * and returns those settings. Throws one InputError naming each bad setting and its fix.
 */
export function validateChinaCdnArgs(args: ChinaCdnArgs): PlainDistribution {
    const defaultRootObject = args.defaultRootObject ?? "index.html";
    throwIfProblems([
        ...domainsProblems(args.domains, "domains"),
        ...regionProblems(args.region, "region"),
        ...tagsProblems(args.tags, "tags"),
        ...(args.dnsRecords ? zoneCoverageProblems(args.domains, args.dnsRecords.zoneName, "dnsRecords.hostedZoneId") : []),
        ...(args.hashedNamePattern !== undefined
            ? [hashedNamePatternProblem(args.hashedNamePattern, "hashedNamePattern")].filter((p): p is string => p !== undefined)
            : []),
        ...(args.contentDir !== undefined &&
        (args.hashedNamePattern === undefined || hashedNamePatternProblem(args.hashedNamePattern, "") === undefined)
            ? siteFolderProblems(args.contentDir, "contentDir", { hashedNamePattern: args.hashedNamePattern })
            : []),
        ...defaultRootObjectProblems(defaultRootObject, "defaultRootObject"),
        ...ownedSettingProblems(args.distributionOverrides ?? {}),
        ...logRetentionProblems(args.logRetentionDays, "logRetentionDays"),
    ]);
    const settings = distributionSettings(args, defaultRootObject);
    // The origin and the certificate id are resource outputs the rules cannot see here: check
    // stand-ins of the shape the component gives them (the offline plan checks the real values).
    const region = args.region as ChinaRegion;
    const violations = checkDistribution({
        ...settings,
        origins: [
            { domainName: `bucket.s3.${region}.amazonaws.com.cn`, originId: ORIGIN_ID, s3OriginConfig: { originAccessIdentity: "oai" } },
        ],
        viewerCertificate: { ...(settings.viewerCertificate as object), iamCertificateId: "certificate-id" },
        loggingConfig: args.logging ? { bucket: `logs.s3.${region}.amazonaws.com.cn` } : undefined,
    });
    throwIfProblems(violations.map((v) => `\`distributionOverrides\`: [${v.rule}] ${v.message}`));
    return settings;
}

/** The distribution's settings except origin, certificate id and logging target (resource outputs). */
function distributionSettings(args: ChinaCdnArgs, defaultRootObject: string): PlainDistribution {
    const overrides = (args.distributionOverrides ?? {}) as Record<string, unknown>;
    const nested = (key: string) => (overrides[key] && typeof overrides[key] === "object" ? (overrides[key] as object) : {});
    return {
        comment: `cloudfront-china: ${args.domains[0]}`,
        ...overrides,
        enabled: overrides.enabled ?? true,
        aliases: [...args.domains],
        isIpv6Enabled: overrides.isIpv6Enabled ?? false,
        httpVersion: overrides.httpVersion ?? "http2",
        priceClass: overrides.priceClass ?? "PriceClass_All",
        defaultRootObject,
        waitForDeployment: true,
        defaultCacheBehavior: {
            targetOriginId: ORIGIN_ID,
            allowedMethods: ["GET", "HEAD", "OPTIONS"],
            cachedMethods: ["GET", "HEAD"],
            viewerProtocolPolicy: "redirect-to-https",
            compress: true,
            // China has no cache policies (aws-cdk#13584): legacy forwardedValues + TTLs.
            forwardedValues: { queryString: args.forwardQueryString ?? false, cookies: { forward: "none" } },
            minTtl: TTL.min,
            defaultTtl: TTL.default,
            maxTtl: TTL.max,
            ...nested("defaultCacheBehavior"),
        },
        customErrorResponses:
            overrides.customErrorResponses ??
            (args.spa
                ? [403, 404].map((errorCode) => ({
                      errorCode,
                      responseCode: 200,
                      responsePagePath: `/${defaultRootObject}`,
                      errorCachingMinTtl: 10,
                  }))
                : hasNotFoundPage(args)
                  ? // A missing key answers 403 through the OAI (it may not list the bucket, and the
                    // bucket policy stays read-only): both mean "no such page".
                    [403, 404].map((errorCode) => ({
                        errorCode,
                        responseCode: 404,
                        responsePagePath: `/${NOT_FOUND_PAGE}`,
                        errorCachingMinTtl: 10,
                    }))
                  : undefined),
        restrictions: { geoRestriction: { restrictionType: "none" }, ...nested("restrictions") },
        viewerCertificate: {
            sslSupportMethod: SSL_SUPPORT_METHOD,
            minimumProtocolVersion: MINIMUM_PROTOCOL_VERSION,
            ...nested("viewerCertificate"),
        },
    };
}

export class ChinaCdn extends pulumi.ComponentResource {
    public readonly bucketName: pulumi.Output<string>;
    public readonly bucketArn: pulumi.Output<string>;
    public readonly distributionId: pulumi.Output<string>;
    public readonly distributionArn: pulumi.Output<string>;
    /** The *.cloudfront.cn name: a CNAME target only, it cannot serve content in China. */
    public readonly distributionDomainName: pulumi.Output<string>;
    public readonly distributionHostedZoneId: pulumi.Output<string>;
    /** The Origin Access Identity the bucket is read through (the steady-state policy names it by id). */
    public readonly originAccessIdentityId: pulumi.Output<string>;
    public readonly aliases: pulumi.Output<string[]>;
    public readonly urls: pulumi.Output<string[]>;
    public readonly logBucketName: pulumi.Output<string | undefined>;
    /** Objects the content resource keeps in the bucket, when `contentDir` is set. */
    public readonly contentObjects: pulumi.Output<number | undefined>;
    /** The last invalidation a content change created, when there was one. */
    public readonly contentInvalidationId: pulumi.Output<string | undefined>;

    constructor(name: string, args: ChinaCdnArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validate before super(): bad input must fail before anything, the component included, is registered.
        const distributionArgs = validateChinaCdnArgs(args);
        super("cloudfront-china:index:ChinaCdn", name, {}, opts);
        const tags = args.tags ?? {};

        const partition = aws.getPartitionOutput({}, { parent: this }).partition;
        const parent = { parent: this };

        // Site bucket: owner-enforced (no ACLs); SSE-S3, since an OAI can read SSE-KMS objects only
        // with a key policy CloudFront in China cannot use.
        // What was adopted is kept on destroy, whatever destroyBuckets says: the stack never deletes
        // a site it did not make (giving it back, docs/migrate.md).
        const adopt = args.adopt;
        const keep = !args.destroyBuckets || adopt !== undefined;
        const bucketBase = stackBucketBase(pulumi.getProject(), pulumi.getStack(), name);
        const adopted = (id: string | undefined) => (id === undefined ? {} : { import: id, retainOnDelete: true });
        const {
            bucket,
            publicAccessBlock,
            settings: bucketSettings,
        } = this.privateBucket(`${name}-bucket`, `${bucketBase}-bucket-`, name, "BucketOwnerEnforced", tags, keep, adopt?.bucketName);
        if (args.versioning) {
            new aws.s3.BucketVersioning(
                `${name}-versioning`,
                {
                    bucket: bucket.id,
                    versioningConfiguration: { status: "Enabled" },
                },
                parent,
            );
        }

        const oai = new aws.cloudfront.OriginAccessIdentity(
            `${name}-oai`,
            {
                comment: `cloudfront-china ${name}`,
            },
            { ...parent, ...adopted(adopt?.originAccessIdentityId) },
        );

        new aws.s3.BucketPolicy(
            `${name}-bucket-policy`,
            {
                bucket: bucket.id,
                policy: pulumi.jsonStringify(siteBucketPolicy(partition, bucket.bucket, oai.iamArn)),
            },
            // An adopted bucket keeps a policy that lets the OAI read once the stack is gone.
            { parent: this, dependsOn: [publicAccessBlock], retainOnDelete: adopt !== undefined },
        );

        const logs = args.logging
            ? this.logBucket(name, partition, tags, keep, args.logRetentionDays ?? DEFAULT_LOG_RETENTION_DAYS)
            : undefined;
        const logBucket = logs?.bucket;

        const distribution = new aws.cloudfront.Distribution(
            `${name}-cdn`,
            {
                ...(distributionArgs as unknown as aws.cloudfront.DistributionArgs),
                origins: [
                    {
                        originId: ORIGIN_ID,
                        // China rule: the regional .s3.<region>.amazonaws.com.cn domain, reached with the OAI.
                        domainName: bucket.bucketRegionalDomainName,
                        s3OriginConfig: { originAccessIdentity: oai.cloudfrontAccessIdentityPath },
                    },
                ],
                viewerCertificate: {
                    ...(distributionArgs.viewerCertificate as object),
                    iamCertificateId: args.iamCertificateId,
                },
                loggingConfig: logBucket
                    ? { bucket: logBucket.bucketRegionalDomainName, includeCookies: false, prefix: "cloudfront/" }
                    : undefined,
                // The stack's name as a tag: a per-stack deploy policy reaches this distribution, and
                // no other, by it (docs/iam-policy.md).
                tags: { ...tags, [STACK_TAG]: stackTagValue(pulumi.getProject(), pulumi.getStack()) },
            },
            // CloudFront delivers standard logs with ACLs: CreateDistribution must not reach the log
            // bucket before its ownership is BucketOwnerPreferred (ACLs enabled).
            { parent: this, dependsOn: logs ? [logs.ownership] : [], ...adopted(adopt?.distributionId) },
        );

        if (args.dnsRecords) {
            for (const domain of args.domains) {
                new aws.route53.Record(
                    `${name}-record-${domain.replace("*", "wildcard")}`,
                    {
                        zoneId: args.dnsRecords.hostedZoneId,
                        name: domain,
                        type: "A",
                        // IPv6 is off in China, so no AAAA record.
                        aliases: [{ name: distribution.domainName, zoneId: distribution.hostedZoneId, evaluateTargetHealth: false }],
                        // An adopted site has its records already: the stack takes them over (UPSERT)
                        // and leaves them on destroy, so its names keep resolving.
                        allowOverwrite: adopt !== undefined ? true : undefined,
                    },
                    { ...parent, retainOnDelete: adopt !== undefined },
                );
            }
        }

        let content: SiteContent | undefined;
        if (args.contentDir !== undefined) {
            // One resource for the whole folder (providers/siteContent.ts): uploads what changed,
            // deletes what was removed, invalidates exactly those paths. Kept with the bucket on destroy.
            content = new SiteContent(
                `${name}-content`,
                {
                    dir: args.contentDir,
                    bucket: bucket.bucket,
                    region: args.region,
                    distributionId: distribution.id,
                    waitForInvalidation: args.waitForInvalidation,
                    awsIdentity: args.awsIdentity,
                    hashedNamePattern: args.hashedNamePattern,
                },
                // The first object goes into a bucket already private, owner-enforced and encrypted.
                { parent: this, retainOnDelete: keep, dependsOn: bucketSettings },
            );
        }

        this.bucketName = bucket.bucket;
        this.bucketArn = bucket.arn;
        this.distributionId = distribution.id;
        this.distributionArn = distribution.arn;
        this.distributionDomainName = distribution.domainName;
        this.distributionHostedZoneId = distribution.hostedZoneId;
        this.originAccessIdentityId = oai.id;
        this.aliases = pulumi.output([...args.domains]);
        this.urls = pulumi.output(args.domains.filter((d) => !d.startsWith("*.")).map((d) => `https://${d}/`));
        this.logBucketName = logBucket ? logBucket.bucket : pulumi.output(undefined);
        this.contentObjects = content ? content.fileCount : pulumi.output(undefined);
        this.contentInvalidationId = content ? content.lastInvalidationId : pulumi.output(undefined);
        this.registerOutputs({
            bucketName: this.bucketName,
            bucketArn: this.bucketArn,
            distributionId: this.distributionId,
            distributionArn: this.distributionArn,
            distributionDomainName: this.distributionDomainName,
            distributionHostedZoneId: this.distributionHostedZoneId,
            originAccessIdentityId: this.originAccessIdentityId,
            aliases: this.aliases,
            urls: this.urls,
            logBucketName: this.logBucketName,
            contentObjects: this.contentObjects,
            contentInvalidationId: this.contentInvalidationId,
        });
    }

    /**
     * A private log bucket. CloudFront standard logs are written with ACLs, so ownership is
     * BucketOwnerPreferred; logs expire after `retentionDays` (they would grow forever otherwise).
     * It is versioned so that deleting a log only hides it (the deploy policy denies erasing a version,
     * docs/iam-policy.md), old versions expire on the same schedule, and it refuses requests without TLS.
     */
    private logBucket(
        name: string,
        partition: pulumi.Output<string>,
        tags: Readonly<Record<string, string>>,
        keep: boolean,
        retentionDays: number,
    ) {
        const logs = this.privateBucket(
            `${name}-logs`,
            `${stackBucketBase(pulumi.getProject(), pulumi.getStack(), name)}-logs-`,
            `${name}-logs`,
            "BucketOwnerPreferred",
            tags,
            keep,
        );
        const versioning = new aws.s3.BucketVersioning(
            `${name}-logs-versioning`,
            { bucket: logs.bucket.id, versioningConfiguration: { status: "Enabled" } },
            { parent: this },
        );
        new aws.s3.BucketLifecycleConfiguration(
            `${name}-logs-lifecycle`,
            {
                bucket: logs.bucket.id,
                rules: [
                    {
                        id: "expire-access-logs",
                        status: "Enabled",
                        filter: { prefix: "cloudfront/" },
                        expiration: { days: retentionDays },
                        noncurrentVersionExpiration: { noncurrentDays: retentionDays },
                        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
                    },
                ],
            },
            { parent: this, dependsOn: [versioning] },
        );
        new aws.s3.BucketPolicy(
            `${name}-logs-policy`,
            { bucket: logs.bucket.id, policy: pulumi.jsonStringify(tlsOnlyBucketPolicy(partition, logs.bucket.bucket)) },
            // After the public access block, as the site bucket's policy (PutBucketPolicy races it otherwise).
            { parent: this, dependsOn: [logs.publicAccessBlock] },
        );
        return logs;
    }

    /**
     * A bucket with public access fully blocked, the given object ownership and SSE-S3 by default.
     * Its settings are named `${prefix}-public-access-block`, `${prefix}-ownership`, `${prefix}-encryption`;
     * a new bucket's name starts with `namePrefix` (stackBucketBase: it carries the stack).
     */
    private privateBucket(
        bucketName: string,
        namePrefix: string,
        prefix: string,
        objectOwnership: string,
        tags: Readonly<Record<string, string>>,
        keepOnDestroy: boolean,
        adoptedName?: string,
    ) {
        const parent = { parent: this, retainOnDelete: adoptedName !== undefined };
        // `pulumi destroy` either keeps the bucket and everything in it (default: logs, objects
        // uploaded outside Pulumi and old versions are never lost in silence), or, with
        // destroyBuckets, empties it (every object and version) and deletes it. A plain delete
        // would fail with BucketNotEmpty on the first log file or old version.
        // A new bucket's name carries the stack (stackBucketBase), so that a policy can grant it before
        // it exists without granting any other stack's. A bucket made before names did keeps its
        // name: ignoreChanges keeps the prefix it was created without, so nothing is replaced.
        const bucket = new aws.s3.Bucket(
            bucketName,
            adoptedName === undefined
                ? { bucketPrefix: namePrefix, forceDestroy: !keepOnDestroy, tags }
                : { bucket: adoptedName, forceDestroy: !keepOnDestroy, tags },
            {
                ...parent,
                retainOnDelete: keepOnDestroy,
                ignoreChanges: ["bucketPrefix"],
                ...(adoptedName === undefined ? {} : { import: adoptedName }),
            },
        );
        const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
            `${prefix}-public-access-block`,
            { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
            parent,
        );
        const ownership = new aws.s3.BucketOwnershipControls(
            `${prefix}-ownership`,
            { bucket: bucket.id, rule: { objectOwnership } },
            parent,
        );
        const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
            `${prefix}-encryption`,
            { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }] },
            parent,
        );
        return { bucket, publicAccessBlock, ownership, settings: [publicAccessBlock, ownership, encryption] };
    }
}

/** Any request without TLS is denied (the log bucket's whole policy; the site bucket's second statement). */
function denyInsecureTransport(partition: pulumi.Input<string>, bucketName: pulumi.Input<string>) {
    const bucketArn = pulumi.interpolate`arn:${partition}:s3:::${bucketName}`;
    return {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, pulumi.interpolate`${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
    };
}

/** The log bucket's policy: TLS only. CloudFront delivers logs through the bucket ACL, not this policy. */
export function tlsOnlyBucketPolicy(partition: pulumi.Input<string>, bucketName: pulumi.Input<string>) {
    return { Version: "2012-10-17", Statement: [denyInsecureTransport(partition, bucketName)] };
}

/**
 * The site bucket's policy: only the OAI may read objects, and any request without TLS is denied.
 * ARNs are built from the partition (aws-cn), never "arn:aws:" (MalformedPolicy in China).
 */
export function siteBucketPolicy(partition: pulumi.Input<string>, bucketName: pulumi.Input<string>, oaiIamArn: pulumi.Input<string>) {
    const bucketArn = pulumi.interpolate`arn:${partition}:s3:::${bucketName}`;
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "AllowCloudFrontOriginAccessIdentityRead",
                Effect: "Allow",
                Principal: { AWS: oaiIamArn },
                Action: "s3:GetObject",
                Resource: pulumi.interpolate`${bucketArn}/*`,
            },
            denyInsecureTransport(partition, bucketName),
        ],
    };
}
