/**
 * The package's public surface (`import { ChinaCdn, IamAcmeCertificate } from "cloudfront-china"`):
 * the site components (ChinaCdn; ChinaSite, which also issues the certificate), the certificate and account resources, site content, and the China rule table
 * with its check functions. Everything else is internal: package.json `exports` opens only the
 * modules the serialized providers `require` from an installed package, which are not API
 * (docs/architecture.md, "The package's surface"). The Pulumi program of this repository is index.ts;
 * it is not part of the package.
 */
export { ChinaCdn, validateChinaCdnArgs } from "./components/chinaCdn";
export { ChinaSite, lookupHostedZone, validateChinaSiteArgs } from "./components/chinaSite";
export type { ChinaSiteArgs, ChinaSiteIssuer, DnsChallengeRecord } from "./components/chinaSite";
export type { ChinaCdnArgs, DistributionOverrides, DnsRecordsArgs } from "./components/chinaCdn";
export { AcmeAccount } from "./providers/acmeAccount";
export type { AcmeAccountArgs } from "./providers/acmeAccount";
export { IamAcmeCertificate } from "./providers/iamAcmeCertificate";
export type { IamAcmeCertificateArgs } from "./providers/iamAcmeCertificate";
export { SiteContent } from "./providers/siteContent";
export type { SiteContentArgs } from "./providers/siteContent";
export type { AwsIdentity, AwsAssumeRole } from "./core/awsIdentity";
export {
    CHINA_REGIONS,
    CHINA_RULES,
    CLOUDFRONT_CN_HOSTED_ZONE_ID,
    MINIMUM_PROTOCOL_VERSION,
    SSL_SUPPORT_METHOD,
    checkBucketPolicy,
    checkDistribution,
    formatViolations,
    isRegionalChinaS3Domain,
} from "./core/chinaRules";
export type { ChinaRegion, ChinaRule, PlainDistribution, Violation } from "./core/chinaRules";
export { InputError } from "./config/inputError";
export { DEPLOY_OPTIONS, deployPolicy, normalizedRecordName, stackRecordNames, watchBoundaryPolicy } from "./core/iamPolicy";
export type { ActionTable, DeployOption, PolicyDocument, PolicyScope } from "./core/iamPolicy";
