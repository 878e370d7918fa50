/**
 * The S3 resource types the program registers, with the calls terraform-provider-aws makes for them
 * (internal/service/s3/bucket*.go): a bucket and its per-setting resources, each keyed by the bucket
 * name (their pulumi-aws `id`).
 */
/* eslint-disable @typescript-eslint/no-require-imports -- SDK loaded on first use */
import type * as S3 from "@aws-sdk/client-s3";
import { Context, Props, ResourceHandler, errorCode } from "./context";

const sdk = () => require("@aws-sdk/client-s3") as typeof S3;
const s3 = (ctx: Context) => ctx.client(sdk().S3Client);

/** Route 53 zone ids of the S3 website/regional endpoints (the Bucket's `hostedZoneId` output). */
const S3_HOSTED_ZONE_IDS: Record<string, string> = { "cn-north-1": "Z5CN8UMXT92WN", "cn-northwest-1": "Z282HJ1KT0DH03" };

const tagSet = (tags: unknown) =>
    Object.entries((tags as Record<string, string> | undefined) ?? {}).map(([Key, Value]) => ({ Key, Value }));

function bucketOutputs(name: string, inputs: Props, ctx: Context): Props {
    return {
        ...inputs,
        bucket: name,
        arn: ctx.arn("s3", name),
        bucketDomainName: `${name}.s3.${ctx.dnsSuffix}`,
        bucketRegionalDomainName: `${name}.s3.${ctx.region}.${ctx.dnsSuffix}`,
        hostedZoneId: S3_HOSTED_ZONE_IDS[ctx.region] ?? "",
        region: ctx.region,
        forceDestroy: inputs.forceDestroy ?? false,
        tagsAll: inputs.tags ?? {},
    };
}

/** Deletes every object version and delete marker (forceDestroy), as the real provider does before DeleteBucket. */
async function emptyBucket(bucket: string, ctx: Context): Promise<void> {
    const { ListObjectVersionsCommand, DeleteObjectsCommand } = sdk();
    for (;;) {
        const page = await s3(ctx).send(new ListObjectVersionsCommand({ Bucket: bucket }));
        const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({ Key: v.Key, VersionId: v.VersionId }));
        if (objects.length === 0) {
            return;
        }
        await s3(ctx).send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
    }
}

export const bucket: ResourceHandler = {
    replaceOn: ["bucket", "bucketPrefix", "objectLockEnabled"],
    autoName: { property: "bucket", prefixProperty: "bucketPrefix", lowercase: true, maxLength: 63 },
    async create(inputs, ctx) {
        const name = inputs.bucket as string;
        const { CreateBucketCommand, PutBucketTaggingCommand } = sdk();
        await s3(ctx).send(
            new CreateBucketCommand({
                Bucket: name,
                // Outside us-east-1 the region must be named (IllegalLocationConstraintException otherwise).
                CreateBucketConfiguration:
                    ctx.region === "us-east-1" ? undefined : { LocationConstraint: ctx.region as S3.BucketLocationConstraint },
            }),
        );
        if (tagSet(inputs.tags).length > 0) {
            await s3(ctx).send(new PutBucketTaggingCommand({ Bucket: name, Tagging: { TagSet: tagSet(inputs.tags) } }));
        }
        return { id: name, outs: bucketOutputs(name, inputs, ctx) };
    },
    async read(id, state, ctx) {
        try {
            await s3(ctx).send(new (sdk().HeadBucketCommand)({ Bucket: id }));
        } catch (e) {
            if (["NotFound", "NoSuchBucket"].includes(errorCode(e))) {
                return undefined;
            }
            throw e;
        }
        // Every attribute, as the real provider reads it (an import starts from nothing).
        return bucketOutputs(id, state, ctx);
    },
    async update(id, _olds, news, ctx) {
        const { PutBucketTaggingCommand, DeleteBucketTaggingCommand } = sdk();
        if (tagSet(news.tags).length > 0) {
            await s3(ctx).send(new PutBucketTaggingCommand({ Bucket: id, Tagging: { TagSet: tagSet(news.tags) } }));
        } else {
            await s3(ctx).send(new DeleteBucketTaggingCommand({ Bucket: id }));
        }
        return bucketOutputs(id, news, ctx);
    },
    async delete(id, state, ctx) {
        if (state.forceDestroy) {
            await emptyBucket(id, ctx);
        }
        try {
            await s3(ctx).send(new (sdk().DeleteBucketCommand)({ Bucket: id }));
        } catch (e) {
            if (errorCode(e) === "BucketNotEmpty") {
                throw new Error(
                    `deleting S3 Bucket (${id}): BucketNotEmpty: The bucket you tried to delete is not empty (set forceDestroy to delete its objects too)`,
                );
            }
            if (errorCode(e) !== "NoSuchBucket") {
                throw e;
            }
        }
    },
};

/**
 * A per-bucket setting (`id` = the bucket name): `put` applies the inputs, `remove` undoes them on
 * delete. Changing `bucket` replaces it.
 */
function bucketSetting(
    put: (inputs: Props, ctx: Context) => Promise<unknown>,
    remove: (bucket: string, ctx: Context) => Promise<unknown>,
): ResourceHandler {
    return {
        replaceOn: ["bucket", "expectedBucketOwner"],
        async create(inputs, ctx) {
            await put(inputs, ctx);
            return { id: inputs.bucket as string, outs: { ...inputs, region: ctx.region } };
        },
        async update(_id, _olds, news, ctx) {
            await put(news, ctx);
            return { ...news, region: ctx.region };
        },
        async delete(id, _state, ctx) {
            try {
                await remove(id, ctx);
            } catch (e) {
                if (errorCode(e) !== "NoSuchBucket") {
                    throw e;
                }
            }
        },
    };
}

export const bucketPublicAccessBlock = bucketSetting(
    (i, ctx) =>
        s3(ctx).send(
            new (sdk().PutPublicAccessBlockCommand)({
                Bucket: i.bucket as string,
                PublicAccessBlockConfiguration: {
                    BlockPublicAcls: Boolean(i.blockPublicAcls),
                    BlockPublicPolicy: Boolean(i.blockPublicPolicy),
                    IgnorePublicAcls: Boolean(i.ignorePublicAcls),
                    RestrictPublicBuckets: Boolean(i.restrictPublicBuckets),
                },
            }),
        ),
    (bucket, ctx) => s3(ctx).send(new (sdk().DeletePublicAccessBlockCommand)({ Bucket: bucket })),
);

export const bucketOwnershipControls = bucketSetting(
    (i, ctx) =>
        s3(ctx).send(
            new (sdk().PutBucketOwnershipControlsCommand)({
                Bucket: i.bucket as string,
                OwnershipControls: { Rules: [{ ObjectOwnership: (i.rule as Props).objectOwnership as S3.ObjectOwnership }] },
            }),
        ),
    (bucket, ctx) => s3(ctx).send(new (sdk().DeleteBucketOwnershipControlsCommand)({ Bucket: bucket })),
);

export const bucketServerSideEncryptionConfiguration = bucketSetting(
    (i, ctx) =>
        s3(ctx).send(
            new (sdk().PutBucketEncryptionCommand)({
                Bucket: i.bucket as string,
                ServerSideEncryptionConfiguration: {
                    Rules: (i.rules as Props[]).map((r) => {
                        const byDefault = r.applyServerSideEncryptionByDefault as Props | undefined;
                        return {
                            ApplyServerSideEncryptionByDefault: byDefault && {
                                SSEAlgorithm: byDefault.sseAlgorithm as S3.ServerSideEncryption,
                                KMSMasterKeyID: byDefault.kmsMasterKeyId as string | undefined,
                            },
                            BucketKeyEnabled: r.bucketKeyEnabled as boolean | undefined,
                        };
                    }),
                },
            }),
        ),
    (bucket, ctx) => s3(ctx).send(new (sdk().DeleteBucketEncryptionCommand)({ Bucket: bucket })),
);

export const bucketVersioning = bucketSetting(
    (i, ctx) =>
        s3(ctx).send(
            new (sdk().PutBucketVersioningCommand)({
                Bucket: i.bucket as string,
                VersioningConfiguration: { Status: (i.versioningConfiguration as Props).status as S3.BucketVersioningStatus },
            }),
        ),
    // Versioning cannot be switched off once on: the real provider suspends it on delete.
    (bucket, ctx) =>
        s3(ctx).send(new (sdk().PutBucketVersioningCommand)({ Bucket: bucket, VersioningConfiguration: { Status: "Suspended" } })),
);

export const bucketLifecycleConfiguration = bucketSetting(
    (i, ctx) =>
        s3(ctx).send(
            new (sdk().PutBucketLifecycleConfigurationCommand)({
                Bucket: i.bucket as string,
                LifecycleConfiguration: {
                    Rules: (i.rules as Props[]).map((r) => {
                        const filter = r.filter as Props | undefined;
                        const expiration = r.expiration as Props | undefined;
                        const abort = r.abortIncompleteMultipartUpload as Props | undefined;
                        return {
                            ID: r.id as string,
                            Status: r.status as S3.ExpirationStatus,
                            Filter: filter ? { Prefix: filter.prefix as string | undefined } : { Prefix: "" },
                            Expiration: expiration ? { Days: expiration.days as number | undefined } : undefined,
                            AbortIncompleteMultipartUpload: abort
                                ? { DaysAfterInitiation: abort.daysAfterInitiation as number }
                                : undefined,
                        };
                    }),
                },
            }),
        ),
    (bucket, ctx) => s3(ctx).send(new (sdk().DeleteBucketLifecycleCommand)({ Bucket: bucket })),
);

export const bucketPolicy: ResourceHandler = {
    ...bucketSetting(
        (i, ctx) => s3(ctx).send(new (sdk().PutBucketPolicyCommand)({ Bucket: i.bucket as string, Policy: i.policy as string })),
        (bucket, ctx) => s3(ctx).send(new (sdk().DeleteBucketPolicyCommand)({ Bucket: bucket })),
    ),
    check(inputs, ctx) {
        const policy = inputs.policy;
        if (typeof policy !== "string") {
            return [];
        }
        try {
            JSON.parse(policy);
        } catch {
            return [{ property: "policy", reason: `"policy" contains an invalid JSON policy` }];
        }
        // S3 answers MalformedPolicy for an ARN of another partition (china-cloudfront rules: S3 origin domain).
        const wrong = ctx.partition === "aws-cn" ? /"arn:aws:/.exec(policy) : null;
        return wrong
            ? [
                  {
                      property: "policy",
                      reason: `MalformedPolicy: an "arn:aws:" ARN in ${ctx.region}: build ARNs from the partition (aws-cn)`,
                  },
              ]
            : [];
    },
};
