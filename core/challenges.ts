/**
 * How a name proves control to the CA, as data: the challenge modes, the plan of each name, the
 * record names and the dns-persist-01 record rules. No network (the plan is made by
 * ../acme/challengePlan.ts).
 *
 *   zone       dns-01: the TXT value at `_acme-challenge.<name>` in a zone of the DNS host.
 *   delegated  dns-01 through CNAME delegation: `_acme-challenge.<name>` (at any DNS host) is a CNAME
 *              into a zone of the DNS host; the TXT value goes at the end of the chain (RFC 8555
 *              §8.4; docs/dns-hosted-elsewhere.md).
 *   persist    dns-persist-01 (draft-ietf-acme-dns-persist): one standing TXT at
 *              `_validation-persist.<name>` names the CA and this ACME account; orders need no DNS
 *              write at all.
 */
import { PersistAccount, persistAccountUri } from "./persistAccount";

export const CHALLENGE_MODES = ["auto", "dns-01", "dns-persist-01"] as const;

export type ChallengeMode = (typeof CHALLENGE_MODES)[number];

export interface Dns01Plan {
    kind: "zone" | "delegated";
    /** The zone (at the DNS host) that receives the TXT value. */
    zoneId: string;
    /** Where the TXT value is written: `_acme-challenge.<name>`, or the end of the CNAME chain. */
    recordName: string;
    /** The CNAME chain from `_acme-challenge.<name>` to `recordName` (delegated only). */
    chain?: string[];
}

export interface PersistPlan {
    kind: "persist";
    recordName: string;
    /** The issuer-domain-name the standing record names (checked against the challenge's `issuer-domain-names`). */
    issuer: string;
}

/** Per certificate name (as given, `*.example.cn` included): what to use, and the dns-01 fallback in `auto`. */
export interface NamePlan {
    persist?: PersistPlan;
    dns01?: Dns01Plan;
}

export interface ChallengeRecord {
    /** The certificate name the record serves. */
    domain: string;
    name: string;
    type: "TXT" | "CNAME";
    value: string;
}

/** Base name of a certificate name: `*.example.cn` → `example.cn` (both share challenge names). */
export const baseName = (domain: string) => domain.replace(/^\*\./, "");

export const acmeChallengeName = (domain: string) => `_acme-challenge.${baseName(domain)}`;

export const persistRecordName = (domain: string) => `_validation-persist.${baseName(domain)}`;

/**
 * The dns-persist-01 TXT value for a name: `<issuer>; accounturi=<account URI>` (the account URL, or
 * draft-02's hashed URI: ./persistAccount.ts), with
 * `; policy=wildcard` when the certificate holds the wildcard of that base name (one record serves
 * the base name and its wildcard; the policy only widens it), and `; persistUntil=<seconds>` when the
 * stack gives the records an end (draft-ietf-acme-dns-persist: after it the CA no longer accepts the
 * record, so a leaked account key stops validating the name).
 */
export function persistRecordValue(issuer: string, accountUri: string, wildcard: boolean, persistUntil?: number): string {
    return `${issuer}; accounturi=${accountUri}${wildcard ? "; policy=wildcard" : ""}${persistUntil !== undefined ? `; persistUntil=${persistUntil}` : ""}`;
}

/** Days before a record's `persistUntil` from which `pulumi up` and the watch warn (a month to update DNS by hand). */
export const PERSIST_WARN_DAYS = 30;

/** The standing records a certificate needs in dns-persist-01: one per base name. */
export function persistRecords(
    domains: readonly string[],
    issuer: string,
    account: PersistAccount,
    persistUntil?: number,
): ChallengeRecord[] {
    const bases = new Map<string, boolean>();
    for (const d of domains) {
        bases.set(baseName(d), (bases.get(baseName(d)) ?? false) || d.startsWith("*."));
    }
    return [...bases].map(([base, wildcard]) => ({
        domain: wildcard ? `*.${base}` : base,
        name: persistRecordName(base),
        type: "TXT" as const,
        value: persistRecordValue(issuer, persistAccountUri(account, base), wildcard, persistUntil),
    }));
}

/** A dns-persist-01 TXT value as the CA reads it: the issuer, and its parameters or why they are malformed. */
export type PersistRecord =
    | { issuer: string; accountUri: string; wildcard: boolean; persistUntil?: number; malformed?: undefined }
    | { issuer: string; malformed: string };

/**
 * Parses a dns-persist-01 TXT value exactly as the CA does (draft-ietf-acme-dns-persist over the
 * RFC 8659 issue-value grammar; Pebble's validator, va.go `parseDNSPersistIssueValues`): the issuer
 * before the first `;`, then `tag=value` parameters separated by `;` with optional space or tab
 * around them; an empty parameter (a trailing `;`), a parameter without `=`, an empty tag, a tag
 * given twice (tags are case-insensitive), a value with a space, a control, a `;` or a non-ASCII
 * character, an empty `accounturi` or none, and a `persistUntil` that is not a whole number of
 * seconds each make the record malformed. A `policy` other than `wildcard` counts as none.
 */
export function parsePersistRecord(value: string): PersistRecord {
    const wsp = (s: string) => s.replace(/^[ \t]+|[ \t]+$/g, "");
    const [first, ...params] = value.split(";");
    const issuer = wsp(first);
    const seen = new Set<string>();
    let accountUri: string | undefined;
    let wildcard = false;
    let persistUntil: number | undefined;
    for (const raw of params) {
        const param = wsp(raw);
        if (param === "") {
            return { issuer, malformed: "an empty parameter or a trailing semicolon" };
        }
        const eq = param.indexOf("=");
        if (eq < 0) {
            return { issuer, malformed: `parameter "${param}" is not a tag=value pair` };
        }
        const tag = wsp(param.slice(0, eq));
        const v = wsp(param.slice(eq + 1));
        if (tag === "") {
            return { issuer, malformed: `parameter "${param}" has an empty tag` };
        }
        if (seen.has(tag.toLowerCase())) {
            return { issuer, malformed: `parameter "${tag}" is given twice` };
        }
        seen.add(tag.toLowerCase());
        if (!/^[\x21-\x3a\x3c-\x7e]*$/.test(v)) {
            return { issuer, malformed: `the value "${v}" of "${tag}" holds a space, a control, a ";" or a non-ASCII character` };
        }
        switch (tag.toLowerCase()) {
            case "accounturi":
                if (v === "") {
                    return { issuer, malformed: "accounturi is empty" };
                }
                accountUri = v;
                break;
            case "policy":
                wildcard = v.toLowerCase() === "wildcard";
                break;
            case "persistuntil":
                if (!/^[+-]?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) {
                    return { issuer, malformed: `persistUntil "${v}" is not a whole number of Unix seconds` };
                }
                persistUntil = Number(v);
                break;
        }
    }
    if (accountUri === undefined) {
        return { issuer, malformed: "it has no accounturi" };
    }
    return { issuer, accountUri, wildcard, persistUntil };
}

/**
 * Why none of the TXT values at `_validation-persist.<name>` authorizes this account for the name,
 * or undefined when one does. The same rules the CA applies (draft-ietf-acme-dns-persist §3,
 * RFC 8659 issue-value syntax): issuer among the CA's names, `accounturi` equal (draft-02: to the
 * hashed URI for this name), `policy=wildcard`
 * for a wildcard, `persistUntil` not passed.
 */
export function persistRecordProblem(
    values: readonly string[],
    issuers: readonly string[],
    account: PersistAccount,
    domain: string,
    now: number,
): string | undefined {
    const wildcard = domain.startsWith("*.");
    const accountUri = persistAccountUri(account, domain);
    if (values.length === 0) {
        return "no TXT record";
    }
    const reasons: string[] = [];
    for (const value of values) {
        const record = parsePersistRecord(value);
        if (!issuers.includes(record.issuer)) {
            reasons.push(`"${value}" names issuer "${record.issuer}", not one of this CA's (${issuers.join(", ")})`);
            continue;
        }
        if (record.malformed !== undefined) {
            reasons.push(`"${value}" is malformed, and the CA refuses it: ${record.malformed}`);
            continue;
        }
        if (record.accountUri !== accountUri) {
            reasons.push(
                `"${value}" names account ${record.accountUri}, not this stack's ${accountUri}` +
                    (account.hashed ? ` (draft-02: ${account.accountUrl} hashed for ${baseName(domain)})` : ""),
            );
            continue;
        }
        if (wildcard && !record.wildcard) {
            reasons.push(`"${value}" lacks "; policy=wildcard", which a wildcard name needs`);
            continue;
        }
        if (record.persistUntil !== undefined && !(record.persistUntil * 1000 >= now)) {
            const at = new Date(record.persistUntil * 1000);
            reasons.push(
                `"${value}" expired: persistUntil ${record.persistUntil} (${Number.isNaN(at.getTime()) ? "out of range" : at.toISOString()}) has passed`,
            );
            continue;
        }
        return undefined;
    }
    return reasons.join("; ");
}

/** One dns-01 TXT value as written at a DNS host. */
export interface TxtRecord {
    zoneId: string;
    /** Fully qualified, without trailing dot: `_acme-challenge.example.cn`. */
    name: string;
    value: string;
}
