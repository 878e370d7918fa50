/**
 * Helpers for the site-content provider's tests and bench: a bucket and a distribution in moto, the
 * provider's inputs for a folder, and the content calls among the fault proxy's requests. No mocha
 * hooks here, so the bench can load it too.
 */
import { CloudFrontClient, CreateDistributionCommand } from "@aws-sdk/client-cloudfront";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { manifestDigest, siteManifest } from "../../core/content";
import type { SiteContentInputs } from "../../providers/siteContent";
import { testDistributionConfig } from "../engine/program/testDistribution";

/** A bucket and a distribution, straight in moto at `motoUrl`, for the content provider to sync and invalidate. */
export async function createContentTarget(motoUrl: string, name: string): Promise<{ bucket: string; distributionId: string }> {
    // Named like the program's site bucket (`site-bucket-<hex>`), which the deploy policy's object grants name.
    const bucket = `site-bucket-${name}-${Date.now().toString(36)}`;
    await new S3Client({ region: "cn-north-1", endpoint: motoUrl, forcePathStyle: true }).send(
        new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: "cn-north-1" } }),
    );
    const dist = await new CloudFrontClient({ region: "cn-north-1", endpoint: motoUrl }).send(
        new CreateDistributionCommand({ DistributionConfig: testDistributionConfig([`${name}.example.cn`], "ASCAEXAMPLE0123456789") }),
    );
    return { bucket, distributionId: dist.Distribution?.Id ?? "" };
}

/** Content provider inputs for `dir` as it is now (its digest), into `target`; `extra` overrides. */
export function contentInputs(
    dir: string,
    target: { bucket: string; distributionId: string },
    extra: Partial<SiteContentInputs> = {},
): SiteContentInputs {
    return {
        dir,
        digest: manifestDigest(siteManifest(dir)),
        region: "cn-north-1",
        ...target,
        waitForInvalidation: false,
        invalidationTimeoutSeconds: 60,
        concurrency: 16,
        ...extra,
    };
}

/** The content calls among proxy actions `seen` for `bucket`: the keys PUT (in order), DeleteObjects requests, invalidations created. */
export function contentCalls(seen: readonly string[], bucket: string): { puts: string[]; deletes: number; invalidations: number } {
    return {
        puts: seen
            .filter((a) => a.startsWith(`PUT /${bucket}/`))
            .map((a) => decodeURIComponent(a.slice(`PUT /${bucket}/`.length).split("?")[0])),
        deletes: seen.filter((a) => a.startsWith(`POST /${bucket}/?delete`)).length,
        invalidations: seen.filter((a) => /^POST \/2020-05-31\/distribution\/[^/]+\/invalidation$/.test(a)).length,
    };
}
