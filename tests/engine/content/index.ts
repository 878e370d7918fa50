/**
 * Engine test program for site content: the project's SiteContent syncing a folder into a bucket in
 * moto and invalidating a stand-in distribution there. Configured by tests/engine.test.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { SiteContent } from "../../../providers/siteContent";
import { TestDistribution } from "../program/testDistribution";

const config = new pulumi.Config();
const distribution = new TestDistribution("distribution", {
    aliases: [config.require("alias")],
    iamCertificateId: "ASCAEXAMPLE0123456789",
    region: "cn-north-1",
});
const content = new SiteContent("content", {
    dir: config.require("contentDir"),
    bucket: config.require("bucket"),
    region: "cn-north-1",
    distributionId: distribution.id,
});

export const distributionId = distribution.id;
export const fileCount = content.fileCount;
export const lastInvalidationId = content.lastInvalidationId;
