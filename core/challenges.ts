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
 * The dns-persist-01 TXT value for a name: `<issuer>; accounturi=<account URL>`, with
 * `; policy=wildcard` when the certificate holds the wildcard of that base name (one record serves
 * the base name and its wildcard; the policy only widens it), and `; persistUntil=<seconds>` when the
 * stack gives the records an end (draft-ietf-acme-dns-persist: after it the CA no longer accepts the
 * record, so a leaked account key stops validating the name).
 */
export function persistRecordValue(issuer: string, accountUrl: string, wildcard: boolean, persistUntil?: number): string {
    return `${issuer}; accounturi=${accountUrl}${wildcard ? "; policy=wildcard" : ""}${persistUntil !== undefined ? `; persistUntil=${persistUntil}` : ""}`;
}

/** Days before a record's `persistUntil` from which `pulumi up` and the watch warn (a month to update DNS by hand). */
export const PERSIST_WARN_DAYS = 30;

/** The standing records a certificate needs in dns-persist-01: one per base name. */
export function persistRecords(domains: readonly string[], issuer: string, accountUrl: string, persistUntil?: number): ChallengeRecord[] {
    const bases = new Map<string, boolean>();
    for (const d of domains) {
        bases.set(baseName(d), (bases.get(baseName(d)) ?? false) || d.startsWith("*."));
    }
    return [...bases].map(([base, wildcard]) => ({
        domain: wildcard ? `*.${base}` : base,
        name: persistRecordName(base),
        type: "TXT" as const,
        value: persistRecordValue(issuer, accountUrl, wildcard, persistUntil),
    }));
}

/**
 * Why none of the TXT values at `_validation-persist.<name>` authorizes this account for the name,
 * or undefined when one does. The same rules the CA applies (draft-ietf-acme-dns-persist §3,
 * RFC 8659 issue-value syntax): issuer among the CA's names, `accounturi` equal, `policy=wildcard`
 * for a wildcard, `persistUntil` not passed.
 */
export function persistRecordProblem(
    values: readonly string[],
    issuers: readonly string[],
    accountUrl: string,
    wildcard: boolean,
    now: number,
): string | undefined {
    if (values.length === 0) {
        return "no TXT record";
    }
    const reasons: string[] = [];
    for (const value of values) {
        const [issuer, ...params] = value.split(";").map((p) => p.trim());
        if (!issuers.includes(issuer)) {
            reasons.push(`"${value}" names issuer "${issuer}", not one of this CA's (${issuers.join(", ")})`);
            continue;
        }
        const tags = new Map<string, string>();
        for (const p of params) {
            const eq = p.indexOf("=");
            if (eq > 0) {
                tags.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
            }
        }
        if (tags.get("accounturi") !== accountUrl) {
            reasons.push(`"${value}" names account ${tags.get("accounturi") ?? "(none)"}, not this stack's ${accountUrl}`);
            continue;
        }
        if (wildcard && (tags.get("policy") ?? "").toLowerCase() !== "wildcard") {
            reasons.push(`"${value}" lacks "; policy=wildcard", which a wildcard name needs`);
            continue;
        }
        const until = tags.get("persistuntil");
        if (until !== undefined && !(Number(until) * 1000 > now)) {
            reasons.push(`"${value}" expired: persistUntil ${until} (${new Date(Number(until) * 1000).toISOString()}) has passed`);
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
