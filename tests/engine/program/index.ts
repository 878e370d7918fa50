/**
 * Engine test program: the project's own AcmeAccount and IamAcmeCertificate (issued by Pebble),
 * consumed by a stand-in distribution in moto. Configured by tests/engine.test.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { AcmeAccount } from "../../../providers/acmeAccount";
import { IamAcmeCertificate } from "../../../providers/iamAcmeCertificate";
import { TestDistribution } from "./testDistribution";

const config = new pulumi.Config();
const domains = config.requireObject<string[]>("domains");

const account = new AcmeAccount("acme-account", { directoryUrl: config.require("directoryUrl") });
const certificate = new IamAcmeCertificate("certificate", {
    domains,
    account,
    region: "cn-north-1",
    profile: config.require("profile"),
    // Unset: the CA's ARI window decides (the ARI engine test).
    renewBeforeDays: config.getNumber("renewBeforeDays"),
    // Unset for names hosted elsewhere (dns-persist-01 test): then no zone is given.
    hostedZones: config.get("zoneName") ? { [config.require("zoneName")]: config.require("zoneId") } : undefined,
    challenge: (config.get("challenge") as "auto" | "dns-01" | "dns-persist-01" | undefined) ?? "auto",
    dnsResolvers: [config.require("dnsResolver")],
    propagationTimeoutSeconds: 30,
    pollIntervalSeconds: 0.2,
    deleteConflictTimeoutSeconds: config.requireNumber("deleteConflictTimeoutSeconds"),
});
const distribution = new TestDistribution("distribution", {
    aliases: domains,
    iamCertificateId: certificate.serverCertificateId,
    region: "cn-north-1",
});

export const certificateName = certificate.name;
export const serverCertificateId = certificate.serverCertificateId;
export const renewAfter = certificate.renewAfter;
export const notAfter = certificate.notAfter;
export const privateKeyPem = certificate.privateKeyPem;
export const distributionId = distribution.id;
// The product's output names, which `npm run status` reads.
export const certificateId = certificate.serverCertificateId;
export const certificateRenewAfter = certificate.renewAfter;
