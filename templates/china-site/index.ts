/**
 * An HTTPS static site on CloudFront in the AWS China regions (cloudfront-china). The folder `site/`
 * is the content; `npx cloudfront-china-plan --stack <stack>` checks it offline, `pulumi up` deploys.
 */
import * as pulumi from "@pulumi/pulumi";
import { AcmeAccount, ChinaCdn, IamAcmeCertificate } from "cloudfront-china";

const config = new pulumi.Config();
const region = new pulumi.Config("aws").require("region");
const domains = config
    .require("domains")
    .split(",")
    .map((d) => d.trim())
    .filter((d) => d.length > 0);
const source = config.get("certificate") ?? "letsencrypt";
const zoneId = config.get("hostedZoneId") ?? "none";
const zone = zoneId === "none" ? undefined : zoneId;
// The zone is named after the shortest name served (example.cn for www.example.cn,example.cn).
const zoneName = domains.map((d) => d.replace(/^\*\./, "")).sort((a, b) => a.split(".").length - b.split(".").length)[0];

// Let's Encrypt by default (renewed by replacement on a `pulumi up` in the window), or your own.
const certificateId =
    source === "letsencrypt"
        ? new IamAcmeCertificate("certificate", {
              domains,
              account: new AcmeAccount("acme-account", {}),
              region,
              hostedZones: zone ? { [zoneName]: zone } : undefined,
          }).serverCertificateId
        : source;

const site = new ChinaCdn("site", {
    domains,
    region,
    iamCertificateId: certificateId,
    contentDir: "site",
    dnsRecords: zone ? { hostedZoneId: zone, zoneName } : undefined,
});

export const urls = site.urls;
export const distributionId = site.distributionId;
export const distributionDomainName = site.distributionDomainName;
