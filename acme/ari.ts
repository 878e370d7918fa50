/**
 * ACME Renewal Information (RFC 9773): a certificate's CertID, its renewal-information URL and one
 * bounded GET of the CA's suggested window. ARI is advice: every failure falls back to the lifetime rule.
 * Serialized with the dynamic providers (closure serialization stores the code in the state): npm
 * and node modules are `require`d inside functions, clients are built per call.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside functions on purpose (serialization) */
import { Log } from "../core/runtime";
import { AcmeDirectory } from "./client";
import { validWindow } from "../core/certificate";

/** ARI (RFC 9773) CertID: base64url(AKI keyIdentifier) "." base64url(serial DER bytes). */
export function ariCertId(certificatePem: string): string | undefined {
    const x509 = require("@peculiar/x509") as typeof import("@peculiar/x509");
    const cert = new x509.X509Certificate(certificatePem);
    const aki = cert.getExtension(x509.AuthorityKeyIdentifierExtension);
    if (!aki?.keyId) {
        return undefined;
    }
    const b64url = (hex: string) => Buffer.from(hex, "hex").toString("base64url");
    return `${b64url(aki.keyId)}.${b64url(cert.serialNumber)}`;
}

/** How long a renewal-information GET may take: a preview or an up must not hang on a slow CA. */
export const ARI_TIMEOUT_MS = 5_000;

/** The renewal-information URL of a certificate (`<renewalInfo>/<CertID>`), when the directory offers ARI. */
export function renewalInfoUrl(directory: AcmeDirectory, certificatePem: string): string | undefined {
    const certId = directory.renewalInfo ? ariCertId(certificatePem) : undefined;
    return directory.renewalInfo && certId ? `${directory.renewalInfo.replace(/\/$/, "")}/${certId}` : undefined;
}

/**
 * One unauthenticated GET of a certificate's renewal information (RFC 9773 §4.2), bounded in time.
 * Throws with the reason on any failure or malformed answer (the caller falls back).
 */
export async function getRenewalWindow(url: string, timeoutMs = ARI_TIMEOUT_MS): Promise<{ start: string; end: string }> {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) {
        throw new Error(`HTTP ${response.status}`);
    }
    const info = (await response.json().catch(() => ({}))) as { suggestedWindow?: { start?: unknown; end?: unknown } };
    const window = info.suggestedWindow ?? {};
    if (!validWindow(window)) {
        throw new Error(`no valid suggestedWindow in ${JSON.stringify(info).slice(0, 200)}`);
    }
    return { start: window.start as string, end: window.end as string };
}

/**
 * The CA's suggested renewal window for a certificate, when its directory offers ARI; undefined
 * otherwise or on any error (ARI is advice: the lifetime rule is the fallback).
 */
export async function fetchRenewalWindow(
    directory: AcmeDirectory,
    certificatePem: string,
    log: Log,
): Promise<{ start: string; end: string } | undefined> {
    const url = renewalInfoUrl(directory, certificatePem);
    if (!url) {
        return undefined;
    }
    try {
        return await getRenewalWindow(url);
    } catch (e) {
        log(`[acme] renewal information (ARI) unavailable, using the lifetime rule: ${(e as Error).message}`);
        return undefined;
    }
}
