/**
 * The challenge plan: how each name on a certificate will be validated, decided before anything is
 * ordered, from read-only lookups at the resolvers and the DNS host's zones. Every name it cannot
 * serve is reported with the exact records to add; the order (./order.ts) only executes the plan.
 */
import {
    ChallengeMode,
    Dns01Plan,
    NamePlan,
    acmeChallengeName,
    baseName,
    persistRecordName,
    persistRecordProblem,
    persistRecordValue,
} from "../core/challenges";
import { PersistAccount, persistAccountUri } from "../core/persistAccount";
import { followCname, lookupTxt } from "../dns/resolvers";

export interface PlanRequest {
    domains: readonly string[];
    mode: ChallengeMode;
    /** Resolvers for the read-only lookups (CNAMEs, standing records); [] = the system's. */
    resolvers: readonly string[];
    /** The zone id of a name at the DNS host (../dns/host.ts `zoneOf`), or undefined. */
    zoneOf: (name: string) => Promise<string | undefined>;
    /** Explicit `_acme-challenge` delegation targets by name, when CNAMEs cannot be looked up from here. */
    delegations?: Record<string, string>;
    /** dns-persist-01 needs these; undefined (preview, first run) defers the standing-record check to create. */
    persist?: { account: PersistAccount; issuers: readonly string[]; persistUntil?: number };
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
                    persistReason = persistRecordProblem(
                        values,
                        req.persist.issuers,
                        req.persist.account,
                        wildcard ? `*.${base}` : base,
                        req.now,
                    );
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
            return { plan: { kind: "zone", zoneId, recordName: challengeName }, lookups };
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
            ? `TXT ${persistRecordName(base)} "${persistRecordValue(req.persist.issuers[0], persistAccountUri(req.persist.account, base), wildcard, req.persist.persistUntil)}"`
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
