/**
 * SiteContent: a site folder synced to the private bucket as **one** resource, and the CloudFront
 * paths it changed invalidated.
 *
 *   program: hashes the folder (../core/content.ts: keys, content types, Cache-Control, MD5) and
 *            passes one `digest`; bad files (empty folder, over 5 GiB, a key CloudFront cannot
 *            serve) fail there, before anything is registered.
 *   diff:    compares that digest with the one in the state: no AWS call, no re-read of the folder.
 *   create/update: re-reads the folder, uploads what is new or changed (pages after assets, so a new
 *            page never links an asset not yet there), deletes what was removed, then creates one
 *            invalidation for exactly those paths (hashed assets left out; "/*" past 3,000 paths),
 *            optionally waiting for it. The manifest (key → MD5, content type, Cache-Control) lives
 *            in the state. A failure part-way records what did go up (partial state), so the next
 *            `up` uploads only the rest, and an invalidation not yet made is made then.
 *   read:    lists the bucket (one call per 1,000 keys) and forgets objects that are gone or differ,
 *            so `pulumi up --refresh` repairs objects deleted or changed out of band.
 *   delete:  deletes every object it wrote, every version included (versioned buckets empty too).
 *
 * Every call uses the stack's AWS identity (`awsIdentity`, as the certificate provider). Objects are
 * private like the bucket: CloudFront reads them through the Origin Access Identity only.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside functions on purpose (serialization) */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
    CACHE_REVALIDATE,
    ContentOptions,
    ManifestEntry,
    invalidationPaths,
    manifestDigest,
    manifestProblems,
    siteManifest,
} from "../core/content";
import { createInvalidation, waitForInvalidation } from "../aws/cloudfront";
import { deleteObjects, listObjects, listVersions, putObjects } from "../aws/s3";
import { regionProblems } from "../core/validation";
import { AwsIdentity, awsTargetOf } from "../core/awsIdentity";
import { holdsUnknown, withoutUndefined } from "../core/runtime";
import { CachedDynamicResource } from "./dynamicResource";
import { localIdentityProblems } from "../aws/identity";
import { stackAwsIdentity } from "../config/stackAws";
import { siteFolder, siteFolderProblems } from "../config/siteFolder";

export interface SiteContentInputs {
    /** Absolute path of the folder (resolved by the program). Not compared by `diff`: `digest` is. */
    dir: string;
    /** manifestDigest() of the folder when the program ran. */
    digest: string;
    bucket: string;
    region: string;
    awsIdentity?: AwsIdentity;
    /** Distribution to invalidate after a change; none: no invalidation. */
    distributionId?: string;
    waitForInvalidation: boolean;
    invalidationTimeoutSeconds: number;
    /** Uploads in flight at once. */
    concurrency: number;
    /** The build's hashed-name pattern (a regular expression over file names); the built-in rule when unset. */
    hashedNamePattern?: string;
}

/** Per key: [MD5 hex, content type, Cache-Control], as uploaded. */
export type StoredFiles = Record<string, [string, string, string]>;

export interface SiteContentOutputs extends SiteContentInputs {
    files: StoredFiles;
    fileCount: number;
    /** Keys changed in S3 whose invalidation has not been created yet (a failure between the two). */
    pendingInvalidation: string[];
    lastInvalidationId?: string;
    /** What the last create or update did. */
    uploaded: number;
    deleted: number;
    invalidatedPaths: number;
}

const log = (line: string) => console.log(line);

/** Same key, content and headers: nothing to upload. */
const unchanged = (stored: [string, string, string] | undefined, e: ManifestEntry) =>
    stored !== undefined && stored[0] === e.md5 && stored[1] === e.contentType && stored[2] === e.cacheControl;

/**
 * Brings the bucket from `before` to the folder and invalidates what changed. Throws a partial
 * resource (the engine records it and calls `update` next time) when anything fails after the first
 * write, carrying exactly what is in S3 now.
 */
async function sync(
    inputs: SiteContentInputs & { __provider?: string },
    before: StoredFiles,
    pending: readonly string[],
    invalidate: boolean,
): Promise<SiteContentOutputs> {
    const started = Date.now();
    // A folder that changed into one that cannot be deployed fails here, before any upload.
    const manifest = checkedManifest(inputs.dir, "contentDir", { hashedNamePattern: inputs.hashedNamePattern });
    const digest = manifestDigest(manifest);
    const files: StoredFiles = { ...before };
    const changedKeys = new Set(pending);
    const wanted = new Set(manifest.map((e) => e.key));
    const toUpload = manifest.filter((e) => !unchanged(before[e.key], e));
    const toDelete = Object.keys(before).filter((k) => !wanted.has(k));
    // The engine's wire format (protobuf Struct) takes no undefined values.
    const outputs = (extra: Partial<SiteContentOutputs>): SiteContentOutputs =>
        withoutUndefined({
            ...inputs,
            __provider: undefined,
            files,
            fileCount: Object.keys(files).length,
            pendingInvalidation: [...changedKeys].sort(),
            uploaded: toUpload.length,
            deleted: toDelete.length,
            invalidatedPaths: 0,
            ...extra,
        });
    const partial = (e: unknown, what: string): never => {
        const message = `${what}: ${(e as Error).message}. What went up is recorded; the next \`pulumi up\` finishes the rest without uploading it again.`;
        // The engine records a resource with init errors from {id, properties, reasons} and updates
        // it on the next run (@pulumi/pulumi cmd/dynamic-provider: an error carrying id, properties and reasons becomes ErrorResourceInitFailed). An empty
        // digest keeps the next diff from taking it for done.
        throw Object.assign(new Error(message), {
            id: inputs.bucket,
            properties: { ...outputs({ digest: "" }), __provider: inputs.__provider },
            reasons: [message],
        });
    };
    const byKey = new Map(toUpload.map((e) => [e.key, e]));
    let uploadedCount = 0;
    const recordUpload = (key: string) => {
        const e = byKey.get(key)!;
        files[key] = [e.md5, e.contentType, e.cacheControl];
        changedKeys.add(key);
        uploadedCount++;
    };
    try {
        // Pages last: a new page must not reach a viewer before the assets it links.
        for (const group of [
            toUpload.filter((e) => e.cacheControl !== CACHE_REVALIDATE),
            toUpload.filter((e) => e.cacheControl === CACHE_REVALIDATE),
        ]) {
            await putObjects(awsTargetOf(inputs), inputs.bucket, group, inputs.concurrency, recordUpload);
        }
    } catch (e) {
        partial(e, `uploaded ${uploadedCount} of ${toUpload.length} file(s)`);
    }
    if (toDelete.length > 0) {
        try {
            await deleteObjects(
                awsTargetOf(inputs),
                inputs.bucket,
                toDelete.map((key) => ({ key })),
            );
        } catch (e) {
            partial(e, `uploaded ${toUpload.length} file(s), then deleting ${toDelete.length} removed file(s) failed`);
        }
        for (const key of toDelete) {
            delete files[key];
            changedKeys.add(key);
        }
    }
    const paths =
        invalidate && inputs.distributionId ? invalidationPaths([...changedKeys], { hashedNamePattern: inputs.hashedNamePattern }) : [];
    let invalidationId: string | undefined;
    if (paths.length > 0 && inputs.distributionId) {
        try {
            const crypto = require("node:crypto") as typeof import("node:crypto");
            const reference = crypto
                .createHash("sha256")
                .update(`${inputs.bucket}\n${paths.join("\n")}\n${digest}`)
                .digest("hex");
            invalidationId = await createInvalidation(awsTargetOf(inputs), inputs.distributionId, paths, reference);
        } catch (e) {
            partial(e, `uploaded ${toUpload.length} and deleted ${toDelete.length} file(s), then the invalidation failed`);
        }
        log(
            `[content] invalidation ${invalidationId} for ${paths.length === 1 && paths[0] === "/*" ? "every path (/*)" : `${paths.length} path(s)`}`,
        );
        if (inputs.waitForInvalidation) {
            await waitForInvalidation(
                awsTargetOf(inputs),
                inputs.distributionId,
                invalidationId!,
                inputs.invalidationTimeoutSeconds * 1000,
                5000,
            );
        }
    }
    changedKeys.clear();
    log(
        `[content] s3://${inputs.bucket}: ${toUpload.length} uploaded, ${toDelete.length} deleted, ${manifest.length - toUpload.length} unchanged (${((Date.now() - started) / 1000).toFixed(2)} s)`,
    );
    return outputs({ digest, invalidatedPaths: paths.length, lastInvalidationId: invalidationId });
}

export const siteContentProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
        const failures: Array<{ property: string; reason: string }> = [];
        if (typeof news.dir !== "string" || !news.dir.startsWith("/")) {
            failures.push({ property: "dir", reason: "`dir` must be the folder's absolute path" });
        }
        if (typeof news.bucket !== "string" || (!holdsUnknown(news.bucket) && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(news.bucket))) {
            failures.push({ property: "bucket", reason: `\`bucket\` must be an S3 bucket name (got ${JSON.stringify(news.bucket)})` });
        }
        failures.push(...regionProblems(news.region, "region").map((reason) => ({ property: "region", reason })));
        const concurrency = news.concurrency;
        if (typeof concurrency !== "number" || !Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
            failures.push({
                property: "concurrency",
                reason: `\`concurrency\` must be a whole number from 1 to 64 (got ${JSON.stringify(concurrency)})`,
            });
        }
        if (failures.length === 0) {
            failures.push(...localIdentityProblems(news.awsIdentity as AwsIdentity | undefined));
        }
        return { inputs: news, failures };
    },

    async diff(_id: string, olds: SiteContentOutputs, news: SiteContentInputs) {
        // Another bucket holds none of these objects: a new resource fills it, the old one empties the old bucket.
        if (olds.bucket !== news.bucket) {
            return { changes: true, replaces: ["bucket"], deleteBeforeReplace: false };
        }
        const compared: Array<keyof SiteContentInputs> = [
            "digest",
            "region",
            "awsIdentity",
            "distributionId",
            "waitForInvalidation",
            "invalidationTimeoutSeconds",
            "concurrency",
        ];
        const changed = compared.some((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null));
        return { changes: changed || (olds.pendingInvalidation ?? []).length > 0 };
    },

    async create(inputs: SiteContentInputs & { __provider?: string }) {
        // A new distribution has nothing cached: no invalidation on the first sync.
        const outs = await sync(inputs, {}, [], false);
        return { id: inputs.bucket, outs };
    },

    async update(_id: string, olds: SiteContentOutputs, news: SiteContentInputs & { __provider?: string }) {
        return { outs: await sync(news, olds.files ?? {}, olds.pendingInvalidation ?? [], true) };
    },

    async read(id: string, props: SiteContentOutputs) {
        const listed = new Map((await listObjects(awsTargetOf(props), props.bucket)).map((o) => [o.key, o.etag]));
        const files: StoredFiles = {};
        const drifted: string[] = [];
        for (const [key, stored] of Object.entries(props.files ?? {})) {
            if (listed.get(key) === stored[0]) {
                files[key] = stored;
            } else {
                drifted.push(key);
            }
        }
        if (drifted.length > 0) {
            log(
                `[content] ${drifted.length} object(s) missing or changed in s3://${props.bucket} (e.g. "${drifted[0]}"): the next \`pulumi up\` uploads them again`,
            );
        }
        // A new digest makes the next diff see the drift.
        return { id, props: { ...props, files, fileCount: Object.keys(files).length, digest: drifted.length > 0 ? "" : props.digest } };
    },

    async delete(_id: string, props: SiteContentOutputs) {
        const keys = new Set(Object.keys(props.files ?? {}));
        if (keys.size === 0) {
            return;
        }
        // Every version and delete marker of our keys: a versioned bucket is then as empty of them as an unversioned one.
        const versions = await listVersions(awsTargetOf(props), props.bucket, keys);
        await deleteObjects(awsTargetOf(props), props.bucket, versions);
        log(`[content] s3://${props.bucket}: deleted ${keys.size} object(s) (${versions.length} version(s))`);
    },
};

export interface SiteContentArgs {
    /** The site folder; relative paths start at the program's folder. */
    readonly dir: string;
    readonly bucket: pulumi.Input<string>;
    readonly region: pulumi.Input<string>;
    /** Invalidated after each change. */
    readonly distributionId?: pulumi.Input<string>;
    /** Wait for the invalidation to complete (default false: it completes within minutes on its own). */
    readonly waitForInvalidation?: pulumi.Input<boolean>;
    readonly invalidationTimeoutSeconds?: pulumi.Input<number>;
    /** Uploads in flight at once (default 16). */
    readonly concurrency?: pulumi.Input<number>;
    /** The AWS identity for S3 and CloudFront; defaults to the stack's (aws:profile, files, assumeRoles). */
    readonly awsIdentity?: pulumi.Input<AwsIdentity>;
    /** A regular expression matching the file names that carry a content hash (cached a year, never invalidated). Defaults to hex hashes of 8 or more characters. */
    readonly hashedNamePattern?: string;
}

/** The manifest of `dir`, refusing a folder that cannot be deployed (named setting, file and fix). */
export function checkedManifest(dir: string, setting: string, options: ContentOptions = {}): ManifestEntry[] {
    const manifest = siteManifest(dir, options);
    const problems = manifestProblems(manifest, dir, setting);
    if (problems.length > 0) {
        throw new Error(`cannot deploy \`${setting}\`:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    }
    return manifest;
}

/** A site folder in a bucket as one resource: uploads what changed, deletes what was removed, invalidates those paths. */
export class SiteContent extends CachedDynamicResource {
    declare public readonly fileCount: pulumi.Output<number>;
    declare public readonly digest: pulumi.Output<string>;
    declare public readonly lastInvalidationId: pulumi.Output<string | undefined>;

    constructor(name: string, args: SiteContentArgs, opts?: pulumi.CustomResourceOptions) {
        const dir = path.resolve(args.dir);
        const options = { hashedNamePattern: args.hashedNamePattern };
        const problems = siteFolderProblems(dir, "contentDir", options);
        if (problems.length > 0) {
            throw new Error(`cannot deploy \`contentDir\`:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        }
        const manifest = siteFolder(dir, options);
        super(
            siteContentProvider,
            name,
            {
                dir,
                digest: manifestDigest(manifest),
                bucket: args.bucket,
                region: args.region,
                awsIdentity: args.awsIdentity ?? stackAwsIdentity(),
                distributionId: args.distributionId,
                waitForInvalidation: args.waitForInvalidation ?? false,
                invalidationTimeoutSeconds: args.invalidationTimeoutSeconds ?? 900,
                concurrency: args.concurrency ?? 16,
                hashedNamePattern: args.hashedNamePattern,
                files: undefined,
                fileCount: undefined,
                pendingInvalidation: undefined,
                lastInvalidationId: undefined,
                uploaded: undefined,
                deleted: undefined,
                invalidatedPaths: undefined,
            },
            opts,
            "cloudfront-china",
            "SiteContent",
        );
    }
}
