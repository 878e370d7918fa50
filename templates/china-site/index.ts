/**
 * An HTTPS static site on CloudFront in the AWS China regions (cloudfront-china). The folder `site/`
 * is the content; `npx cloudfront-china-plan --stack <stack>` checks it offline, `pulumi up` deploys.
 *
 * The cloudfront-china package is installed from your clone of its repository, not from a registry:
 * in the clone run `npm pack`, then here `npm install <clone>/cloudfront-china-0.2.0.tgz`.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as CloudfrontChina from "cloudfront-china";

/** The settings of this project; any other key of its namespace is a typo, refused before anything is created. */
const SETTINGS = ["domains", "certificate", "hostedZoneId", "email", "acmeDirectoryUrl", "acmeProfile", "dnsResolvers"];
const LETS_ENCRYPT_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory";

function loadPackage(): typeof CloudfrontChina {
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return require("cloudfront-china") as typeof CloudfrontChina;
    } catch {
        throw new Error(
            "the cloudfront-china package is not installed: in your clone of cloudfront-china run `npm pack`, " +
                "then here `npm install <clone>/cloudfront-china-0.2.0.tgz`",
        );
    }
}

export = async () => {
    const { AcmeAccount, ChinaCdn, IamAcmeCertificate, InputError, lookupHostedZone } = loadPackage();
    const project = pulumi.getProject();
    const unknown = Object.keys(pulumi.runtime.allConfig())
        .filter((k) => k.startsWith(`${project}:`) && !SETTINGS.includes(k.slice(project.length + 1)))
        .map((k) => `\`${k}\` is not a setting of this project (${SETTINGS.join(", ")}): remove it with \`pulumi config rm ${k}\``);
    if (unknown.length > 0) {
        throw new InputError(unknown);
    }
    const config = new pulumi.Config();
    const region = new pulumi.Config("aws").require("region");
    const domains = config
        .require("domains")
        .split(",")
        .map((d) => d.trim())
        .filter((d) => d.length > 0);
    const source = config.get("certificate") ?? "letsencrypt";
    const zoneId = config.get("hostedZoneId") ?? "none";
    // The zone's real name, looked up (a read, not a resource), once every domain is checked to lie inside it.
    const zone = zoneId === "none" ? undefined : await lookupHostedZone(zoneId, domains, `${project}:hostedZoneId`);

    // Let's Encrypt staging first (browsers warn); set acmeDirectoryUrl to
    // https://acme-v02.api.letsencrypt.org/directory for production. Or a certificate of your own.
    const certificateId =
        source === "letsencrypt"
            ? new IamAcmeCertificate("certificate", {
                  domains,
                  account: new AcmeAccount("acme-account", {
                      directoryUrl: config.get("acmeDirectoryUrl") ?? LETS_ENCRYPT_STAGING,
                      email: config.get("email"),
                  }),
                  region,
                  hostedZones: zone ? { [zone.zoneName]: zone.hostedZoneId } : undefined,
                  profile: config.get("acmeProfile"),
                  // Resolvers that must show the TXT values before the CA is asked (default: the zone's name servers).
                  dnsResolvers: config
                      .get("dnsResolvers")
                      ?.split(",")
                      .map((r) => r.trim()),
              }).serverCertificateId
            : source;

    const site = new ChinaCdn("site", {
        domains,
        region,
        iamCertificateId: certificateId,
        contentDir: "site",
        dnsRecords: zone,
    });

    return { urls: site.urls, distributionId: site.distributionId, distributionDomainName: site.distributionDomainName };
};
