/**
 * How each name on a certificate proves control to the CA: one planning step, three mechanisms.
 *
 *   route53    dns-01: the TXT value at `_acme-challenge.<name>` in this account's Route 53 zone.
 *   delegated  dns-01 through CNAME delegation: `_acme-challenge.<name>` (at any DNS host) is a CNAME
 *              into a Route 53 zone of this account; the TXT value goes at the end of the chain
 *              (the CA follows CNAMEs: ../shared/facts/acme-and-renewal.md, "Reaching DNS that is
 *              not in Route 53").
 *   persist    dns-persist-01 (draft-ietf-acme-dns-persist): one standing TXT at
 *              `_validation-persist.<name>` names the CA and this ACME account; orders need no DNS
 *              write at all.
 *
 * `planChallenges` decides per name before anything is ordered, from read-only lookups at the
 * configured resolvers and the account's Route 53 zone list, and reports every name it cannot
 * serve with the exact records to add. The order (./acmeOrder.ts) then only executes the plan.
 * Serialized with the provider: `node:dns` is required inside functions.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside functions on purpose (serialization) */

export const CHALLENGE_MODES = ["auto", "dns-01", "dns-persist-01"] as const;
export type ChallengeMode = (typeof CHALLENGE_MODES)[number];

/** CNAME hops followed from `_acme-challenge.<name>` before giving up (lego follows 50; real chains are 1-2). */
export const MAX_CNAME_HOPS = 8;

export interface Dns01Plan {
    kind: "route53" | "delegated";
    /** Route 53 zone that receives the TXT value. */
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
 * the base name and its wildcard; the policy only widens it).
 */
export function persistRecordValue(issuer: string, accountUrl: string, wildcard: boolean): string {
    return `${issuer}; accounturi=${accountUrl}${wildcard ? "; policy=wildcard" : ""}`;
}

/** The standing records a certificate needs in dns-persist-01: one per base name. */
export function persistRecords(domains: readonly string[], issuer: string, accountUrl: string): ChallengeRecord[] {
    const bases = new Map<string, boolean>();
    for (const d of domains) {
        bases.set(baseName(d), (bases.get(baseName(d)) ?? false) || d.startsWith("*."));
    }
    return [...bases].map(([base, wildcard]) => ({
        domain: wildcard ? `*.${base}` : base,
        name: persistRecordName(base),
        type: "TXT" as const,
        value: persistRecordValue(issuer, accountUrl, wildcard),
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

/** A resolver on the configured servers ("ip" or "ip:port"), or the system's when none are given. */
function resolverFor(servers: readonly string[]): import("node:dns/promises").Resolver {
    const { Resolver } = require("node:dns/promises") as typeof import("node:dns/promises");
    const resolver = new Resolver({ timeout: 2000, tries: 2 });
    if (servers.length > 0) {
        resolver.setServers([...servers]);
    }
    return resolver;
}

const NO_ANSWER = ["ENOTFOUND", "ENODATA"];

/** TXT values at a name ([] when there are none). */
export async function lookupTxt(servers: readonly string[], name: string): Promise<string[]> {
    try {
        return (await resolverFor(servers).resolveTxt(name)).map((chunks) => chunks.join(""));
    } catch (e) {
        if (NO_ANSWER.includes((e as { code?: string }).code ?? "")) {
            return [];
        }
        throw e;
    }
}

/**
 * The CNAME chain from `name` ([] when `name` is no CNAME), one lookup per hop, at most
 * MAX_CNAME_HOPS hops; a name met twice is a loop. Both fail with the chain so far. The chain
 * stops early at a name for which `stopAt` is true (a name in our own Route 53 zone: what follows
 * it there is known without asking DNS), so a one-hop delegation costs one lookup.
 */
export async function followCname(
    servers: readonly string[],
    name: string,
    stopAt: (name: string) => Promise<boolean> = async () => false,
): Promise<{ chain: string[]; lookups: number }> {
    const resolver = resolverFor(servers);
    const chain: string[] = [];
    let current = name;
    let lookups = 0;
    for (;;) {
        let next: string | undefined;
        lookups++;
        try {
            next = (await resolver.resolveCname(current))[0]?.replace(/\.$/, "").toLowerCase();
        } catch (e) {
            if (!NO_ANSWER.includes((e as { code?: string }).code ?? "")) {
                throw e;
            }
        }
        if (next === undefined) {
            return { chain, lookups };
        }
        if (next === name || chain.includes(next)) {
            throw new Error(`the CNAME chain from ${name} loops: ${[name, ...chain, next].join(" → ")}`);
        }
        chain.push(next);
        if (chain.length > MAX_CNAME_HOPS) {
            throw new Error(`the CNAME chain from ${name} is longer than ${MAX_CNAME_HOPS} hops: ${[name, ...chain].join(" → ")}`);
        }
        if (await stopAt(next)) {
            return { chain, lookups };
        }
        current = next;
    }
}

export interface PlanRequest {
    domains: readonly string[];
    mode: ChallengeMode;
    /** Resolvers for the read-only lookups (CNAMEs, standing records); [] = the system's. */
    resolvers: readonly string[];
    /** The Route 53 zone id of a name in this account (the `hostedZones` input first), or undefined. */
    zoneOf: (name: string) => Promise<string | undefined>;
    /** Explicit `_acme-challenge` delegation targets by name, when CNAMEs cannot be looked up from here. */
    delegations?: Record<string, string>;
    /** dns-persist-01 needs these; undefined (preview, first run) defers the standing-record check to create. */
    persist?: { accountUrl: string; issuers: readonly string[] };
    now: number;
}

export interface ChallengePlanResult {
    plans: Record<string, NamePlan>;
    /** One entry per name that cannot be validated, with the records that would fix it. */
    problems: Array<{ domain: string; reason: string }>;
    /** Extra DNS lookups made (CNAME hops and standing-record reads), for logs and the bench. */
    lookups: number;
}

/**
 * Decides how each name is validated, reading DNS (never writing). A name is served by a standing
 * dns-persist-01 record (modes `dns-persist-01`, `auto`), else by a CNAME delegation (explicit or
 * looked up), else by its Route 53 zone; otherwise it is reported with both ways to fix it.
 */
export async function planChallenges(req: PlanRequest): Promise<ChallengePlanResult> {
    const plans: Record<string, NamePlan> = {};
    const problems: Array<{ domain: string; reason: string }> = [];
    let lookups = 0;
    const byBase = new Map<string, string[]>();
    for (const d of req.domains) {
        byBase.set(baseName(d), [...(byBase.get(baseName(d)) ?? []), d]);
    }

    await Promise.all(
        [...byBase].map(async ([base, domains]) => {
            const wildcard = domains.some((d) => d.startsWith("*."));
            const plan: NamePlan = {};
            let persistReason: string | undefined;
            if (req.mode !== "dns-01" && req.persist) {
                lookups++;
                const values = await lookupTxt(req.resolvers, persistRecordName(base)).catch((e: Error) => {
                    persistReason = `cannot read ${persistRecordName(base)}: ${(e as { code?: string }).code ?? e.message}`;
                    return undefined;
                });
                if (values) {
                    persistReason = persistRecordProblem(values, req.persist.issuers, req.persist.accountUrl, wildcard, req.now);
                    if (persistReason === undefined) {
                        const issuer = values.map((v) => v.split(";")[0].trim()).find((i) => req.persist?.issuers.includes(i)) as string;
                        plan.persist = { kind: "persist", recordName: persistRecordName(base), issuer };
                    }
                }
            }
            let dns01Reason: string | undefined;
            if (req.mode !== "dns-persist-01" && !(req.mode === "auto" && plan.persist)) {
                const result = await dns01Plan(base, req).catch((e: Error) => ({ reason: e.message, lookups: 0 }));
                lookups += result.lookups;
                if ("plan" in result) {
                    plan.dns01 = result.plan;
                } else {
                    dns01Reason = result.reason;
                }
            }
            if (plan.persist || plan.dns01) {
                for (const d of domains) {
                    plans[d] = plan;
                }
                return;
            }
            problems.push({
                domain: wildcard ? `*.${base}` : base,
                reason: unservedReason(base, wildcard, req, persistReason, dns01Reason),
            });
        }),
    );
    return { plans, problems, lookups };
}

/**
 * The dns-01 route for a base name: an explicit delegation, else its own Route 53 zone (no lookup:
 * the same path as before delegation existed), else a CNAME chain looked up at the resolvers.
 */
async function dns01Plan(
    base: string,
    req: PlanRequest,
): Promise<{ plan: Dns01Plan; lookups: number } | { reason: string; lookups: number }> {
    const challengeName = `_acme-challenge.${base}`;
    const explicit = req.delegations?.[base] ?? req.delegations?.[`*.${base}`];
    let chain: string[] = [];
    let lookups = 0;
    if (explicit !== undefined) {
        chain = [explicit.replace(/\.$/, "").toLowerCase()];
    } else {
        const zoneId = await req.zoneOf(base);
        if (zoneId !== undefined) {
            return { plan: { kind: "route53", zoneId, recordName: challengeName }, lookups };
        }
        const followed = await followCname(req.resolvers, challengeName, async (name) => (await req.zoneOf(name)) !== undefined);
        chain = followed.chain;
        lookups += followed.lookups;
    }
    if (chain.length > 0) {
        const target = chain[chain.length - 1];
        const zoneId = await req.zoneOf(target);
        if (zoneId === undefined) {
            return {
                reason: `${challengeName} is delegated to ${target}, which is in no Route 53 hosted zone of this account: point the CNAME into a zone this account controls (or give that zone in hostedZones)`,
                lookups,
            };
        }
        return { plan: { kind: "delegated", zoneId, recordName: target, chain }, lookups };
    }
    // A TXT where the CNAME must go cannot become a delegation: both cannot exist at one name (RFC 1034 §3.6.2).
    lookups++;
    const txt = await lookupTxt(req.resolvers, challengeName).catch(() => []);
    if (txt.length > 0) {
        return {
            reason: `${challengeName} holds a TXT record (${txt.map((v) => JSON.stringify(v)).join(", ")}) where a delegation CNAME must go: delete that TXT at the DNS host, then add the CNAME`,
            lookups,
        };
    }
    return { reason: `${base} is in no Route 53 hosted zone of this account and ${challengeName} is no CNAME`, lookups };
}

function unservedReason(base: string, wildcard: boolean, req: PlanRequest, persistReason?: string, dns01Reason?: string): string {
    const name = wildcard ? `*.${base}` : base;
    const persist =
        req.persist && req.persist.issuers.length > 0
            ? `TXT ${persistRecordName(base)} "${persistRecordValue(req.persist.issuers[0], req.persist.accountUrl, wildcard)}"`
            : `TXT ${persistRecordName(base)} "<CA issuer>; accounturi=<this stack's ACME account URL>${wildcard ? "; policy=wildcard" : ""}" (the exact value is printed once the ACME account exists)`;
    const delegation = `CNAME ${acmeChallengeName(base)} → _acme-challenge.${base}.<a Route 53 zone of this account>`;
    const ways =
        req.mode === "dns-persist-01"
            ? `add ${persist} at its DNS host`
            : req.mode === "dns-01"
              ? `add ${delegation} at its DNS host (or create its zone in Route 53)`
              : `either add ${persist} at its DNS host (dns-persist-01: no DNS write per renewal), or add ${delegation} (dns-01 by delegation), or create its zone in Route 53`;
    const why = [persistReason && `dns-persist-01: ${persistReason}`, dns01Reason && `dns-01: ${dns01Reason}`].filter(Boolean).join("; ");
    return `${name} cannot be validated${why ? ` (${why})` : ""}: ${ways}`;
}
