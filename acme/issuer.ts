/**
 * An issuer: one ACME CA and one account at it. The certificate provider orders only through this
 * interface, so a certificate can be ordered from the first of several issuers that works (the
 * model is CertMagic's `Issuer` list) without the provider knowing which CA answers.
 */
import type { Log } from "../core/runtime";
import { AcmeDirectory, assertCaReachable } from "./client";
import { IssueRequest, IssuedCertificate, orderCertificate } from "./order";

export interface Issuer {
    /** The CA's ACME directory URL: who signs. */
    readonly directoryUrl: string;
    /** The account at that CA that orders. */
    readonly accountUrl: string;
    /** The CA's directory (issuer names, ARI, profiles); fails naming the CA when it cannot be reached. */
    directory(): Promise<AcmeDirectory>;
    /** Orders, validates and downloads one certificate. */
    issue(request: IssueRequest, log: Log): Promise<IssuedCertificate>;
}

/** An ACME CA and an existing account at it (RFC 8555). The account key never leaves this object's calls. */
export function acmeIssuer(account: { directoryUrl: string; accountUrl: string; accountKeyPem: string }): Issuer {
    return {
        directoryUrl: account.directoryUrl,
        accountUrl: account.accountUrl,
        directory: () => assertCaReachable(account.directoryUrl),
        issue: (request, log) => orderCertificate({ ...request, ...account }, log),
    };
}
