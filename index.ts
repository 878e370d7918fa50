/**
 * The cloudfront-china program: one ChinaCdn site per stack, configured by Pulumi.<stack>.yaml.
 * Everything is read and validated before the first resource is registered.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ChinaCdn } from "./components/chinaCdn";
import { SiteConfig, readSiteConfig } from "./components/config";
import { InputError, zoneCoverageProblems } from "./components/validation";

/** The certificate the distribution serves: an existing IAM certificate, or one issued for the domains. */
function certificateFor(settings: SiteConfig): pulumi.Input<string> {
    if (settings.iamCertificateId !== undefined) {
        return settings.iamCertificateId;
    }
    throw new InputError([
        "`cloudfront-china:iamCertificateId` is not set: upload a certificate covering every domain to IAM under /cloudfront/ " +
            "and run `pulumi config set cloudfront-china:iamCertificateId ASCA…`",
    ]);
}

async function main() {
    const settings = readSiteConfig();

    let dnsRecords: { hostedZoneId: string; zoneName: string } | undefined;
    if (settings.hostedZoneId !== undefined) {
        // A read, not a resource: the zone's name is needed to check the domains before anything is created.
        const zone = await aws.route53.getZone({ zoneId: settings.hostedZoneId });
        const problems = zoneCoverageProblems(settings.domains, zone.name, "cloudfront-china:hostedZoneId");
        if (problems.length > 0) {
            throw new InputError(problems);
        }
        dnsRecords = { hostedZoneId: settings.hostedZoneId, zoneName: zone.name };
    }

    const site = new ChinaCdn("site", {
        domains: settings.domains,
        region: settings.region,
        iamCertificateId: certificateFor(settings),
        defaultRootObject: settings.defaultRootObject,
        spa: settings.spa,
        forwardQueryString: settings.forwardQueryString,
        versioning: settings.versioning,
        logging: settings.logging,
        dnsRecords,
        contentDir: settings.contentDir,
        tags: settings.tags,
    });

    return {
        bucketName: site.bucketName,
        bucketArn: site.bucketArn,
        distributionId: site.distributionId,
        distributionArn: site.distributionArn,
        distributionDomainName: site.distributionDomainName,
        distributionHostedZoneId: site.distributionHostedZoneId,
        aliases: site.aliases,
        urls: site.urls,
        logBucketName: site.logBucketName,
    };
}

// Pulumi calls an exported function, awaits it and turns its result into the stack outputs. A
// CommonJS `export =` because the Node host only calls `module.exports` itself (library users
// import ./components/* instead).
export = main;
