/**
 * CloudFront for the site content: invalidations of the paths a change touched, and the wait for one.
 * Serialized with the dynamic providers (closure serialization stores the code in the state): npm
 * and node modules are `require`d inside functions, clients are built per call.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside functions on purpose (serialization) */
import type * as CF from "@aws-sdk/client-cloudfront";
import { clientConfig } from "./identity";
import { SDK_MAX_ATTEMPTS } from "./errors";
import { AwsTarget } from "../core/awsIdentity";
import { sleep } from "../core/runtime";

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

/**
 * The IAM server-certificate ids every distribution of the account serves (ListDistributions, all
 * pages): a certificate in this set is in use, whatever stack or tool made it.
 */
export async function certificatesServedInAccount(aws: AwsTarget): Promise<Set<string>> {
    const { ListDistributionsCommand } = require("@aws-sdk/client-cloudfront") as typeof CF;
    const client = cloudfront(aws);
    const served = new Set<string>();
    let marker: string | undefined;
    do {
        const list = (await client.send(new ListDistributionsCommand({ Marker: marker }))).DistributionList;
        for (const d of list?.Items ?? []) {
            if (d.ViewerCertificate?.IAMCertificateId) {
                served.add(d.ViewerCertificate.IAMCertificateId);
            }
        }
        marker = list?.IsTruncated ? list.NextMarker : undefined;
    } while (marker);
    return served;
}
