/**
 * S3 for the site content: objects put (Content-MD5 checked), deleted in batches, listed (versions too).
 * Serialized with the dynamic providers (closure serialization stores the code in the state): npm
 * and node modules are `require`d inside functions, clients are built per call.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside functions on purpose (serialization) */
import type * as S3 from "@aws-sdk/client-s3";
import { clientConfig } from "./identity";
import { SDK_MAX_ATTEMPTS } from "./errors";
import { AwsTarget } from "../core/awsIdentity";

/** The object as S3 should store it. */
export interface ObjectUpload {
    key: string;
    source: string;
    contentType: string;
    cacheControl: string;
    md5: string;
}

/** Per object list entry: what a refresh compares with the manifest. */
export interface ListedObject {
    key: string;
    etag: string;
}

function s3(aws: AwsTarget): S3.S3Client {
    const { S3Client } = require("@aws-sdk/client-s3") as typeof S3;
    // A custom endpoint (AWS_ENDPOINT_URL[_S3]: moto, MinIO, LocalStack) is one host: path-style
    // addressing. Real S3 in China takes the default virtual-hosted style.
    const custom = Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL);
    return new S3Client({ ...clientConfig(aws), maxAttempts: SDK_MAX_ATTEMPTS, forcePathStyle: custom });
}

/**
 * Uploads `objects` with at most `concurrency` requests in flight, calling `uploaded(key)` after each
 * success so the caller's record stays exact when one fails. Stops starting new uploads after the
 * first failure, waits for those in flight, then throws that failure.
 */
export async function putObjects(
    aws: AwsTarget,
    bucket: string,
    objects: readonly ObjectUpload[],
    concurrency: number,
    uploaded: (key: string) => void,
): Promise<void> {
    if (objects.length === 0) {
        return;
    }
    const fs = require("node:fs") as typeof import("node:fs");
    const { PutObjectCommand } = require("@aws-sdk/client-s3") as typeof S3;
    const client = s3(aws);
    let next = 0;
    let failure: unknown;
    const worker = async () => {
        while (failure === undefined && next < objects.length) {
            const o = objects[next++];
            try {
                await client.send(
                    new PutObjectCommand({
                        Bucket: bucket,
                        Key: o.key,
                        Body: fs.readFileSync(o.source),
                        ContentType: o.contentType,
                        CacheControl: o.cacheControl,
                        // S3 checks the body against it: a corrupted upload fails instead of being served.
                        ContentMD5: Buffer.from(o.md5, "hex").toString("base64"),
                    }),
                );
                uploaded(o.key);
            } catch (e) {
                failure ??= Object.assign(e as Error, { message: `uploading "${o.key}" to s3://${bucket}: ${(e as Error).message}` });
            }
        }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, objects.length) }, worker));
    client.destroy();
    if (failure !== undefined) {
        throw failure;
    }
}

/** DeleteObjects in batches of 1,000 (the API's maximum), with `versionId` when given. Throws on any per-key error. */
export async function deleteObjects(
    aws: AwsTarget,
    bucket: string,
    objects: ReadonlyArray<{ key: string; versionId?: string }>,
): Promise<void> {
    const { DeleteObjectsCommand } = require("@aws-sdk/client-s3") as typeof S3;
    const client = s3(aws);
    try {
        for (let i = 0; i < objects.length; i += 1000) {
            const batch = objects.slice(i, i + 1000);
            const out = await client.send(
                new DeleteObjectsCommand({
                    Bucket: bucket,
                    Delete: { Objects: batch.map((o) => ({ Key: o.key, VersionId: o.versionId })), Quiet: true },
                }),
            );
            const errors = (out.Errors ?? []).filter((e) => e.Code !== "NoSuchKey" && e.Code !== "NoSuchVersion");
            if (errors.length > 0) {
                throw new Error(
                    `deleting from s3://${bucket}: ${errors
                        .slice(0, 5)
                        .map((e) => `"${e.Key}" ${e.Code}: ${e.Message}`)
                        .join("; ")}${errors.length > 5 ? ` (and ${errors.length - 5} more)` : ""}`,
                );
            }
        }
    } finally {
        client.destroy();
    }
}

/** Every current object of the bucket with its ETag (unquoted): one ListObjectsV2 per 1,000 keys. */
export async function listObjects(aws: AwsTarget, bucket: string): Promise<ListedObject[]> {
    const { ListObjectsV2Command } = require("@aws-sdk/client-s3") as typeof S3;
    const client = s3(aws);
    const listed: ListedObject[] = [];
    try {
        let token: string | undefined;
        do {
            const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
            for (const o of page.Contents ?? []) {
                listed.push({ key: o.Key ?? "", etag: (o.ETag ?? "").replace(/"/g, "") });
            }
            token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
    } finally {
        client.destroy();
    }
    return listed;
}

/**
 * Every version and delete marker of `keys` (a versioned bucket keeps them after a delete; an
 * unversioned one answers each current object once, with version "null").
 */
export async function listVersions(
    aws: AwsTarget,
    bucket: string,
    keys: ReadonlySet<string>,
): Promise<Array<{ key: string; versionId?: string }>> {
    const { ListObjectVersionsCommand } = require("@aws-sdk/client-s3") as typeof S3;
    const client = s3(aws);
    const found: Array<{ key: string; versionId?: string }> = [];
    try {
        let keyMarker: string | undefined;
        let versionIdMarker: string | undefined;
        do {
            const page = await client.send(
                new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker: keyMarker, VersionIdMarker: versionIdMarker }),
            );
            for (const v of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) {
                if (v.Key !== undefined && keys.has(v.Key)) {
                    found.push({ key: v.Key, versionId: v.VersionId });
                }
            }
            keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
            versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
        } while (keyMarker !== undefined);
    } finally {
        client.destroy();
    }
    return found;
}
