/**
 * The AWS side of the certificate provider: Route 53 (DNS-01 records) and IAM (server certificates).
 *
 * Serialized with the dynamic provider, so: AWS SDK v3 modules are `require`d inside each function
 * and clients are built per call (a captured client or namespace import breaks serialization). Every
 * client takes an `AwsTarget`: the region and the stack's AWS identity (./awsIdentity.ts), so the
 * certificate is issued and uploaded by the same identity pulumi-aws deploys with. The SDK's
 * standard `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` variables apply unchanged; its standard
 * retry mode (backoff on Throttling and 5xx) runs with `maxAttempts` below.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside functions on purpose (serialization) */
import type * as IAM from "@aws-sdk/client-iam";
import type * as R53 from "@aws-sdk/client-route-53";
import { AwsTarget, clientConfig } from "./awsIdentity";

export type Log = (line: string) => void;

/** SDK attempts per call (standard retry mode: exponential backoff with jitter on throttling and 5xx). */
export const SDK_MAX_ATTEMPTS = 8;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(2)} s`;
/** The AWS error code: SDK v3 names errors "NoSuchEntityException"; the wire code is "NoSuchEntity". */
const errorName = (e: unknown) => ((e as { Code?: string })?.Code ?? (e as { name?: string })?.name ?? "").replace(/Exception$/, "");

function route53(aws: AwsTarget): R53.Route53Client {
    const { Route53Client } = require("@aws-sdk/client-route-53") as typeof R53;
    return new Route53Client({ ...clientConfig(aws), maxAttempts: SDK_MAX_ATTEMPTS });
}

function iam(aws: AwsTarget, maxAttempts = SDK_MAX_ATTEMPTS): IAM.IAMClient {
    const { IAMClient } = require("@aws-sdk/client-iam") as typeof IAM;
    return new IAMClient({ ...clientConfig(aws), maxAttempts });
}

/** Throttling, 5xx and network failures: worth another attempt. IAM's LimitExceeded is a quota, not one of them. */
function isTransient(e: unknown): boolean {
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
    const code = (e as { code?: string }).code ?? "";
    return (
        status >= 500 ||
        ["Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequests", "ServiceFailure", "ServiceUnavailable"].includes(
            errorName(e),
        ) ||
        ["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EAI_AGAIN"].includes(code)
    );
}

/** Runs `fn` up to `attempts` times with exponential backoff (0.5 s, 1 s, 2 s …) while it fails transiently. */
async function retryTransient<T>(fn: () => Promise<T>, attempts = SDK_MAX_ATTEMPTS): Promise<T> {
    for (let attempt = 1; ; attempt++) {
        try {
            return await fn();
        } catch (e) {
            if (attempt >= attempts || !isTransient(e)) {
                throw e;
            }
            await sleep(Math.min(500 * 2 ** (attempt - 1), 20_000) * (0.5 + Math.random() / 2));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Route 53

export interface TxtRecord {
    zoneId: string;
    /** Fully qualified, without trailing dot: `_acme-challenge.example.cn`. */
    name: string;
    value: string;
}

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

// ---------------------------------------------------------------------------------------------
// IAM

export interface UploadRequest {
    name: string;
    path: string;
    certificateBody: string;
    certificateChain: string;
    privateKey: string;
    tags?: Record<string, string>;
}

export interface UploadedCertificate {
    serverCertificateId: string;
    arn: string;
}

/**
 * An error whose message tells the user what happened and what to do, with the AWS error code.
 * A plain Error, not a subclass: a class extending Error loses its message once the provider is
 * closure-serialized into the state (seen under the real engine: the user got "undefined").
 */
export function providerError(message: string, code: string): Error & { code: string } {
    return Object.assign(new Error(message), { code });
}

/**
 * UploadServerCertificate. Transient errors are retried by the SDK. `EntityAlreadyExists` with the
 * same body means an earlier attempt landed (e.g. a timeout after success): that upload is reused.
 */
export async function uploadServerCertificate(aws: AwsTarget, req: UploadRequest, log: Log): Promise<UploadedCertificate> {
    const { UploadServerCertificateCommand } = require("@aws-sdk/client-iam") as typeof IAM;
    const started = Date.now();
    // Our own retry loop: the SDK's standard mode would retry IAM's quota error (LimitExceeded) as throttling.
    const client = iam(aws, 1);
    try {
        const out = await retryTransient(() =>
            client.send(
                new UploadServerCertificateCommand({
                    ServerCertificateName: req.name,
                    Path: req.path,
                    CertificateBody: req.certificateBody,
                    CertificateChain: req.certificateChain || undefined,
                    PrivateKey: req.privateKey,
                    Tags: Object.entries(req.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
                }),
            ),
        );
        const meta = out.ServerCertificateMetadata;
        log(`[iam] [${req.name}] uploaded under ${req.path} as ${meta?.ServerCertificateId} (${seconds(started)})`);
        return { serverCertificateId: meta?.ServerCertificateId ?? "", arn: meta?.Arn ?? "" };
    } catch (e) {
        if (errorName(e) === "EntityAlreadyExists") {
            const existing = await getServerCertificate(aws, req.name);
            if (existing && existing.body.trim() === req.certificateBody.trim()) {
                log(`[iam] [${req.name}] already uploaded by an earlier attempt: reusing ${existing.serverCertificateId}`);
                return { serverCertificateId: existing.serverCertificateId, arn: existing.arn };
            }
        }
        if (errorName(e) === "LimitExceeded") {
            throw providerError(
                `IAM refused the upload of ${req.name}: LimitExceeded, the account's server-certificate quota is full (20 by default). ` +
                    "Renewal needs one free slot per certificate (the old one is deleted after the new one is attached). " +
                    "Delete unused certificates (`aws iam list-server-certificates --path-prefix /cloudfront/`) or ask for a higher " +
                    "'Server certificates per account' quota in the Service Quotas console (IAM). The issued certificate is kept for the next run.",
                "LimitExceeded",
            );
        }
        throw providerError(`IAM refused the upload of ${req.name}: ${errorName(e)}: ${(e as Error).message}`, errorName(e));
    }
}

export interface StoredCertificate {
    serverCertificateId: string;
    arn: string;
    name: string;
    path: string;
    body: string;
    expiration?: string;
}

/** GetServerCertificate by name; undefined when IAM has no such certificate. */
export async function getServerCertificate(aws: AwsTarget, name: string): Promise<StoredCertificate | undefined> {
    const { GetServerCertificateCommand } = require("@aws-sdk/client-iam") as typeof IAM;
    try {
        const out = await iam(aws).send(new GetServerCertificateCommand({ ServerCertificateName: name }));
        const c = out.ServerCertificate;
        const m = c?.ServerCertificateMetadata;
        return {
            serverCertificateId: m?.ServerCertificateId ?? "",
            arn: m?.Arn ?? "",
            name: m?.ServerCertificateName ?? name,
            path: m?.Path ?? "",
            body: c?.CertificateBody ?? "",
            expiration: m?.Expiration?.toISOString(),
        };
    } catch (e) {
        if (errorName(e) === "NoSuchEntity") {
            return undefined;
        }
        throw e;
    }
}

/** Names and expiry of the server certificates under an IAM path (ListServerCertificates, filtered here too). */
export async function listServerCertificates(aws: AwsTarget, pathPrefix: string): Promise<Array<{ name: string; expiration?: string }>> {
    const { ListServerCertificatesCommand } = require("@aws-sdk/client-iam") as typeof IAM;
    const client = iam(aws);
    const found: Array<{ name: string; expiration?: string }> = [];
    let marker: string | undefined;
    do {
        const page = await client.send(new ListServerCertificatesCommand({ PathPrefix: pathPrefix, Marker: marker }));
        for (const m of page.ServerCertificateMetadataList ?? []) {
            if (m.Path?.startsWith(pathPrefix) && m.ServerCertificateName) {
                found.push({ name: m.ServerCertificateName, expiration: m.Expiration?.toISOString() });
            }
        }
        marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    return found;
}

/**
 * DeleteServerCertificate, retrying `DeleteConflict` (still attached while a distribution deploys)
 * with backoff for at most `timeoutMs`. `NoSuchEntity` counts as deleted. Never revokes.
 */
export async function deleteServerCertificate(aws: AwsTarget, name: string, timeoutMs: number, log: Log): Promise<void> {
    const { DeleteServerCertificateCommand } = require("@aws-sdk/client-iam") as typeof IAM;
    const client = iam(aws);
    const started = Date.now();
    // 5 s, 10 s, 20 s … 60 s; shorter first waits when the bound itself is short.
    let delay = Math.min(5000, timeoutMs / 20);
    for (let attempt = 1; ; attempt++) {
        try {
            await client.send(new DeleteServerCertificateCommand({ ServerCertificateName: name }));
            log(`[iam] [${name}] deleted (${seconds(started)}, ${attempt} attempt(s))`);
            return;
        } catch (e) {
            if (errorName(e) === "NoSuchEntity") {
                log(`[iam] [${name}] already gone`);
                return;
            }
            if (errorName(e) !== "DeleteConflict") {
                throw e;
            }
            const left = timeoutMs - (Date.now() - started);
            if (left <= 0) {
                throw providerError(
                    `IAM certificate ${name} is still in use after ${Math.round(timeoutMs / 1000)} s (DeleteConflict): ` +
                        "a distribution still references it. It stays in the stack and the next `pulumi up` deletes it; " +
                        "raise deleteConflictTimeoutSeconds if distributions take longer to deploy.",
                    "DeleteConflict",
                );
            }
            log(`[iam] [${name}] still attached (DeleteConflict), retrying in ${Math.round(Math.min(delay, left) / 1000)} s`);
            await sleep(Math.min(delay, left));
            delay = Math.min(delay * 2, 60_000);
        }
    }
}

/** Brings the certificate's tags to `tags` (TagServerCertificate / UntagServerCertificate). */
export async function setServerCertificateTags(
    aws: AwsTarget,
    name: string,
    old: Record<string, string>,
    tags: Record<string, string>,
): Promise<void> {
    const { TagServerCertificateCommand, UntagServerCertificateCommand } = require("@aws-sdk/client-iam") as typeof IAM;
    const client = iam(aws);
    const removed = Object.keys(old).filter((k) => !(k in tags));
    if (removed.length > 0) {
        await client.send(new UntagServerCertificateCommand({ ServerCertificateName: name, TagKeys: removed }));
    }
    if (Object.keys(tags).length > 0) {
        await client.send(
            new TagServerCertificateCommand({
                ServerCertificateName: name,
                Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
            }),
        );
    }
}
