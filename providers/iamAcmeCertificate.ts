/**
 * IamAcmeCertificate: a certificate from an ACME CA (dns-01 through a DNS host, or dns-persist-01), uploaded to the IAM
 * server-certificate store under /cloudfront/… for CloudFront in China, renewed by replacement.
 *
 *   check:  validates every input (names, path, key type, window, directory, zones); failures name
 *           the input and the fix, and nothing is ordered until it passes.
 *   diff:   replaces (changes: true + replaces, never deleteBeforeReplace) when a shaping input
 *           changes, when now >= renewAfter, or when the CA's renewal information (ARI, RFC 9773)
 *           moved the window to now: one bounded GET to the CA, never an AWS call. So the engine
 *           creates the new certificate, updates the distribution, then deletes the old.
 *   create: orders through the issuer (../acme/issuer.ts), answers dns-01 at the DNS host
 *           (../dns/host.ts; one batch per zone), uploads to IAM. If the upload fails
 *           after issuance, it fails as a *partial* resource that carries the certificate (key secret),
 *           and the next `pulumi up` uploads that same certificate in `update` without a new order.
 *           With `adoptCertificateName` at the first create, takes over a certificate already in IAM
 *           instead (any CA or tool; no order), served until its window and then replaced like any other.
 *   update: finishes a pending upload; applies tags; recomputes renewAfter for a new renewBeforeDays.
 *   read:   looks the certificate up in IAM; gone out of band => reported gone (next `up` issues anew).
 *   delete: DeleteServerCertificate, retrying DeleteConflict up to deleteConflictTimeoutSeconds
 *           (NoSuchEntity counts as deleted). Never revokes.
 *
 * Every AWS call uses the `awsIdentity` input (by default the stack's aws:profile, shared files and
 * assumeRoles, see ../core/awsIdentity.ts); a new identity is an in-place update, never a replacement.
 *
 * The provider object is serialized into the state (closure serialization). So npm modules are
 * `require`d inside functions (../aws/, ../acme/), AWS clients are built per call, and the
 * helpers are plain functions. `delete` runs the code stored with the old resource.
 *
 * The resource id is the IAM certificate *name*: IAM's APIs are keyed on it, and it is known before
 * the upload, so a partial resource keeps its id when the upload completes later. The
 * ServerCertificateId (ASCA…) that CloudFront's `iamCertificateId` takes is `serverCertificateId`.
 */
import * as pulumi from "@pulumi/pulumi";
import { AcmeAccount } from "./acmeAccount";
import { CachedDynamicResource } from "./dynamicResource";
import { AcmeDirectory, CHECK_DIRECTORY_TIMEOUT_MS, assertCaReachable } from "../acme/client";
import { ariCertId, fetchRenewalWindow, getRenewalWindow, renewalInfoUrl } from "../acme/ari";
import {
    CertificateInputs,
    FallbackIssuer,
    adoptNameProblem,
    adoptionProblem,
    orderInsteadOfAdopting,
    KeyType,
    PLAN_INPUTS,
    ariRenewalInstant,
    certificateFacts,
    certificateName,
    checkInputs,
    CLOUDFRONT_IAM_PATH,
    canonicalDirectoryUrl,
    defaultIamPath,
    legacyIamPath,
    inPlaceChanges,
    isDue,
    quotaProblem,
    renewAfter,
    renewalFloor,
    shapingChanges,
    stableFraction,
    storedInputs,
    validWindow,
    zoneFor,
} from "../core/certificate";
import { acmeIssuer, certificateKey, fromFirstIssuerThatWorks } from "../acme/issuer";
import { ISSUER_ACCOUNT_TAG, IssuerError, caaForbids, issuerAccountTagValue } from "../core/issuers";
import { lookupCaa } from "../dns/resolvers";
import { DnsHost } from "../dns/host";
import { route53Host } from "../dns/route53";
import {
    deleteServerCertificate,
    getServerCertificate,
    listServerCertificates,
    moveServerCertificate,
    serverCertificateCount,
    setServerCertificateTags,
    uploadServerCertificate,
} from "../aws/iam";
import { holdsUnknown, providerError, sleep, withoutUndefined } from "../core/runtime";
import { AwsIdentity, awsTargetOf } from "../core/awsIdentity";
import { localIdentityProblems } from "../aws/identity";
import { errorName } from "../aws/errors";
import { stackAwsIdentity } from "../config/stackAws";
import { ChallengeMode } from "../core/challenges";
import { PersistAccount, PersistDraft, jwkThumbprint, persistAccountFor, persistIssuerNames } from "../core/persistAccount";
import { ChallengePlanResult, PlanRequest, planChallenges } from "../acme/challengePlan";

export interface IamAcmeCertificateArgs {
    /** Names on the certificate; the first is the common name. Wildcards as "*.example.cn". Changing them replaces the certificate. */
    readonly domains: pulumi.Input<pulumi.Input<string>[]>;
    /** The ACME account (and so the CA directory) that orders first. Changing it replaces the certificate. */
    readonly account: AcmeAccount;
    /**
     * Accounts at other CAs, tried in order when the first cannot issue (down, rate-limited, CAA,
     * a refused name, an account problem; never a DNS problem every CA would share), each with the
     * profile and key type to ask there (default: `profile`, `keyType`). Every renewal starts at
     * `account` again. Changing them updates in place (docs/issuers.md).
     */
    readonly fallbackAccounts?: ReadonlyArray<{
        account: AcmeAccount;
        profile?: string;
        keyType?: KeyType;
        dnsPersistDraft?: PersistDraft;
    }>;
    /** The aws-cn region for IAM and Route 53 clients: "cn-north-1" or "cn-northwest-1" (the provider cannot see aws:region). */
    readonly region: pulumi.Input<string>;
    /**
     * IAM path; must start with "/cloudfront/" and end with "/". Defaults to "/cloudfront/<project>/<stack>/<name>/".
     * Changing it replaces the certificate; a certificate under the default path of earlier versions
     * ("/cloudfront/<stack>/<name>/") is moved under the new one in place by the next update (same id, no order).
     */
    readonly path?: pulumi.Input<string>;
    /** "rsa-2048" (default) or "ecdsa-p256" (unverified with IAM in China). Changing it replaces the certificate. */
    readonly keyType?: pulumi.Input<KeyType>;
    /** Renew this many days before notAfter. Defaults to the CA's ARI window, else when a third of the lifetime remains. */
    readonly renewBeforeDays?: pulumi.Input<number | undefined>;
    /** Issuer common name of the preferred chain, when the CA offers several. Defaults to the CA's default. */
    readonly preferredChain?: pulumi.Input<string | undefined>;
    /** ACME profile, e.g. Let's Encrypt "classic", "tlsserver" (45 days), "shortlived" (160 hours). Defaults to the CA's default. Changing it replaces the certificate. */
    readonly profile?: pulumi.Input<string | undefined>;
    /** Hosted zone id per name (exact or parent domain). Defaults to discovery: the public zone with the longest matching suffix. */
    readonly hostedZones?: pulumi.Input<Record<string, pulumi.Input<string>> | undefined>;
    /**
     * How names prove control: "auto" (default: dns-persist-01 where its standing record is in place
     * and the CA offers it, else dns-01), "dns-01", or "dns-persist-01". Changing it updates in place.
     */
    readonly challenge?: pulumi.Input<ChallengeMode | undefined>;
    /**
     * dns-01 delegation targets by name, e.g. {"example.cn": "_acme-challenge.example.cn.acme.example.net"}: for
     * names whose `_acme-challenge` CNAME cannot be looked up from where `pulumi up` runs. Defaults to looking it up.
     */
    readonly challengeDelegations?: pulumi.Input<Record<string, pulumi.Input<string>> | undefined>;
    /** The end (Unix seconds) of the standing dns-persist-01 records: the records this resource asks for carry `persistUntil`. Changing it updates in place. */
    readonly persistUntil?: pulumi.Input<number | undefined>;
    /**
     * Which draft of dns-persist-01 the account's CA validates, and so what the records name: "auto"
     * (default: draft-02's hashed account URI where the CA's directory gives an `accountHashPrefix`,
     * else the account URL), "draft-01" (the account URL; drafts -00 and -01) or "draft-02". Changing it updates in place.
     */
    readonly dnsPersistDraft?: pulumi.Input<PersistDraft | undefined>;
    /** Resolvers ("ip" or "ip:port") that must show the TXT values before the CA is asked, and that answer the CNAME and dns-persist-01 lookups. Defaults to the zone's authoritative servers (lookups: the system's); [] skips the wait. */
    readonly dnsResolvers?: pulumi.Input<pulumi.Input<string>[] | undefined>;
    /** Seconds to wait for Route 53 INSYNC and for the resolvers. Defaults to 300. */
    readonly propagationTimeoutSeconds?: pulumi.Input<number>;
    /** Seconds between polls. Defaults to 5. */
    readonly pollIntervalSeconds?: pulumi.Input<number>;
    /** Seconds to keep retrying DeleteConflict when an old certificate is deleted. Defaults to 1200 (20 minutes). */
    readonly deleteConflictTimeoutSeconds?: pulumi.Input<number>;
    /** Seconds an order waits for the CA to validate the names and to issue before it fails (nothing is uploaded). Defaults to 120. */
    readonly caTimeoutSeconds?: pulumi.Input<number>;
    /** Tags on the IAM server certificate. Changing them updates in place. */
    readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>> | undefined>;
    /**
     * The name of a server certificate already in IAM (under /cloudfront/, covering every name of
     * `domains`) to take over at the first `pulumi up` instead of ordering one: a site moved into the
     * stack keeps the certificate it serves until that certificate's renewal window, then gets one from
     * the CA like any other (zero gap; the adopted one is deleted once nothing serves it). Read at the
     * first create only: changing or removing it later changes nothing.
     */
    readonly adoptCertificateName?: pulumi.Input<string | undefined>;
    /**
     * Where the IAM and Route 53 clients get credentials: profile, shared files, roles to assume.
     * Defaults to the stack's `aws:profile`, `aws:sharedCredentialsFiles`, `aws:sharedConfigFiles` and
     * `aws:assumeRoles` (what pulumi-aws uses), else the SDK's default chain. Changing it updates in place.
     */
    readonly awsIdentity?: pulumi.Input<AwsIdentity | undefined>;
}

/** What create/update return: stored in the state (privateKeyPem as a secret). The account key stays an input only. */
interface CertificateOutputs extends Omit<CertificateInputs, "accountKeyPem"> {
    serverCertificateId: string;
    arn: string;
    name: string;
    notBefore: string;
    notAfter: string;
    renewAfter: string;
    serialNumber: string;
    certificatePem: string;
    chainPem: string;
    privateKeyPem: string;
    /** True while an issued certificate waits for its IAM upload (partial resource). */
    uploadPending: boolean;
    /** `<renewalInfo>/<CertID>` when the CA offers ARI: `diff` reads the current window there (one GET). */
    renewalInfoUrl?: string;
    /** The CA that signed (its directory) and the account that ordered: the first issuer or a fallback. Unset in state written before fallbacks: the account's own. */
    issuerDirectoryUrl?: string;
    issuerAccountUrl?: string;
    /** The IAM path of a certificate taken over rather than ordered (adoptCertificateName); unset for ordered ones. */
    adoptedFrom?: string;
}

const log = (line: string) => console.log(line);

/**
 * What `create` receives: the inputs, and three that are never stored: the provider's own text
 * (kept in a partial resource), the certificate to take over, and the path this resource's
 * certificates had in earlier versions (set with the default path only).
 */
type CreateInputs = CertificateInputs & { __provider?: string; adoptCertificateName?: string; formerPath?: string };

/** `/cloudfront/a/b/c/` → `/cloudfront/a/b/`: where the stack's certificates are. */
const parentPath = (path: string) => path.replace(/[^/]+\/$/, "");

/** A server certificate's ARN once moved from `from` to `to` (arn:…:server-certificate<path><name>; the id stays). */
const arnMoved = (arn: string, name: string, from: string, to: string) =>
    arn.replace(`:server-certificate${from}${name}`, `:server-certificate${to}${name}`);

/**
 * The certificates IAM holds for this resource: under its path and under the path its certificates
 * had before (formerPath), where the one a stack upgraded from earlier versions serves until its
 * first renewal here. A create-before-delete replacement finds the certificate it replaces here.
 */
async function certificatesOfResource(inputs: CreateInputs) {
    const aws = awsTargetOf(inputs);
    const paths = inputs.formerPath !== undefined && inputs.formerPath !== inputs.path ? [inputs.path, inputs.formerPath] : [inputs.path];
    return (await Promise.all(paths.map((p) => listServerCertificates(aws, p)))).flat();
}

/** Uploads an issued certificate; on failure throws a partial-resource error that keeps it. */
async function uploadOrKeep(outs: CertificateOutputs, providerText: unknown): Promise<CertificateOutputs> {
    try {
        const uploaded = await uploadServerCertificate(
            awsTargetOf(outs),
            {
                name: outs.name,
                path: outs.path,
                certificateBody: outs.certificatePem,
                certificateChain: outs.chainPem,
                privateKey: outs.privateKeyPem,
                // The account that ordered, kept with the certificate: what its renewal reads (replacedCertificate).
                tags: { ...outs.tags, [ISSUER_ACCOUNT_TAG]: issuerAccountTagValue(outs.issuerAccountUrl ?? outs.accountUrl) },
            },
            log,
        );
        return withoutUndefined({ ...outs, ...uploaded, uploadPending: false });
    } catch (e) {
        const message = `${(e as Error).message}${(e as { code?: string }).code === "LimitExceeded" ? "" : " The issued certificate is kept in the state; the next `pulumi up` uploads it without a new order."}`;
        // The engine records a resource with init errors from {id, properties, reasons} and updates
        // it on the next run (@pulumi/pulumi cmd/dynamic-provider: an error carrying id, properties and reasons becomes ErrorResourceInitFailed; docs/how-it-works.md).
        throw Object.assign(new Error(message), {
            id: outs.name,
            properties: withoutUndefined({ ...outs, uploadPending: true, __provider: providerText }),
            reasons: [message],
        });
    }
}

/**
 * Whether the CA that signed the served certificate is still one of the issuers (first or fallback):
 * then a new first CA or account is no reason to renew it. An adopted certificate's CA is not ours
 * to know: the stack's CA as it was decides, as before.
 */
function issuedByListedCa(olds: CertificateOutputs, news: CreateInputs): boolean {
    if (olds.adoptedFrom !== undefined) {
        return false;
    }
    const signedBy = canonicalDirectoryUrl(olds.issuerDirectoryUrl ?? olds.acmeDirectoryUrl);
    return [news.acmeDirectoryUrl, ...(news.fallbackIssuers ?? []).map((f) => f.directoryUrl)].some(
        (d) => typeof d === "string" && canonicalDirectoryUrl(d) === signedBy,
    );
}

/** Whether an update moves the certificate from the path of earlier versions to the resource's path (diff, update). */
function movesFromFormerPath(olds: CertificateOutputs, news: CreateInputs): boolean {
    return news.formerPath !== undefined && olds.path === news.formerPath && news.path !== olds.path;
}

/**
 * Moves a certificate from the path earlier versions gave it (`/cloudfront/<stack>/<name>/`, shared
 * by every project's stack of that name) to the resource's own (`/cloudfront/<project>/<stack>/<name>/`).
 * UpdateServerCertificate keeps its name and ServerCertificateId, and CloudFront refers to it by that
 * id, so the distribution keeps serving it: no order, no gap (aws/iam.ts, moveServerCertificate).
 */
async function moveFromFormerPath(olds: CertificateOutputs, news: CreateInputs): Promise<Pick<CertificateOutputs, "path" | "arn">> {
    try {
        await moveServerCertificate(awsTargetOf(news), olds.name, news.path);
    } catch (e) {
        if (errorName(e) === "AccessDenied") {
            throw providerError(
                `moving IAM server certificate "${olds.name}" from ${olds.path} to ${news.path} was refused (AccessDenied); it is unchanged and still served. ` +
                    `This \`pulumi up\` needs iam:UpdateServerCertificate on ${olds.arn} and on ${news.path}*: regenerate the policy from the stack's outputs ` +
                    '(`npm run policy -- --stack <stack> --outputs-file outputs.json`, docs/migrate.md, "Certificate paths")',
                "MoveRefused",
            );
        }
        throw e;
    }
    log(
        `[certificate] [${olds.name}] moved from ${olds.path} to ${news.path} (same id ${olds.serverCertificateId}, still served): no new order`,
    );
    return { path: news.path, arn: arnMoved(olds.arn, olds.name, olds.path, news.path) };
}

/**
 * The instant the CA's current ARI window says this certificate renews (one GET, bounded), or
 * undefined when the CA offers no ARI for it or cannot answer now: then the stored `renewAfter`
 * decides, and one log line says so. Never an AWS call, never a failure.
 */
async function currentAriInstant(olds: CertificateOutputs): Promise<string | undefined> {
    if (olds.adoptedFrom !== undefined) {
        return undefined; // another CA's or tool's certificate: the stored window decides
    }
    let url = olds.renewalInfoUrl;
    try {
        if (url === undefined && olds.certificatePem) {
            // State written before the URL was kept: find it in the directory (one more GET).
            url = renewalInfoUrl(await assertCaReachable(olds.issuerDirectoryUrl ?? olds.acmeDirectoryUrl), olds.certificatePem);
        }
        if (url === undefined) {
            return undefined;
        }
        const window = await getRenewalWindow(url);
        const instant = ariRenewalInstant(window, olds.serialNumber ?? "");
        if (instant !== undefined && instant < olds.renewAfter) {
            log(`[acme] [${olds.name}] the CA moved the renewal window to ${window.start} .. ${window.end}: renews from ${instant}`);
        }
        return instant;
    } catch (e) {
        log(
            `[acme] [${olds.name}] renewal information unavailable (${(e as Error).message}): using the stored renewAfter ${olds.renewAfter}`,
        );
        return undefined;
    }
}

/**
 * The ARI CertID of the certificate this create replaces, for the order's `replaces` (RFC 9773 §5:
 * a replacement placed inside the window is exempt from Let's Encrypt's rate limits), when `issuer`
 * ordered it. Create-before-delete means the old certificate is still in IAM under the resource's
 * path, tagged with the account that ordered it (ISSUER_ACCOUNT_TAG): another CA or account is never
 * sent its CertID, nor asked for its renewal information. None on a first issuance, when the CA
 * offers no ARI, for a certificate without the tag that this CA does not know (adopted, or uploaded
 * by an earlier version after a fallback), or on any error.
 */
async function replacedCertificate(
    inputs: CreateInputs,
    issuer: { accountUrl: string },
    directory: AcmeDirectory,
): Promise<string | undefined> {
    if (!directory.renewalInfo) {
        return undefined;
    }
    try {
        // The latest-expiring one (a leftover whose delete failed may sit beside it); the name carries
        // notAfter too (certificateName), for stores that list no expiry.
        const expiry = (c: { name: string; expiration?: string }) => c.expiration ?? /-(\d{8}T\d{4})-[0-9a-f]+$/.exec(c.name)?.[1] ?? "";
        const previous = (await certificatesOfResource(inputs)).sort((a, b) => expiry(b).localeCompare(expiry(a)))[0];
        const stored = previous && (await getServerCertificate(awsTargetOf(inputs), previous.name));
        const certId = stored?.body ? ariCertId(stored.body) : undefined;
        if (!stored || !certId) {
            return undefined;
        }
        const orderedBy = stored.tags[ISSUER_ACCOUNT_TAG];
        if (orderedBy !== undefined && orderedBy !== issuerAccountTagValue(issuer.accountUrl)) {
            log(`[acme] [${inputs.domains[0]}] ${stored.name} was ordered by another CA or account: not sent as replaced (RFC 9773 §5)`);
            return undefined;
        }
        // RFC 9773 §5: the order and the replaced certificate share at least one name (CAs refuse
        // it otherwise); an unrelated certificate under a shared path is not ours to replace.
        if (!certificateFacts(stored.body).domains.some((d) => inputs.domains.includes(d))) {
            return undefined;
        }
        const url = renewalInfoUrl(directory, stored.body) as string;
        const window = await getRenewalWindow(url).catch(() => undefined);
        if (!window) {
            log(`[acme] [${inputs.domains[0]}] ${stored.name} is unknown to this CA: not sent as replaced`);
            return undefined;
        }
        const inside = Date.now() >= Date.parse(window.start);
        log(
            `[acme] [${inputs.domains[0]}] replacing ${stored.name} (${certId}): ${inside ? "inside" : "before"} its renewal window ` +
                `${window.start} .. ${window.end}${inside ? ", exempt from rate limits" : ""}`,
        );
        return certId;
    } catch (e) {
        log(
            `[acme] [${inputs.domains[0]}] could not read the certificate being replaced (${(e as Error).message}): ordering without \`replaces\``,
        );
        return undefined;
    }
}

/**
 * Takes over a certificate already in IAM (made by hand, by certbot, by another tool; any CA): no
 * order, no upload. It renews from the usual share of its lifetime (no ARI: its CA may not be ours),
 * then is replaced like any other: create before delete, so it is deleted only after the
 * distribution serves the new one. The private key stays where it is (IAM never returns it).
 *
 * One-shot, and the mark is kept in IAM, not in the inputs: the engine checks a replacement with no
 * old inputs, so a replacement looks like a first create. The adopted certificate is moved under the
 * resource's own path (same name, same ServerCertificateId, still served); a create that finds that
 * path already holding a certificate is a replacement, and orders. Undefined: order as usual.
 */
async function adoptOnce(inputs: CreateInputs, name: string): Promise<{ id: string; outs: CertificateOutputs } | undefined> {
    const aws = awsTargetOf(inputs);
    const [stored, own] = await Promise.all([getServerCertificate(aws, name), certificatesOfResource(inputs)]);
    const stackPaths = [inputs.path, inputs.formerPath].flatMap((p) => (p === undefined ? [] : [parentPath(p)]));
    if (own.length > 0 || stackPaths.some((p) => stored?.path.startsWith(p))) {
        log(
            `[certificate] [${inputs.domains[0]}] not adopting ${name}: ${own.length > 0 ? `${inputs.path} already holds ${own.map((c) => c.name).join(", ")}` : `it is this stack's own (${stored?.path})`}; ordering as for any renewal`,
        );
        return undefined;
    }
    if (!stored?.body) {
        throw providerError(
            `cannot adopt IAM server certificate "${name}": there is none by that name in this account; nothing was ordered. ` +
                "Give its ServerCertificateName (`aws iam list-server-certificates --path-prefix /cloudfront/`)",
            "AdoptNotFound",
        );
    }
    const facts = certificateFacts(stored.body);
    const problem = adoptionProblem(name, stored.path, facts, inputs.domains, stackPaths[0]);
    if (problem) {
        throw providerError(problem, "AdoptRefused");
    }
    const instead = orderInsteadOfAdopting(facts, Date.now(), inputs.renewBeforeDays);
    if (instead) {
        // The program says so at preview (resolveAdoption) and leaves the name out; this is for library callers.
        log(
            `[certificate] [${inputs.domains[0]}] not adopting ${name}: ${instead}. Ordering a new certificate; ${name} stays in IAM as it is`,
        );
        return undefined;
    }
    try {
        await moveServerCertificate(aws, name, inputs.path);
    } catch (e) {
        if (errorName(e) === "AccessDenied") {
            throw providerError(
                `cannot adopt IAM server certificate "${name}": moving it from ${stored.path} to ${inputs.path} was refused (AccessDenied); nothing was ordered. ` +
                    `The first adopting \`pulumi up\` needs iam:UpdateServerCertificate on ${stored.arn} and on the stack's path ` +
                    "(docs/migrate.md, permissions)",
                "AdoptRefused",
            );
        }
        throw e;
    }
    const outs: CertificateOutputs = {
        ...storedInputs(inputs),
        // The move keeps the id; the ARN names the new path.
        serverCertificateId: stored.serverCertificateId,
        arn: arnMoved(stored.arn, name, stored.path, inputs.path),
        name,
        notBefore: facts.notBefore,
        notAfter: facts.notAfter,
        renewAfter: renewAfter(facts, { renewBeforeDays: inputs.renewBeforeDays, random: stableFraction(facts.serialNumber) }),
        serialNumber: facts.serialNumber,
        certificatePem: stored.body,
        chainPem: stored.chain,
        privateKeyPem: "",
        uploadPending: false,
        adoptedFrom: stored.path,
    };
    const due = isDue(outs.renewAfter, Date.now());
    log(
        `[certificate] [${inputs.domains[0]}] adopted ${name} (${stored.serverCertificateId}, serial ${facts.serialNumber}), moved from ${stored.path} to ${inputs.path}: ` +
            `valid until ${facts.notAfter}, ${due ? "already in its renewal window: the next `pulumi up` replaces it" : `renews from ${outs.renewAfter}`}; nothing was ordered`,
    );
    // The engine refuses undefined values in outputs ("Unexpected struct type").
    return { id: name, outs: withoutUndefined(outs) };
}

/**
 * Refuses before any order when IAM has no free slot for the new certificate (../core/certificate.ts,
 * quotaProblem). A summary that cannot be read (a policy without iam:GetAccountSummary) is logged
 * and passed over: the upload then says LimitExceeded, and the certificate is kept for the next run.
 */
async function assertRoomInIam(inputs: CertificateInputs): Promise<void> {
    let count: { used: number; quota: number };
    try {
        count = await serverCertificateCount(awsTargetOf(inputs));
    } catch (e) {
        log(
            `[iam] the server-certificate quota could not be read (${(e as Error).name}: ${(e as Error).message}): not checked before the order`,
        );
        return;
    }
    if (count.used < count.quota) {
        return;
    }
    const underPath = await listServerCertificates(awsTargetOf(inputs), inputs.path).catch(() => []);
    throw providerError(
        quotaProblem(
            count.used,
            count.quota,
            underPath.map((c) => c.name),
            inputs.path,
        ) as string,
        "ServerCertificateQuota",
    );
}

/** In dns-persist-01 mode, a name in a zone given in `hostedZones`: its standing record is an ordinary Route 53 record of the program. */
function managedPersistRecord(inputs: CertificateInputs, domain: string): boolean {
    return inputs.challenge === "dns-persist-01" && zoneFor(domain, inputs.hostedZones ?? {}) !== undefined;
}

/** Where the certificate's dns-01 values are written: Route 53 in the stack's account (the only DNS host today). */
function dnsHostOf(inputs: CertificateInputs): DnsHost {
    return route53Host(awsTargetOf(inputs), inputs.hostedZones);
}

/** Base names whose CAA records are looked up at once. */
const CAA_CONCURRENCY = 8;

/**
 * Fails (class `caa`, so the next CA is tried) when a name's CAA records forbid the CA whose
 * directory lists `caIdentities` (../core/issuers.ts). A lookup that fails is logged and passed
 * over: the CA checks CAA itself.
 */
async function assertCaaAllows(domains: readonly string[], caIdentities: readonly string[], resolvers: readonly string[], ca: string) {
    if (caIdentities.length === 0) {
        return;
    }
    const queue = [...domains];
    const forbidden: string[] = [];
    await Promise.all(
        Array.from({ length: Math.min(CAA_CONCURRENCY, queue.length) }, async () => {
            for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
                try {
                    const found = await lookupCaa(resolvers, name);
                    const why = caaForbids(name, found.properties, caIdentities);
                    if (why) {
                        forbidden.push(`${name}: ${why}${found.at && found.at !== name ? ` (the record is at ${found.at})` : ""}`);
                    }
                } catch (e) {
                    log(`[dns] [${name}] CAA lookup failed (${(e as Error).message}): left to the CA`);
                }
            }
        }),
    );
    if (forbidden.length > 0) {
        throw Object.assign(new Error(`CAA does not allow ${ca} for ${forbidden.sort().join("; ")}; nothing was ordered there`), {
            issuerFailure: "caa",
        } satisfies IssuerError);
    }
}

/** What the standing dns-persist-01 records of one CA must say: its issuer names, and how they name the account. */
interface PersistContext {
    issuers: readonly string[];
    account: PersistAccount;
}

/**
 * The dns-persist-01 context of one CA from its directory, with the draft set for it
 * (`dnsPersistDraft`), or why that CA cannot validate the draft's records.
 */
function persistContext(
    draft: PersistDraft | undefined,
    issuer: { directoryUrl: string; accountUrl: string; accountKeyPem: string },
    meta: AcmeDirectory["meta"],
): { context: PersistContext; problem?: undefined } | { context?: undefined; problem: string } {
    const chosen = persistAccountFor(
        draft ?? "auto",
        { accountUrl: issuer.accountUrl, keyThumbprint: () => jwkThumbprint(issuer.accountKeyPem) },
        meta,
    );
    if (chosen.problem !== undefined) {
        return {
            problem: `\`dnsPersistDraft\` "${draft}" does not suit the CA at ${issuer.directoryUrl}: ${chosen.problem}. Set it to "auto" or "draft-01" (docs/dns-persist-drafts.md)`,
        };
    }
    return { context: { issuers: persistIssuerNames(meta), account: chosen.account } };
}

/** How long a plan made by `check` serves the `create` of the same `pulumi up`. */
const PLAN_REUSE_MS = 120_000;

/**
 * How each name is validated (../acme/challengePlan.ts); `persist` undefined leaves dns-persist-01
 * unchecked. The engine calls `check` and then `create` in one provider process within seconds:
 * a plan without problems is kept (on globalThis: module state does not survive serialization) and
 * reused once by `create`, so the lookups and the zone listing are not made twice per run.
 */
async function planFor(
    inputs: CertificateInputs,
    persist: PersistContext | undefined,
    reuse: "keep" | "take" | "none" = "none",
): Promise<ChallengePlanResult> {
    const store = ((
        globalThis as { __cloudfrontChinaPlans?: Map<string, { at: number; plan: ChallengePlanResult }> }
    ).__cloudfrontChinaPlans ??= new Map());
    const key = JSON.stringify([
        ...PLAN_INPUTS.map((k) => (k === "challenge" ? (inputs.challenge ?? "auto") : (inputs[k] ?? null))),
        inputs.challenge === "dns-01" ? null : (persist ?? null),
    ]);
    const kept = store.get(key);
    if (reuse === "take" && kept && Date.now() - kept.at < PLAN_REUSE_MS) {
        store.delete(key);
        return kept.plan;
    }
    const plan = await computePlan(inputs, persist);
    if (reuse === "keep" && plan.problems.length === 0) {
        store.set(key, { at: Date.now(), plan });
    }
    return plan;
}

function computePlan(inputs: CertificateInputs, persist: PersistContext | undefined): Promise<ChallengePlanResult> {
    const request: PlanRequest = {
        domains: inputs.domains,
        mode: inputs.challenge ?? "auto",
        resolvers: inputs.dnsResolvers ?? [],
        zoneOf: dnsHostOf(inputs).zoneOf,
        delegations: inputs.challengeDelegations,
        persist: persist === undefined ? undefined : { ...persist, persistUntil: inputs.persistUntil },
        now: Date.now(),
    };
    return planChallenges(request);
}

export const iamAcmeCertificateProvider: pulumi.dynamic.ResourceProvider = {
    async check(olds: Record<string, unknown>, news: Record<string, unknown>) {
        const failures = checkInputs(news);
        // Inputs of earlier versions: which account issued is read from IAM now (ISSUER_ACCOUNT_TAG).
        news = { ...news };
        delete news.previousAccountUrl;
        // Adoption is for the resource's first create only: an update never adopts, so the name is
        // not kept in its inputs (a replacement, checked with no old inputs, keeps it: adoptOnce
        // tells a replacement by what IAM holds under the path).
        if (Object.keys(olds).length > 0 || news.adoptCertificateName === undefined || news.adoptCertificateName === "") {
            news = { ...news };
            delete news.adoptCertificateName;
        } else {
            const problem = adoptNameProblem(news.adoptCertificateName, "adoptCertificateName");
            if (problem) {
                failures.push({ property: "adoptCertificateName", reason: problem });
            }
        }
        // Set by the constructor with the default path only; checked like `path`, as it names an IAM path too.
        if (news.formerPath !== undefined && (typeof news.formerPath !== "string" || !CLOUDFRONT_IAM_PATH.test(news.formerPath))) {
            failures.push({
                property: "formerPath",
                reason: `\`formerPath\` ${JSON.stringify(news.formerPath)} is not an IAM path under /cloudfront/`,
            });
        }
        // A profile or file missing on this machine: found here, before any request.
        if (failures.length === 0) {
            failures.push(...localIdentityProblems(news.awsIdentity as AwsIdentity | undefined));
        }
        // How each name will be validated: planned (Route 53 zone list, read-only DNS lookups) only
        // when something that decides it changed, so an unchanged stack makes no call here.
        const planInputsChanged = PLAN_INPUTS.some((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
        // The account URL may wait for its resource (a first preview): the plan then skips dns-persist-01.
        const allKnown = !PLAN_INPUTS.filter((k) => k !== "accountUrl" && k !== "challenge").some((k) => holdsUnknown(news[k]));
        if (failures.length === 0 && planInputsChanged && allKnown) {
            const inputs = news as unknown as CertificateInputs;
            const accountKnown = typeof news.accountUrl === "string" && news.accountUrl !== "" && !holdsUnknown(news.accountUrl);
            try {
                // The CA's issuer names and draft, for the dns-persist-01 records; unreachable now means checked again at create.
                const directory =
                    inputs.challenge !== "dns-01" && accountKnown && !holdsUnknown(news.accountKeyPem)
                        ? await assertCaReachable(inputs.acmeDirectoryUrl, CHECK_DIRECTORY_TIMEOUT_MS, 1).catch(() => undefined)
                        : undefined;
                const persist =
                    directory &&
                    persistContext(inputs.dnsPersistDraft, { ...inputs, directoryUrl: inputs.acmeDirectoryUrl }, directory.meta);
                if (persist?.problem !== undefined && inputs.challenge === "dns-persist-01") {
                    failures.push({ property: "dnsPersistDraft", reason: persist.problem });
                }
                const planned = await planFor(inputs, persist?.context, "keep");
                for (const p of planned.problems) {
                    // Until the account exists its standing record cannot be written, and a record the
                    // program writes into its Route 53 zone may not exist yet: both are checked at create.
                    if ((inputs.challenge !== "dns-01" && persist?.context === undefined) || managedPersistRecord(inputs, p.domain)) {
                        continue;
                    }
                    failures.push({ property: "domains", reason: p.reason });
                }
            } catch (e) {
                failures.push({
                    property: "hostedZones",
                    reason: `cannot find how to validate each name (${(e as Error).name}: ${(e as Error).message}): check credentials and dnsResolvers, or give \`hostedZones\``,
                });
            }
        }
        return { inputs: news, failures };
    },

    async diff(_id: string, olds: CertificateOutputs, news: CreateInputs) {
        if (olds.uploadPending) {
            return { changes: true }; // update finishes the upload of the certificate we hold
        }
        // A certificate under the path of earlier versions (formerPath) is moved, not replaced: same id, still served.
        const moving = movesFromFormerPath(olds, news);
        // Editing `issuers` (a CA added, removed, moved) renews nothing whose CA is still listed: the
        // certificate served is as valid as before, and the next order starts at the new first CA.
        const issuerStillListed = issuedByListedCa(olds, news);
        const replaces = shapingChanges(olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>).filter(
            (k) => !(k === "path" && moving) && !((k === "acmeDirectoryUrl" || k === "accountUrl") && issuerStillListed),
        );
        const issuersEdited = issuerStillListed && (olds.acmeDirectoryUrl !== news.acmeDirectoryUrl || olds.accountUrl !== news.accountUrl);
        if (!issuerStillListed && olds.adoptedFrom === undefined && !replaces.includes("acmeDirectoryUrl")) {
            replaces.push("fallbackIssuers"); // the CA that signed it left the list: renewed from one that is listed
        }
        // A new renewBeforeDays moves the window: compare against the window it gives.
        const window =
            olds.renewBeforeDays === news.renewBeforeDays ? olds.renewAfter : renewAfter(olds, { renewBeforeDays: news.renewBeforeDays });
        if (isDue(window, Date.now())) {
            replaces.push("renewAfter");
        } else if (replaces.length === 0 && news.renewBeforeDays === undefined && isDue(await currentAriInstant(olds), Date.now())) {
            // The CA moved the window (e.g. ahead of a mass revocation): renew now, not at the stored instant.
            replaces.push("renewalInfo");
        }
        if (replaces.length > 0) {
            return { changes: true, replaces, deleteBeforeReplace: false };
        }
        return {
            changes:
                moving ||
                issuersEdited ||
                inPlaceChanges(olds as unknown as Record<string, unknown>, news as unknown as Record<string, unknown>).length > 0,
        };
    },

    async create(inputs: CreateInputs) {
        const adopted = inputs.adoptCertificateName ? await adoptOnce(inputs, inputs.adoptCertificateName) : undefined;
        if (adopted) {
            return adopted;
        }
        const started = Date.now();
        const dns = dnsHostOf(inputs);
        // The account's own CA first, then the fallbacks (cloudfront-china:issuers): every order,
        // a renewal after a fallback included, starts at the first (docs/issuers.md).
        const listed: FallbackIssuer[] = [
            withoutUndefined({
                directoryUrl: inputs.acmeDirectoryUrl,
                accountUrl: inputs.accountUrl,
                accountKeyPem: inputs.accountKeyPem,
                dnsPersistDraft: inputs.dnsPersistDraft,
            }),
            ...(inputs.fallbackIssuers ?? []),
        ];
        // An account its CA could not register yet (AcmeAccount registerLater): that CA is skipped this time.
        const issuers = listed.filter((i) => i.accountUrl !== "");
        for (const skipped of listed.filter((i) => i.accountUrl === "")) {
            log(
                `[acme] [${inputs.domains[0]}] ${skipped.directoryUrl}: no account registered yet (the CA was out of reach): not tried this time`,
            );
        }
        if (issuers.length === 0) {
            throw providerError(
                `nothing was ordered: no CA of \`issuers\` has a registered account yet (each was out of reach): run \`pulumi up\` again when one answers`,
                "NoIssuerAvailable",
            );
        }
        // The first CA's certificate key, made on Node's thread pool while IAM and the CA are asked.
        const aheadKeyType = issuers[0].keyType ?? inputs.keyType;
        let aheadKey: Promise<Buffer> | undefined = certificateKey(aheadKeyType);
        aheadKey.catch(() => undefined); // awaited by the order it serves
        await assertRoomInIam(inputs);
        const { result, issuer } = await fromFirstIssuerThatWorks(
            issuers.map(acmeIssuer),
            async (chosen, directory) => {
                const spec = issuers.find((i) => i.directoryUrl === chosen.directoryUrl) as FallbackIssuer;
                const first = chosen.directoryUrl === inputs.acmeDirectoryUrl;
                const profile = spec.profile ?? inputs.profile;
                const offered = Object.keys(directory.meta?.profiles ?? {});
                if (profile !== undefined && offered.length > 0 && !offered.includes(profile)) {
                    // The CA would refuse the order (invalidProfile); say so before anything is ordered.
                    throw Object.assign(
                        providerError(
                            `nothing was ordered: the CA at ${chosen.directoryUrl} offers no profile "${profile}" ` +
                                `(it offers ${offered.map((p) => `"${p}"`).join(", ")}): set \`profile\` (cloudfront-china:acmeProfile) to one of them, or unset it for the CA's default`,
                            "ProfileUnavailable",
                        ),
                        { issuerFailure: "profile" } satisfies IssuerError,
                    );
                }
                const caIdentities = directory.meta?.caaIdentities ?? [];
                if (issuers.length > 1) {
                    // With a CA to fall back to, a name whose CAA records forbid this CA goes to the
                    // next one before an order spends a failed validation here (RFC 8659).
                    await assertCaaAllows(inputs.domains, caIdentities, inputs.dnsResolvers ?? [], chosen.directoryUrl);
                }
                const forIssuer = { ...inputs, accountUrl: chosen.accountUrl, dnsPersistDraft: spec.dnsPersistDraft };
                const persist = inputs.challenge === "dns-01" ? undefined : persistContext(spec.dnsPersistDraft, spec, directory.meta);
                if (persist?.problem !== undefined) {
                    if (inputs.challenge === "dns-persist-01") {
                        // Records of another draft name this CA's account in a way it does not read: the next CA may.
                        throw Object.assign(providerError(`nothing was ordered: ${persist.problem}`, "PersistDraftUnsupported"), {
                            issuerFailure: "persistRecord",
                        } satisfies IssuerError);
                    }
                    log(`[acme] [${inputs.domains[0]}] ${persist.problem}; dns-01 for every name`);
                }
                // Read beside the plan (it never rejects): the certificate this order replaces, if any.
                const replacing = replacedCertificate(inputs, chosen, directory);
                let planned = await planFor(forIssuer, persist?.context, first ? "take" : "none");
                // Standing records the program writes into its own Route 53 zone (dns-persist-01 with
                // hostedZoneId) were created just before this resource: wait for them to show, bounded.
                const deadline = Date.now() + inputs.propagationTimeoutSeconds * 1000;
                while (
                    planned.problems.length > 0 &&
                    planned.problems.every((p) => managedPersistRecord(inputs, p.domain)) &&
                    Date.now() < deadline
                ) {
                    log(`[dns] waiting for ${planned.problems.length} dns-persist-01 record(s) in Route 53 to show at the resolvers`);
                    await sleep(inputs.pollIntervalSeconds * 1000);
                    planned = await planFor(forIssuer, persist?.context);
                }
                if (planned.problems.length > 0) {
                    throw Object.assign(
                        providerError(
                            `nothing was ordered: ${planned.problems.length} name(s) cannot be validated yet.\n` +
                                planned.problems.map((p) => `  - ${p.reason}`).join("\n") +
                                "\nAdd the record(s) at the DNS host and run `pulumi up` again (a new ACME account, e.g. another acmeDirectoryUrl, needs new dns-persist-01 records).",
                            "ChallengeUnavailable",
                        ),
                        // dns-persist-01 records name one CA and account: the next CA has its own. Any
                        // other missing route (no zone, no delegation) is the same at every CA.
                        inputs.challenge === "dns-persist-01" ? ({ issuerFailure: "persistRecord" } satisfies IssuerError) : {},
                    );
                }
                // `replaces` only to the CA and account that issued the certificate being replaced (RFC 9773 §5).
                const replaces = await replacing;
                // The key made ahead serves one order, of its key type.
                const keyType = spec.keyType ?? inputs.keyType;
                const privateKey = keyType === aheadKeyType ? aheadKey : undefined;
                aheadKey = privateKey ? undefined : aheadKey;
                const dns01Zones = Object.values(planned.plans).flatMap((p) => (p.dns01 ? [p.dns01.zoneId] : []));
                const resolvers = inputs.dnsResolvers ?? (await dns.nameServers(dns01Zones));
                const issued = await chosen.issue(
                    {
                        domains: inputs.domains,
                        keyType,
                        privateKey,
                        preferredChain: inputs.preferredChain,
                        profile,
                        replaces,
                        plans: planned.plans,
                        mode: inputs.challenge ?? "auto",
                        dns01Fallback: async (domains) => {
                            const fallback = await planFor({ ...forIssuer, domains, challenge: "dns-01" }, undefined);
                            if (fallback.problems.length > 0) {
                                throw providerError(
                                    `nothing was issued: ${fallback.problems.map((p) => p.reason).join("; ")}`,
                                    "ChallengeUnavailable",
                                );
                            }
                            return fallback.plans;
                        },
                        dns,
                        resolvers,
                        propagationTimeoutMs: inputs.propagationTimeoutSeconds * 1000,
                        caTimeoutMs: inputs.caTimeoutSeconds === undefined ? undefined : inputs.caTimeoutSeconds * 1000,
                        pollMs: inputs.pollIntervalSeconds * 1000,
                        persistUntil: inputs.persistUntil,
                        persistAccount: persist?.context?.account,
                    },
                    log,
                );
                return { issued, directory };
            },
            inputs.domains[0],
            log,
        );
        const { issued, directory } = result;
        const facts = certificateFacts(issued.certificatePem);
        const ari = inputs.renewBeforeDays === undefined ? await fetchRenewalWindow(directory, issued.certificatePem, log) : undefined;
        const name = certificateName(inputs.domains[0], facts.notAfter, facts.serialNumber);
        const window = ari && validWindow(ari);
        if (window && window.start > renewalFloor(facts)) {
            log(
                `[acme] [${name}] the CA's renewal window ${ari!.start} .. ${ari!.end} starts after a quarter of the lifetime is left: ` +
                    `renews from ${new Date(renewalFloor(facts)).toISOString()} instead (the floor; the watch warns from there)`,
            );
        }
        const outs: CertificateOutputs = {
            ...storedInputs(inputs),
            serverCertificateId: "",
            arn: "",
            name,
            notBefore: facts.notBefore,
            notAfter: facts.notAfter,
            renewAfter: renewAfter(facts, { renewBeforeDays: inputs.renewBeforeDays, ari, random: stableFraction(facts.serialNumber) }),
            serialNumber: facts.serialNumber,
            certificatePem: issued.certificatePem,
            chainPem: issued.chainPem,
            privateKeyPem: issued.privateKeyPem,
            uploadPending: true,
            renewalInfoUrl: renewalInfoUrl(directory, issued.certificatePem),
            issuerDirectoryUrl: issuer.directoryUrl,
            issuerAccountUrl: issuer.accountUrl,
        };
        const uploaded = await uploadOrKeep(outs, inputs.__provider);
        log(
            `[certificate] [${inputs.domains[0]}] ${name} ready, issued by ${issuer.directoryUrl}: valid until ${facts.notAfter}, renews from ${outs.renewAfter} (${((Date.now() - started) / 1000).toFixed(2)} s)`,
        );
        return { id: name, outs: uploaded };
    },

    async update(_id: string, olds: CertificateOutputs, news: CreateInputs) {
        let outs: CertificateOutputs = {
            ...olds,
            ...storedInputs(news),
            renewAfter: olds.renewAfter,
            // State written before fallbacks: the account's own CA signed it.
            issuerDirectoryUrl: olds.issuerDirectoryUrl ?? olds.acmeDirectoryUrl,
            issuerAccountUrl: olds.issuerAccountUrl ?? olds.accountUrl,
        };
        if (olds.renewBeforeDays !== news.renewBeforeDays) {
            outs.renewAfter = renewAfter(olds, { renewBeforeDays: news.renewBeforeDays });
        }
        if (!olds.uploadPending && movesFromFormerPath(olds, news)) {
            outs = { ...outs, ...(await moveFromFormerPath(olds, news)) };
        }
        if (olds.uploadPending) {
            log(
                `[certificate] [${olds.name}] uploading the certificate issued by an earlier run (serial ${olds.serialNumber}): no new order`,
            );
            outs = await uploadOrKeep(outs, news.__provider);
        } else if (JSON.stringify(olds.tags ?? {}) !== JSON.stringify(news.tags ?? {})) {
            await setServerCertificateTags(awsTargetOf(news), olds.name, olds.tags ?? {}, news.tags ?? {});
        }
        return { outs: withoutUndefined(outs) };
    },

    async read(id: string, props: CertificateOutputs) {
        if (props.uploadPending) {
            return { id, props };
        }
        const stored = await getServerCertificate(awsTargetOf(props), id);
        if (!stored) {
            log(`[iam] [${id}] not found in IAM: deleted out of band; the next \`pulumi up\` issues a new certificate`);
            return {};
        }
        return { id, props: { ...props, serverCertificateId: stored.serverCertificateId, arn: stored.arn, path: stored.path } };
    },

    async delete(id: string, props: CertificateOutputs) {
        if (props.uploadPending) {
            return; // never reached IAM
        }
        // The identity stored with the resource: delete runs with the old outputs only.
        await deleteServerCertificate(awsTargetOf(props), id, (props.deleteConflictTimeoutSeconds ?? 1200) * 1000, log);
    },
};

/**
 * A Let's Encrypt (or any ACME CA) certificate in IAM for CloudFront in China, renewed by replacement
 * on the first `pulumi up` at or after `renewAfter`.
 */
export class IamAcmeCertificate extends CachedDynamicResource {
    /** What CloudFront's `viewerCertificate.iamCertificateId` takes (ASCA…). */
    declare public readonly serverCertificateId: pulumi.Output<string>;
    declare public readonly arn: pulumi.Output<string>;
    /** IAM certificate name (also the resource id). */
    declare public readonly name: pulumi.Output<string>;
    declare public readonly path: pulumi.Output<string>;
    declare public readonly domains: pulumi.Output<string[]>;
    declare public readonly notBefore: pulumi.Output<string>;
    declare public readonly notAfter: pulumi.Output<string>;
    /** From this instant, `pulumi up` replaces the certificate. */
    declare public readonly renewAfter: pulumi.Output<string>;
    declare public readonly serialNumber: pulumi.Output<string>;
    declare public readonly certificatePem: pulumi.Output<string>;
    declare public readonly chainPem: pulumi.Output<string>;
    /** Secret. */
    declare public readonly privateKeyPem: pulumi.Output<string>;
    /** The directory of the CA that signed: the account's own, or a fallback's. */
    declare public readonly issuerDirectoryUrl: pulumi.Output<string | undefined>;
    /** Set when the certificate was taken over from IAM (adoptCertificateName): the path it was found under. */
    declare public readonly adoptedFrom: pulumi.Output<string | undefined>;

    constructor(name: string, args: IamAcmeCertificateArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            iamAcmeCertificateProvider,
            name,
            {
                domains: args.domains,
                acmeDirectoryUrl: args.account.directoryUrl,
                accountUrl: args.account.accountUrl,
                accountKeyPem: args.account.accountKeyPem,
                region: args.region,
                path: args.path ?? defaultIamPath(pulumi.getProject(), pulumi.getStack(), name),
                formerPath: args.path === undefined ? legacyIamPath(pulumi.getStack(), name) : undefined,
                keyType: args.keyType ?? "rsa-2048",
                renewBeforeDays: args.renewBeforeDays,
                preferredChain: args.preferredChain,
                profile: args.profile,
                hostedZones: args.hostedZones,
                challenge: args.challenge ?? "auto",
                challengeDelegations: args.challengeDelegations,
                persistUntil: args.persistUntil,
                dnsPersistDraft: args.dnsPersistDraft,
                dnsResolvers: args.dnsResolvers,
                propagationTimeoutSeconds: args.propagationTimeoutSeconds ?? 300,
                pollIntervalSeconds: args.pollIntervalSeconds ?? 5,
                deleteConflictTimeoutSeconds: args.deleteConflictTimeoutSeconds ?? 1200,
                // No default here: unset keeps existing stacks' inputs as they are (the provider applies 120).
                caTimeoutSeconds: args.caTimeoutSeconds,
                tags: args.tags,
                adoptCertificateName: args.adoptCertificateName,
                awsIdentity: args.awsIdentity ?? stackAwsIdentity(),
                fallbackIssuers:
                    args.fallbackAccounts && args.fallbackAccounts.length > 0
                        ? pulumi.all(
                              args.fallbackAccounts.map((f) =>
                                  pulumi
                                      .all([f.account.directoryUrl, f.account.accountUrl, f.account.accountKeyPem])
                                      .apply(([directoryUrl, accountUrl, accountKeyPem]) =>
                                          withoutUndefined({
                                              directoryUrl,
                                              accountUrl,
                                              accountKeyPem,
                                              profile: f.profile,
                                              keyType: f.keyType,
                                              dnsPersistDraft: f.dnsPersistDraft,
                                          }),
                                      ),
                              ),
                          )
                        : undefined,
                issuerDirectoryUrl: undefined,
                issuerAccountUrl: undefined,
                adoptedFrom: undefined,
                serverCertificateId: undefined,
                arn: undefined,
                name: undefined,
                notBefore: undefined,
                notAfter: undefined,
                renewAfter: undefined,
                serialNumber: undefined,
                certificatePem: undefined,
                chainPem: undefined,
                privateKeyPem: undefined,
                uploadPending: undefined,
            },
            // The key is generated in create: without this it would be stored in plaintext.
            pulumi.mergeOptions(opts, { additionalSecretOutputs: ["privateKeyPem"] }),
            "cloudfront-china",
            "IamAcmeCertificate",
        );
    }
}
