/**
 * One ACME order, driven with acme-client's low-level calls (not `auto()`, whose DNS self-check
 * uses the system resolver and whose record handling is one name at a time). Each name follows the
 * plan made before the order (./challengePlan.ts): dns-persist-01 names need no DNS write; dns-01
 * values (in the name's own zone or at its delegation target) go to the DNS host (../dns/host.ts) in
 * one batch per zone; all challenges are answered at once, and the TXT values are removed in a `finally`.
 * Serialized with the dynamic providers (closure serialization stores the code in the state): npm
 * and node modules are `require`d inside functions, clients are built per call.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside functions on purpose (serialization) */
import type * as Acme from "acme-client";
import { ChallengeMode, NamePlan, TxtRecord, persistRecordValue } from "../core/challenges";
import { PersistAccount, persistAccountUri } from "../core/persistAccount";
import { acmeClient, caProblem, lastProblem } from "./client";
import { IssuerError } from "../core/issuers";
import { verifyTxt } from "../dns/resolvers";
import { Log, seconds } from "../core/runtime";
import { DnsHost } from "../dns/host";
import { KeyType } from "../core/certificate";

/** What a certificate asks of an issuer (./issuer.ts): the names, the key, how each name is validated. */
export interface IssueRequest {
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
    /** Where the dns-01 values are written. */
    dns: DnsHost;
    resolvers: string[];
    propagationTimeoutMs: number;
    pollMs: number;
    /** How long to wait for the CA to validate the names and to issue (polling, bounded). */
    caTimeoutMs?: number;
    /** The end (Unix seconds) the standing dns-persist-01 records carry, for the record a message asks for. */
    persistUntil?: number;
    /** The account as the standing records name it (the URL, or draft-02's hashed URI; ../core/persistAccount.ts). */
    persistAccount?: PersistAccount;
    /** The certificate's key, when it was made ahead (certificateKey, of `keyType`); made here otherwise. Used for this order only. */
    privateKey?: Promise<Buffer>;
}

/**
 * A new certificate key (PEM). Node generates it on its thread pool, so a caller can start it while
 * it reads the CA's directory and IAM, and hand the promise to one order.
 */
export function certificateKey(keyType: KeyType): Promise<Buffer> {
    const acme = require("acme-client") as typeof Acme;
    return keyType === "ecdsa-p256" ? acme.crypto.createPrivateEcdsaKey("P-256") : acme.crypto.createPrivateRsaKey(2048);
}

/** An issue request with the CA and the account that orders. */
export interface OrderRequest extends IssueRequest {
    directoryUrl: string;
    accountUrl: string;
    accountKeyPem: string;
}

export interface IssuedCertificate {
    /** Leaf certificate (PEM). */
    certificatePem: string;
    /** Intermediates (PEM, may be empty). */
    chainPem: string;
    privateKeyPem: string;
}

/**
 * Orders, validates and downloads one certificate. The caller has checked the CA (assertCaReachable)
 * and planned the challenges. A failure carries what the next issuer needs to decide (../core/issuers.ts):
 * the CA's problem document of the failed request, or `validationFailed` when a challenge was refused.
 */
export async function orderCertificate(req: OrderRequest, log: Log): Promise<IssuedCertificate> {
    const client = acmeClient(req.directoryUrl, req.accountKeyPem, req.accountUrl, req.caTimeoutMs);
    try {
        return await runOrder(client, req, log);
    } catch (e) {
        const err = e as Error & IssuerError;
        if (err.issuerFailure === undefined && err.validationFailed === undefined && err.acmeProblem === undefined) {
            err.acmeProblem = lastProblem(client);
        }
        throw err;
    }
}

async function runOrder(client: Acme.Client, req: OrderRequest, log: Log): Promise<IssuedCertificate> {
    const acme = require("acme-client") as typeof Acme;
    const primary = req.domains[0];
    const started = Date.now();

    const privateKey = await (req.privateKey ?? certificateKey(req.keyType));
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
    // draft-ietf-acme-dns-persist-01 adds the `accounturi` the record must carry.
    type AnyChallenge = Omit<Challenge, "type"> & { type: string; "issuer-domain-names"?: string[]; accounturi?: string };
    const pending: Array<{ authz: Acme.Authorization; challenge: Challenge; record?: TxtRecord }> = [];
    const dns01: Array<{ authz: Acme.Authorization; domain: string; plan: NamePlan }> = [];
    const fallback: Array<{ authz: Acme.Authorization; domain: string }> = [];
    for (const authz of authorizations) {
        // Wildcards arrive as the base name with authz.wildcard = true.
        const domain = authz.wildcard ? `*.${authz.identifier.value}` : authz.identifier.value;
        const plan = req.plans[domain] ?? {};
        if (plan.persist) {
            const offered = (authz.challenges as AnyChallenge[]).find((c) => c.type === "dns-persist-01");
            const issuers = offered?.["issuer-domain-names"] ?? [];
            // draft-ietf-acme-dns-persist §3.1: a client MUST reject a challenge with no issuer names or more than 10.
            const persist = offered && issuers.length >= 1 && issuers.length <= 10 ? offered : undefined;
            // The account URI the records were checked against; where the challenge says which it
            // expects (draft-01 and later), the CA's word decides.
            const planned = persistAccountUri(req.persistAccount ?? { accountUrl: req.accountUrl }, domain);
            const expected = persist?.accounturi ?? planned;
            if (persist && issuers.includes(plan.persist.issuer) && expected === planned) {
                pending.push({ authz, challenge: persist as Challenge });
                continue;
            }
            // The record this CA would take now (its challenge's first issuer name and account URI): the exact fix.
            const wanted =
                persist &&
                `TXT ${plan.persist.recordName} "${persistRecordValue(issuers.includes(plan.persist.issuer) ? plan.persist.issuer : issuers[0], expected, Boolean(authz.wildcard), req.persistUntil)}"`;
            const why = persist
                ? expected !== planned
                    ? `its dns-persist-01 challenge expects accounturi=${expected}, and ${plan.persist.recordName} names ${planned} (the record it would take: ${wanted}; check the issuer's dnsPersistDraft)`
                    : `its dns-persist-01 challenge accepts issuer names ${JSON.stringify(issuers)}, and ${plan.persist.recordName} names "${plan.persist.issuer}" (the record it would take: ${wanted})`
                : offered
                  ? `its dns-persist-01 challenge is malformed (${issuers.length} issuer names; the draft allows 1 to 10)`
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
            throw new Error(`no dns-01 route for ${domain}: it is in no zone of ${req.dns.title} in this account and not delegated`);
        }
        // getChallengeKeyAuthorization already returns the dns-01 TXT value (base64url SHA-256).
        const value = await client.getChallengeKeyAuthorization(challenge);
        pending.push({ authz, challenge, record: { zoneId: plan.dns01.zoneId, name: plan.dns01.recordName, value } });
    }
    const persistCount = pending.filter((p) => !p.record).length;
    const delegatedCount = dns01.filter((d) => d.plan.dns01?.kind === "delegated").length;
    log(
        `[acme] [${primary}] ${pending.length} authorization(s) to validate: ${persistCount} by dns-persist-01 (no DNS write), ` +
            `${pending.length - persistCount - delegatedCount} by dns-01 in ${req.dns.title}, ${delegatedCount} by dns-01 through a delegation CNAME`,
    );

    const records = pending.flatMap((p) => (p.record ? [p.record] : []));
    // The TXT values are removed as soon as every authorization is valid, while the CA finalizes
    // and we download: the `finally` only waits for that cleanup (or starts it on a failure).
    let cleanup: Promise<void> | undefined;
    const removeRecords = () =>
        (cleanup ??= req.dns.changeTxt(records, "remove", log).then(
            () => undefined,
            // Logged, not rethrown: a failed cleanup must not hide the order's own result.
            (e: Error) => log(`[${req.dns.name}] [${primary}] TXT cleanup failed, remove _acme-challenge values by hand: ${e.message}`),
        ));
    try {
        if (records.length > 0) {
            const changes = await req.dns.changeTxt(records, "add", log);
            await req.dns.waitInSync(changes, req.propagationTimeoutMs, req.pollMs, log);
            await verifyTxt(req.resolvers, records, req.propagationTimeoutMs, req.pollMs, log);
        }
        if (pending.length > 0) {
            const validating = Date.now();
            await Promise.all(pending.map((p) => client.completeChallenge(p.challenge)));
            await Promise.all(
                pending.map((p) =>
                    client.waitForValidStatus(p.authz).catch((e: Error) => {
                        const problem = caProblem(e);
                        // A CAA refusal is this CA's (another may be allowed); any other refused
                        // challenge is the DNS answer, which every CA would see alike.
                        const caa = /^urn:ietf:params:acme:error:caa\b/.test(problem);
                        throw Object.assign(
                            new Error(`the CA did not validate ${p.challenge.type} for ${p.authz.identifier.value}: ${problem}`),
                            (caa ? { issuerFailure: "caa" } : { validationFailed: true }) satisfies IssuerError,
                        );
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
                `the CA did not issue the certificate for ${primary} (order ${order.url}): ${caProblem(e)}; nothing was uploaded (a certificate already served stays served)`,
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
