/**
 * The cloudfront-china program: one ChinaCdn site per stack, configured by Pulumi.<stack>.yaml.
 * Everything is read and validated before the first resource is registered.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ChinaCdn, validateChinaCdnArgs } from "./components/chinaCdn";
import { readSiteConfig } from "./config/siteConfig";
import { CertificateWatch } from "./components/certificateWatch";
import { siteCdnArgs, siteCertificate } from "./components/chinaSite";
import { ScheduledDeployments } from "./components/deployments";
import { InputError } from "./config/inputError";
import { zoneCoverageProblems } from "./core/validation";

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

    const siteArgs = siteCdnArgs(settings, dnsRecords);
    // The component validates itself too, but only once the certificate exists: check it first.
    validateChinaCdnArgs({ ...siteArgs, iamCertificateId: "to-be-issued" });
    const certificate = siteCertificate(settings, dnsRecords && { [dnsRecords.zoneName.replace(/\.$/, "")]: dnsRecords.hostedZoneId });
    const site = new ChinaCdn("site", { ...siteArgs, iamCertificateId: certificate.id });
    // Watches what the edge serves, independent of the certificate resource (opt-in).
    const watch =
        settings.watch &&
        new CertificateWatch("watch", {
            distributionId: site.distributionId,
            distributionArn: site.distributionArn,
            aliases: settings.domains,
            iamPathPrefix: `/cloudfront/${pulumi.getStack()}/`,
            emails: settings.watch.emails,
            schedule: settings.watch.schedule,
            warnDays: settings.watch.warnDays,
            tags: settings.tags,
        });
    // The schedule that makes renewal happen: a `pulumi up` of this stack every day (opt-in).
    const renewal =
        settings.deployments &&
        new ScheduledDeployments("renewal", {
            organization: pulumi.getOrganization(),
            project: pulumi.getProject(),
            stack: pulumi.getStack(),
            settings: settings.deployments,
        });

    // Outputs of features that are off are left out (the engine warns about every undefined one).
    const outputs: Record<string, pulumi.Input<unknown> | undefined> = {
        bucketName: site.bucketName,
        bucketArn: site.bucketArn,
        distributionId: site.distributionId,
        distributionArn: site.distributionArn,
        distributionDomainName: site.distributionDomainName,
        distributionHostedZoneId: site.distributionHostedZoneId,
        aliases: site.aliases,
        urls: site.urls,
        logBucketName: settings.logging ? site.logBucketName : undefined,
        contentObjects: settings.contentDir !== undefined ? site.contentObjects : undefined,
        // Null until a content change has created an invalidation.
        contentInvalidationId: settings.contentDir !== undefined ? site.contentInvalidationId.apply((id) => id ?? null) : undefined,
        certificateId: certificate.id,
        certificateNotAfter: certificate.notAfter,
        certificateRenewAfter: certificate.renewAfter,
        dnsChallengeRecords: certificate.dnsChallengeRecords,
        renewalSchedule: renewal ? renewal.schedule : undefined,
        watchTopicArn: watch ? watch.topicArn : undefined,
    };
    return Object.fromEntries(Object.entries(outputs).filter(([, value]) => value !== undefined));
}

// Pulumi calls an exported function, awaits it and turns its result into the stack outputs. A
// CommonJS `export =` because the Node host only calls `module.exports` itself (library users
// import ./components/* instead).
export = main;
