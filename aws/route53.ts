/**
 * Route 53 for the ACME challenges: the account's zones, TXT values changed compare-and-swap (one
 * batch per zone, other writers' values kept), the INSYNC wait, the zones' name servers. Used
 * through the DNS-host interface (../dns/route53.ts), never by the order directly.
 * Serialized with the dynamic providers (closure serialization stores the code in the state): npm
 * and node modules are `require`d inside functions, clients are built per call.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside functions on purpose (serialization) */
import type * as R53 from "@aws-sdk/client-route-53";
import { clientConfig } from "./identity";
import { Log, providerError, seconds, sleep } from "../core/runtime";
import { TxtRecord } from "../core/challenges";
import { AwsTarget } from "../core/awsIdentity";
import { SDK_MAX_ATTEMPTS, errorName } from "./errors";

function route53(aws: AwsTarget): R53.Route53Client {
    const { Route53Client } = require("@aws-sdk/client-route-53") as typeof R53;
    return new Route53Client({ ...clientConfig(aws), maxAttempts: SDK_MAX_ATTEMPTS });
}

// ---------------------------------------------------------------------------------------------
// Route 53

/** Public hosted zones of the account, as [name without trailing dot, id without /hostedzone/]. */
async function listPublicZones(aws: AwsTarget): Promise<Array<[string, string]>> {
    const { ListHostedZonesCommand } = require("@aws-sdk/client-route-53") as typeof R53;
    const client = route53(aws);
    const zones: Array<[string, string]> = [];
    let marker: string | undefined;
    do {
        const page = await client.send(new ListHostedZonesCommand({ Marker: marker }));
        for (const z of page.HostedZones ?? []) {
            if (!z.Config?.PrivateZone && z.Name && z.Id) {
                zones.push([z.Name.replace(/\.$/, ""), z.Id.replace(/^\/hostedzone\//, "")]);
            }
        }
        marker = page.IsTruncated ? page.NextMarker : undefined;
    } while (marker);
    return zones;
}

/**
 * The Route 53 zone id of a name: from `given` (exact or longest suffix), else the public zone of
 * this account with the longest matching suffix. The account's zones are listed once, on the first
 * name `given` does not cover, so a stack that names its zones (or uses only dns-persist-01) makes
 * no Route 53 call here.
 */
export function zoneLookup(
    aws: AwsTarget,
    given: Record<string, string> | undefined,
    zoneFor: (domain: string, zones: Record<string, string>) => string | undefined,
): (name: string) => Promise<string | undefined> {
    let listed: Promise<Record<string, string>> | undefined;
    return async (name) => {
        const known = zoneFor(name, given ?? {});
        if (known !== undefined) {
            return known.replace(/^\/hostedzone\//, "");
        }
        listed ??= listPublicZones(aws).then((zones) => ({ ...Object.fromEntries(zones), ...(given ?? {}) }));
        return zoneFor(name, await listed)?.replace(/^\/hostedzone\//, "");
    };
}

const quote = (v: string) => `"${v}"`;

const unquote = (v: string) => v.replace(/^"|"$/g, "");

interface TxtSet {
    values: string[];
    ttl: number;
}

/** TTL of the record sets we create: short, so a stale challenge value does not linger in caches. */
const CHALLENGE_TTL = 60;

/** Above this many names in one zone, one listing of the zone is cheaper than a read per name (Route 53 allows 5 requests/s). */
const PER_NAME_READS_MAX = 3;

/** The TXT sets currently at `names` in the zone (absent names: no entry). */
async function currentTxt(client: R53.Route53Client, zoneId: string, names: readonly string[]): Promise<Map<string, TxtSet>> {
    const { ListResourceRecordSetsCommand } = require("@aws-sdk/client-route-53") as typeof R53;
    const wanted = new Set(names);
    const sets = new Map<string, TxtSet>();
    const take = (page: R53.ListResourceRecordSetsCommandOutput) => {
        for (const set of page.ResourceRecordSets ?? []) {
            const name = set.Name?.replace(/\.$/, "") ?? "";
            if (set.Type === "TXT" && wanted.has(name)) {
                sets.set(name, { values: (set.ResourceRecords ?? []).map((r) => unquote(r.Value ?? "")), ttl: set.TTL ?? CHALLENGE_TTL });
            }
        }
    };
    if (names.length <= PER_NAME_READS_MAX) {
        for (const name of names) {
            take(
                await client.send(
                    new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: name, StartRecordType: "TXT", MaxItems: 1 }),
                ),
            );
        }
        return sets;
    }
    let start: { name?: string; type?: R53.RRType } = {};
    for (;;) {
        const page = await client.send(
            new ListResourceRecordSetsCommand({
                HostedZoneId: zoneId,
                StartRecordName: start.name,
                StartRecordType: start.type,
                MaxItems: 300,
            }),
        );
        take(page);
        if (!page.IsTruncated) {
            return sets;
        }
        start = { name: page.NextRecordName, type: page.NextRecordType };
    }
}

/** Groups records by zone, then by record name (apex and wildcard share `_acme-challenge.<name>`). */
function byZoneAndName(records: readonly TxtRecord[]): Map<string, Map<string, string[]>> {
    const zones = new Map<string, Map<string, string[]>>();
    for (const r of records) {
        const names = zones.get(r.zoneId) ?? new Map<string, string[]>();
        names.set(r.name, [...(names.get(r.name) ?? []), r.value]);
        zones.set(r.zoneId, names);
    }
    return zones;
}

/** Attempts of one zone's compare-and-swap before giving up (each lost race re-reads the sets). */
export const CAS_ATTEMPTS = 12;

/**
 * Writes or removes our TXT values with **one** change batch per hosted zone, keeping every value
 * we did not write (another client's challenge, a verification record). Returns the change ids.
 *
 * Route 53 has no "add a value" action, and UPSERT of a read-modify-write loses a value when two
 * writers (two stacks renewing `example.cn` and `*.example.cn`, or another ACME client) change the
 * same name at once. A batch is atomic, and DELETE must match the current set exactly while CREATE
 * fails when a set exists: so DELETE(what we read) + CREATE(what we want) is a compare-and-swap
 * that fails with InvalidChangeBatch when someone changed the set in between; then we re-read and
 * try again (bounded, with jitter).
 */
export async function changeChallengeRecords(
    aws: AwsTarget,
    records: readonly TxtRecord[],
    action: "add" | "remove",
    log: Log,
): Promise<string[]> {
    const { ChangeResourceRecordSetsCommand } = require("@aws-sdk/client-route-53") as typeof R53;
    const client = route53(aws);
    const changeIds: string[] = [];
    await Promise.all(
        [...byZoneAndName(records)].map(([zoneId, names]) =>
            changeZone(zoneId, names).catch((e: Error) => {
                throw errorName(e) === "NoSuchHostedZone"
                    ? providerError(
                          `Route 53 hosted zone ${zoneId} does not exist (NoSuchHostedZone): fix hostedZones, or leave it unset to discover the zones`,
                          "NoSuchHostedZone",
                      )
                    : e;
            }),
        ),
    );
    return changeIds;

    async function changeZone(zoneId: string, names: Map<string, string[]>): Promise<void> {
        const started = Date.now();
        for (let attempt = 1; ; attempt++) {
            const current = await currentTxt(client, zoneId, [...names.keys()]);
            const changes: R53.Change[] = [];
            for (const [name, ours] of names) {
                const now = current.get(name) ?? { values: [], ttl: CHALLENGE_TTL };
                const next = action === "add" ? [...new Set([...now.values, ...ours])] : now.values.filter((v) => !ours.includes(v));
                if (next.length === now.values.length && next.every((v) => now.values.includes(v))) {
                    continue; // already as wanted (ours all there, or none of ours left)
                }
                const set = (values: string[]) => ({
                    Name: name,
                    Type: "TXT" as const,
                    TTL: now.ttl,
                    ResourceRecords: values.map((v) => ({ Value: quote(v) })),
                });
                if (now.values.length > 0) {
                    changes.push({ Action: "DELETE", ResourceRecordSet: set(now.values) });
                }
                if (next.length > 0) {
                    changes.push({ Action: "CREATE", ResourceRecordSet: set(next) });
                }
            }
            if (changes.length === 0) {
                return;
            }
            try {
                const result = await client.send(
                    new ChangeResourceRecordSetsCommand({
                        HostedZoneId: zoneId,
                        ChangeBatch: { Comment: `cloudfront-china dns-01 ${action}`, Changes: changes },
                    }),
                );
                const id = result.ChangeInfo?.Id?.replace(/^\/change\//, "") ?? "";
                changeIds.push(id);
                log(
                    `[route53] [${zoneId}] ${action === "add" ? "TXT change submitted" : "TXT cleanup submitted"}: ${changes.length} change(s), ${[...names.values()].flat().length} value(s), change ${id}${attempt > 1 ? ` after ${attempt - 1} lost race(s)` : ""} (${seconds(started)})`,
                );
                return;
            } catch (e) {
                if (errorName(e) === "NoSuchHostedZone") {
                    throw providerError(
                        `Route 53 hosted zone ${zoneId} no longer exists (NoSuchHostedZone): fix hostedZones, or leave it unset to discover the zones`,
                        "NoSuchHostedZone",
                    );
                }
                // Another writer changed one of the sets between our read and our batch: read again.
                // (Route 53: "… but the values provided do not match the current values" / "… but it already exists".)
                const lostRace =
                    errorName(e) === "InvalidChangeBatch" && /do not match|already exists|not found/i.test((e as Error).message);
                if (!lostRace || attempt >= CAS_ATTEMPTS) {
                    throw e;
                }
                await sleep(Math.min(100 * 2 ** (attempt - 1), 3000) * (0.5 + Math.random()));
            }
        }
    }
}

/** Polls GetChange until every change is INSYNC, or fails after `timeoutMs` naming the change. */
export async function waitForChanges(
    aws: AwsTarget,
    changeIds: readonly string[],
    timeoutMs: number,
    pollMs: number,
    log: Log,
): Promise<void> {
    const { GetChangeCommand } = require("@aws-sdk/client-route-53") as typeof R53;
    const client = route53(aws);
    const started = Date.now();
    for (const id of changeIds) {
        for (;;) {
            const status = (await client.send(new GetChangeCommand({ Id: id }))).ChangeInfo?.Status;
            if (status === "INSYNC") {
                break;
            }
            if (Date.now() - started > timeoutMs) {
                throw new Error(
                    `Route 53 change ${id} is still ${status} after ${timeoutMs / 1000} s (propagationTimeoutSeconds): retry later or raise the timeout`,
                );
            }
            await sleep(pollMs);
        }
    }
    log(`[route53] ${changeIds.length} change(s) in sync (${seconds(started)})`);
}

/** The zone's authoritative name servers as IP addresses (the default `dnsResolvers`). */
export async function authoritativeResolvers(aws: AwsTarget, zoneIds: readonly string[]): Promise<string[]> {
    const { GetHostedZoneCommand } = require("@aws-sdk/client-route-53") as typeof R53;
    const { lookup } = require("node:dns/promises") as typeof import("node:dns/promises");
    const client = route53(aws);
    const ips = new Set<string>();
    for (const id of new Set(zoneIds)) {
        const zone = await client.send(new GetHostedZoneCommand({ Id: id }));
        const first = (zone.DelegationSet?.NameServers ?? [])[0];
        if (first) {
            ips.add((await lookup(first, { family: 4 })).address);
        }
    }
    return [...ips];
}
