/**
 * The cloudfront-china program: one ChinaCdn site per stack, configured by Pulumi.<stack>.yaml.
 * Everything is read and validated before the first resource is registered.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ChinaCdn, ChinaCdnArgs, validateChinaCdnArgs } from "./components/chinaCdn";
import { SiteConfig, readSiteConfig } from "./components/config";
import { CertificateWatch } from "./components/certificateWatch";
import { ScheduledDeployments } from "./components/deployments";
import { InputError, zoneCoverageProblems } from "./components/validation";
import { AcmeAccount } from "./providers/acmeAccount";
import { IamAcmeCertificate } from "./providers/iamAcmeCertificate";
import { ChallengeRecord, acmeChallengeName, baseName, persistRecords } from "./providers/dnsChallenge";
import { zoneFor } from "./providers/certificateLogic";

interface CertificateChoice {
    id: pulumi.Input<string>;
    notAfter?: pulumi.Output<string>;
    renewAfter?: pulumi.Output<string>;
    /** DNS records the user adds once at the DNS host (dns-persist-01 records, delegation CNAMEs). */
    dnsChallengeRecords?: pulumi.Output<ChallengeRecord[]>;
}

/**
 * The records a user adds once at a DNS host we cannot write: the delegation CNAMEs of
 * `challengeDelegations`, and (modes "auto" and "dns-persist-01") the standing dns-persist-01 record
 * of every name outside the program's own zone. Known once the ACME account exists.
 */
function recordsToAdd(
    settings: SiteConfig,
    account: AcmeAccount,
    ownZone: Record<string, string> | undefined,
): pulumi.Output<ChallengeRecord[]> {
    const delegations: ChallengeRecord[] = Object.entries(settings.acme.challengeDelegations ?? {}).map(([domain, target]) => ({
        domain,
        name: acmeChallengeName(domain),
        type: "CNAME",
        value: target,
    }));
    if (settings.acme.challenge === "dns-01") {
        return pulumi.output(delegations);
    }
    const elsewhere = settings.domains.filter((d) => zoneFor(d, ownZone ?? {}) === undefined);
    return pulumi
        .all([account.accountUrl, account.issuerDomainNames])
        .apply(([accountUrl, issuers]) => [
            ...((issuers ?? []).length > 0 ? persistRecords(elsewhere, (issuers ?? [])[0], accountUrl) : []),
            ...delegations,
        ]);
}

/**
 * The certificate the distribution serves: an existing IAM certificate (`iamCertificateId`), or one
 * issued for every domain by the ACME CA and renewed by replacement on the `pulumi up` that falls in
 * its window (create new, re-point the distribution, delete old).
 */
function certificateFor(settings: SiteConfig, hostedZones: Record<string, string> | undefined): CertificateChoice {
    if (settings.iamCertificateId !== undefined) {
        return { id: settings.iamCertificateId };
    }
    const account = new AcmeAccount("acme-account", {
        directoryUrl: settings.acme.directoryUrl,
        email: settings.acme.email,
        eabKeyId: settings.acme.eab?.keyId,
        eabHmacKey: settings.acme.eab && pulumi.secret(settings.acme.eab.hmacKey),
    });
    // dns-persist-01 in the program's own zone: the standing records are ordinary Route 53 records,
    // durable (not per order); the certificate waits for them.
    const standing =
        settings.acme.challenge === "dns-persist-01" && hostedZones
            ? pulumi.all([account.accountUrl, account.issuerDomainNames]).apply(([accountUrl, issuers]) =>
                  persistRecords(
                      settings.domains.filter((d) => zoneFor(d, hostedZones) !== undefined),
                      (issuers ?? [])[0] ?? "",
                      accountUrl,
                  ),
              )
            : undefined;
    const persistRecordsInZone = standing
        ? [...new Set(settings.domains.filter((d) => zoneFor(d, hostedZones ?? {}) !== undefined).map(baseName))].map(
              (base, i) =>
                  new aws.route53.Record(`dns-persist-${i}`, {
                      zoneId: zoneFor(base, hostedZones ?? {}) as string,
                      name: `_validation-persist.${base}`,
                      type: "TXT",
                      ttl: 300,
                      records: standing.apply((records) => [records.find((r) => baseName(r.domain) === base)?.value ?? ""]),
                  }),
          )
        : [];
    const certificate = new IamAcmeCertificate(
        "certificate",
        {
            domains: settings.domains,
            account,
            region: settings.region,
            awsIdentity: settings.awsIdentity,
            keyType: settings.acme.keyType,
            profile: settings.acme.profile,
            renewBeforeDays: settings.acme.renewBeforeDays,
            dnsResolvers: settings.acme.dnsResolvers,
            challenge: settings.acme.challenge,
            challengeDelegations: settings.acme.challengeDelegations,
            hostedZones,
            tags: settings.tags,
        },
        { dependsOn: persistRecordsInZone },
    );
    return {
        id: certificate.serverCertificateId,
        notAfter: certificate.notAfter,
        renewAfter: certificate.renewAfter,
        dnsChallengeRecords: recordsToAdd(settings, account, hostedZones),
    };
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

    const siteArgs: Omit<ChinaCdnArgs, "iamCertificateId"> = {
        domains: settings.domains,
        region: settings.region,
        defaultRootObject: settings.defaultRootObject,
        spa: settings.spa,
        forwardQueryString: settings.forwardQueryString,
        versioning: settings.versioning,
        logging: settings.logging,
        destroyBuckets: settings.destroyBuckets,
        logRetentionDays: settings.logRetentionDays,
        dnsRecords,
        contentDir: settings.contentDir,
        waitForInvalidation: settings.waitForInvalidation,
        awsIdentity: settings.awsIdentity,
        tags: settings.tags,
    };
    // The component validates itself too, but only once the certificate exists: check it first.
    validateChinaCdnArgs({ ...siteArgs, iamCertificateId: "to-be-issued" });
    const certificate = certificateFor(settings, dnsRecords && { [dnsRecords.zoneName.replace(/\.$/, "")]: dnsRecords.hostedZoneId });
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
        contentObjects: site.contentObjects,
        contentInvalidationId: site.contentInvalidationId,
        certificateId: certificate.id,
        certificateNotAfter: certificate.notAfter,
        certificateRenewAfter: certificate.renewAfter,
        dnsChallengeRecords: certificate.dnsChallengeRecords,
        renewalSchedule: renewal?.schedule,
        watchTopicArn: watch?.topicArn,
    };
}

// Pulumi calls an exported function, awaits it and turns its result into the stack outputs. A
// CommonJS `export =` because the Node host only calls `module.exports` itself (library users
// import ./components/* instead).
export = main;
