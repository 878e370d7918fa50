/**
 * Read-only DNS at the configured resolvers (or the system's): TXT values, CNAME chains, and the wait
 * until every resolver shows the challenge values. The same for every DNS host.
 * Serialized with the dynamic providers (closure serialization stores the code in the state): npm
 * and node modules are `require`d inside functions, clients are built per call.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside functions on purpose (serialization) */
import { Log, seconds, sleep } from "../core/runtime";
import { TxtRecord } from "../core/challenges";
import { CaaProperty } from "../core/issuers";

/** CNAME hops followed from `_acme-challenge.<name>` before giving up (lego follows 50; real chains are 1-2). */
export const MAX_CNAME_HOPS = 8;

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

/**
 * The CAA record set that governs `name` (RFC 8659 §3): the name's own, else its parent's, up to
 * the top-level domain (a wildcard is looked up at its base name). [] when no node up the tree has
 * CAA records. A lookup that fails otherwise (SERVFAIL, timeout) throws: the caller lets the CA decide.
 */
export async function lookupCaa(servers: readonly string[], name: string): Promise<{ at?: string; properties: CaaProperty[] }> {
    const resolver = resolverFor(servers);
    const labels = name.replace(/^\*\./, "").replace(/\.$/, "").toLowerCase().split(".");
    for (let i = 0; i < labels.length - 1; i++) {
        const at = labels.slice(i).join(".");
        try {
            const records = await resolver.resolveCaa(at);
            if (records.length > 0) {
                return {
                    at,
                    properties: records.flatMap((r) =>
                        Object.entries(r)
                            .filter(([k]) => k !== "critical")
                            .map(([tag, value]) => ({ critical: r.critical, tag, value: String(value) })),
                    ),
                };
            }
        } catch (e) {
            if (!NO_ANSWER.includes((e as { code?: string }).code ?? "")) {
                throw e;
            }
        }
    }
    return { properties: [] };
}

/** Names whose TXT values are polled at once per resolver. */
const VERIFY_CONCURRENCY = 16;

/**
 * Waits until every resolver answers every TXT value we wrote: the CA will ask the same question.
 * Resolvers are `ip` or `ip:port`; an empty list skips the check.
 */
export async function verifyTxt(
    resolvers: readonly string[],
    records: readonly TxtRecord[],
    timeoutMs: number,
    pollMs: number,
    log: Log,
): Promise<void> {
    if (resolvers.length === 0 || records.length === 0) {
        return;
    }
    const { Resolver } = require("node:dns/promises") as typeof import("node:dns/promises");
    const started = Date.now();
    const wanted = new Map<string, Set<string>>();
    for (const r of records) {
        wanted.set(r.name, new Set([...(wanted.get(r.name) ?? []), r.value]));
    }
    // Names are polled concurrently (a bounded pool): one after another, 100 names cost 100 round
    // trips per pass before the CA could be asked.
    const waitFor = async (server: string, name: string, values: Set<string>, resolver: import("node:dns/promises").Resolver) => {
        for (;;) {
            let seen: string[] = [];
            try {
                seen = (await resolver.resolveTxt(name)).map((chunks) => chunks.join(""));
            } catch (e) {
                if (!["ENOTFOUND", "ENODATA", "ETIMEOUT", "ESERVFAIL", "ECONNREFUSED"].includes((e as { code?: string }).code ?? "")) {
                    throw e;
                }
            }
            if ([...values].every((v) => seen.includes(v))) {
                return;
            }
            if (Date.now() - started > timeoutMs) {
                throw new Error(
                    `TXT ${name} does not show the challenge value(s) at resolver ${server} after ${timeoutMs / 1000} s (propagationTimeoutSeconds): check the zone's delegation or dnsResolvers`,
                );
            }
            await sleep(pollMs);
        }
    };
    for (const server of resolvers) {
        const resolver = new Resolver({ timeout: 2000, tries: 2 });
        resolver.setServers([server]);
        const queue = [...wanted];
        await Promise.all(
            Array.from({ length: Math.min(VERIFY_CONCURRENCY, queue.length) }, async () => {
                for (let next = queue.shift(); next; next = queue.shift()) {
                    await waitFor(server, next[0], next[1], resolver);
                }
            }),
        );
    }
    log(`[dns] ${records.length} TXT value(s) visible at ${resolvers.join(", ")} (${seconds(started)})`);
}
