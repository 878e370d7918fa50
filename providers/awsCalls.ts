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
 * The hosted zone of each name: from `given` (exact or longest suffix) or else discovered as the
 * public zone with the longest matching suffix. Names without a zone are returned in `missing`.
 */
export async function resolveZones(
    aws: AwsTarget,
    domains: readonly string[],
    given: Record<string, string> | undefined,
    zoneFor: (domain: string, zones: Record<string, string>) => string | undefined,
): Promise<{ zones: Record<string, string>; missing: string[] }> {
    let known = given ?? {};
    if (!given || domains.some((d) => zoneFor(d, known) === undefined)) {
        known = { ...Object.fromEntries(await listPublicZones(aws)), ...(given ?? {}) };
    }
    const zones: Record<string, string> = {};
    const missing: string[] = [];
    for (const d of domains) {
        const id = zoneFor(d, known);
        if (id === undefined) {
            missing.push(d);
        } else {
            zones[d] = id.replace(/^\/hostedzone\//, "");
        }
    }
    return { zones, missing };
}

const quote = (v: string) => `"${v}"`;
const unquote = (v: string) => v.replace(/^"|"$/g, "");

/** The TXT values and TTL currently at `name` in the zone (none: `[]`). */
async function currentTxt(client: R53.Route53Client, zoneId: string, name: string): Promise<{ values: string[]; ttl: number }> {
    const { ListResourceRecordSetsCommand } = require("@aws-sdk/client-route-53") as typeof R53;
    const page = await client.send(
        new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: name, StartRecordType: "TXT", MaxItems: 1 }),
    );
    const set = (page.ResourceRecordSets ?? [])[0];
    if (!set || set.Type !== "TXT" || set.Name?.replace(/\.$/, "") !== name) {
        return { values: [], ttl: 60 };
    }
    return { values: (set.ResourceRecords ?? []).map((r) => unquote(r.Value ?? "")), ttl: set.TTL ?? 60 };
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

/**
 * Writes or removes our TXT values with **one** change batch per hosted zone, keeping every value
 * we did not write (another client's challenge, a verification record). Returns the change ids.
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
        const changes: R53.Change[] = [];
        for (const [name, ours] of names) {
            const current = await currentTxt(client, zoneId, name);
            const next = action === "add" ? [...new Set([...current.values, ...ours])] : current.values.filter((v) => !ours.includes(v));
            if (action === "remove" && next.length === current.values.length) {
                continue; // nothing of ours is there any more
            }
            const set = (values: string[]) => ({
                Name: name,
                Type: "TXT" as const,
                TTL: current.ttl,
                ResourceRecords: values.map((v) => ({ Value: quote(v) })),
            });
            if (next.length === 0) {
                changes.push({ Action: "DELETE", ResourceRecordSet: set(current.values) });
            } else {
                changes.push({ Action: "UPSERT", ResourceRecordSet: set(next) });
            }
        }
        if (changes.length === 0) {
            return;
        }
        const result = await client
            .send(
                new ChangeResourceRecordSetsCommand({
                    HostedZoneId: zoneId,
                    ChangeBatch: { Comment: `cloudfront-china dns-01 ${action}`, Changes: changes },
                }),
            )
            .catch((e: Error) => {
                throw errorName(e) === "NoSuchHostedZone"
                    ? providerError(
                          `Route 53 hosted zone ${zoneId} no longer exists (NoSuchHostedZone): fix hostedZones, or leave it unset to discover the zones`,
                          "NoSuchHostedZone",
                      )
                    : e;
            });
        const id = result.ChangeInfo?.Id?.replace(/^\/change\//, "") ?? "";
        changeIds.push(id);
        log(
            `[route53] [${zoneId}] ${action === "add" ? "TXT change submitted" : "TXT cleanup submitted"}: ${changes.length} record set(s), ${[...names.values()].flat().length} value(s), change ${id} (${seconds(started)})`,
        );
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
    for (const server of resolvers) {
        const resolver = new Resolver({ timeout: 2000, tries: 2 });
        resolver.setServers([server]);
        for (const [name, values] of wanted) {
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
                    break;
                }
                if (Date.now() - started > timeoutMs) {
                    throw new Error(
                        `TXT ${name} does not show the challenge value(s) at resolver ${server} after ${timeoutMs / 1000} s (propagationTimeoutSeconds): check the zone's delegation or dnsResolvers`,
                    );
                }
                await sleep(pollMs);
            }
        }
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
