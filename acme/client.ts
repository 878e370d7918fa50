/**
 * The ACME CA as acme-client sees it: a client for an existing account (with a badNonce budget that
 * holds under a CA rejecting many nonces), the directory, and the CA's own words from an error.
 * Serialized with the dynamic providers (closure serialization stores the code in the state): npm
 * and node modules are `require`d inside functions, clients are built per call.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside functions on purpose (serialization) */
import type * as Acme from "acme-client";

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

/** How long an order waits for the CA to validate and to issue, unless `caTimeoutSeconds` says otherwise. */
export const CA_TIMEOUT_SECONDS = 120;
const POLL_MIN_MS = 500;
const POLL_MAX_MS = 15_000;

/**
 * acme-client's attempts for polling an authorization or an order within `totalMs`: its waits double
 * from POLL_MIN_MS up to POLL_MAX_MS (0.5, 1, 2, 4, 8, 15, 15 … s), and attempts = waits + 1.
 */
export function pollAttempts(totalMs: number): number {
    let waited = 0;
    let waits = 0;
    for (let next = POLL_MIN_MS; waited + next <= totalMs; next = Math.min(next * 2, POLL_MAX_MS)) {
        waited += next;
        waits++;
    }
    return waits + 1;
}

/** An acme-client Client for an existing account (never registers a new one). */
export function acmeClient(
    directoryUrl: string,
    accountKeyPem: string,
    accountUrl?: string,
    caTimeoutMs = CA_TIMEOUT_SECONDS * 1000,
): Acme.Client {
    const acme = require("acme-client") as typeof Acme;
    return withNonceRetries(
        new acme.Client({
            directoryUrl,
            accountKey: accountKeyPem,
            accountUrl,
            // Polling for a valid authorization / order: short first waits, bounded total.
            backoffAttempts: pollAttempts(caTimeoutMs),
            backoffMin: POLL_MIN_MS,
            backoffMax: POLL_MAX_MS,
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

/** The CA's own words from an acme-client error (it carries the authorization as JSON). */
export function caProblem(e: Error): string {
    try {
        const authz = JSON.parse(e.message) as { status?: string; challenges?: Array<{ error?: { type?: string; detail?: string } }> };
        const problem = (authz.challenges ?? []).map((c) => c.error).find((p) => p);
        return problem ? `${problem.type}: ${problem.detail}` : `status ${authz.status}`;
    } catch {
        return e.message;
    }
}
