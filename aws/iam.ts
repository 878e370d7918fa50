/**
 * IAM's server-certificate store, where CloudFront in China takes its certificates (no ACM there):
 * upload, get, list under a path, delete (DeleteConflict retried while CloudFront lets go), tags.
 * Serialized with the dynamic providers (closure serialization stores the code in the state): npm
 * and node modules are `require`d inside functions, clients are built per call.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside functions on purpose (serialization) */
import type * as IAM from "@aws-sdk/client-iam";
import { SDK_MAX_ATTEMPTS, errorName, retryTransient } from "./errors";
import { clientConfig } from "./identity";
import { Log, providerError, seconds, sleep } from "../core/runtime";
import { AwsTarget } from "../core/awsIdentity";

function iam(aws: AwsTarget, maxAttempts = SDK_MAX_ATTEMPTS): IAM.IAMClient {
    const { IAMClient } = require("@aws-sdk/client-iam") as typeof IAM;
    return new IAMClient({ ...clientConfig(aws), maxAttempts });
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
    /** The intermediates uploaded with it ("" when none were). */
    chain: string;
    expiration?: string;
    /** Its tags (GetServerCertificate returns them). */
    tags: Record<string, string>;
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
            chain: c?.CertificateChain ?? "",
            expiration: m?.Expiration?.toISOString(),
            tags: Object.fromEntries((c?.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""])),
        };
    } catch (e) {
        if (errorName(e) === "NoSuchEntity") {
            return undefined;
        }
        throw e;
    }
}

/** A server certificate as ListServerCertificates describes it. */
export interface ListedCertificate {
    name: string;
    /** The ServerCertificateId (ASCA…) a distribution's `IAMCertificateId` names. */
    id?: string;
    path?: string;
    expiration?: string;
    uploaded?: string;
}

/** Names and expiry of the server certificates under an IAM path (ListServerCertificates, filtered here too). */
export async function listServerCertificates(aws: AwsTarget, pathPrefix: string): Promise<ListedCertificate[]> {
    const { ListServerCertificatesCommand } = require("@aws-sdk/client-iam") as typeof IAM;
    const client = iam(aws);
    const found: ListedCertificate[] = [];
    let marker: string | undefined;
    do {
        const page = await client.send(new ListServerCertificatesCommand({ PathPrefix: pathPrefix, Marker: marker }));
        for (const m of page.ServerCertificateMetadataList ?? []) {
            if (m.Path?.startsWith(pathPrefix) && m.ServerCertificateName) {
                found.push({
                    name: m.ServerCertificateName,
                    id: m.ServerCertificateId,
                    path: m.Path,
                    expiration: m.Expiration?.toISOString(),
                    uploaded: m.UploadDate?.toISOString(),
                });
            }
        }
        marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    return found;
}

/** The account's server certificates and its quota of them (GetAccountSummary): every path and stack counts. */
export async function serverCertificateCount(aws: AwsTarget): Promise<{ used: number; quota: number }> {
    const { GetAccountSummaryCommand } = require("@aws-sdk/client-iam") as typeof IAM;
    const summary = (await iam(aws).send(new GetAccountSummaryCommand({}))).SummaryMap ?? {};
    const used = summary.ServerCertificates;
    const quota = summary.ServerCertificatesQuota;
    if (typeof used !== "number" || typeof quota !== "number") {
        throw new Error("GetAccountSummary gave no ServerCertificates or ServerCertificatesQuota");
    }
    return { used, quota };
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
                        "a program of one's own can raise IamAcmeCertificate's deleteConflictTimeoutSeconds if its distributions take longer to deploy.",
                    "DeleteConflict",
                );
            }
            log(`[iam] [${name}] still attached (DeleteConflict), retrying in ${Math.round(Math.min(delay, left) / 1000)} s`);
            await sleep(Math.min(delay, left));
            delay = Math.min(delay * 2, 60_000);
        }
    }
}

/**
 * Moves a server certificate to another IAM path (UpdateServerCertificate with NewPath). Its name and
 * ServerCertificateId stay, and CloudFront refers to a certificate by that id, so a distribution
 * serving it keeps serving it (IAM API reference, UpdateServerCertificate; CloudFront Developer Guide,
 * "Importing an SSL/TLS certificate": the IAM certificate ID).
 */
export async function moveServerCertificate(aws: AwsTarget, name: string, newPath: string): Promise<void> {
    const { UpdateServerCertificateCommand } = require("@aws-sdk/client-iam") as typeof IAM;
    await iam(aws).send(new UpdateServerCertificateCommand({ ServerCertificateName: name, NewPath: newPath }));
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
