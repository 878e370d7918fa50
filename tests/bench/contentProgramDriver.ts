/**
 * One program evaluation for the content bench, in a fresh process: the ChinaCdn component under the
 * offline mocks with `contentDir` synced as one resource ("sync"), or the per-file resources this
 * project registered before ("per-file": one aws.s3.BucketObjectv2 per file, as the old component did).
 * Prints {seconds, peakRssMb, registrations} as JSON on its last line.
 *
 *   node -r ts-node/register/transpile-only tests/bench/contentProgramDriver.ts <sync|per-file> <dir>
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { listContent } from "../../core/content";
import { OfflineAwsChina } from "../../scripts/offlineMocks";

async function main() {
    const [mode, dir] = process.argv.slice(2);
    const mocks = new OfflineAwsChina({ region: "cn-north-1" });
    await pulumi.runtime.setMocks(mocks, "cloudfront-china", "bench", true);
    const started = process.hrtime.bigint();
    const { ChinaCdn } = await import("../../components/chinaCdn");
    const site = new ChinaCdn("site", {
        domains: ["www.example.cn"],
        region: "cn-north-1",
        iamCertificateId: "ASCAEXAMPLE0123456789",
        contentDir: mode === "sync" ? dir : undefined,
    });
    if (mode === "per-file") {
        for (const file of listContent(dir)) {
            new aws.s3.BucketObjectv2(
                `site-object-${file.key}`,
                {
                    bucket: site.bucketName,
                    key: file.key,
                    source: new pulumi.asset.FileAsset(file.source),
                    contentType: file.contentType,
                    cacheControl: file.cacheControl,
                },
                { parent: site },
            );
        }
    }
    await new Promise((resolve) => site.distributionId.apply(resolve));
    // Every registration has landed when the count stops moving.
    let count = -1;
    while (count !== mocks.registrations.length) {
        count = mocks.registrations.length;
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9 - 0.05;
    console.log(JSON.stringify({ seconds, peakRssMb: process.resourceUsage().maxRSS / 1024, registrations: mocks.registrations.length }));
}

main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
});
