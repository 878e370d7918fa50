/**
 * An issuer: one ACME CA and one account at it. The certificate provider orders only through this
 * interface, from the first of its issuers that works (the model is CertMagic's `Issuer` list), so
 * the provider does not know which CA answers.
 */
import type { Log } from "../core/runtime";
import { IssuerFailure, issuerFailureOf } from "../core/issuers";
import { AcmeDirectory, assertCaReachable } from "./client";
import { IssueRequest, IssuedCertificate, orderCertificate } from "./order";

// The provider makes the certificate key ahead through this module, which its serialized closure
// loads anyway (acme/order.js stays private to the package).
export { certificateKey } from "./order";

export interface Issuer {
    /** The CA's ACME directory URL: who signs. */
    readonly directoryUrl: string;
    /** The account at that CA that orders. */
    readonly accountUrl: string;
    /** The CA's directory (issuer names, ARI, profiles); fails naming the CA when it cannot be reached. */
    directory(): Promise<AcmeDirectory>;
    /** Orders, validates and downloads one certificate. */
    issue(request: IssueRequest, log: Log): Promise<IssuedCertificate>;
}

/** An ACME CA and an existing account at it (RFC 8555). The account key never leaves this object's calls. */
export function acmeIssuer(account: { directoryUrl: string; accountUrl: string; accountKeyPem: string }): Issuer {
    return {
        directoryUrl: account.directoryUrl,
        accountUrl: account.accountUrl,
        directory: () => assertCaReachable(account.directoryUrl),
        issue: (request, log) => orderCertificate({ ...request, ...account }, log),
    };
}

/** An issuer passed over, and why. */
export interface SkippedIssuer {
    directoryUrl: string;
    failure: IssuerFailure;
    reason: string;
}

/**
 * Runs `attempt` with each issuer in order until one returns: the next issuer is tried only when
 * the failure is one another CA may not share (../core/issuers.ts: unreachable, 5xx, rate limits,
 * CAA, a refused name, the account, the profile, a missing dns-persist-01 record). A failure every
 * CA would share (a DNS record, a zone, the CSR) stops at once with its own error, and nothing is
 * ordered anywhere else. A 429 or 503 whose Retry-After is at most RATE_LIMIT_WAIT_MAX_SECONDS was
 * already waited out on the same CA (./client.ts). When every issuer fails, one error lists each CA's reason.
 */
export async function fromFirstIssuerThatWorks<T>(
    issuers: readonly Issuer[],
    attempt: (issuer: Issuer, directory: AcmeDirectory) => Promise<T>,
    label: string,
    log: Log,
): Promise<{ result: T; issuer: Issuer; skipped: SkippedIssuer[] }> {
    const skipped: SkippedIssuer[] = [];
    for (const [i, issuer] of issuers.entries()) {
        const next = issuers[i + 1];
        try {
            const directory = await issuer.directory();
            return { result: await attempt(issuer, directory), issuer, skipped };
        } catch (e) {
            const failure = issuerFailureOf(e);
            if (failure === undefined || issuers.length === 1) {
                throw e;
            }
            const reason = (e as Error).message;
            skipped.push({ directoryUrl: issuer.directoryUrl, failure, reason });
            if (next === undefined) {
                throw Object.assign(
                    new Error(
                        `no issuer could issue the certificate for ${label}; nothing was uploaded (a certificate already served stays served):\n` +
                            skipped.map((s, n) => `  ${n + 1}. ${s.directoryUrl} (${s.failure}): ${s.reason}`).join("\n"),
                    ),
                    { code: "NoIssuerAvailable" },
                );
            }
            log(`[acme] [${label}] ${issuer.directoryUrl} cannot issue now (${failure}: ${reason}): trying ${next.directoryUrl}`);
        }
    }
    throw new Error("no issuer configured");
}
