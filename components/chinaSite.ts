/**
 * ChinaSite: the whole site as one component, certificate included: what the program in index.ts
 * builds from stack config, built from plain, typed args instead. It is the component the plugin
 * package exposes to programs in other languages (plugin.ts), so its args are plain values (known
 * before anything is created, checked by the same reader as the stack config) and documented.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { X509Certificate, createHash } from "node:crypto";
import { ChinaCdn, ChinaCdnArgs } from "./chinaCdn";
import { SiteSettings, readSiteSettings } from "../config/siteConfig";
import { SiteSettingName } from "../config/settingsSource";
import { CONFIG_KEYS, nearestName } from "../config/configKeys";
import { stackAwsTarget } from "../config/stackAws";
import { OFFLINE_SECRET } from "../config/deployments";
import { aliasKey, regionProblems, zoneCoverageProblems } from "../core/validation";
import { InputError, throwIfProblems } from "../config/inputError";
import { AcmeAccount } from "../providers/acmeAccount";
import { IamAcmeCertificate } from "../providers/iamAcmeCertificate";
import { ChallengeRecord, acmeChallengeName, baseName, persistRecords } from "../core/challenges";
import { PersistDraft, persistAccountFor } from "../core/persistAccount";
import { KeyType, adoptionProblem, certificateFacts, orderInsteadOfAdopting, stackCertificatePath, zoneFor } from "../core/certificate";
import { stackTagValue } from "../core/iamPolicy";
import { Adoption, adoptedBefore, aliasesHeldElsewhere, planAdoption } from "../core/adoption";
import { distributionTags, distributionsHoldingAliases, existingDistribution } from "../aws/cloudfront";
import { getServerCertificate, listServerCertificates } from "../aws/iam";

/** `certificateIssuer` of an adopted certificate: "adopted, issued by <its issuer's name>". */
function adoptedIssuer(pem: string): string {
    try {
        return `adopted, issued by ${new X509Certificate(pem).issuer.split("\n").reverse().join(", ")}`;
    } catch {
        return "adopted, issued outside this stack";
    }
}

/** The certificate a site serves, and what the user may have to add at a DNS host. */
export interface SiteCertificate {
    id: pulumi.Input<string>;
    notAfter?: pulumi.Output<string>;
    renewAfter?: pulumi.Output<string>;
    /** Its IAM ARN: under /cloudfront/<project>/<stack>/<resource>/ (earlier versions' path until the next `pulumi up` moves it). */
    arn?: pulumi.Output<string>;
    /** The ACME directory of the CA that signed the certificate served (the first issuer or a fallback). */
    issuer?: pulumi.Output<string>;
    certificatePem?: pulumi.Output<string>;
    privateKeyPem?: pulumi.Output<string>;
    /** DNS records the user adds once at the DNS host (dns-persist-01 records, delegation CNAMEs). */
    dnsChallengeRecords?: pulumi.Output<ChallengeRecord[]>;
}

/**
 * The records a user adds once at a DNS host we cannot write: the delegation CNAMEs of
 * `challengeDelegations`, and (modes "auto" and "dns-persist-01") the standing dns-persist-01 record
 * of every name outside the program's own zone. Known once the ACME account exists.
 */
function recordsToAdd(
    settings: SiteSettings,
    accounts: readonly DraftedAccount[],
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
        .all(accounts.map(persistRecordsOf(elsewhere, settings.acme.persistUntil)))
        .apply((perAccount) => [...perAccount.flat(), ...delegations]);
}

/**
 * The standing dns-persist-01 records of `domains` for one account: one per base name, naming the
 * CA's first issuer domain name and the account (none while the CA lists no issuer names). With
 * several CAs (`issuers`) every account has its own record at the same name: a CA reads only the
 * one naming it.
 */
function persistRecordsOf(domains: readonly string[], persistUntil: number | undefined) {
    return ({ account, dnsPersistDraft }: DraftedAccount): pulumi.Output<ChallengeRecord[]> =>
        pulumi
            .all([account.accountUrl, account.issuerDomainNames, account.accountHashPrefix, account.keyThumbprint])
            .apply(([accountUrl, issuers, accountHashPrefix, keyThumbprint]) => {
                // The account as its CA's draft names it (a CA of another draft: the certificate says why).
                const named = persistAccountFor(
                    dnsPersistDraft ?? "auto",
                    { accountUrl, keyThumbprint: () => keyThumbprint },
                    { accountHashPrefix },
                ).account;
                return (issuers ?? []).length > 0 && named ? persistRecords(domains, (issuers ?? [])[0], named, persistUntil) : [];
            });
}

/**
 * dns-persist-01 in the program's own zone: the standing records are ordinary Route 53 records,
 * durable (not per order), one per base name; the certificate waits for them.
 */
function standingPersistRecords(
    domains: string[],
    persistUntil: number | undefined,
    hostedZones: Record<string, string>,
    accounts: readonly DraftedAccount[],
    resourceName: (n: string) => string,
    opts: pulumi.CustomResourceOptions | undefined,
): aws.route53.Record[] {
    const inOwnZone = domains.filter((d) => zoneFor(d, hostedZones) !== undefined);
    const records = pulumi.all(accounts.map(persistRecordsOf(inOwnZone, persistUntil))).apply((perAccount) => perAccount.flat());
    return [...new Set(inOwnZone.map(baseName))].map(
        (base, i) =>
            new aws.route53.Record(
                resourceName(`dns-persist-${i}`),
                {
                    zoneId: zoneFor(base, hostedZones) as string,
                    name: `_validation-persist.${base}`,
                    type: "TXT",
                    ttl: 300,
                    // One value per CA account at the same name (draft-ietf-acme-dns-persist: a CA reads the one naming it).
                    records: records.apply((all) => all.filter((r) => baseName(r.domain) === base).map((r) => r.value)),
                },
                opts,
            ),
    );
}

/** The ACME accounts certificates are ordered with: one at the first CA, one at each fallback. */
export interface AcmeAccounts {
    account: AcmeAccount;
    /** Which dns-persist-01 draft the first CA validates; "auto" when unset. */
    dnsPersistDraft?: PersistDraft;
    fallbackAccounts: Array<{ account: AcmeAccount; profile?: string; keyType?: KeyType; dnsPersistDraft?: PersistDraft }>;
}

/** Every account of `accounts`, first CA first, with the dns-persist-01 draft of its CA. */
const draftedAccounts = (accounts: AcmeAccounts): DraftedAccount[] => [
    { account: accounts.account, dnsPersistDraft: accounts.dnsPersistDraft },
    ...accounts.fallbackAccounts,
];
type DraftedAccount = { account: AcmeAccount; dnsPersistDraft?: PersistDraft };

/**
 * One ACME account per CA of the settings. The program makes them once for all its sites
 * (docs/sites.md); a ChinaSite makes its own. `prefix` names them (none in the program, whose
 * resource names must not change) and `opts` parents them.
 */
export function acmeAccounts(
    settings: SiteSettings,
    named: { prefix?: string; opts?: pulumi.CustomResourceOptions; eabHmacKey?: pulumi.Input<string> } = {},
): AcmeAccounts {
    const resourceName = (n: string) => (named.prefix ? `${named.prefix}-${n}` : n);
    const account = new AcmeAccount(
        resourceName("acme-account"),
        {
            directoryUrl: settings.acme.directoryUrl,
            email: settings.acme.email,
            eabKeyId: settings.acme.eab?.keyId,
            eabHmacKey: settings.acme.eab && pulumi.secret(named.eabHmacKey ?? settings.acme.eab.hmacKey),
            keyRotation: settings.acme.accountKeyRotation,
            deactivateOnDelete: settings.acme.deactivateAccountOnDelete,
            // With a CA to fall back to, one out of reach at the first `up` does not block the stack.
            registerLater: settings.acme.fallbackIssuers.length > 0,
        },
        named.opts,
    );
    // One account per further CA, named by its directory so that adding, removing or reordering
    // fallbacks leaves the others (and the first, `acme-account`, of every existing stack) alone.
    const fallbackAccounts = settings.acme.fallbackIssuers.map((issuer) => ({
        account: new AcmeAccount(
            resourceName(`acme-account-${createHash("sha256").update(issuer.directoryUrl).digest("hex").slice(0, 8)}`),
            {
                directoryUrl: issuer.directoryUrl,
                email: issuer.email,
                eabKeyId: issuer.eab?.keyId,
                eabHmacKey: issuer.eab && pulumi.secret(issuer.eab.hmacKey),
                keyRotation: settings.acme.accountKeyRotation,
                deactivateOnDelete: settings.acme.deactivateAccountOnDelete,
                registerLater: true,
            },
            named.opts,
        ),
        profile: issuer.profile,
        keyType: issuer.keyType,
        dnsPersistDraft: issuer.dnsPersistDraft,
    }));
    return { account, dnsPersistDraft: settings.acme.dnsPersistDraft, fallbackAccounts };
}

/**
 * The certificate the distribution serves: an existing IAM certificate (`iamCertificateId`), or one
 * issued for every domain by the ACME CA and renewed by replacement on the `pulumi up` that falls in
 * its window (create new, re-point the distribution, delete old). `prefix` names the resources (none
 * for the program's first site, whose resource names must not change) and `opts` parents them;
 * `accounts` are the stack's ACME accounts when its sites share them, else the site makes its own.
 */
export function siteCertificate(
    settings: SiteSettings,
    hostedZones: Record<string, string> | undefined,
    named: {
        prefix?: string;
        opts?: pulumi.CustomResourceOptions;
        eabHmacKey?: pulumi.Input<string>;
        adoptCertificateName?: string;
        accounts?: AcmeAccounts;
    } = {},
): SiteCertificate {
    if (settings.iamCertificateId !== undefined) {
        return { id: settings.iamCertificateId };
    }
    const resourceName = (n: string) => (named.prefix ? `${named.prefix}-${n}` : n);
    const accounts = named.accounts ?? acmeAccounts(settings, named);
    const { account, fallbackAccounts } = accounts;
    const standing =
        settings.acme.challenge === "dns-persist-01" && hostedZones
            ? standingPersistRecords(
                  settings.domains,
                  settings.acme.persistUntil,
                  hostedZones,
                  draftedAccounts(accounts),
                  resourceName,
                  named.opts,
              )
            : [];
    const certificate = new IamAcmeCertificate(
        resourceName("certificate"),
        {
            domains: settings.domains,
            account,
            fallbackAccounts,
            region: settings.region,
            awsIdentity: settings.awsIdentity,
            keyType: settings.acme.keyType,
            profile: settings.acme.profile,
            renewBeforeDays: settings.acme.renewBeforeDays,
            dnsResolvers: settings.acme.dnsResolvers,
            challenge: settings.acme.challenge,
            challengeDelegations: settings.acme.challengeDelegations,
            persistUntil: settings.acme.persistUntil,
            dnsPersistDraft: accounts.dnsPersistDraft,
            hostedZones,
            tags: settings.tags,
            adoptCertificateName: named.adoptCertificateName,
        },
        { ...named.opts, dependsOn: standing },
    );
    return {
        id: certificate.serverCertificateId,
        notAfter: certificate.notAfter,
        renewAfter: certificate.renewAfter,
        arn: certificate.arn,
        // State written before fallbacks has no issuer: the account's own CA signed it. A certificate
        // taken over was made elsewhere: its own issuer says by whom (no directory of ours is its).
        issuer: pulumi
            .all([certificate.issuerDirectoryUrl, certificate.adoptedFrom, certificate.certificatePem, account.directoryUrl])
            .apply(([issuer, adoptedFrom, pem, own]) => (adoptedFrom !== undefined ? adoptedIssuer(pem) : (issuer ?? own))),
        certificatePem: certificate.certificatePem,
        privateKeyPem: certificate.privateKeyPem,
        dnsChallengeRecords: recordsToAdd(settings, draftedAccounts(accounts), hostedZones),
    };
}

/** The ChinaCdn args a site's settings give (all but the certificate). */
export function siteCdnArgs(
    settings: SiteSettings,
    dnsRecords: { hostedZoneId: string; zoneName: string } | undefined,
): Omit<ChinaCdnArgs, "iamCertificateId"> {
    return {
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
        hashedNamePattern: settings.hashedNamePattern,
        awsIdentity: settings.awsIdentity,
        tags: settings.tags,
    };
}

/**
 * The arguments of a ChinaSite. Plain values: each is checked before anything is created, so they
 * must be known then (not outputs of other resources); only `acmeEabHmacKey` may be a secret.
 */
export interface ChinaSiteArgs {
    /** Host names served (CloudFront aliases), ICP-approved, e.g. ["www.example.cn", "example.cn"]. The first is the certificate's primary name. */
    domains: string[];
    /** The AWS China region: "cn-north-1" or "cn-northwest-1". Defaults to the stack's aws:region. */
    region?: string;
    /** Route 53 hosted zone (Z…) in this account that holds the domains: alias records are written there and dns-01 challenges answered there. Give hostedZoneName with it. */
    hostedZoneId?: string;
    /** The DNS name of hostedZoneId, e.g. "example.cn" (every domain must lie inside it). */
    hostedZoneName?: string;
    /** Serve this existing IAM server certificate (ServerCertificateId, "ASCA…", uploaded under /cloudfront/) instead of issuing one. */
    iamCertificateId?: string;
    /** Local folder synced to the site bucket (changed files uploaded, their paths invalidated). Relative paths start at the program's folder. */
    contentDir?: string;
    /** Wait for each content invalidation to complete before the update ends. Defaults to false. */
    waitForInvalidation?: boolean;
    /** A regular expression matching file names that carry a content hash (cached a year, never invalidated). Defaults to 8+ hex characters with a letter and a digit. */
    hashedNamePattern?: string;
    /** Object served for "/". Defaults to "index.html". */
    defaultRootObject?: string;
    /** Single-page app: answer missing paths with the root object and status 200. Defaults to false. */
    spa?: boolean;
    /** Standard access logs into a separate private bucket. Defaults to false. */
    logging?: boolean;
    /** Forward query strings to the origin and include them in the cache key. Defaults to false. */
    forwardQueryString?: boolean;
    /** Keep object versions in the site bucket. Defaults to false. */
    versioning?: boolean;
    /** Delete the buckets and everything in them on destroy (true) or keep them (false, the default). */
    destroyBuckets?: boolean;
    /** Days access logs are kept. Defaults to 90. */
    logRetentionDays?: number;
    /** Tags for every resource that takes tags. */
    tags?: { [key: string]: string };
    /** ACME directory URL. Defaults to Let's Encrypt production. */
    acmeDirectoryUrl?: string;
    /** Contact email for the ACME account (optional; Let's Encrypt sends no expiry mail). */
    acmeEmail?: string;
    /** ACME certificate profile, e.g. "shortlived" (the CA must offer it). */
    acmeProfile?: string;
    /** External Account Binding key id (ZeroSSL, Google Trust Services). Give acmeEabHmacKey with it. */
    acmeEabKeyId?: string;
    /** External Account Binding HMAC key (base64url). Kept as a secret. */
    acmeEabHmacKey?: pulumi.Input<string>;
    /** Certificate key: "rsa-2048" (default, the safe choice in China) or "ecdsa-p256" (unverified with IAM in China). Changing it replaces the certificate. */
    keyType?: string;
    /** Renew this many days before expiry instead of following the CA's renewal window (ARI). */
    renewBeforeDays?: number;
    /** DNS resolvers (IP addresses) used to check challenge records before the CA is asked. */
    dnsResolvers?: string[];
    /** How names prove control: "auto" (default), "dns-01" or "dns-persist-01". */
    challenge?: string;
    /** dns-01 delegation targets by name: "_acme-challenge.<name>" is a CNAME to this name in a Route 53 zone of the account. */
    challengeDelegations?: { [domain: string]: string };
    /** The date (YYYY-MM-DD, UTC) the standing dns-persist-01 records end (`persistUntil`). Defaults to none. */
    dnsPersistUntil?: string;
    /** The dns-persist-01 draft the first CA validates: "auto" (default), "draft-01" or "draft-02" (docs/dns-persist-drafts.md). A string, as the plugin's schema has no unions. */
    dnsPersistDraft?: string;
    /** Change it (add 1) to roll the ACME account key over: same account, no new certificate. Defaults to 0. */
    acmeAccountKeyRotation?: number;
    /** Deactivate the ACME account at the CA when it is replaced or destroyed. Defaults to true. */
    acmeDeactivateAccountOnDelete?: boolean;
    /**
     * ACME CAs in the order to try them, one account each (docs/issuers.md): the first issues while it
     * can, the next when it is down, rate-limited, forbidden by CAA or refuses a name. Replaces
     * acmeDirectoryUrl and the acmeEab* args. HMAC keys are held as secrets by the component.
     */
    issuers?: ChinaSiteIssuer[];
}

/** One ACME CA of ChinaSite's `issuers`. */
export interface ChinaSiteIssuer {
    /** The CA's ACME directory URL. */
    directoryUrl: string;
    /** Contact email for the account there. Defaults to acmeEmail. */
    email?: string;
    /** External Account Binding key id, when the CA needs one (ZeroSSL, Google Trust Services). */
    eabKeyId?: string;
    /** External Account Binding HMAC key (base64url). */
    eabHmacKey?: string;
    /** The profile to ask this CA for. Defaults to acmeProfile. */
    profile?: string;
    /** The key type of certificates from this CA. Defaults to keyType. */
    keyType?: string;
    /** The dns-persist-01 draft this CA validates: "auto" (default), "draft-01" or "draft-02". */
    dnsPersistDraft?: string;
}

/**
 * The Route 53 zone `hostedZoneId` with its name (a read, not a resource), once every domain is
 * checked to lie inside it: how the program, the template and ChinaSite's callers find the zone name.
 */
export async function lookupHostedZone(
    hostedZoneId: string,
    domains: readonly string[],
    setting: string,
): Promise<{ hostedZoneId: string; zoneName: string }> {
    const zone = await aws.route53.getZone({ zoneId: hostedZoneId }).catch((e: unknown) => {
        // A wrong or example id: one line naming the setting, like every other configuration error.
        if (/NoSuchHostedZone|No hosted zone found|no matching Route ?53 Hosted Zone/i.test(String((e as Error)?.message ?? e))) {
            throw new InputError([
                `\`${setting}\` "${hostedZoneId}" is not a hosted zone of this account (Route 53 answers NoSuchHostedZone): ` +
                    `find its id with \`aws route53 list-hosted-zones-by-name\` and set it with \`pulumi config set ${setting} Z…\``,
            ]);
        }
        throw e;
    });
    throwIfProblems(zoneCoverageProblems(domains, zone.name, setting));
    return { hostedZoneId, zoneName: zone.name };
}

/**
 * Refuses, before anything is registered, aliases another distribution of the account holds: found
 * only by CloudFront's CNAMEAlreadyExists, a `pulumi up` would already have ordered the site's
 * certificate. Read-only: cloudfront:ListDistributions, cloudfront:ListTagsForResource. Under mocks
 * (the offline plan) nothing is read; the plan compares the project's stack files instead.
 */
export async function refuseAliasesHeldElsewhere(
    sites: ReadonlyArray<{ settings: SiteSettings; label(field: string): string }>,
): Promise<void> {
    if (sites.length === 0 || pulumi.runtime.getMonitor() instanceof MockMonitor) {
        return;
    }
    const owner = new Map<string, (typeof sites)[number]>();
    sites.forEach((site) => site.settings.domains.forEach((d) => owner.set(aliasKey(d), site)));
    const target = { region: sites[0].settings.region, identity: sites[0].settings.awsIdentity };
    const holders = await distributionsHoldingAliases(target, new Set(owner.keys()));
    const holdings = await Promise.all(holders.map(async (h) => ({ ...h, tags: await distributionTags(target, h.arn) })));
    const adopted = new Set(sites.map((s) => s.settings.adoptDistributionId).filter((id): id is string => id !== undefined));
    throwIfProblems(
        aliasesHeldElsewhere(holdings, stackTagValue(pulumi.getProject(), pulumi.getStack()), adopted, (alias) => {
            const site = owner.get(alias)!;
            return { domains: site.label("domains"), adoptDistributionId: site.label("adoptDistributionId") };
        }),
    );
}

/** What the program takes over (core/adoption.ts), with the name of the IAM certificate served. */
export interface SiteAdoption extends Adoption {
    certificateName?: string;
}

/**
 * Reads the distribution `setting` names and what the stack takes over with it: its bucket, its Origin
 * Access Identity and the IAM certificate it serves (read-only: cloudfront:GetDistribution,
 * iam:ListServerCertificates). Refused with the reasons before anything is registered; the changes
 * the first `pulumi up` makes beyond the engine's own diff are logged as warnings (docs/migrate.md).
 */
export async function resolveAdoption(settings: SiteSettings, distributionId: string, setting: string): Promise<SiteAdoption> {
    if (pulumi.runtime.getMonitor() instanceof MockMonitor) {
        // The offline plan and the unit tests run under mocks: no AWS call, no network. The live
        // distribution is read, checked and diffed by `pulumi preview`.
        void pulumi.log.warn(
            `\`${setting}\` ${distributionId}: not read offline (no AWS call under mocks); \`pulumi preview --diff\` reads it, ` +
                "checks it and lists every change. Shown here with a placeholder bucket name and a new Origin Access Identity",
        );
        return { distributionId, bucketName: `adopted-bucket-of-${distributionId.toLowerCase()}`, changes: [] };
    }
    const target = { region: settings.region, identity: settings.awsIdentity };
    const existing = await existingDistribution(target, distributionId);
    if (!existing) {
        throw new InputError([
            `\`${setting}\`: there is no distribution ${distributionId} in this account (the one \`aws:\` config reaches): ` +
                "give the Id from `aws cloudfront list-distributions` of the account that serves the site",
        ]);
    }
    const { adoption, problems } = planAdoption(
        existing,
        { region: settings.region, domains: settings.domains, stack: stackTagValue(pulumi.getProject(), pulumi.getStack()) },
        setting,
    );
    throwIfProblems(problems);
    const found = adoption!;
    if (adoptedBefore(existing.tags, stackTagValue(pulumi.getProject(), pulumi.getStack()))) {
        return found; // taken over at an earlier `pulumi up`: nothing to report, no certificate to adopt
    }
    let certificateName: string | undefined;
    if (found.certificateId !== undefined && settings.iamCertificateId === undefined) {
        const listed = await listServerCertificates(target, "/cloudfront/");
        certificateName = listed.find((c) => c.id === found.certificateId)?.name;
        if (certificateName === undefined) {
            throw new InputError([
                `\`${setting}\` ${distributionId} serves IAM certificate ${found.certificateId}, which is not under /cloudfront/ in this account: ` +
                    "CloudFront serves only certificates there (docs/china-rules.md); check `aws iam list-server-certificates --path-prefix /cloudfront/`",
            ]);
        }
        // Refused here, at preview, before anything changes (the provider checks again at create).
        const stored = await getServerCertificate(target, certificateName);
        const facts = stored ? certificateFacts(stored.body) : undefined;
        const ownPath = stackCertificatePath(pulumi.getProject(), pulumi.getStack());
        const problem = stored && facts && adoptionProblem(certificateName, stored.path, facts, settings.domains, ownPath);
        if (problem) {
            throw new InputError([`\`${setting}\` ${distributionId}: ${problem}`]);
        }
        // Expired, due or self-signed: the `up` orders a new one first and moves the distribution to it.
        const instead = facts && orderInsteadOfAdopting(facts, Date.now(), settings.acme.renewBeforeDays);
        if (instead) {
            void pulumi.log.warn(
                `adopting ${distributionId}: its certificate ${certificateName} is not taken over: ${instead}. ` +
                    "`pulumi up` orders a new certificate first and moves the distribution to it, with no gap from then on; " +
                    `${certificateName} stays in IAM as it is (docs/migrate.md)`,
            );
            certificateName = undefined;
        }
    }
    void pulumi.log.info(
        `adopting distribution ${distributionId} (${(existing.settings.aliases as string[]).join(", ")}), bucket ${found.bucketName}` +
            `${found.originAccessIdentityId ? `, OAI ${found.originAccessIdentityId}` : ""}${certificateName ? `, certificate ${certificateName}` : ""}: ` +
            "imported as they are, never replaced; `pulumi preview --diff` lists every setting the first `pulumi up` changes",
    );
    for (const change of found.changes) {
        void pulumi.log.warn(`adopting ${distributionId}: ${change}`);
    }
    return { ...found, certificateName };
}

/**
 * The site from its checked settings: the certificate (issued, or the one given) and the ChinaCdn
 * serving it. One assembly for the program (index.ts: no prefix, no parent, so its resource names
 * never change) and ChinaSite (prefixed by its name, parented to it). The settings reader has checked
 * everything ChinaCdn checks (the same validators, named by the setting), so nothing fails after the
 * certificate is registered; ChinaCdn's own check stays for library callers.
 */
export function siteResources(
    settings: SiteSettings,
    hostedZone: { hostedZoneId: string; zoneName: string } | undefined,
    named: {
        name: string;
        prefix?: string;
        opts?: pulumi.ComponentResourceOptions;
        eabHmacKey?: pulumi.Input<string>;
        accounts?: AcmeAccounts;
    },
    adoption?: SiteAdoption,
): { certificate: SiteCertificate; site: ChinaCdn } {
    const cdnArgs = siteCdnArgs(settings, hostedZone);
    const certificate = siteCertificate(settings, hostedZone && { [hostedZone.zoneName.replace(/\.$/, "")]: hostedZone.hostedZoneId }, {
        ...named,
        adoptCertificateName: adoption?.certificateName,
    });
    const adopt = adoption && {
        distributionId: adoption.distributionId,
        bucketName: adoption.bucketName,
        originAccessIdentityId: adoption.originAccessIdentityId,
    };
    const site = new ChinaCdn(named.name, { ...cdnArgs, iamCertificateId: certificate.id, adopt }, named.opts);
    return { certificate, site };
}

/**
 * Settings of the program that are not ChinaSite args: the schedule and the watch are components of
 * their own, and adoption reads the account before anything is registered, which a component's
 * constructor cannot wait for (library callers give ChinaCdn `adopt` instead); a ChinaSite is one
 * site (several are several ChinaSites).
 */
export const PROGRAM_ONLY_SETTINGS: readonly string[] = ["deployments", "watch", "adoptDistributionId", "sites"];
/** The args a ChinaSite reads with the stack-config reader (same names, same checks). */
const SETTING_NAMES = CONFIG_KEYS.filter((k): k is SiteSettingName => !PROGRAM_ONLY_SETTINGS.includes(k));
const COMPONENT_ONLY_ARGS = ["region", "hostedZoneName"] as const;

/**
 * Reads and checks a ChinaSite's args: every problem, named by the arg, in one InputError, before
 * anything is registered. Returns the site's settings and its Route 53 zone, if any.
 */
export function validateChinaSiteArgs(args: ChinaSiteArgs): {
    settings: SiteSettings;
    hostedZone?: { hostedZoneId: string; zoneName: string };
} {
    const given = (args ?? {}) as unknown as Record<string, unknown>;
    const known: readonly string[] = [...SETTING_NAMES, ...COMPONENT_ONLY_ARGS];
    const problems = Object.keys(given)
        .filter((k) => given[k] !== undefined && !known.includes(k))
        .map((k) => `\`${k}\` is not an argument of ChinaSite: did you mean \`${nearestName(k, known)}\`?`);
    for (const [k, v] of Object.entries(given)) {
        // Only the HMAC key may arrive as an output (a secret): everything else is checked now.
        if (pulumi.Output.isInstance(v) && k !== "acmeEabHmacKey") {
            problems.push(
                `\`${k}\` must be a plain value known before the update (got an output of another resource): ` +
                    "ChinaSite checks its args before it creates anything",
            );
        }
    }
    const plain = (name: string) => (pulumi.Output.isInstance(given[name]) ? undefined : given[name]);

    // The region defaults to the stack's, and the identity is the stack's (aws:profile,
    // aws:assumeRoles): the certificate and the content are written by the identity pulumi-aws
    // deploys with.
    const stack = stackAwsTarget();
    const region = (plain("region") as string | undefined) ?? stack.region;
    problems.push(...regionProblems(region, plain("region") !== undefined ? "region" : "aws:region"));
    problems.push(...stack.identityProblems);

    const site = readSiteSettings(
        {
            // A secret HMAC key is checked for presence only; its value is not known here.
            value: (name) => (name === "acmeEabHmacKey" && pulumi.Output.isInstance(given[name]) ? OFFLINE_SECRET : plain(name)),
            // Always held as a secret: the component wraps it before the account sees it.
            isSecret: (name, field) => name === "acmeEabHmacKey" || (name === "issuers" && field?.[1] === "eabHmacKey"),
            label: (name) => name,
        },
        { region, awsIdentity: stack.awsIdentity },
    );
    problems.push(...site.problems);
    site.warnings.forEach((w) => void pulumi.log.warn(w));

    let hostedZone: { hostedZoneId: string; zoneName: string } | undefined;
    const zoneName = plain("hostedZoneName");
    if ((site.settings.hostedZoneId === undefined) !== (zoneName === undefined)) {
        problems.push(
            '`hostedZoneId` and `hostedZoneName` go together: give the zone\'s id (Z…) and its name (e.g. "example.cn"), or neither',
        );
    } else if (site.settings.hostedZoneId !== undefined) {
        if (typeof zoneName !== "string" || zoneName.length === 0) {
            problems.push(`\`hostedZoneName\` must be the zone's DNS name, e.g. "example.cn" (got ${JSON.stringify(zoneName)})`);
        } else {
            problems.push(...zoneCoverageProblems(site.settings.domains, zoneName, "hostedZoneName"));
            hostedZone = { hostedZoneId: site.settings.hostedZoneId, zoneName: zoneName.replace(/\.$/, "") };
        }
    }
    throwIfProblems(problems);
    return { settings: site.settings, hostedZone };
}

/**
 * An HTTPS static site on CloudFront in the AWS China regions: a private S3 bucket read through an
 * Origin Access Identity, a China-safe distribution, and a Let's Encrypt (or any ACME CA)
 * certificate issued into IAM and renewed on the `pulumi up` that falls in its renewal window.
 */
export class ChinaSite extends pulumi.ComponentResource {
    /** https:// URL of every domain. */
    public readonly urls: pulumi.Output<string[]>;
    /** The site bucket (upload here if contentDir is not set). */
    public readonly bucketName: pulumi.Output<string>;
    /** The CloudFront distribution's id. */
    public readonly distributionId: pulumi.Output<string>;
    /** The distribution's *.cloudfront.cn name: the CNAME target for the domains (it cannot serve content itself in China). */
    public readonly distributionDomainName: pulumi.Output<string>;
    /** The log bucket, when logging is on. */
    public readonly logBucketName: pulumi.Output<string | undefined>;
    /** Objects the site keeps in the bucket, when contentDir is set. */
    public readonly contentObjects: pulumi.Output<number | undefined>;
    /** The IAM ServerCertificateId the distribution serves. */
    public readonly certificateId: pulumi.Output<string>;
    /** When the issued certificate expires (ISO 8601); unset with iamCertificateId. */
    public readonly certificateNotAfter: pulumi.Output<string | undefined>;
    /** From when the next `pulumi up` renews it (ISO 8601); unset with iamCertificateId. */
    public readonly certificateRenewAfter: pulumi.Output<string | undefined>;
    /** The ACME directory of the CA that signed it (the first of `issuers`, or a fallback); unset with iamCertificateId. */
    public readonly certificateIssuer: pulumi.Output<string | undefined>;
    /** The issued certificate and its chain (PEM); unset with iamCertificateId. */
    public readonly certificatePem: pulumi.Output<string | undefined>;
    /** The issued certificate's private key (PEM), a secret; unset with iamCertificateId. */
    public readonly privateKeyPem: pulumi.Output<string | undefined>;
    /** Records to add once at a DNS host this account cannot write (dns-persist-01 records, delegation CNAMEs). */
    public readonly dnsChallengeRecords: pulumi.Output<DnsChallengeRecord[]>;

    constructor(name: string, args: ChinaSiteArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validate before super(): bad args must fail before anything, the component included, is registered.
        const { settings, hostedZone } = validateChinaSiteArgs(args);
        super("cloudfront-china:index:ChinaSite", name, {}, opts);
        const { certificate, site } = siteResources(settings, hostedZone, {
            name,
            prefix: name,
            opts: { parent: this },
            eabHmacKey: args.acmeEabHmacKey,
        });
        this.urls = site.urls;
        this.bucketName = site.bucketName;
        this.distributionId = site.distributionId;
        this.distributionDomainName = site.distributionDomainName;
        this.logBucketName = site.logBucketName;
        this.contentObjects = site.contentObjects;
        this.certificateId = pulumi.output(certificate.id);
        this.certificateNotAfter = pulumi.output(certificate.notAfter);
        this.certificateRenewAfter = pulumi.output(certificate.renewAfter);
        this.certificateIssuer = pulumi.output(certificate.issuer);
        this.certificatePem = pulumi.output(certificate.certificatePem);
        this.privateKeyPem = pulumi.secret(certificate.privateKeyPem);
        this.dnsChallengeRecords = pulumi.output(certificate.dnsChallengeRecords ?? []);
        this.registerOutputs({
            urls: this.urls,
            bucketName: this.bucketName,
            distributionId: this.distributionId,
            distributionDomainName: this.distributionDomainName,
            logBucketName: this.logBucketName,
            contentObjects: this.contentObjects,
            certificateId: this.certificateId,
            certificateNotAfter: this.certificateNotAfter,
            certificateRenewAfter: this.certificateRenewAfter,
            certificateIssuer: this.certificateIssuer,
            certificatePem: this.certificatePem,
            privateKeyPem: this.privateKeyPem,
            dnsChallengeRecords: this.dnsChallengeRecords,
        });
    }
}

/**
 * A DNS record to add at the DNS host: ChallengeRecord (core/challenges.ts) as the plugin's
 * schema shows it, its `type` a plain string (the "TXT" | "CNAME" union would become an enum type
 * in every generated SDK).
 */
export interface DnsChallengeRecord {
    /** The name it proves control of. */
    domain: string;
    /** The record's name. */
    name: string;
    /** "TXT" or "CNAME". */
    type: string;
    /** The record's value. */
    value: string;
}
