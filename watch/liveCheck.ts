/**
 * The live check of a site: what the edge really serves, what CloudFront and IAM say, and a verdict
 * per alias. One module for every caller: `npm run status` (scripts/status.ts) and the in-account
 * watch's Lambda (./handler.ts), which carries this code closure-serialized. So: no Pulumi, no npm
 * module beyond the AWS SDK v3 that the Lambda runtime provides, modules `require`d inside functions.
 *
 * Why it exists (docs/watch.md, "Sources"): Let's Encrypt sends no expiry emails since June 2025, AWS Config and Security Hub flag IAM certificates only once
 * expired, and CloudFront China serves an alias only while its ICP recordal is APPROVED.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside functions on purpose (serialization) */
import type * as CF from "@aws-sdk/client-cloudfront";
import type * as IAM from "@aws-sdk/client-iam";
import type { AwsCredentialIdentityProvider } from "@aws-sdk/types";
import type { PeerCertificate } from "node:tls";

export type Verdict = "ok" | "warn" | "fail";

export interface CheckOptions {
    distributionId: string;
    /** An aws-cn region for the SDK clients (CloudFront and IAM have one control plane each). */
    region: string;
    /** Credentials (the stack's identity for the status command); unset: the SDK's default chain (the Lambda's role). */
    credentials?: AwsCredentialIdentityProvider;
    /** The ServerCertificateId the stack expects to be attached (stack output `certificateId`). */
    expectedCertificateId?: string;
    /** IAM path whose certificates are counted against the quota, e.g. "/cloudfront/prod/". Defaults to "/cloudfront/". */
    iamPathPrefix?: string;
    /** Certificates the stack's other sites serve (docs/sites.md): under the path, yet no leftovers. */
    servedByOtherSites?: readonly string[];
    /** From when `pulumi up` renews the stack's certificate (stack output `certificateRenewAfter`). */
    renewAfter?: string;
    /** Warn when the served certificate has at most this many days left. Defaults to `warnThresholdDays(lifetime)`. */
    warnDays?: number;
    /** The account's server-certificate quota (raisable). Defaults to IAM's default, 20. */
    iamCertificateQuota?: number;
    /** A distribution not `Deployed` for longer than this is reported. Defaults to 60 minutes. */
    notDeployedMinutes?: number;
    /** Bound of each TLS handshake. Defaults to 10 s. */
    timeoutMs?: number;
    /** Bound of all the AWS reads together (GetDistribution, the IAM listing, GetServerCertificate). Defaults to AWS_READ_TIMEOUT_MS. */
    awsTimeoutMs?: number;
    /** Where to connect for an alias instead of its DNS name ("host:port"): tests, or a private network path. */
    connect?: Record<string, string>;
    /** For tests: the current time. */
    now?: number;
}

export interface ServedCertificate {
    serialNumber: string;
    notBefore: string;
    notAfter: string;
    issuer: string;
    subjectAltName: string;
    coversAlias: boolean;
    chainVerified: boolean;
}

export interface AliasReport {
    alias: string;
    /** False for a wildcard alias: no single host name to connect to. */
    probed: boolean;
    /** APPROVED, SUSPENDED, PENDING, or undefined when CloudFront reported none. */
    icp?: string;
    served?: ServedCertificate;
    /** Why no certificate could be read (refused, timeout, chain not trusted, expired). */
    probeError?: string;
    /** The edge serves the certificate attached to the distribution (serials equal). */
    servesAttached?: boolean;
    daysLeft?: number;
    warnAtDays?: number;
    /** The served certificate has expired or is within the warning threshold. */
    expiring?: boolean;
    renewAfter?: string;
    verdict: Verdict;
    reasons: string[];
}

export interface CheckReport {
    checkedAt: string;
    distribution: { id: string; status: string; lastModifiedTime?: string; iamCertificateId?: string };
    attached?: { id: string; name: string; notAfter?: string; serialNumber?: string; expected?: boolean };
    certificatesUnderPath?: number;
    /** Every server certificate of the account: the quota (20 by default) counts them all. */
    certificatesInAccount?: number;
    /**
     * Certificates under the path that this distribution does not serve and the stack does not expect:
     * leftovers (a delete that failed long ago) holding quota slots, or a rotation under way.
     * `npm run cleanup` deletes those no distribution of the account serves.
     */
    unservedUnderPath?: Array<{ name: string; id: string; expiration?: string }>;
    aliases: AliasReport[];
    /** Findings about the distribution or IAM rather than one alias. */
    reasons: string[];
    verdict: Verdict;
}

/** One stack of a fleet: its report, or why it could not be checked. */
export type StackStatus = { stack: string; report: CheckReport } | { stack: string; reason: string };

/** "3 stack(s)", or "3 site(s)" when a stack's further sites are rows of their own (`<stack>/<name>`, docs/sites.md). */
const countOf = (statuses: readonly StackStatus[]) =>
    `${statuses.length} ${statuses.some((s) => s.stack.includes("/")) ? "site(s)" : "stack(s)"}`;

/**
 * The one summary line of a check, the same in the terminal and on the HTML page: stacks (or sites)
 * by verdict, the worst of their aliases' ("2 site(s): 1 ok, 1 warn, 0 fail, 0 could not be checked").
 */
export function verdictSummary(statuses: readonly StackStatus[]): string {
    const count = (v: string) => statuses.filter((s) => ("reason" in s ? "unchecked" : s.report.verdict) === v).length;
    return `${countOf(statuses)}: ${count("ok")} ok, ${count("warn")} warn, ${count("fail")} fail, ${count("unchecked")} could not be checked`;
}

const DAY_MS = 86_400_000;
/** IAM's default quota of server certificates per account. */
export const IAM_CERTIFICATE_QUOTA = 20;

/**
 * Days left at which a certificate is reported, scaled to its own lifetime: a quarter of it, but at
 * least 7 days where a third of the lifetime allows. Renewal starts when a third is left (Let's
 * Encrypt's guide), so warning at a third would fire on every renewal day; a fixed 30 days would fire
 * every cycle on 45-day certificates. 90 d → 22.5, 64 d → 16, 45 d → 11.25, 160 h → 2.2.
 */
export function warnThresholdDays(lifetimeDays: number): number {
    return Math.max(lifetimeDays / 4, Math.min(7, lifetimeDays / 3));
}

const prefixOf = (o: Pick<CheckOptions, "iamPathPrefix">) => o.iamPathPrefix ?? "/cloudfront/";
const normalSerial = (hex: string) =>
    hex
        .toUpperCase()
        .replace(/[^0-9A-F]/g, "")
        .replace(/^0+/, "");
const worst = (verdicts: Verdict[]): Verdict => (verdicts.includes("fail") ? "fail" : verdicts.includes("warn") ? "warn" : "ok");

/** What a verification error means for a site served from IAM, and the fix (appended to Node's own words). */
const TLS_ERROR_MEANING: Record<string, string> = {
    // The leaf is fine but the server sent no intermediate: clients with the root only cannot build the chain.
    UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        ": the served chain lacks the intermediate certificate (the IAM certificate was uploaded without it). " +
        "Upload it again with its chain (`aws iam upload-server-certificate --certificate-chain file://chain.pem`, " +
        "or let the program issue it: it always uploads the chain)",
    UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        ": the served chain ends at a CA this machine does not trust, or lacks its intermediate: upload the certificate with its full chain",
    SELF_SIGNED_CERT_IN_CHAIN: ": the served chain includes a self-signed certificate no client trusts",
    DEPTH_ZERO_SELF_SIGNED_CERT: ": the served certificate is self-signed: no client trusts it",
    CERT_HAS_EXPIRED: ": the served certificate (or one of its chain) has expired",
};

/** A TLS handshake with SNI = alias, verification on; the certificate is kept even when only the name fails. */
export function probeTls(
    alias: string,
    address: string | undefined,
    timeoutMs: number,
    secureContext?: import("node:tls").SecureContext,
): Promise<{ served?: ServedCertificate; error?: string }> {
    const tls = require("node:tls") as typeof import("node:tls");
    const [host, port] = address
        ? [address.slice(0, address.lastIndexOf(":")), Number(address.slice(address.lastIndexOf(":") + 1))]
        : [alias, 443];
    const describe = (c: PeerCertificate, coversAlias: boolean): ServedCertificate => ({
        serialNumber: normalSerial(c.serialNumber ?? ""),
        notBefore: new Date(c.valid_from).toISOString(),
        notAfter: new Date(c.valid_to).toISOString(),
        // Who signed, as people know it: "R11 (Let's Encrypt)", "ZeroSSL RSA Domain Secure Site CA (ZeroSSL)".
        issuer: [[c.issuer?.CN ?? ""].flat().join(", "), c.issuer?.O ? `(${[c.issuer.O].flat().join(", ")})` : ""].join(" ").trim(),
        subjectAltName: c.subjectaltname ?? "",
        coversAlias,
        chainVerified: true,
    });
    return new Promise((resolve) => {
        let named: PeerCertificate | undefined;
        let settled = false;
        // Declared before `done` uses them (the closure serializer reads free variables in order).
        // eslint-disable-next-line prefer-const -- assigned once the callbacks exist
        let timer: ReturnType<typeof setTimeout> | undefined;
        const socket = tls.connect({
            host,
            port,
            servername: alias,
            secureContext,
            // Called only once the chain verified: keep the certificate, then let Node check the name.
            checkServerIdentity: (hostname, cert) => {
                named = cert;
                return tls.checkServerIdentity(hostname, cert);
            },
        });
        const done = (result: { served?: ServedCertificate; error?: string }) => {
            if (!settled) {
                settled = true;
                clearTimeout(timer);
                socket.destroy();
                resolve(result);
            }
        };
        timer = setTimeout(() => done({ error: `no TLS handshake within ${timeoutMs} ms` }), timeoutMs);
        // The certificate Node already read for the name check: reading it again (getPeerCertificate)
        // was the check's largest CPU cost (measured with --cpu-prof in the bench).
        socket.once("secureConnect", () => done({ served: describe(named ?? socket.getPeerCertificate(), true) }));
        socket.once("error", (e: Error & { code?: string }) => {
            if (named && e.code === "ERR_TLS_CERT_ALTNAME_INVALID") {
                done({ served: describe(named, false), error: `the served certificate does not cover ${alias} (${named.subjectaltname})` });
            } else {
                done({ error: `${e.code ?? e.name}: ${e.message}${TLS_ERROR_MEANING[e.code ?? ""] ?? ""}` });
            }
        });
    });
}

interface AwsFacts {
    distribution: CheckReport["distribution"];
    aliases: string[];
    icp: Map<string, string>;
    attached?: CheckReport["attached"];
    certificatesUnderPath?: number;
    certificatesInAccount?: number;
    unservedUnderPath?: CheckReport["unservedUnderPath"];
}

/**
 * How long the check's AWS reads may take together, retries included: an endpoint that accepts the
 * connection and never answers must not hold `npm run status` (or the watch's Lambda) for ever.
 */
export const AWS_READ_TIMEOUT_MS = 20_000;

/** GetDistribution, then the attached certificate in IAM (by id, under /cloudfront/) and the count under the stack's path. */
async function readAws(o: CheckOptions): Promise<AwsFacts> {
    const timeoutMs = o.awsTimeoutMs ?? AWS_READ_TIMEOUT_MS;
    const deadline = AbortSignal.timeout(timeoutMs);
    const pending = new Set<string>();
    // The calls waiting when the bound passes (they leave `pending` as they are aborted).
    let waiting: string[] = [];
    deadline.addEventListener("abort", () => (waiting = [...pending]), { once: true });
    try {
        return await readAwsWithin(o, deadline, pending, timeoutMs);
    } catch (e) {
        if (deadline.aborted) {
            throw new Error(
                `AWS did not answer within ${timeoutMs / 1000} s (${waiting.sort().join(", ") || "the reads"} still waiting): ` +
                    "check the network path to the aws-cn endpoints (or AWS_ENDPOINT_URL) and try again",
            );
        }
        throw e;
    }
}

async function readAwsWithin(o: CheckOptions, deadline: AbortSignal, pending: Set<string>, timeoutMs: number): Promise<AwsFacts> {
    const { CloudFrontClient, GetDistributionCommand } = require("@aws-sdk/client-cloudfront") as typeof CF;
    const { IAMClient, ListServerCertificatesCommand, GetServerCertificateCommand } = require("@aws-sdk/client-iam") as typeof IAM;
    const { X509Certificate } = require("node:crypto") as typeof import("node:crypto");
    // Each request bounded too, so retries fit inside the whole bound.
    const config = {
        region: o.region,
        credentials: o.credentials,
        requestHandler: { requestTimeout: timeoutMs / 2, connectionTimeout: 5_000 },
    };
    const iam = new IAMClient(config);
    /** One call, named while it waits (for the message when the bound passes). */
    const call = async <T>(name: string, send: () => Promise<T>): Promise<T> => {
        pending.add(name);
        try {
            return await send();
        } finally {
            pending.delete(name);
        }
    };
    const listing = (async () => {
        const all: IAM.ServerCertificateMetadata[] = [];
        let marker: string | undefined;
        do {
            const page = await call("ListServerCertificates", () =>
                iam.send(new ListServerCertificatesCommand({ Marker: marker }), { abortSignal: deadline }),
            );
            all.push(...(page.ServerCertificateMetadataList ?? []));
            marker = page.IsTruncated ? page.Marker : undefined;
        } while (marker);
        return all;
    })();
    // Awaited together: when one call fails (no network, no credentials) the other's failure is
    // handled too, instead of surfacing later as an unhandled rejection that kills the process.
    const [got, certificates] = await Promise.all([
        call("GetDistribution", () =>
            new CloudFrontClient(config).send(new GetDistributionCommand({ Id: o.distributionId }), { abortSignal: deadline }),
        ),
        listing,
    ]);
    const d = got.Distribution;
    const iamCertificateId = d?.DistributionConfig?.ViewerCertificate?.IAMCertificateId;
    const facts: AwsFacts = {
        distribution: {
            id: o.distributionId,
            status: d?.Status ?? "unknown",
            lastModifiedTime: d?.LastModifiedTime?.toISOString(),
            iamCertificateId,
        },
        aliases: d?.DistributionConfig?.Aliases?.Items ?? [],
        icp: new Map((d?.AliasICPRecordals ?? []).map((r) => [r.CNAME ?? "", r.ICPRecordalStatus ?? ""])),
    };
    const prefix = prefixOf(o);
    facts.certificatesUnderPath = certificates.filter((m) => m.Path?.startsWith(prefix)).length;
    facts.certificatesInAccount = certificates.length;
    facts.unservedUnderPath = certificates
        .filter(
            (m) =>
                m.Path?.startsWith(prefix) &&
                m.ServerCertificateId !== iamCertificateId &&
                m.ServerCertificateId !== o.expectedCertificateId &&
                !(o.servedByOtherSites ?? []).includes(m.ServerCertificateId ?? ""),
        )
        .map((m) => ({ name: m.ServerCertificateName ?? "", id: m.ServerCertificateId ?? "", expiration: m.Expiration?.toISOString() }))
        .sort((a, b) => a.name.localeCompare(b.name));
    const meta = certificates.find((m) => m.ServerCertificateId === iamCertificateId);
    if (iamCertificateId && meta?.ServerCertificateName) {
        const body = (
            await call("GetServerCertificate", () =>
                iam.send(new GetServerCertificateCommand({ ServerCertificateName: meta.ServerCertificateName }), { abortSignal: deadline }),
            )
        ).ServerCertificate?.CertificateBody;
        const x509 = body ? new X509Certificate(body) : undefined;
        facts.attached = {
            id: iamCertificateId,
            name: meta.ServerCertificateName,
            notAfter: x509 ? new Date(x509.validTo).toISOString() : meta.Expiration?.toISOString(),
            serialNumber: x509 ? normalSerial(x509.serialNumber) : undefined,
            expected: o.expectedCertificateId === undefined ? undefined : o.expectedCertificateId === iamCertificateId,
        };
    }
    return facts;
}

/** The verdict of one alias from its probe, its ICP status and the attached certificate. */
export function judgeAlias(
    alias: string,
    probe: { served?: ServedCertificate; error?: string } | undefined,
    facts: Pick<AwsFacts, "icp" | "attached" | "distribution">,
    o: Pick<CheckOptions, "warnDays" | "renewAfter">,
    now: number,
): AliasReport {
    const report: AliasReport = {
        alias,
        probed: probe !== undefined,
        icp: facts.icp.get(alias),
        verdict: "ok",
        reasons: [],
        renewAfter: o.renewAfter,
    };
    const verdicts: Verdict[] = [];
    const say = (v: Verdict, reason: string) => {
        verdicts.push(v);
        report.reasons.push(reason);
    };
    if (report.icp === "SUSPENDED") {
        say(
            "fail",
            "ICP recordal SUSPENDED: CloudFront does not serve this alias (no valid ICP number); renew the recordal with your ICP provider",
        );
    } else if (report.icp === "PENDING") {
        say("warn", "ICP recordal PENDING: CloudFront could not determine the status; it retries, check again later");
    } else if (report.icp === undefined) {
        say("warn", "no ICP recordal status reported for this alias");
    }
    if (probe === undefined) {
        report.reasons.push("not probed: a wildcard alias has no single host name to connect to");
    } else {
        report.served = probe.served;
        if (probe.error) {
            report.probeError = probe.error;
            say("fail", /CERT_HAS_EXPIRED/.test(probe.error) ? `the served certificate has expired (${probe.error})` : probe.error);
        }
        const served = probe.served;
        if (served) {
            const lifetimeDays = (Date.parse(served.notAfter) - Date.parse(served.notBefore)) / DAY_MS;
            const daysLeft = (Date.parse(served.notAfter) - now) / DAY_MS;
            const warnAt = o.warnDays ?? warnThresholdDays(lifetimeDays);
            // Rounded for people; judged on the exact values.
            report.daysLeft = Math.round(daysLeft * 100) / 100;
            report.warnAtDays = Math.round(warnAt * 100) / 100;
            report.expiring = daysLeft <= warnAt;
            if (daysLeft <= 0) {
                say("fail", `the served certificate expired at ${served.notAfter}`);
            } else if (daysLeft <= warnAt) {
                say(
                    "warn",
                    `the served certificate has ${report.daysLeft} days left (warning at ${report.warnAtDays}): is renewal running?`,
                );
            }
            if (facts.attached?.serialNumber) {
                report.servesAttached = served.serialNumber === facts.attached.serialNumber;
                if (!report.servesAttached) {
                    const deploying = facts.distribution.status !== "Deployed" ? " while the distribution deploys" : "";
                    say(
                        "warn",
                        `stale: the edge serves serial ${served.serialNumber}, the distribution has ${facts.attached.name} (serial ${facts.attached.serialNumber})${deploying}`,
                    );
                }
            }
        }
    }
    report.verdict = worst(verdicts);
    return report;
}

/** Runs the whole check: AWS reads and every alias's handshake concurrently. Throws when AWS cannot be read. */
export async function runCheck(o: CheckOptions): Promise<CheckReport> {
    const now = o.now ?? Date.now();
    const timeoutMs = o.timeoutMs ?? 10_000;
    const facts = await readAws(o);
    // One TLS context (the default trust store, NODE_EXTRA_CA_CERTS included) for every handshake of the run.
    const context = (require("node:tls") as typeof import("node:tls")).createSecureContext();
    const probes = await Promise.all(
        facts.aliases.map((alias) =>
            alias.startsWith("*.") ? Promise.resolve(undefined) : probeTls(alias, o.connect?.[alias], timeoutMs, context),
        ),
    );
    const aliases = facts.aliases.map((alias, i) => judgeAlias(alias, probes[i], facts, o, now));
    const reasons: string[] = [];
    const verdicts: Verdict[] = aliases.map((a) => a.verdict);
    const flag = (v: Verdict, reason: string) => {
        verdicts.push(v);
        reasons.push(reason);
    };
    const bound = o.notDeployedMinutes ?? 60;
    const since = facts.distribution.lastModifiedTime ? Date.parse(facts.distribution.lastModifiedTime) : now;
    if (facts.distribution.status !== "Deployed" && now - since > bound * 60_000) {
        flag(
            "warn",
            `distribution ${facts.distribution.status} for ${Math.round((now - since) / 60_000)} minutes (more than ${bound}): a change is not reaching the edge`,
        );
    }
    if (!facts.attached) {
        flag("fail", `the distribution's certificate ${facts.distribution.iamCertificateId ?? "(none)"} is not in IAM under /cloudfront/`);
    } else if (facts.attached.expected === false) {
        flag(
            "warn",
            `the distribution serves ${facts.attached.id}, the stack expects ${o.expectedCertificateId}: run \`pulumi up\` (or refresh)`,
        );
    }
    const quota = o.iamCertificateQuota ?? IAM_CERTIFICATE_QUOTA;
    if ((facts.certificatesInAccount ?? 0) >= quota - 2) {
        flag(
            "warn",
            `${facts.certificatesInAccount} IAM server certificates in the account (${facts.certificatesUnderPath} under ${prefixOf(o)}): the quota is ${quota}${o.iamCertificateQuota === undefined ? " by default" : ""} and renewal needs a free slot`,
        );
    }
    return {
        checkedAt: new Date(now).toISOString(),
        distribution: facts.distribution,
        attached: facts.attached,
        certificatesUnderPath: facts.certificatesUnderPath,
        certificatesInAccount: facts.certificatesInAccount,
        unservedUnderPath: facts.unservedUnderPath,
        aliases,
        reasons,
        verdict: worst(verdicts),
    };
}
