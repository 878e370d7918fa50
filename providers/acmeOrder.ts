/**
 * One ACME order, driven with acme-client's low-level calls (not `auto()`, whose DNS self-check
 * uses the system resolver and whose record handling is one name at a time). Each name follows the
 * plan made before the order (./dnsChallenge.ts): dns-persist-01 names need no DNS write; dns-01
 * values (in the name's own zone or at its delegation target) go out in one Route 53 batch per
 * zone; all challenges are answered at once, and the TXT values are removed in a `finally`.
 * Serialized with the provider: npm modules are required inside.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside functions on purpose (serialization) */
import type * as Acme from "acme-client";
import { Log, TxtRecord, changeChallengeRecords, verifyTxt, waitForChanges } from "./awsCalls";
import type { AwsTarget } from "./awsIdentity";
import type { KeyType } from "./certificateLogic";
import type { ChallengeMode, NamePlan } from "./dnsChallenge";

export interface OrderRequest {
    directoryUrl: string;
    accountUrl: string;
    accountKeyPem: string;
    domains: string[];
    keyType: KeyType;
    preferredChain?: string;
    /** ACME profile (Let's Encrypt: "classic", "tlsserver", "shortlived"); the CA's default when unset. */
    profile?: string;
    /** ARI CertID of the certificate this order replaces (RFC 9773 §5), when there is one the CA knows. */
    replaces?: string;
    /** How each name (as in `domains`) is validated, planned before the order. */
    plans: Record<string, NamePlan>;
    mode: ChallengeMode;
    /** In `auto`: the dns-01 plan of names whose standing record the CA turns out not to take. */
    dns01Fallback?: (domains: string[]) => Promise<Record<string, NamePlan>>;
    /** Region and identity of the Route 53 calls. */
    aws: AwsTarget;
    resolvers: string[];
    propagationTimeoutMs: number;
    pollMs: number;
}

export interface IssuedCertificate {
    /** Leaf certificate (PEM). */
    certificatePem: string;
    /** Intermediates (PEM, may be empty). */
    chainPem: string;
    privateKeyPem: string;
}

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(2)} s`;

/**
 * Attempts of one signed request that the CA answers `badNonce` (RFC 8555 §6.5: retry with the nonce
 * the rejection carries, no wait). acme-client gives up after 5 retries, so against a CA rejecting
 * half of all nonces each request failed 1 time in 64, and a 20-name order (about 43 signed
 * requests) failed about half the time. 30 retries make that 1 in 2^31 per request, and stay
 * bounded: every retry is one round trip.
 */
export const BAD_NONCE_RETRIES = 30;

/** Raises acme-client's badNonce retry budget on a client (its HttpClient's `maxBadNonceRetries`, pinned acme-client 5.4.0). */
export function withNonceRetries<C extends Acme.Client>(client: C): C {
    const http = (client as unknown as { http?: { maxBadNonceRetries?: number } }).http;
    if (http && typeof http.maxBadNonceRetries === "number") {
        http.maxBadNonceRetries = BAD_NONCE_RETRIES;
    }
    return client;
}

/** An acme-client Client for an existing account (never registers a new one). */
export function acmeClient(directoryUrl: string, accountKeyPem: string, accountUrl?: string): Acme.Client {
    const acme = require("acme-client") as typeof Acme;
    return withNonceRetries(
        new acme.Client({
            directoryUrl,
            accountKey: accountKeyPem,
            accountUrl,
            // Polling for a valid authorization / order: short first waits, bounded total (~2 minutes).
            backoffAttempts: 12,
            backoffMin: 500,
            backoffMax: 15_000,
        }),
    );
}

/** What the provider reads from an ACME directory (RFC 8555 §7.1.1, RFC 9773). */
export interface AcmeDirectory {
    renewalInfo?: string;
    meta?: { caaIdentities?: string[]; profiles?: Record<string, string> };
}

/**
 * The CA's directory; fails fast, naming the CA, when it cannot be reached (acme-client itself
 * reports a refused connection as "Cannot read properties of undefined (reading 'config')").
 */
export async function assertCaReachable(directoryUrl: string): Promise<AcmeDirectory> {
    try {
        const response = await fetch(directoryUrl, { signal: AbortSignal.timeout(30_000) });
        return (await response.json().catch(() => ({}))) as AcmeDirectory;
    } catch (e) {
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        throw new Error(
            `the ACME CA cannot be reached at ${directoryUrl} (${cause?.code ?? cause?.message ?? (e as Error).message}): ` +
                "check acmeDirectoryUrl and the network path to the CA; nothing was ordered and the current certificate is unchanged",
        );
    }
}

/** Orders, validates and downloads one certificate. The caller has checked the CA (assertCaReachable) and planned the challenges. */
export async function orderCertificate(req: OrderRequest, log: Log): Promise<IssuedCertificate> {
    const acme = require("acme-client") as typeof Acme;
    const primary = req.domains[0];
    const started = Date.now();
    const client = acmeClient(req.directoryUrl, req.accountKeyPem, req.accountUrl);

    const privateKey =
        req.keyType === "ecdsa-p256" ? await acme.crypto.createPrivateEcdsaKey("P-256") : await acme.crypto.createPrivateRsaKey(2048);
    const [, csr] = await acme.crypto.createCsr({ commonName: primary, altNames: req.domains }, privateKey);

    // acme-client passes the payload through; its type lacks `profile` (draft-ietf-acme-profiles)
    // and `replaces` (RFC 9773).
    const payload = (replaces?: string) =>
        ({
            identifiers: req.domains.map((value) => ({ type: "dns", value })),
            ...(req.profile ? { profile: req.profile } : {}),
            ...(replaces ? { replaces } : {}),
        }) as Parameters<Acme.Client["createOrder"]>[0];
    let replaced = req.replaces;
    const order = await client.createOrder(payload(replaced)).catch((e: Error) => {
        if (!replaced) {
            throw e;
        }
        // alreadyReplaced (an earlier replacement order of it was finalized), or the CA refusing the
        // CertID (malformed, unauthorized): the certificate must still be renewed, so order once more
        // as a plain order. It then counts against the rate limits, as every order did before ARI.
        log(`[acme] [${primary}] the CA refused \`replaces\` ${replaced} (${e.message}): ordering without it`);
        replaced = undefined;
        return client.createOrder(payload());
    });
    log(
        `[acme] [${primary}] order created for ${req.domains.length} name(s): ${order.url} ` +
            `(${replaced ? `replacement of ${replaced}` : "not a replacement"}, ${seconds(started)})`,
    );

    const authorizations = (await client.getAuthorizations(order)).filter((a) => a.status !== "valid");
    // acme-client's types know http-01 and dns-01 only; dns-persist-01 carries `issuer-domain-names`.
    type Challenge = Acme.Authorization["challenges"][number];
    type AnyChallenge = Omit<Challenge, "type"> & { type: string; "issuer-domain-names"?: string[] };
    const pending: Array<{ authz: Acme.Authorization; challenge: Challenge; record?: TxtRecord }> = [];
    const dns01: Array<{ authz: Acme.Authorization; domain: string; plan: NamePlan }> = [];
    const fallback: Array<{ authz: Acme.Authorization; domain: string }> = [];
    for (const authz of authorizations) {
        // Wildcards arrive as the base name with authz.wildcard = true.
        const domain = authz.wildcard ? `*.${authz.identifier.value}` : authz.identifier.value;
        const plan = req.plans[domain] ?? {};
        if (plan.persist) {
            const persist = (authz.challenges as AnyChallenge[]).find((c) => c.type === "dns-persist-01");
            const issuers = persist?.["issuer-domain-names"] ?? [];
            if (persist && issuers.includes(plan.persist.issuer)) {
                pending.push({ authz, challenge: persist as Challenge });
                continue;
            }
            const why = persist
                ? `its dns-persist-01 challenge accepts issuer names ${JSON.stringify(issuers)}, and ${plan.persist.recordName} names "${plan.persist.issuer}"`
                : "the CA offers no dns-persist-01 challenge for it";
            if (req.mode !== "auto" || !req.dns01Fallback) {
                throw new Error(
                    `cannot validate ${domain} with dns-persist-01: ${why}. Set cloudfront-china:challenge to "auto" or "dns-01" to use dns-01 (a Route 53 zone or a delegation CNAME); nothing was issued`,
                );
            }
            log(`[acme] [${domain}] ${why}: dns-01 instead`);
            fallback.push({ authz, domain });
            continue;
        }
        dns01.push({ authz, domain, plan });
    }
    if (fallback.length > 0 && req.dns01Fallback) {
        const plans = await req.dns01Fallback(fallback.map((f) => f.domain));
        dns01.push(...fallback.map((f) => ({ ...f, plan: plans[f.domain] ?? {} })));
    }
    for (const { authz, domain, plan } of dns01) {
        const challenge = authz.challenges.find((c) => c.type === "dns-01");
        if (!challenge) {
            throw new Error(`the CA offers no dns-01 challenge for ${domain}`);
        }
        if (!plan.dns01) {
            throw new Error(`no dns-01 route for ${domain}: it is in no Route 53 zone of this account and not delegated`);
        }
        // getChallengeKeyAuthorization already returns the dns-01 TXT value (base64url SHA-256).
        const value = await client.getChallengeKeyAuthorization(challenge);
        pending.push({ authz, challenge, record: { zoneId: plan.dns01.zoneId, name: plan.dns01.recordName, value } });
    }
    const persistCount = pending.filter((p) => !p.record).length;
    const delegatedCount = dns01.filter((d) => d.plan.dns01?.kind === "delegated").length;
    log(
        `[acme] [${primary}] ${pending.length} authorization(s) to validate: ${persistCount} by dns-persist-01 (no DNS write), ` +
            `${pending.length - persistCount - delegatedCount} by dns-01 in Route 53, ${delegatedCount} by dns-01 through a delegation CNAME`,
    );

    const records = pending.flatMap((p) => (p.record ? [p.record] : []));
    // The TXT values are removed as soon as every authorization is valid, while the CA finalizes
    // and we download: the `finally` only waits for that cleanup (or starts it on a failure).
    let cleanup: Promise<void> | undefined;
    const removeRecords = () =>
        (cleanup ??= changeChallengeRecords(req.aws, records, "remove", log).then(
            () => undefined,
            // Logged, not rethrown: a failed cleanup must not hide the order's own result.
            (e: Error) => log(`[route53] [${primary}] TXT cleanup failed, remove _acme-challenge values by hand: ${e.message}`),
        ));
    try {
        if (records.length > 0) {
            const changeIds = await changeChallengeRecords(req.aws, records, "add", log);
            await waitForChanges(req.aws, changeIds, req.propagationTimeoutMs, req.pollMs, log);
            await verifyTxt(req.resolvers, records, req.propagationTimeoutMs, req.pollMs, log);
        }
        if (pending.length > 0) {
            const validating = Date.now();
            await Promise.all(pending.map((p) => client.completeChallenge(p.challenge)));
            await Promise.all(
                pending.map((p) =>
                    client.waitForValidStatus(p.authz).catch((e: Error) => {
                        throw new Error(`the CA did not validate ${p.challenge.type} for ${p.authz.identifier.value}: ${caProblem(e)}`);
                    }),
                ),
            );
            log(`[acme] [${primary}] ${pending.length} authorization(s) validated (${seconds(validating)})`);
        }
        if (records.length > 0) {
            void removeRecords();
        }
        const finalized = await client.finalizeOrder(order, csr);
        const fullChain = await client.getCertificate(finalized, req.preferredChain).catch((e: Error) => {
            throw new Error(
                `the CA did not issue the certificate for ${primary} (order ${order.url}): ${caProblem(e)}; nothing was uploaded, the current certificate is unchanged`,
            );
        });
        const [leaf, ...intermediates] = acme.crypto.splitPemChain(fullChain);
        log(`[acme] [${primary}] certificate issued (${seconds(started)} since the order)`);
        return {
            certificatePem: leaf.trim() + "\n",
            chainPem: intermediates.map((c) => c.trim()).join("\n") + (intermediates.length ? "\n" : ""),
            privateKeyPem: privateKey.toString(),
        };
    } finally {
        if (records.length > 0) {
            await removeRecords();
        }
    }
}

/** The CA's own words from an acme-client error (it carries the authorization as JSON). */
function caProblem(e: Error): string {
    try {
        const authz = JSON.parse(e.message) as { status?: string; challenges?: Array<{ error?: { type?: string; detail?: string } }> };
        const problem = (authz.challenges ?? []).map((c) => c.error).find((p) => p);
        return problem ? `${problem.type}: ${problem.detail}` : `status ${authz.status}`;
    } catch {
        return e.message;
    }
}

/** ARI (RFC 9773) CertID: base64url(AKI keyIdentifier) "." base64url(serial DER bytes). */
export function ariCertId(certificatePem: string): string | undefined {
    const x509 = require("@peculiar/x509") as typeof import("@peculiar/x509");
    const cert = new x509.X509Certificate(certificatePem);
    const aki = cert.getExtension(x509.AuthorityKeyIdentifierExtension);
    if (!aki?.keyId) {
        return undefined;
    }
    const b64url = (hex: string) => Buffer.from(hex, "hex").toString("base64url");
    return `${b64url(aki.keyId)}.${b64url(cert.serialNumber)}`;
}

/** How long a renewal-information GET may take: a preview or an up must not hang on a slow CA. */
export const ARI_TIMEOUT_MS = 5_000;

/** The renewal-information URL of a certificate (`<renewalInfo>/<CertID>`), when the directory offers ARI. */
export function renewalInfoUrl(directory: AcmeDirectory, certificatePem: string): string | undefined {
    const certId = directory.renewalInfo ? ariCertId(certificatePem) : undefined;
    return directory.renewalInfo && certId ? `${directory.renewalInfo.replace(/\/$/, "")}/${certId}` : undefined;
}

/**
 * One unauthenticated GET of a certificate's renewal information (RFC 9773 §4.2), bounded in time.
 * Throws with the reason on any failure or malformed answer (the caller falls back).
 */
export async function getRenewalWindow(url: string, timeoutMs = ARI_TIMEOUT_MS): Promise<{ start: string; end: string }> {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) {
        throw new Error(`HTTP ${response.status}`);
    }
    const info = (await response.json().catch(() => ({}))) as { suggestedWindow?: { start?: unknown; end?: unknown } };
    const { start, end } = info.suggestedWindow ?? {};
    // RFC 9773 §4.2: a window whose end is not after its start is invalid.
    if (typeof start !== "string" || typeof end !== "string" || !(Date.parse(end) > Date.parse(start))) {
        throw new Error(`no valid suggestedWindow in ${JSON.stringify(info).slice(0, 200)}`);
    }
    return { start, end };
}

/**
 * The CA's suggested renewal window for a certificate, when its directory offers ARI; undefined
 * otherwise or on any error (ARI is advice: the lifetime rule is the fallback).
 */
export async function fetchRenewalWindow(
    directory: AcmeDirectory,
    certificatePem: string,
    log: Log,
): Promise<{ start: string; end: string } | undefined> {
    const url = renewalInfoUrl(directory, certificatePem);
    if (!url) {
        return undefined;
    }
    try {
        return await getRenewalWindow(url);
    } catch (e) {
        log(`[acme] renewal information (ARI) unavailable, using the lifetime rule: ${(e as Error).message}`);
        return undefined;
    }
}

/** Serial (hex), notBefore and notAfter of a PEM certificate. */
export function certificateFacts(certificatePem: string): { serialNumber: string; notBefore: string; notAfter: string; domains: string[] } {
    const { X509Certificate } = require("node:crypto") as typeof import("node:crypto");
    const cert = new X509Certificate(certificatePem);
    return {
        serialNumber: cert.serialNumber.toLowerCase(),
        notBefore: new Date(cert.validFrom).toISOString(),
        notAfter: new Date(cert.validTo).toISOString(),
        domains: (cert.subjectAltName ?? "")
            .split(", ")
            .filter((s) => s.startsWith("DNS:"))
            .map((s) => s.slice(4)),
    };
}
