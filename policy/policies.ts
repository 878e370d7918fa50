/**
 * The China rule table (core/chinaRules.ts) as Pulumi policies: one resource policy per rule on
 * aws.cloudfront.Distribution (hard and security rules mandatory, unverified ones advisory), the
 * bucket rules (public access block, aws-cn ARNs in bucket policies, only the OAI reads, deny
 * non-TLS) and a stack policy that every distribution's certificate comes from IAM. Every check is the
 * function the component and the offline plan call: no rule is written twice.
 */
import type { EnforcementLevel, Policies, ResourceValidationArgs, ReportViolation, StackValidationArgs } from "@pulumi/policy";
import {
    CHINA_RULES,
    PlainDistribution,
    UNAVAILABLE_IN_CHINA,
    checkBucketAcl,
    checkBucketPolicy,
    checkCertificatesFromIam,
    checkPublicAccessBlock,
    withDistributionDefaults,
} from "./chinaRules";

export const DISTRIBUTION = "aws:cloudfront/distribution:Distribution";
const BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy";
const PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
const CERTIFICATE = "pulumi-nodejs:dynamic/cloudfront-china:IamAcmeCertificate";
const BUCKET = "aws:s3/bucket:Bucket";
const BUCKET_V2 = "aws:s3/bucketV2:BucketV2";
const BUCKET_ACLS = ["aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"];

const level = (kind: string): EnforcementLevel => (kind === "unverified" ? "advisory" : "mandatory");

/** checkBucketPolicy's findings of one rule id, for a resource that is a bucket policy with a known document. */
function bucketPolicyRule(rule: string, description: string) {
    return {
        name: `china-${rule}`,
        description,
        enforcementLevel: "mandatory" as EnforcementLevel,
        validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
            if (args.type === BUCKET_POLICY && typeof args.props.policy === "string") {
                checkBucketPolicy(args.props.policy)
                    .filter((v) => v.rule === rule)
                    .forEach((v) => report(v.message));
            }
            // A public canned ACL on a bucket (or a bucket ACL resource) opens it as much as a policy.
            if (rule === "bucket-private" && (args.type === BUCKET || args.type === BUCKET_V2 || BUCKET_ACLS.includes(args.type))) {
                checkBucketAcl(args.props.acl, args.name).forEach((v) => report(v.message));
            }
        },
    };
}

export const chinaPolicies: Policies = [
    ...CHINA_RULES.map((rule) => ({
        name: `china-${rule.id}`,
        description: `${rule.title} (${rule.evidence})`,
        enforcementLevel: level(rule.kind),
        validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
            if (args.type === DISTRIBUTION) {
                // A setting left out is pulumi-aws's default, which is what the distribution gets.
                rule.check(withDistributionDefaults(args.props as PlainDistribution)).forEach((v) => report(v.message));
            }
        },
    })),
    bucketPolicyRule("partition-arns", "Bucket policies use aws-cn ARNs (an arn:aws: ARN is a MalformedPolicy in China)"),
    bucketPolicyRule("bucket-private", "No bucket policy statement allows everyone: only the Origin Access Identity reads"),
    bucketPolicyRule("deny-insecure-transport", "Bucket policies deny requests without TLS (aws:SecureTransport = false)"),
    {
        name: "china-unavailable-resources",
        description: "No CloudFront resource the China regions lack: Origin Access Control, cache and origin-request policies, Functions",
        enforcementLevel: "mandatory",
        validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
            const what = UNAVAILABLE_IN_CHINA[args.type];
            if (what !== undefined) {
                report(`${args.name}: CloudFront in the China regions has no ${what}; the deploy would fail (docs/china-rules.md)`);
            }
        },
    },
    {
        name: "china-public-access-blocked",
        description: "Every bucket's public access block has all four switches on",
        enforcementLevel: "mandatory",
        validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
            if (args.type === PUBLIC_ACCESS_BLOCK) {
                checkPublicAccessBlock(args.props, args.name).forEach((v) => report(v.message));
            }
        },
    },
    {
        name: "china-certificate-from-iam",
        description: "Every distribution serves an IAM server certificate: the ServerCertificateId of the stack's own, when it issues one",
        enforcementLevel: "mandatory",
        validateStack: (args: StackValidationArgs, report: ReportViolation) => {
            const distributions = args.resources
                .filter((r) => r.type === DISTRIBUTION)
                .map((r) => ({ name: r.name, viewerCertificate: r.props.viewerCertificate }));
            const issued = args.resources
                .filter((r) => r.type === CERTIFICATE)
                .map((r) => ({ name: r.name, serverCertificateId: r.props.serverCertificateId, id: r.props.name }));
            checkCertificatesFromIam(distributions, issued).forEach((v) => report(v.message));
        },
    },
];
