import * as assert from "node:assert/strict";
import { CHINA_RULES, PlainDistribution, checkBucketPolicy, checkDistribution } from "../core/chinaRules";

/** A distribution that follows every China rule: the baseline each mutation below breaks once. */
function compliant(): PlainDistribution {
    return {
        aliases: ["www.example.cn"],
        enabled: true,
        isIpv6Enabled: false,
        httpVersion: "http2",
        priceClass: "PriceClass_All",
        origins: [
            {
                originId: "s3",
                domainName: "b.s3.cn-north-1.amazonaws.com.cn",
                s3OriginConfig: { originAccessIdentity: "origin-access-identity/cloudfront/E1" },
            },
        ],
        defaultCacheBehavior: {
            viewerProtocolPolicy: "redirect-to-https",
            forwardedValues: { queryString: false, cookies: { forward: "none" } },
        },
        viewerCertificate: {
            iamCertificateId: "ASCAEXAMPLE0123456789",
            sslSupportMethod: "sni-only",
            minimumProtocolVersion: "TLSv1.2_2021",
        },
        loggingConfig: { bucket: "logs.s3.cn-northwest-1.amazonaws.com.cn" },
    };
}

type Mutation = (d: PlainDistribution) => void;
const behavior = (d: PlainDistribution) => d.defaultCacheBehavior as Record<string, unknown>;
const certificate = (d: PlainDistribution) => d.viewerCertificate as Record<string, unknown>;
const origin = (d: PlainDistribution) => (d.origins as Array<Record<string, unknown>>)[0];

/** For every rule, settings that global-CloudFront tools send and China rejects. */
const BREAKS: Record<string, Mutation[]> = {
    "aliases-required": [(d) => (d.aliases = []), (d) => delete d.aliases],
    "iam-certificate-only": [
        (d) => delete certificate(d).iamCertificateId,
        (d) => (certificate(d).acmCertificateArn = "arn:aws:acm:us-east-1:1:certificate/x"),
        (d) => (certificate(d).cloudfrontDefaultCertificate = true),
    ],
    "tls-sni-only": [(d) => (certificate(d).sslSupportMethod = "vip"), (d) => delete certificate(d).sslSupportMethod],
    "tls-minimum-protocol": [(d) => (certificate(d).minimumProtocolVersion = "TLSv1"), (d) => delete certificate(d).minimumProtocolVersion],
    "no-cache-policies": [
        (d) => (behavior(d).cachePolicyId = "658327ea-f89d-4fab-a63d-7e88639e58f6"),
        (d) => (behavior(d).originRequestPolicyId = "88a5eaf4"),
        (d) =>
            (d.orderedCacheBehaviors = [
                { pathPattern: "/api/*", viewerProtocolPolicy: "https-only", forwardedValues: {}, cachePolicyId: "x" },
            ]),
    ],
    "forwarded-values-required": [(d) => delete behavior(d).forwardedValues],
    "no-response-headers-policy": [(d) => (behavior(d).responseHeadersPolicyId = "67f7725c")],
    "no-edge-compute": [
        (d) => (behavior(d).lambdaFunctionAssociations = [{ eventType: "viewer-request", lambdaArn: "arn" }]),
        (d) => (behavior(d).functionAssociations = [{ eventType: "viewer-request", functionArn: "arn" }]),
    ],
    "no-realtime-logs-or-fle": [(d) => (behavior(d).realtimeLogConfigArn = "arn"), (d) => (behavior(d).fieldLevelEncryptionId = "x")],
    "no-waf": [(d) => (d.webAclId = "arn:aws:wafv2:us-east-1:1:global/webacl/x")],
    "no-staging": [(d) => (d.staging = true), (d) => (d.continuousDeploymentPolicyId = "x")],
    "no-global-only-features": [(d) => (d.anycastIpListId = "x"), (d) => (d.viewerMtlsConfig = { mode: "required" })],
    "no-origin-shield": [(d) => (origin(d).originShield = { enabled: true, originShieldRegion: "cn-north-1" })],
    "oai-not-oac": [(d) => (origin(d).originAccessControlId = "E2OAC")],
    "s3-regional-origin": [
        (d) => (origin(d).domainName = "b.s3.amazonaws.com"),
        (d) => (origin(d).domainName = "b.s3.cn-north-1.amazonaws.com"),
        (d) => (origin(d).domainName = "b.s3-website.cn-north-1.amazonaws.com.cn"),
        (d) => (origin(d).s3OriginConfig = {}),
    ],
    "ipv6-disabled": [(d) => (d.isIpv6Enabled = true), (d) => delete d.isIpv6Enabled],
    "http-version": [(d) => (d.httpVersion = "http2and3"), (d) => (d.httpVersion = "http3")],
    "price-class-all": [(d) => (d.priceClass = "PriceClass_100")],
    "logging-regional-bucket": [(d) => (d.loggingConfig = { bucket: "logs.s3.amazonaws.com" })],
    "viewers-https": [(d) => (behavior(d).viewerProtocolPolicy = "allow-all")],
};

describe("China rule table", () => {
    it("a compliant distribution passes every rule", () => {
        assert.deepEqual(checkDistribution(compliant()), []);
    });

    it("every rule has cases that break it, and every case names a rule that exists", () => {
        assert.deepEqual(Object.keys(BREAKS).sort(), CHINA_RULES.map((r) => r.id).sort());
    });

    it("rule ids are unique and every rule cites evidence", () => {
        assert.equal(new Set(CHINA_RULES.map((r) => r.id)).size, CHINA_RULES.length);
        for (const r of CHINA_RULES) {
            assert.ok(r.evidence.length > 10, `${r.id} cites no evidence`);
        }
    });

    for (const [ruleId, mutations] of Object.entries(BREAKS)) {
        mutations.forEach((mutate, i) => {
            it(`${ruleId}: case ${i + 1} (${mutate.toString().replace(/\s+/g, " ").slice(6, 90)}) is reported by that rule only`, () => {
                const d = compliant();
                mutate(d);
                const violations = checkDistribution(d);
                assert.ok(violations.length > 0, "no violation reported");
                assert.deepEqual([...new Set(violations.map((v) => v.rule))], [ruleId]);
                for (const v of violations) {
                    assert.match(v.message, /`[a-zA-Z[\].0-9]+`/, "the message names the setting");
                    assert.ok(v.setting.length > 0);
                }
            });
        });
    }
});

describe("bucket policy check", () => {
    const good = {
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { AWS: "arn:aws-cn:iam::cloudfront:user/CloudFront Origin Access Identity E1" },
                Action: "s3:GetObject",
                Resource: "arn:aws-cn:s3:::b/*",
            },
            {
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: ["arn:aws-cn:s3:::b", "arn:aws-cn:s3:::b/*"],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ],
    };

    it("accepts an aws-cn OAI-only policy that denies plain HTTP (object or JSON text)", () => {
        assert.deepEqual(checkBucketPolicy(good), []);
        assert.deepEqual(checkBucketPolicy(JSON.stringify(good)), []);
    });

    it("reports arn:aws: ARNs (MalformedPolicy in China)", () => {
        const bad = JSON.parse(JSON.stringify(good).replace('arn:aws-cn:s3:::b/*"}', 'arn:aws:s3:::b/*"}'));
        assert.deepEqual(
            checkBucketPolicy(bad).map((v) => v.rule),
            ["partition-arns"],
        );
    });

    it("reports an Allow to everyone", () => {
        const bad = { ...good, Statement: [{ ...good.Statement[0], Principal: "*" }, good.Statement[1]] };
        assert.deepEqual(
            checkBucketPolicy(bad).map((v) => v.rule),
            ["bucket-private"],
        );
    });

    it("reports an Allow to anyone but the OAI: everyone in a list, another account, a CanonicalUser, a service", () => {
        for (const principal of [
            { AWS: ["*"] },
            { AWS: "arn:aws-cn:iam::123456789012:root" },
            { AWS: ["arn:aws-cn:iam::cloudfront:user/CloudFront Origin Access Identity E1", "arn:aws-cn:iam::123456789012:role/x"] },
            { CanonicalUser: "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be" },
            { Service: "cloudfront.amazonaws.com" },
            ["*"],
        ]) {
            const bad = { ...good, Statement: [{ ...good.Statement[0], Principal: principal }, good.Statement[1]] };
            const found = checkBucketPolicy(bad);
            assert.deepEqual(
                found.map((v) => v.rule),
                ["bucket-private"],
                JSON.stringify(principal),
            );
            assert.match(found[0].message, /only the Origin Access Identity may read the bucket/);
        }
    });

    it("reports a missing TLS-only Deny", () => {
        const bad = { ...good, Statement: [good.Statement[0]] };
        assert.deepEqual(
            checkBucketPolicy(bad).map((v) => v.rule),
            ["deny-insecure-transport"],
        );
    });
});
