/**
 * Which account a dns-persist-01 record names, in each draft of draft-ietf-acme-dns-persist the CAs
 * implement (docs/dns-persist-drafts.md has the sources). The record's `accounturi` parameter is:
 *
 *   draft-01  the ACME account URL (RFC 8657 §3). Drafts -00 and -01 and the individual drafts
 *             before them give the same record; -01 adds the `accounturi` to the challenge object,
 *             so the CA says what it expects (Pebble 2.10 implements this).
 *   draft-02  a hashed account URI, so a name's record does not show which account it trusts, nor
 *             tie it to the account's other names: the CA's directory gives `meta.accountHashPrefix`
 *             and the value is `<prefix>sha-256/<base64url(SHA-256(len(name) || name ||
 *             thumbprint || account URL))>`, with the name normalized (lower case, A-labels, no
 *             wildcard label, no trailing dot) and the account key's RFC 7638 thumbprint. A key
 *             roll-over (RFC 8555 §7.3.5) changes the thumbprint, and so every record.
 *   auto      draft-02 when the CA's directory publishes an `accountHashPrefix`, else draft-01.
 *
 * Pure: no network. The directory's meta is read by the caller.
 */
import { createHash, createPublicKey } from "node:crypto";
import { domainToASCII } from "node:url";

export const PERSIST_DRAFTS = ["auto", "draft-01", "draft-02"] as const;
export type PersistDraft = (typeof PERSIST_DRAFTS)[number];

/** Why a dns-persist-01 draft setting is not one this program builds records for, or undefined. */
export function persistDraftProblem(draft: unknown, label: string): string | undefined {
    return typeof draft === "string" && (PERSIST_DRAFTS as readonly string[]).includes(draft)
        ? undefined
        : `\`${label}\` ${JSON.stringify(draft)} is not a dns-persist-01 draft this program knows: use ${PERSIST_DRAFTS.map((d) => `"${d}"`).join(", ")} (docs/dns-persist-drafts.md)`;
}

/** What a CA's directory says of dns-persist-01 (draft-02 §7.6 adds both fields to `meta`). */
export interface PersistDirectoryMeta {
    caaIdentities?: string[];
    issuerDomainNames?: string[];
    accountHashPrefix?: string;
}

/** The account a record names: its URL, and with draft-02 what hashes it. */
export interface PersistAccount {
    accountUrl: string;
    hashed?: { prefix: string; thumbprint: string };
}

/** The CA's issuer domain names: draft-02's own directory field, else its CAA identities (RFC 8555 §7.1.1). */
export const persistIssuerNames = (meta: PersistDirectoryMeta | undefined): string[] =>
    meta?.issuerDomainNames ?? meta?.caaIdentities ?? [];

/** RFC 7638 JWK thumbprint (SHA-256, base64url) of an account key given as PEM (private or public). */
export function jwkThumbprint(keyPem: string): string {
    const jwk = createPublicKey(keyPem).export({ format: "jwk" }) as Record<string, string>;
    // RFC 7638 §3.2: the required members only, in lexicographic order, no white space.
    const members = jwk.kty === "EC" ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { e: jwk.e, kty: jwk.kty, n: jwk.n };
    return createHash("sha256").update(JSON.stringify(members)).digest("base64url");
}

/** A name as draft-02 hashes it: lower case, A-labels, without a wildcard label or a trailing dot. */
export function persistHashName(domain: string): string {
    const name = domainToASCII(domain.trim().replace(/^\*\./, "").replace(/\.$/, "").normalize("NFC")).toLowerCase();
    if (name === "" || name.length > 253) {
        throw new Error(`"${domain}" is not a name draft-02 can hash (empty or longer than 253 octets)`);
    }
    return name;
}

/** The `accounturi` a record for `domain` carries. */
export function persistAccountUri(account: PersistAccount, domain: string): string {
    if (!account.hashed) {
        return account.accountUrl;
    }
    const name = persistHashName(domain);
    const digest = createHash("sha256")
        .update(
            Buffer.concat([
                Buffer.from([name.length]),
                Buffer.from(name, "ascii"),
                Buffer.from(account.hashed.thumbprint, "ascii"),
                Buffer.from(account.accountUrl),
            ]),
        )
        .digest("base64url");
    return `${account.hashed.prefix}sha-256/${digest}`;
}

/**
 * The account as the draft chosen for a CA names it, or why that CA cannot validate such a record
 * (draft-02 asked of a CA whose directory has no `accountHashPrefix`: it implements an earlier draft).
 */
export function persistAccountFor(
    draft: PersistDraft,
    account: { accountUrl: string; keyThumbprint: () => string },
    meta: PersistDirectoryMeta | undefined,
): { account: PersistAccount; problem?: undefined } | { account?: undefined; problem: string } {
    const prefix = meta?.accountHashPrefix;
    if (draft === "draft-02" && !prefix) {
        return {
            problem:
                "its directory publishes no accountHashPrefix, so it validates records of draft-01 or earlier, not the hashed account URIs of draft-02",
        };
    }
    if (draft === "draft-01" || !prefix) {
        return { account: { accountUrl: account.accountUrl } };
    }
    return { account: { accountUrl: account.accountUrl, hashed: { prefix, thumbprint: account.keyThumbprint() } } };
}
