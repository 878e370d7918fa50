/**
 * The ACME CA as acme-client sees it: a client for an existing account (with a badNonce budget that
 * holds under a CA rejecting many nonces), the directory, and the CA's own words from an error.
 * Serialized with the dynamic providers (closure serialization stores the code in the state): npm
 * and node modules are `require`d inside functions, clients are built per call.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside functions on purpose (serialization) */
import type * as Acme from "acme-client";
import { IssuerError, RATE_LIMIT_WAIT_MAX_SECONDS, retryAfterSeconds } from "../core/issuers";
import { sleep } from "../core/runtime";

/**
 * Attempts of one signed request that the CA answers `badNonce` (RFC 8555 §6.5: retry with the nonce
 * the rejection carries, no wait). acme-client gives up after 5 retries, so against a CA rejecting
 * half of all nonces each request failed 1 time in 64, and a 20-name order (about 43 signed
 * requests) failed about half the time. 30 retries make that 1 in 2^31 per request, and stay
 * bounded: every retry is one round trip.
 */
export const BAD_NONCE_RETRIES = 30;

/** The CA's problem document of a client's last failed request (RFC 7807), kept on the client by `withNonceRetries`. */
export type AcmeProblem = { status?: number; type?: string; detail?: string; retryAfterSeconds?: number };

/**
 * How long one request to the CA may take before it counts as unanswered: acme-client's axios has
 * no timeout, so a CA that accepts the connection and never answers would hold the order for ever.
 */
export const CA_REQUEST_TIMEOUT_MS = 30_000;

/**
 * Raises acme-client's badNonce retry budget on a client (its HttpClient's `maxBadNonceRetries`,
 * pinned acme-client 5.4.0), bounds every request (CA_REQUEST_TIMEOUT_MS), and keeps the problem
 * document of the last failed request (acme-client's errors keep only its `detail`), so a failed
 * order can be classed by the CA's own error type and Retry-After (../core/issuers.ts).
 */
export function withNonceRetries<C extends Acme.Client>(client: C): C {
    const http = (client as unknown as { http?: AcmeHttp }).http;
    if (http && typeof http.maxBadNonceRetries === "number") {
        http.maxBadNonceRetries = BAD_NONCE_RETRIES;
    }
    if (http && typeof http.request === "function") {
        const request = http.request.bind(http);
        http.request = async (url: string, method: string, opts: Record<string, unknown> = {}) => {
            for (let attempt = 1; ; attempt++) {
                const started = Date.now();
                let response: AcmeResponse;
                try {
                    // acme-client's own retries (5, each waiting out any Retry-After, an hour
                    // included) are switched off: `retryAttempt` past its maximum. The bounded
                    // ones below replace them.
                    response = await request(url, method, { timeout: CA_REQUEST_TIMEOUT_MS, ...opts, retryAttempt: NO_CLIENT_RETRIES });
                } catch (e) {
                    // No answer at all (refused, reset, timed out: acme-client then fails reading
                    // the missing response): the CA is unreachable. Retried once unless it hung.
                    const timedOut = Date.now() - started >= CA_REQUEST_TIMEOUT_MS;
                    if (attempt < CA_REQUEST_ATTEMPTS && !timedOut) {
                        await sleep(1000);
                        continue;
                    }
                    const code = (e as { code?: string }).code;
                    throw Object.assign(
                        new Error(
                            `no answer from the ACME CA at ${new URL(url).origin} (${timedOut ? `none within ${CA_REQUEST_TIMEOUT_MS / 1000} s` : (code ?? "connection failed")}, ${attempt} attempt(s))`,
                        ),
                        { issuerFailure: "unreachable" } satisfies IssuerError,
                    );
                }
                const data = (response.data ?? {}) as { type?: string; detail?: string };
                const retryAfter = retryAfterSeconds(response.headers?.["retry-after"], Date.now());
                // RFC 8555 §6.6: 429 and 503 carry Retry-After; a short one is waited out here
                // (bounded), a long one is returned so that the next issuer can be tried.
                const wait = retryAfter ?? 2 * attempt;
                if (
                    (response.status === 429 || response.status >= 500) &&
                    attempt < CA_REQUEST_ATTEMPTS &&
                    wait <= RATE_LIMIT_WAIT_MAX_SECONDS
                ) {
                    await sleep(wait * 1000);
                    continue;
                }
                const failed = response.status >= 400 && data.type !== "urn:ietf:params:acme:error:badNonce";
                (client as unknown as { lastProblem?: AcmeProblem }).lastProblem = failed
                    ? { status: response.status, type: data.type, detail: data.detail, retryAfterSeconds: retryAfter }
                    : undefined;
                return response;
            }
        };
    }
    return client;
}

/** Attempts of one request to the CA: a short 429/5xx or a dropped connection is tried once more. */
export const CA_REQUEST_ATTEMPTS = 3;
const NO_CLIENT_RETRIES = 1_000;

type AcmeResponse = { status: number; data?: unknown; headers?: Record<string, string | undefined> };

interface AcmeHttp {
    maxBadNonceRetries?: number;
    request?: (url: string, method: string, opts?: Record<string, unknown>) => Promise<AcmeResponse>;
}

/** The problem document of the client's last failed request, if the last request failed. */
export function lastProblem(client: Acme.Client): AcmeProblem | undefined {
    return (client as unknown as { lastProblem?: AcmeProblem }).lastProblem;
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
    /** draft-ietf-acme-dns-persist-02 §7.6 adds `issuerDomainNames` and `accountHashPrefix` (../core/persistAccount.ts). */
    meta?: { caaIdentities?: string[]; profiles?: Record<string, string>; issuerDomainNames?: string[]; accountHashPrefix?: string };
}

/** Attempts to read a CA's directory, and how long each may take: a CA that is down costs at most about 2 × 10 s + 1 s. */
export const DIRECTORY_ATTEMPTS = 2;
export const DIRECTORY_TIMEOUT_MS = 10_000;
/**
 * `check`'s one look at the directory (the CA's issuer names, for dns-persist-01 plans): optional,
 * as a CA that does not answer is looked at again by `create`, so a hanging CA costs `check` (run by
 * the preview and again by the update of `pulumi up`) seconds, not the create's whole bound.
 */
export const CHECK_DIRECTORY_TIMEOUT_MS = 3_000;

/**
 * The CA's directory; fails, naming the CA, when it cannot be reached or answers 5xx within
 * DIRECTORY_ATTEMPTS bounded attempts (acme-client itself reports a refused connection as "Cannot
 * read properties of undefined (reading 'config')"). The error is classed `unreachable`, so a
 * certificate with another issuer tries that one (../core/issuers.ts).
 */
export async function assertCaReachable(
    directoryUrl: string,
    timeoutMs = DIRECTORY_TIMEOUT_MS,
    attempts = DIRECTORY_ATTEMPTS,
): Promise<AcmeDirectory> {
    let why = "";
    for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
            const response = await fetch(directoryUrl, { signal: AbortSignal.timeout(timeoutMs) });
            if (response.status < 500) {
                return (await response.json().catch(() => ({}))) as AcmeDirectory;
            }
            why = `HTTP ${response.status}`;
        } catch (e) {
            const cause = (e as { cause?: { code?: string; message?: string } }).cause;
            why =
                (e as Error).name === "TimeoutError"
                    ? `no answer within ${timeoutMs / 1000} s`
                    : (cause?.code ?? cause?.message ?? (e as Error).message);
        }
        if (attempt < attempts) {
            await sleep(1000);
        }
    }
    throw Object.assign(
        new Error(
            `the ACME CA cannot be reached at ${directoryUrl} (${why}, ${attempts} attempt${attempts === 1 ? "" : "s"}): ` +
                "check the directory URL and the network path to the CA; nothing was ordered there",
        ),
        { issuerFailure: "unreachable" } satisfies IssuerError,
    );
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
