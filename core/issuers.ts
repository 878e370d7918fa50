/**
 * Issuer fallback rules (pure): when an order that failed at one ACME CA may go to the next CA of the
 * list, and when CAA (RFC 8659) forbids a CA before anything is ordered. The model is CertMagic's
 * issuer list; the classes are from RFC 8555 §6.7 (error types) and docs/issuers.md.
 */
import { createHash } from "node:crypto";

/** Why the next issuer is tried; anything else stops the certificate with its own error. */
export type IssuerFailure =
    | "unreachable" // no connection, a timeout, or no answer to the directory within the bounded retries
    | "serverError" // an HTTP 5xx, or `serverInternal`
    | "rateLimited" // `rateLimited` with a Retry-After too long to wait for
    | "caa" // the names' CAA records do not allow this CA (found before the order, or the CA's `caa`)
    | "rejectedIdentifier" // the CA will not issue for a name (its policy, not the DNS)
    | "account" // the account is gone, deactivated, needs new terms or EAB
    | "profile" // the CA does not offer the profile asked for
    | "persistRecord"; // dns-persist-01 only: no standing record names this CA and account

/** ACME problem types (RFC 8555 §6.7, draft-ietf-acme-profiles) that another CA may not share. */
const PROBLEM_FAILURES: Record<string, IssuerFailure> = {
    rateLimited: "rateLimited",
    serverInternal: "serverError",
    caa: "caa",
    rejectedIdentifier: "rejectedIdentifier",
    unsupportedIdentifier: "rejectedIdentifier",
    accountDoesNotExist: "account",
    externalAccountRequired: "account",
    userActionRequired: "account",
    unauthorized: "account", // only when the account itself is refused (see below); a failed challenge is not
    invalidProfile: "profile",
};

/**
 * Node's and undici's codes for a CA that cannot be reached: every CA behind another address may
 * still answer. A DNS failure for the CA's own host (ENOTFOUND) is the CA's problem, not the names'.
 */
const UNREACHABLE_CODES = new Set([
    "ECONNREFUSED",
    "ECONNRESET",
    "ECONNABORTED",
    "ETIMEDOUT",
    "EHOSTUNREACH",
    "ENETUNREACH",
    "ENOTFOUND",
    "EAI_AGAIN",
    "EPIPE",
    "UND_ERR_CONNECT_TIMEOUT",
    "UND_ERR_SOCKET",
    "UND_ERR_HEADERS_TIMEOUT",
]);

/** What an error from one issuer carries: set by acme/ (the CA's problem document, the failure class). */
export interface IssuerError {
    /** Set where the class is known at the throw (a CA unreachable, a CAA record, a missing persist record). */
    issuerFailure?: IssuerFailure;
    /** The CA's problem document of the last failed request (RFC 7807), if the error came from one. */
    acmeProblem?: { status?: number; type?: string; detail?: string; retryAfterSeconds?: number };
    /** True when the CA refused a challenge (the DNS answer was wrong or missing): every CA would. */
    validationFailed?: boolean;
    code?: string;
    cause?: { code?: string };
}

/** The class of a failed order at one issuer when the next issuer may succeed; undefined when every CA would fail alike. */
export function issuerFailureOf(e: unknown): IssuerFailure | undefined {
    const err = (e ?? {}) as IssuerError;
    if (err.issuerFailure) {
        return err.issuerFailure;
    }
    // A challenge the CA could not validate (dns, unauthorized, incorrectResponse…): the record is
    // wrong or missing, and the next CA would look at the same DNS.
    if (err.validationFailed) {
        return undefined;
    }
    const problem = err.acmeProblem;
    const type = problem?.type?.replace(/^urn:ietf:params:acme:error:/, "");
    if (type && type in PROBLEM_FAILURES) {
        return PROBLEM_FAILURES[type];
    }
    if (problem?.status !== undefined && problem.status >= 500) {
        return "serverError";
    }
    const code = err.code ?? err.cause?.code;
    if (code !== undefined && UNREACHABLE_CODES.has(code)) {
        return "unreachable";
    }
    return undefined;
}

/** A Retry-After (RFC 9110 §10.2.3: seconds, or an HTTP date) in seconds from `now`; undefined when absent or unreadable. */
export function retryAfterSeconds(header: string | undefined, now: number): number | undefined {
    if (header === undefined || header.trim() === "") {
        return undefined;
    }
    if (/^\d+$/.test(header.trim())) {
        return Number(header.trim());
    }
    const at = Date.parse(header);
    return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * The longest Retry-After worth waiting for on the same CA before trying the next one: an order
 * limit that clears within a minute costs less than an order at another CA (and a certificate
 * chaining to another root). Longer waits move on at once.
 */
export const RATE_LIMIT_WAIT_MAX_SECONDS = 60;

/** One CAA property (RFC 8659 §4.1): flags, tag and value, as a resolver returns it. */
export interface CaaProperty {
    critical: number;
    tag: string;
    value: string;
}

/** The issuer domain name of a CAA `issue`/`issuewild` value (RFC 8659 §4.2: name, then `;` parameters); "" for `;` alone. */
function caaIssuerName(value: string): string {
    return value.split(";")[0].trim().toLowerCase();
}

/**
 * Why the CAA record set found for `name` (the closest one up the tree, RFC 8659 §3) forbids a CA
 * whose directory lists `caIdentities` (RFC 8555 §7.1.1 `caaIdentities`), or undefined when it
 * allows it. An empty set, a set without issue properties, or a CA that names no identities (it
 * cannot be checked here; the CA checks) allow. For a wildcard, `issuewild` wins when present
 * (RFC 8659 §4.3). An unknown tag with the critical flag forbids every CA (RFC 8659 §4.1).
 */
export function caaForbids(name: string, properties: readonly CaaProperty[], caIdentities: readonly string[]): string | undefined {
    if (properties.length === 0 || caIdentities.length === 0) {
        return undefined;
    }
    const known = new Set(["issue", "issuewild", "iodef", "issuemail", "issuevmc", "contactemail", "contactphone"]);
    const unknownCritical = properties.find((p) => (p.critical & 128) !== 0 && !known.has(p.tag.toLowerCase()));
    if (unknownCritical) {
        return `its CAA record has the critical property "${unknownCritical.tag}", which no CA may pass over (RFC 8659 §4.1)`;
    }
    const wildcard = name.startsWith("*.");
    const issueWild = properties.filter((p) => p.tag.toLowerCase() === "issuewild");
    const relevant = wildcard && issueWild.length > 0 ? issueWild : properties.filter((p) => p.tag.toLowerCase() === "issue");
    if (relevant.length === 0) {
        return undefined;
    }
    const allowed = relevant.map((p) => caaIssuerName(p.value)).filter((n) => n !== "");
    const ids = caIdentities.map((i) => i.toLowerCase());
    if (allowed.some((n) => ids.includes(n))) {
        return undefined;
    }
    const tag = relevant[0].tag.toLowerCase();
    return allowed.length === 0
        ? `its CAA ${tag} record ";" allows no CA`
        : `its CAA ${tag} record allows ${allowed.map((n) => `"${n}"`).join(", ")}, and this CA is ${ids.map((i) => `"${i}"`).join(", ")}`;
}

/**
 * The tag each uploaded certificate carries in IAM, naming the ACME account that ordered it (and so
 * its CA: an account URL is the CA's). It is what a renewal reads to decide whether to send `replaces`
 * and ask for renewal information: only to the CA and account that issued (RFC 9773 §5), which the
 * certificate's own IAM record says durably, whatever the engine hands the provider (a replacement's
 * create sees the new inputs only). A hash: IAM tag values cannot hold every URL character.
 */
export const ISSUER_ACCOUNT_TAG = "cloudfront-china:acme-account";

/** The ISSUER_ACCOUNT_TAG value of an ACME account: 32 hex of sha256(account URL). */
export function issuerAccountTagValue(accountUrl: string): string {
    return createHash("sha256").update(accountUrl).digest("hex").slice(0, 32);
}
