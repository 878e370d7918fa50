/**
 * The cloudfront-china program: one site per stack (the same assembly as ChinaSite), configured by Pulumi.<stack>.yaml.
 * Everything is read and validated before the first resource is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { readSiteConfig } from "./config/siteConfig";
import { CertificateWatch, resolveWatchBoundary } from "./components/certificateWatch";
import { ScheduledDeployments } from "./components/deployments";
import { lookupHostedZone, resolveAdoption, siteResources } from "./components/chinaSite";

async function main() {
    const settings = readSiteConfig();

    // The zone's name is needed to check the domains before anything is created.
    const hostedZone =
        settings.hostedZoneId !== undefined
            ? await lookupHostedZone(settings.hostedZoneId, settings.domains, "cloudfront-china:hostedZoneId")
            : undefined;
    // The watch role's permissions boundary must exist before the first resource is created.
    const watchBoundary = settings.watch
        ? await resolveWatchBoundary(settings.watch.permissionsBoundary, "cloudfront-china:watch.permissionsBoundary")
        : undefined;
    // A site made outside the stack is read before anything is registered (docs/migrate.md).
    const adoption =
        settings.adoptDistributionId !== undefined
            ? await resolveAdoption(settings, settings.adoptDistributionId, "cloudfront-china:adoptDistributionId")
            : undefined;
    const { certificate, site } = siteResources(settings, hostedZone, { name: "site" }, adoption);
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
            permissionsBoundary: watchBoundary,
            persistUntil: settings.acme.challenge !== "dns-01" ? settings.acme.persistUntil : undefined,
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
        certificateIssuer: certificate.issuer,
        dnsChallengeRecords: certificate.dnsChallengeRecords,
        renewalSchedule: renewal ? renewal.schedule : undefined,
        watchTopicArn: watch ? watch.topicArn : undefined,
        // The console of the China regions (console.amazonaws.cn), not the global one.
        watchDashboardUrl: watch
            ? pulumi.interpolate`https://console.amazonaws.cn/cloudwatch/home?region=${settings.region}#dashboards:name=${watch.dashboardName}`
            : undefined,
    };
    return Object.fromEntries(Object.entries(outputs).filter(([, value]) => value !== undefined));
}

// Pulumi calls an exported function, awaits it and turns its result into the stack outputs. A
// CommonJS `export =` because the Node host only calls `module.exports` itself (library users
// import the package instead, lib.ts).
export = main;
