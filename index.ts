/**
 * The cloudfront-china program: the sites of one stack (the same assembly as ChinaSite), configured
 * by Pulumi.<stack>.yaml. The top-level keys are the first site; `cloudfront-china:sites` adds
 * further ones sharing the stack's ACME accounts (docs/sites.md). Everything is read and validated,
 * and every site's zone and adopted distribution looked up, before the first resource is registered.
 */
import "./compileCache"; // first: the modules below load from Node's compile cache
import * as pulumi from "@pulumi/pulumi";
import { SiteSettings } from "./config/siteConfig";
import { readSiteConfig, stackSites } from "./config/stackConfig";
import { CertificateWatch, resolveWatchBoundary } from "./components/certificateWatch";
import { ScheduledDeployments } from "./components/deployments";
import {
    SiteCertificate,
    acmeAccounts,
    lookupHostedZone,
    refuseAliasesHeldElsewhere,
    resolveAdoption,
    siteResources,
} from "./components/chinaSite";
import { ChinaCdn } from "./components/chinaCdn";
import { stackCertificatePath } from "./core/certificate";

/** A site's outputs: the top-level ones for the first site, `sites.<name>` for each further one. */
function siteOutputs(
    settings: SiteSettings,
    site: ChinaCdn,
    certificate: SiteCertificate,
): Record<string, pulumi.Input<unknown> | undefined> {
    return {
        bucketName: site.bucketName,
        bucketArn: site.bucketArn,
        distributionId: site.distributionId,
        distributionArn: site.distributionArn,
        distributionDomainName: site.distributionDomainName,
        distributionHostedZoneId: site.distributionHostedZoneId,
        originAccessIdentityId: site.originAccessIdentityId,
        aliases: site.aliases,
        urls: site.urls,
        logBucketName: settings.logging ? site.logBucketName : undefined,
        contentObjects: settings.contentDir !== undefined ? site.contentObjects : undefined,
        // Null until a content change has created an invalidation.
        contentInvalidationId: settings.contentDir !== undefined ? site.contentInvalidationId.apply((id) => id ?? null) : undefined,
        certificateId: certificate.id,
        certificateNotAfter: certificate.notAfter,
        certificateRenewAfter: certificate.renewAfter,
        certificateArn: certificate.arn,
        certificateIssuer: certificate.issuer,
        dnsChallengeRecords: certificate.dnsChallengeRecords,
    };
}

/** Outputs of features that are off are left out (the engine warns about every undefined one). */
const defined = (outputs: Record<string, pulumi.Input<unknown> | undefined>) =>
    Object.fromEntries(Object.entries(outputs).filter(([, value]) => value !== undefined));

async function main() {
    const settings = readSiteConfig();
    // The first site (the top-level keys, resource names as a one-site stack has always had them),
    // then each of `sites`, named after it.
    const sites = stackSites(settings);

    // Read before anything is registered: each zone's name (to check the domains), each adopted
    // distribution (docs/migrate.md), the watch role's permissions boundary, and the aliases other
    // distributions of the account hold.
    const [hostedZones, adoptions, watchBoundary] = await Promise.all([
        Promise.all(
            sites.map((site) =>
                site.settings.hostedZoneId !== undefined
                    ? lookupHostedZone(site.settings.hostedZoneId, site.settings.domains, site.label("hostedZoneId"))
                    : undefined,
            ),
        ),
        Promise.all(
            sites.map((site) =>
                site.settings.adoptDistributionId !== undefined
                    ? resolveAdoption(site.settings, site.settings.adoptDistributionId, site.label("adoptDistributionId"))
                    : undefined,
            ),
        ),
        settings.watch ? resolveWatchBoundary(settings.watch.permissionsBoundary, "cloudfront-china:watch.permissionsBoundary") : undefined,
        // An alias another distribution holds: refused now, not after the certificate was ordered.
        refuseAliasesHeldElsewhere(sites),
    ]);

    // One ACME account per CA for the whole stack: every site's certificate is ordered with it.
    const accounts = sites.some((site) => site.settings.iamCertificateId === undefined) ? acmeAccounts(settings) : undefined;
    const built = [];
    for (const [i, site] of sites.entries()) {
        // Each site is built in its own turn of the event loop, so the registrations made so far go
        // out first: the account's makes the engine start the dynamic-provider host (0.5 s) while the
        // sites are built, instead of after all of them (docs/benchmark.md: 10 sites, 0.25-0.4 s a phase).
        await new Promise((resolve) => setImmediate(resolve));
        built.push({
            ...site,
            ...siteResources(
                site.settings,
                hostedZones[i],
                // The first site's resources keep their unprefixed names (certificate, acme-account).
                { name: site.cdnName, prefix: site.name === undefined ? undefined : site.cdnName, accounts },
                adoptions[i],
            ),
        });
    }
    const [first, ...further] = built;

    // Watches what the edges serve, independent of the certificate resources (opt-in).
    const watch =
        settings.watch &&
        new CertificateWatch("watch", {
            distributionId: first.site.distributionId,
            distributionArn: first.site.distributionArn,
            aliases: settings.domains,
            moreSites: further.map((s) => ({
                distributionId: s.site.distributionId,
                distributionArn: s.site.distributionArn,
                aliases: s.settings.domains,
            })),
            iamPathPrefix: stackCertificatePath(pulumi.getProject(), pulumi.getStack()),
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

    return defined({
        ...siteOutputs(settings, first.site, first.certificate),
        sites:
            further.length > 0
                ? Object.fromEntries(further.map((s) => [s.name, defined(siteOutputs(s.settings, s.site, s.certificate))]))
                : undefined,
        renewalSchedule: renewal ? renewal.schedule : undefined,
        watchTopicArn: watch ? watch.topicArn : undefined,
        // The console of the China regions (console.amazonaws.cn), not the global one.
        watchDashboardUrl: watch
            ? pulumi.interpolate`https://console.amazonaws.cn/cloudwatch/home?region=${settings.region}#dashboards:name=${watch.dashboardName}`
            : undefined,
    });
}

// Pulumi calls an exported function, awaits it and turns its result into the stack outputs. A
// CommonJS `export =` because the Node host only calls `module.exports` itself (library users
// import the package instead, lib.ts).
export = main;
