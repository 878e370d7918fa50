/**
 * Certificate rules: the provider's input checks, the renewal window (lifetime share and ARI instant),
 * IAM naming, what forces a replacement, the facts of a PEM certificate. No network, no npm module:
 * serialized into the state with the dynamic provider (../providers/iamAcmeCertificate.ts), so the
 * one node module is `require`d inside its function.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside a function on purpose (serialization) */
import { caNameProblems, domainsProblems } from "./validation";
import { AwsIdentity, identityProblems } from "./awsIdentity";
import { UNKNOWN } from "./runtime";
import { CHALLENGE_MODES, ChallengeMode, baseName } from "./challenges";
import { PersistDraft, persistDraftProblem } from "./persistAccount";
import { CHINA_REGIONS } from "./chinaRules";

export const KEY_TYPES = ["rsa-2048", "ecdsa-p256"] as const;
export type KeyType = (typeof KEY_TYPES)[number];

export const LETS_ENCRYPT_PRODUCTION = "https://acme-v02.api.letsencrypt.org/directory";
export const LETS_ENCRYPT_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory";

/** Let's Encrypt's per-certificate name limit (tlsserver profile: 25; classic: 100). */
export const MAX_CERTIFICATE_NAMES = 100;
/** IAM server certificate names: 1-128 of [\w+=,.@-]. */
const IAM_NAME_MAX = 128;

/**
 * The certificate's inputs, in two halves: the one list every part of the provider works from (the
 * stored outputs echo them, `diff` compares them), so a new input is one line here and one field in
 * `CertificateInputs`; the type check below keeps the two in step.
 *
 * Shaping inputs decide what is issued: a change to any of them needs a new certificate.
 */
export const SHAPING_INPUTS = [
    "domains",
    "keyType",
    "acmeDirectoryUrl",
    "accountUrl",
    "path",
    "region",
    "preferredChain",
    "profile",
] as const;

/** The other inputs: how names are validated, who makes the calls, timings, tags. A change updates in place. */
export const IN_PLACE_INPUTS = [
    "renewBeforeDays",
    "tags",
    "hostedZones",
    // How names are validated, not what is issued: the next order uses the new way.
    "challenge",
    "challengeDelegations",
    "persistUntil",
    "dnsPersistDraft",
    "dnsResolvers",
    "propagationTimeoutSeconds",
    "pollIntervalSeconds",
    "deleteConflictTimeoutSeconds",
    "caTimeoutSeconds",
    // Who makes the calls, not what is issued: a new identity is stored for later calls (delete runs
    // with the stored inputs), and never replaces the certificate.
    "awsIdentity",
    // Which CAs to try when the first cannot issue: the next order uses the new list.
    "fallbackIssuers",
] as const;

/** The inputs that decide how each name is validated (the challenge plan): a change means planning again. */
export const PLAN_INPUTS = [
    "domains",
    "region",
    "hostedZones",
    "awsIdentity",
    "challenge",
    "challengeDelegations",
    "dnsResolvers",
    "accountUrl",
    "dnsPersistDraft",
] as const;

/** Every input the provider stores back (all but the account key, which stays an input only). */
export const STORED_INPUTS = [...SHAPING_INPUTS, ...IN_PLACE_INPUTS] as const;
export type StoredInputName = (typeof STORED_INPUTS)[number];

export interface CertificateTimes {
    notBefore: string;
    notAfter: string;
}

export interface AriWindow {
    start: string;
    end: string;
}

const DAY_MS = 86_400_000;

/** The window as instants (ms), or undefined when it is not a valid one: RFC 9773 §4.2, the end after the start. */
export function validWindow(window: { start?: unknown; end?: unknown }): { start: number; end: number } | undefined {
    const start = typeof window.start === "string" ? Date.parse(window.start) : NaN;
    const end = typeof window.end === "string" ? Date.parse(window.end) : NaN;
    return Number.isFinite(start) && Number.isFinite(end) && end > start ? { start, end } : undefined;
}

/**
 * The share of a certificate's lifetime that is always left when renewal starts, whatever the CA's
 * window says: a quarter. It is the point from which the watch warns (docs/watch.md: a quarter of the
 * lifetime), so a CA that moves a window later never makes the watch alarm on a healthy stack, and
 * it leaves room for outages: 11 days of a 45-day certificate, 16 of a 64-day one, 40 hours of a
 * 160-hour one (more than a day between daily runs). Let's Encrypt's own windows sit at about a third.
 */
export const RENEWAL_FLOOR_SHARE = 1 / 4;

/** The latest instant renewal may start: when RENEWAL_FLOOR_SHARE of the lifetime remains. */
export function renewalFloor(times: CertificateTimes): number {
    const notBefore = Date.parse(times.notBefore);
    const notAfter = Date.parse(times.notAfter);
    return Math.floor(notAfter - (notAfter - notBefore) * RENEWAL_FLOOR_SHARE);
}

/**
 * The instant from which `diff` replaces the certificate, following Let's Encrypt's integration
 * guide: a random instant in the ARI suggested window when the CA offers a valid one, but never
 * later than the floor (`renewalFloor`); otherwise
 * when one third of the certificate's own lifetime remains (one half below 10 days); or, when the
 * user set `renewBeforeDays`, that many days before notAfter. Computed from the certificate, never
 * from an assumed 90 days (lifetimes shrink to 64, 45 days and 160 hours).
 */
export function renewAfter(times: CertificateTimes, opts: { renewBeforeDays?: number; ari?: AriWindow; random?: number } = {}): string {
    const notBefore = Date.parse(times.notBefore);
    const notAfter = Date.parse(times.notAfter);
    const lifetime = notAfter - notBefore;
    // A window as long as the certificate itself would renew on every run: fall back to the rule.
    if (opts.renewBeforeDays !== undefined && opts.renewBeforeDays * DAY_MS < lifetime) {
        return new Date(notAfter - opts.renewBeforeDays * DAY_MS).toISOString();
    }
    // RFC 9773: an invalid window (end <= start) is ignored.
    const ari = opts.ari && validWindow(opts.ari);
    if (ari) {
        const r = opts.random ?? Math.random();
        return new Date(Math.min(Math.floor(ari.start + r * (ari.end - ari.start)), renewalFloor(times))).toISOString();
    }
    const remaining = lifetime < 10 * DAY_MS ? lifetime / 2 : lifetime / 3;
    return new Date(Math.floor(notAfter - remaining)).toISOString();
}

/**
 * A number in [0, 1) fixed by the certificate's serial: where in the ARI window this certificate
 * renews. Random across certificates (spreads renewals, as RFC 9773 §4.2 asks), stable for one,
 * so a preview and the `up` after it, and every run's re-check, agree (FNV-1a over the serial).
 */
export function stableFraction(serialHex: string): number {
    let hash = 0x811c9dc5;
    for (const ch of serialHex.toLowerCase()) {
        hash ^= ch.charCodeAt(0);
        hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    return hash / 2 ** 32;
}

/**
 * The instant in the CA's current window at which this certificate renews: `stableFraction` of the
 * way in; a window already past means now (RFC 9773 §4.2: renew immediately). Undefined for an
 * invalid window (end not after start).
 */
export function ariRenewalInstant(window: AriWindow, serialHex: string): string | undefined {
    const valid = validWindow(window);
    return valid && new Date(Math.floor(valid.start + stableFraction(serialHex) * (valid.end - valid.start))).toISOString();
}

/** True when the certificate must be replaced now. */
export function isDue(renewAfterIso: string | undefined, now: number): boolean {
    if (renewAfterIso === undefined) {
        return false;
    }
    return now >= Date.parse(renewAfterIso);
}

/** IAM's rule for a server certificate's name (IAM API reference, ServerCertificateName). */
const IAM_CERTIFICATE_NAME = /^[\w+=,.@-]{1,128}$/;

/** Why `name` cannot be the IAM server certificate to adopt (its syntax), or undefined. */
export function adoptNameProblem(name: unknown, setting: string): string | undefined {
    if (name === undefined || name === "") {
        return undefined;
    }
    if (typeof name !== "string" || !IAM_CERTIFICATE_NAME.test(name)) {
        return (
            `\`${setting}\` ${JSON.stringify(name)} is not an IAM server certificate name (1-128 of letters, digits and +=,.@_-): ` +
            "give its ServerCertificateName (`aws iam list-server-certificates --path-prefix /cloudfront/`), not its id or ARN"
        );
    }
    return undefined;
}

/**
 * Why the certificate found in IAM cannot be adopted for `domains`, or undefined: CloudFront serves
 * only certificates under /cloudfront/ (docs/china-rules.md), it must cover every name the stack
 * serves (aliases added later need a new certificate anyway). One expired, due or self-signed is not
 * refused but replaced by a fresh order (orderInsteadOfAdopting).
 */
export function adoptionProblem(
    name: string,
    path: string,
    facts: { domains: string[] },
    domains: readonly string[],
    stackPath?: string,
): string | undefined {
    const at = `cannot adopt IAM server certificate "${name}"`;
    if (!path.startsWith("/cloudfront/")) {
        return `${at}: its path is "${path}", and CloudFront serves only certificates uploaded under /cloudfront/; nothing was ordered. Leave it out (unset the adopt setting) and a new certificate is issued`;
    }
    // /cloudfront/<project>/<stack>/<resource>/ is where a stack of this program keeps its certificates
    // (defaultIamPath; /cloudfront/<stack>/<resource>/ in earlier versions): another stack's would be
    // moved out from under it.
    const otherStack = /^\/cloudfront\/((?:[^/]+\/)?[^/]+)\/[^/]+\/$/.exec(path)?.[1];
    if (stackPath !== undefined && otherStack !== undefined && !path.startsWith(stackPath)) {
        return (
            `${at}: it is under ${path}, the path of stack ${otherStack}'s certificates, and adopting it would move it out from under that stack; ` +
            "nothing was ordered. Leave it out and a new certificate is issued, or give it up in that stack first"
        );
    }
    // DNS names compare case-insensitively (RFC 5280 §4.2.1.6, RFC 4343): a SAN in upper case covers.
    const sans = facts.domains.map((c) => c.toLowerCase());
    const covers = (name: string) => {
        const d = name.toLowerCase();
        return (
            sans.includes(d) ||
            sans.some((c) => c.startsWith("*.") && d.split(".").slice(1).join(".") === c.slice(2) && !d.startsWith("*."))
        );
    };
    const missing = domains.filter((d) => !covers(d));
    if (missing.length > 0) {
        return (
            `${at}: it covers ${facts.domains.join(", ")} but not ${missing.join(", ")}, which \`domains\` lists; nothing was ordered. ` +
            "Adopt a certificate that covers every name, or leave it out and a new certificate is issued"
        );
    }
    return undefined;
}

/**
 * Why a certificate found serving a site is replaced by a fresh order rather than taken over, or
 * undefined: expired (the most urgent reason to migrate), already inside the window in which the
 * stack would renew it (taken over, it would be replaced at the next `up` anyway), or self-signed
 * (no browser trusts it). The new certificate is ordered in the same `pulumi up`, before the
 * distribution moves to it; the old one stays in IAM as it was (docs/migrate.md).
 */
export function orderInsteadOfAdopting(
    facts: { serialNumber: string; notBefore: string; notAfter: string; selfSigned: boolean },
    now: number,
    renewBeforeDays?: number,
): string | undefined {
    if (Date.parse(facts.notAfter) <= now) {
        return `it expired at ${facts.notAfter}`;
    }
    if (facts.selfSigned) {
        return "it is self-signed, which no browser trusts";
    }
    const from = renewAfter(facts, { renewBeforeDays, random: stableFraction(facts.serialNumber) });
    if (isDue(from, now)) {
        return `it is inside its renewal window (from ${from}; valid until ${facts.notAfter})`;
    }
    return undefined;
}

/**
 * Why a new certificate would not fit in IAM, or undefined: it needs a free slot under the account's
 * server-certificate quota (20 by default, every path and tool counting) while the one it replaces
 * stays until the distribution has moved (create before delete). Said before the order, so no
 * issued certificate is thrown away at the upload (IAM quotas, "IAM object quotas").
 */
export function quotaProblem(used: number, quota: number, underPath: readonly string[], path: string): string | undefined {
    if (used < quota) {
        return undefined;
    }
    const ours =
        underPath.length === 0
            ? ""
            : ` (${underPath.length} under this certificate's path ${path}: ${[...underPath].sort().join(", ")}; at a renewal the newest is the one served)`;
    return (
        `nothing was ordered: IAM holds ${used} server certificates in this account and the quota is ${quota}${ours}; ` +
        "a new certificate needs a free slot while the one it replaces stays until the distribution has moved. " +
        "Free one: `npm run status -- --stack <stack>` lists the stack's certificates that nothing serves, and " +
        '`npm run cleanup -- --stack <stack> --yes` deletes them; or ask AWS for a higher "Server certificates per account" quota (IAM)'
    );
}

/**
 * A unique IAM name derived from the certificate: primary name, notAfter (UTC, to the minute) and
 * the first 8 hex digits of the serial, e.g. `www.example.cn-20270301T1200-04f3a2b1`.
 */
export function certificateName(primaryDomain: string, notAfterIso: string, serialHex: string): string {
    const base = primaryDomain.replace(/^\*\./, "wildcard.").replace(/[^\w+=,.@-]/g, "-");
    const stamp = notAfterIso.replace(/[-:]/g, "").slice(0, 13);
    const suffix = `-${stamp}-${serialHex.toLowerCase().replace(/^0+/, "").slice(0, 8)}`;
    return base.slice(0, IAM_NAME_MAX - suffix.length) + suffix;
}

/** An IAM path CloudFront serves certificates from (under /cloudfront/), in IAM's path alphabet as this program writes it. */
export const CLOUDFRONT_IAM_PATH = /^\/cloudfront(\/[\w+=,.@-]+)*\/$/;

const cleanPathPart = (s: string) => s.replace(/[^\w+=,.@-]/g, "-");

/**
 * Where a stack keeps its certificates: `/cloudfront/<project>/<stack>/`, the stack's full identity,
 * so two projects' `cn-north-1` stacks never share a path (nor a policy that grants it).
 */
export function stackCertificatePath(project: string, stack: string): string {
    return `/cloudfront/${cleanPathPart(project)}/${cleanPathPart(stack)}/`;
}

/**
 * Where stacks kept their certificates before the path carried the project: `/cloudfront/<stack>/`,
 * shared by every project's stack of that name. The next `pulumi up` moves a certificate found there
 * under the stack's own path (docs/migrate.md, "Certificate paths").
 */
export function legacyStackCertificatePath(stack: string): string {
    return `/cloudfront/${cleanPathPart(stack)}/`;
}

/** A certificate resource's IAM path: `/cloudfront/<project>/<stack>/<name>/`, cleaned to IAM's path alphabet. */
export function defaultIamPath(project: string, stack: string, resourceName: string): string {
    return `${stackCertificatePath(project, stack)}${cleanPathPart(resourceName)}/`;
}

/** The path the same resource had before (legacyStackCertificatePath): moved from, looked at when it renews, never written. */
export function legacyIamPath(stack: string, resourceName: string): string {
    return `${legacyStackCertificatePath(stack)}${cleanPathPart(resourceName)}/`;
}

/** Inputs as the provider receives them (plain values, after defaults). */
export interface CertificateInputs {
    domains: string[];
    acmeDirectoryUrl: string;
    accountUrl: string;
    accountKeyPem: string;
    region: string;
    path: string;
    keyType: KeyType;
    renewBeforeDays?: number;
    preferredChain?: string;
    profile?: string;
    hostedZones?: Record<string, string>;
    /** "auto" (default), "dns-01" or "dns-persist-01" (./challenges.ts). */
    challenge?: ChallengeMode;
    /** dns-01 delegation targets by name, when the CNAME cannot be looked up. */
    challengeDelegations?: Record<string, string>;
    /** The end (Unix seconds) the standing dns-persist-01 records carry (`persistUntil`); none when unset. */
    persistUntil?: number;
    /** Which draft's record the account's CA validates (../core/persistAccount.ts); "auto" when unset. */
    dnsPersistDraft?: PersistDraft;
    dnsResolvers?: string[];
    propagationTimeoutSeconds: number;
    pollIntervalSeconds: number;
    deleteConflictTimeoutSeconds: number;
    /** How long an order waits for the CA to validate and issue; the provider's default when unset. */
    caTimeoutSeconds?: number;
    tags?: Record<string, string>;
    /** Where the IAM and Route 53 clients get credentials (the stack's `aws:` settings). Changes update in place. */
    awsIdentity?: AwsIdentity;
    /** The issuers tried, in order, when the account's own CA cannot issue (../core/issuers.ts). Changes update in place. */
    fallbackIssuers?: FallbackIssuer[];
}

/** A CA tried after the account's own, and the account that orders there (its key stays an input only). */
export interface FallbackIssuer {
    directoryUrl: string;
    accountUrl: string;
    accountKeyPem: string;
    /** The profile to ask this CA for; the certificate's `profile` when unset. */
    profile?: string;
    /** The key type of certificates from this CA; the certificate's `keyType` when unset. */
    keyType?: KeyType;
    /** Which draft's dns-persist-01 record this CA validates; "auto" when unset. */
    dnsPersistDraft?: PersistDraft;
}

// Every field of CertificateInputs but the account key is in STORED_INPUTS, and nothing else is:
// adding a field without listing it (or the other way round) fails to compile here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const inputListsAgree: Same<StoredInputName, Exclude<keyof CertificateInputs, "accountKeyPem">> = true;
void inputListsAgree;

export interface CheckFailure {
    property: string;
    reason: string;
}

/**
 * Why a value is not an ACME directory URL (https, except loopback test CAs), or undefined. Never
 * prints a user name or password the value carries (RFC 3986 §3.2.1: not to be rendered).
 */
export function directoryUrlProblem(url: unknown, label: string): string | undefined {
    let parsed: URL;
    try {
        parsed = new URL(String(url));
    } catch {
        return `\`${label}\` is not a URL: use e.g. ${LETS_ENCRYPT_PRODUCTION}`;
    }
    if (parsed.username !== "" || parsed.password !== "") {
        return `\`${label}\` holds a user name or password (user:password@…), which a directory URL never carries (RFC 3986 §3.2.1): remove it`;
    }
    if (String(url).trim() !== String(url)) {
        return `\`${label}\` "${parsed.href}" has spaces around it: remove them`;
    }
    if (parsed.protocol !== "https:" && !["127.0.0.1", "localhost", "[::1]"].includes(parsed.hostname)) {
        return `\`${label}\` must use https (got ${parsed.protocol}//): ACME requires TLS except on loopback test CAs`;
    }
    return undefined;
}

/**
 * A directory URL as RFC 3986 §6.2 compares it: host in lower case, the default port (443 for https)
 * dropped; `https://ACME-v02.api.letsencrypt.org:443/directory` is Let's Encrypt's production directory.
 */
export function canonicalDirectoryUrl(url: string): string {
    try {
        return new URL(url.trim()).href;
    } catch {
        return url;
    }
}

/** Whether a directory is a CA's staging (test) environment, whose certificates no browser trusts. */
export const isStagingDirectory = (url: string) => {
    try {
        return /(^|[.-])staging([.-]|$)/.test(new URL(url).hostname);
    } catch {
        return false;
    }
};

/** Why a value is not a supported key type, or undefined. */
export function keyTypeProblem(keyType: unknown, label: string): string | undefined {
    return (KEY_TYPES as readonly unknown[]).includes(keyType)
        ? undefined
        : `\`${label}\` ${JSON.stringify(keyType)} is not supported: use "rsa-2048" (default, safe in China) or "ecdsa-p256" (unverified with IAM in China)`;
}

/** Why a value is not an ACME profile name (draft-ietf-acme-profiles: the keys of the directory's meta.profiles), or undefined. */
export function profileProblem(profile: unknown, label: string): string | undefined {
    return typeof profile === "string" && /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(profile)
        ? undefined
        : `\`${label}\` ${JSON.stringify(profile)} is not a profile name (letters, digits, ".", "_", "-"): e.g. "classic", "tlsserver" or "shortlived" at Let's Encrypt`;
}

/** Problems of the fallback issuers: a list of {directoryUrl, accountUrl, accountKeyPem, profile?, keyType?}, each CA once. */
export function fallbackIssuersProblems(fallbacks: unknown, primaryDirectoryUrl: unknown): string[] {
    if (!Array.isArray(fallbacks)) {
        return [`\`fallbackIssuers\` must be a list of issuers (got ${JSON.stringify(fallbacks)})`];
    }
    const problems: string[] = [];
    const seen = [primaryDirectoryUrl];
    fallbacks.forEach((f: Partial<FallbackIssuer> | undefined, i) => {
        const label = `fallbackIssuers[${i}]`;
        if (typeof f !== "object" || f === null) {
            problems.push(`\`${label}\` must be an issuer with directoryUrl, accountUrl and accountKeyPem`);
            return;
        }
        if (f.directoryUrl === UNKNOWN) {
            return;
        }
        const urlProblem = directoryUrlProblem(f.directoryUrl, `${label}.directoryUrl`);
        if (urlProblem) {
            problems.push(urlProblem);
        } else if (seen.includes(f.directoryUrl)) {
            problems.push(`\`${label}.directoryUrl\` ${f.directoryUrl} is listed twice: give each CA once, in the order to try them`);
        }
        seen.push(f.directoryUrl);
        if (f.profile !== undefined && f.profile !== UNKNOWN && profileProblem(f.profile, `${label}.profile`)) {
            problems.push(profileProblem(f.profile, `${label}.profile`) as string);
        }
        if (f.keyType !== undefined && (f.keyType as unknown) !== UNKNOWN && keyTypeProblem(f.keyType, `${label}.keyType`)) {
            problems.push(keyTypeProblem(f.keyType, `${label}.keyType`) as string);
        }
        if (
            f.dnsPersistDraft !== undefined &&
            (f.dnsPersistDraft as unknown) !== UNKNOWN &&
            persistDraftProblem(f.dnsPersistDraft, `${label}.dnsPersistDraft`)
        ) {
            problems.push(persistDraftProblem(f.dnsPersistDraft, `${label}.dnsPersistDraft`) as string);
        }
    });
    return problems;
}

/**
 * Validates the inputs; every failure names the input and the fix. Unknown (preview) values pass.
 * `only` limits the checks to those inputs (the config reader checks the names itself, once).
 */
export function checkInputs(inputs: Record<string, unknown>, only?: readonly string[]): CheckFailure[] {
    const failures: CheckFailure[] = [];
    const fail = (property: string, reason: string) => failures.push({ property, reason });
    const wanted = (property: string) => only === undefined || only.includes(property);
    const known = (v: unknown) => v !== UNKNOWN;

    const domains = inputs.domains;
    if (wanted("domains") && known(domains) && !(Array.isArray(domains) && domains.some((d) => d === UNKNOWN))) {
        for (const p of domainsProblems(domains, "domains")) {
            fail("domains", p);
        }
        for (const p of Array.isArray(domains) ? caNameProblems(domains, "domains") : []) {
            fail("domains", p);
        }
        if (Array.isArray(domains) && domains.length > MAX_CERTIFICATE_NAMES) {
            fail(
                "domains",
                `a certificate takes at most ${MAX_CERTIFICATE_NAMES} names (Let's Encrypt); split the names over several certificates`,
            );
        }
    }

    const url = inputs.acmeDirectoryUrl;
    if (wanted("acmeDirectoryUrl") && known(url)) {
        const problem = directoryUrlProblem(url, "acmeDirectoryUrl");
        if (problem) {
            fail("acmeDirectoryUrl", problem);
        }
    }

    const path = inputs.path;
    if (wanted("path") && known(path) && (typeof path !== "string" || !CLOUDFRONT_IAM_PATH.test(path) || path.length > 512)) {
        fail(
            "path",
            `\`path\` ${JSON.stringify(path)} must start with "/cloudfront/" and end with "/" (e.g. "/cloudfront/prod/site/"): CloudFront only uses IAM certificates under /cloudfront`,
        );
    }

    const keyType = inputs.keyType;
    if (wanted("keyType") && known(keyType) && keyTypeProblem(keyType, "keyType")) {
        fail("keyType", keyTypeProblem(keyType, "keyType") as string);
    }

    const profile = inputs.profile;
    if (wanted("profile") && profile !== undefined && known(profile) && profileProblem(profile, "profile")) {
        fail("profile", profileProblem(profile, "profile") as string);
    }

    const draft = inputs.dnsPersistDraft;
    if (wanted("dnsPersistDraft") && draft !== undefined && known(draft) && persistDraftProblem(draft, "dnsPersistDraft")) {
        fail("dnsPersistDraft", persistDraftProblem(draft, "dnsPersistDraft") as string);
    }

    const fallbacks = inputs.fallbackIssuers;
    if (wanted("fallbackIssuers") && fallbacks !== undefined && known(fallbacks)) {
        for (const p of fallbackIssuersProblems(fallbacks, url)) {
            fail("fallbackIssuers", p);
        }
    }

    const days = inputs.renewBeforeDays;
    if (wanted("renewBeforeDays") && days !== undefined && known(days) && (typeof days !== "number" || !(days > 0) || days >= 90)) {
        fail(
            "renewBeforeDays",
            `\`renewBeforeDays\` ${JSON.stringify(days)} must be a number of days in (0, lifetime), e.g. 30; leave it unset to renew when a third of the lifetime remains`,
        );
    }

    for (const name of ["propagationTimeoutSeconds", "pollIntervalSeconds", "deleteConflictTimeoutSeconds", "caTimeoutSeconds"]) {
        const v = inputs[name];
        if (wanted(name) && v !== undefined && known(v) && (typeof v !== "number" || !(v > 0))) {
            fail(name, `\`${name}\` must be a positive number of seconds (got ${JSON.stringify(v)})`);
        }
    }

    const region = inputs.region;
    if (wanted("region") && known(region) && !(CHINA_REGIONS as readonly unknown[]).includes(region)) {
        fail(
            "region",
            `\`region\` must be "cn-north-1" or "cn-northwest-1" (got ${JSON.stringify(region)}): the certificate is uploaded to IAM in the aws-cn partition`,
        );
    }

    const resolvers = inputs.dnsResolvers;
    if (wanted("dnsResolvers") && resolvers !== undefined && known(resolvers)) {
        const bad = !Array.isArray(resolvers) ? [resolvers] : resolvers.filter((r) => typeof r !== "string" || !isResolverAddress(r));
        if (bad.length > 0) {
            fail(
                "dnsResolvers",
                `\`dnsResolvers\` must be IP addresses with optional port, e.g. ["223.5.5.5", "127.0.0.1:8053"] (bad: ${JSON.stringify(bad)})`,
            );
        }
    }

    const persistUntil = inputs.persistUntil;
    if (wanted("persistUntil") && persistUntil !== undefined && known(persistUntil)) {
        if (typeof persistUntil !== "number" || !Number.isInteger(persistUntil) || persistUntil <= 0) {
            fail(
                "persistUntil",
                `\`persistUntil\` must be a time in whole Unix seconds, as dns-persist-01 records carry it (got ${JSON.stringify(persistUntil)})`,
            );
        }
    }

    if (wanted("awsIdentity")) {
        failures.push(...identityProblems(inputs.awsIdentity));
    }

    const challenge = inputs.challenge;
    if (
        wanted("challenge") &&
        challenge !== undefined &&
        known(challenge) &&
        !(CHALLENGE_MODES as readonly unknown[]).includes(challenge)
    ) {
        fail(
            "challenge",
            `\`challenge\` ${JSON.stringify(challenge)} is not a challenge mode: use "auto" (default), "dns-01" or "dns-persist-01"`,
        );
    }
    const delegations = inputs.challengeDelegations;
    if (wanted("challengeDelegations") && delegations !== undefined && known(delegations)) {
        const names = Array.isArray(domains) ? (domains as unknown[]).filter((d): d is string => typeof d === "string").map(baseName) : [];
        if (typeof delegations !== "object" || delegations === null || Array.isArray(delegations)) {
            fail(
                "challengeDelegations",
                `\`challengeDelegations\` must be an object of name → target, e.g. {"example.cn": "_acme-challenge.example.cn.acme.example.net"}`,
            );
        } else {
            for (const [name, to] of Object.entries(delegations)) {
                if (names.length > 0 && !names.includes(baseName(name))) {
                    fail(
                        "challengeDelegations",
                        `\`challengeDelegations\` names "${name}", which is not on the certificate (domains: ${names.join(", ")}): remove it or fix the name`,
                    );
                }
                if (typeof to !== "string" || !/^([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\.?$/i.test(to)) {
                    fail(
                        "challengeDelegations",
                        `\`challengeDelegations\` target for "${name}" (${JSON.stringify(to)}) is not a DNS name: give the CNAME's target, e.g. "_acme-challenge.${baseName(name)}.acme.example.net"`,
                    );
                }
            }
        }
    }

    return failures;
}

/**
 * An IPv4 address (each octet 0-255) or a bracketed IPv6 address, with an optional port 1-65535: what
 * the DNS library takes (a port 0 aborts the process inside it; a port above 65535 wraps silently).
 */
export function isResolverAddress(value: string): boolean {
    const m = /^(?:(\d{1,3}(?:\.\d{1,3}){3})|\[([0-9a-f:.]+)\])(?::(\d{1,5}))?$/i.exec(value);
    if (!m) {
        return false;
    }
    if (m[1] !== undefined && !m[1].split(".").every((o) => Number(o) <= 255)) {
        return false;
    }
    if (
        m[2] !== undefined &&
        !(
            m[2].includes(":") &&
            m[2].split("::").length <= 2 &&
            m[2].split(":").every((g) => /^[0-9a-f]{0,4}$/i.test(g) || /^\d{1,3}(\.\d{1,3}){3}$/.test(g))
        )
    ) {
        return false;
    }
    return m[3] === undefined || (Number(m[3]) >= 1 && Number(m[3]) <= 65535);
}

/** The zone id given for a name: an exact entry or the longest suffix entry. */
export function zoneFor(domain: string, zones: Record<string, string>): string | undefined {
    const base = domain.replace(/^\*\./, "");
    const match = Object.keys(zones)
        .map((z) => z.replace(/\.$/, ""))
        .filter((z) => base === z || base.endsWith(`.${z}`))
        .sort((a, b) => b.length - a.length)[0];
    return match === undefined ? undefined : (zones[match] ?? zones[`${match}.`]);
}

/**
 * Whether two `domains` lists ask for different certificates: the primary (first) name is the
 * common name, the others are a set of SANs whose order means nothing, so reordering them is no
 * reason to issue again.
 */
export function domainsDiffer(olds: unknown, news: unknown): boolean {
    if (!Array.isArray(olds) || !Array.isArray(news)) {
        return JSON.stringify(olds ?? null) !== JSON.stringify(news ?? null);
    }
    const others = (list: unknown[]) => JSON.stringify([...new Set(list.slice(1).map(String))].sort());
    return olds[0] !== news[0] || others(olds) !== others(news);
}

/** Names of the shaping inputs that differ between the stored outputs and the new inputs. */
export function shapingChanges(olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
    return SHAPING_INPUTS.filter((k) =>
        k === "domains" ? domainsDiffer(olds[k], news[k]) : JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null),
    );
}

/** Names of the other inputs that differ (updated in place, no new certificate). */
export function inPlaceChanges(olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
    return IN_PLACE_INPUTS.filter(
        (k) => JSON.stringify(storedValue(k, olds[k]) ?? null) !== JSON.stringify(storedValue(k, news[k]) ?? null),
    );
}

/** An input as the outputs keep it: the fallback issuers without their account keys (a key rollover is no change here). */
function storedValue(name: StoredInputName, value: unknown): unknown {
    if (name === "fallbackIssuers" && Array.isArray(value)) {
        return (value as FallbackIssuer[]).map(({ accountKeyPem: _key, ...rest }) => rest);
    }
    return value;
}

/** The stored inputs of `inputs` (every input but the account key). */
export function storedInputs(inputs: CertificateInputs): Pick<CertificateInputs, StoredInputName> {
    return Object.fromEntries(STORED_INPUTS.map((k) => [k, storedValue(k, inputs[k])])) as Pick<CertificateInputs, StoredInputName>;
}

/** Serial (hex), notBefore and notAfter of a PEM certificate. */
export function certificateFacts(certificatePem: string): {
    serialNumber: string;
    notBefore: string;
    notAfter: string;
    domains: string[];
    /** Signed by its own key (issuer = subject): no browser trusts it. */
    selfSigned: boolean;
} {
    const { X509Certificate } = require("node:crypto") as typeof import("node:crypto");
    const cert = new X509Certificate(certificatePem);
    return {
        selfSigned: cert.issuer === cert.subject && cert.verify(cert.publicKey),
        serialNumber: cert.serialNumber.toLowerCase(),
        notBefore: new Date(cert.validFrom).toISOString(),
        notAfter: new Date(cert.validTo).toISOString(),
        domains: (cert.subjectAltName ?? "")
            .split(", ")
            .filter((s) => s.startsWith("DNS:"))
            .map((s) => s.slice(4)),
    };
}
