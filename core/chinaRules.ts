/**
 * The CloudFront-in-China rule table: pure data and functions, no Pulumi resources.
 *
 * Every rule reads a *plain* distribution description (the shape of
 * `aws.cloudfront.DistributionArgs` with values resolved) and returns the violations it finds.
 * The same table serves three callers:
 *   - the ChinaCdn component, on the arguments it is about to register (and on user overrides),
 *   - the offline plan, on the inputs the program really registered under mocks,
 *   - a policy pack later (`validateResourceOfType(aws.cloudfront.Distribution, …)`).
 * Evidence for each rule: docs/china-rules.md, "Evidence" (AWS China docs, AWS samples,
 * aws-cdk / terraform-provider-aws / pulumi-aws issues), cited in each `evidence` field.
 */

/** The regions of the aws-cn partition that host CloudFront's control plane and S3 origins. */
export const CHINA_REGIONS = ["cn-north-1", "cn-northwest-1"] as const;
export type ChinaRegion = (typeof CHINA_REGIONS)[number];

/** The only minimum TLS version this project lets a distribution serve (TLSv1.2_2021 and up). */
export const MINIMUM_PROTOCOL_VERSION = "TLSv1.2_2021";
export const SSL_SUPPORT_METHOD = "sni-only";
/** Route 53 alias target zone for CloudFront in aws-cn (global: Z2FDTNDATAQYW2). tf-aws#21943. */
export const CLOUDFRONT_CN_HOSTED_ZONE_ID = "Z3RFFRIM2A3IF5";

/** A value as it reaches a rule: resolved, or unknown (a preview output not yet computed). */
export type Plain = unknown;

/** A distribution description with resolved values; only the keys the rules look at are typed. */
export interface PlainDistribution {
    aliases?: Plain;
    isIpv6Enabled?: Plain;
    httpVersion?: Plain;
    priceClass?: Plain;
    webAclId?: Plain;
    staging?: Plain;
    continuousDeploymentPolicyId?: Plain;
    anycastIpListId?: Plain;
    viewerMtlsConfig?: Plain;
    connectionFunctionAssociation?: Plain;
    cacheTagConfig?: Plain;
    loggingConfig?: Plain;
    origins?: Plain;
    originGroups?: Plain;
    defaultCacheBehavior?: Plain;
    orderedCacheBehaviors?: Plain;
    viewerCertificate?: Plain;
    [key: string]: Plain;
}

export interface Violation {
    /** The rule's id, e.g. `no-cache-policies`. */
    rule: string;
    /** The distribution setting at fault, as a path: `defaultCacheBehavior.cachePolicyId`. */
    setting: string;
    /** What is wrong and how to fix it, with the China reason. */
    message: string;
}

export interface ChinaRule {
    id: string;
    /** One line: what the rule demands. */
    title: string;
    /** `hard`: AWS says so or the API rejects it. `unverified`: no AWS statement; kept off. */
    kind: "hard" | "unverified" | "security";
    /** Where the rule comes from (short citation). */
    evidence: string;
    check(d: PlainDistribution): Violation[];
}

const isSet = (v: Plain): boolean => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0);
const asObject = (v: Plain): Record<string, Plain> =>
    v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, Plain>) : {};
const asArray = (v: Plain): Plain[] => (Array.isArray(v) ? v : []);

/** Every cache behavior (default first) with the path prefix used in messages. */
function behaviors(d: PlainDistribution): Array<{ at: string; b: Record<string, Plain> }> {
    const list = [{ at: "defaultCacheBehavior", b: asObject(d.defaultCacheBehavior) }];
    asArray(d.orderedCacheBehaviors).forEach((b, i) => list.push({ at: `orderedCacheBehaviors[${i}]`, b: asObject(b) }));
    return list;
}

/** A rule that forbids a set of keys wherever they appear in one kind of sub-object. */
function forbidKeys(
    rule: Omit<ChinaRule, "check">,
    where: (d: PlainDistribution) => Array<{ at: string; b: Record<string, Plain> }>,
    keys: readonly string[],
    why: string,
): ChinaRule {
    return {
        ...rule,
        check: (d) =>
            where(d).flatMap(({ at, b }) =>
                keys
                    .filter((k) => isSet(b[k]) && b[k] !== false)
                    .map((k) => ({ rule: rule.id, setting: `${at}.${k}`, message: `\`${at}.${k}\` must not be set: ${why}` })),
            ),
    };
}

const top = (d: PlainDistribution) => [{ at: "distribution", b: d as Record<string, Plain> }];
const origins = (d: PlainDistribution) => asArray(d.origins).map((o, i) => ({ at: `origins[${i}]`, b: asObject(o) }));

/** `.s3.<china region>.amazonaws.com.cn`: the regional S3 endpoint form (docs/china-rules.md, "S3 origin domain"). */
export function isRegionalChinaS3Domain(domain: string): boolean {
    return CHINA_REGIONS.some((r) => domain.endsWith(`.s3.${r}.amazonaws.com.cn`));
}

export const CHINA_RULES: readonly ChinaRule[] = [
    {
        id: "aliases-required",
        title: "At least one ICP-approved alias (CNAME); *.cloudfront.cn cannot serve content",
        kind: "hard",
        evidence: "AWS China CloudFront guide; AWS blog 'Programmatically deploying CloudFront distributions in AWS China Regions'",
        check: (d) =>
            asArray(d.aliases).length > 0
                ? []
                : [
                      {
                          rule: "aliases-required",
                          setting: "aliases",
                          message:
                              "`aliases` must not be empty: CloudFront in China cannot serve content on its *.cloudfront.cn name; " +
                              "set `cloudfront-china:domains` to ICP-approved host names",
                      },
                  ],
    },
    {
        id: "iam-certificate-only",
        title: "viewerCertificate uses an IAM server certificate id and nothing else (no ACM, no default certificate)",
        kind: "hard",
        evidence:
            "AWS blog (ACM unsupported in China); CloudFormation 'Exactly one of [AcmCertificateArn, CloudFrontDefaultCertificate, IamCertificateId]'",
        check: (d) => {
            const vc = asObject(d.viewerCertificate);
            const out: Violation[] = [];
            const v = (setting: string, message: string) => out.push({ rule: "iam-certificate-only", setting, message });
            if (!isSet(vc.iamCertificateId)) {
                v(
                    "viewerCertificate.iamCertificateId",
                    "`viewerCertificate.iamCertificateId` is required: ACM does not exist in China; upload the certificate to IAM under /cloudfront/ and pass its ServerCertificateId (ASCA…)",
                );
            }
            if (isSet(vc.acmCertificateArn)) {
                v(
                    "viewerCertificate.acmCertificateArn",
                    "`viewerCertificate.acmCertificateArn` must not be set: ACM is not available in the China regions; use an IAM server certificate",
                );
            }
            if (isSet(vc.cloudfrontDefaultCertificate) && vc.cloudfrontDefaultCertificate !== false) {
                v(
                    "viewerCertificate.cloudfrontDefaultCertificate",
                    "`viewerCertificate.cloudfrontDefaultCertificate` must not be set: the *.cloudfront.cn name cannot serve content, and CloudFront takes exactly one certificate source",
                );
            }
            return out;
        },
    },
    {
        id: "tls-sni-only",
        title: "sslSupportMethod is sni-only",
        kind: "hard",
        evidence: "AWS China CDK sample (vip reported unsupported)",
        check: (d) => {
            const m = asObject(d.viewerCertificate).sslSupportMethod;
            return m === SSL_SUPPORT_METHOD
                ? []
                : [
                      {
                          rule: "tls-sni-only",
                          setting: "viewerCertificate.sslSupportMethod",
                          message: `\`viewerCertificate.sslSupportMethod\` must be "${SSL_SUPPORT_METHOD}" (got ${JSON.stringify(m)}): dedicated-IP ("vip") and static-ip TLS are not offered by CloudFront in China`,
                      },
                  ];
        },
    },
    {
        id: "tls-minimum-protocol",
        title: `minimumProtocolVersion is ${MINIMUM_PROTOCOL_VERSION} (pulumi-aws defaults to TLSv1)`,
        kind: "security",
        evidence: "pulumi-aws docs (default TLSv1); AWS China CDK sample uses TLSv1.2_2021",
        check: (d) => {
            const m = asObject(d.viewerCertificate).minimumProtocolVersion;
            return m === MINIMUM_PROTOCOL_VERSION
                ? []
                : [
                      {
                          rule: "tls-minimum-protocol",
                          setting: "viewerCertificate.minimumProtocolVersion",
                          message: `\`viewerCertificate.minimumProtocolVersion\` must be "${MINIMUM_PROTOCOL_VERSION}" (got ${JSON.stringify(m)}): pulumi-aws would otherwise default to TLSv1`,
                      },
                  ];
        },
    },
    forbidKeys(
        {
            id: "no-cache-policies",
            title: "No cache / origin-request policies: legacy forwardedValues + TTLs",
            kind: "hard",
            evidence: "aws-cdk#13584, #31033: 'The parameter CachePolicyId can't be set for this region'",
        },
        behaviors,
        ["cachePolicyId", "originRequestPolicyId"],
        'cache and origin-request policies are rejected in China ("The parameter CachePolicyId can\'t be set for this region"); use `forwardedValues` with minTtl/defaultTtl/maxTtl',
    ),
    {
        id: "forwarded-values-required",
        title: "Every cache behavior sets legacy forwardedValues",
        kind: "hard",
        evidence: "aws-cdk#13584: without a cache policy the API requires ForwardedValues",
        check: (d) =>
            behaviors(d)
                .filter(({ b }) => !isSet(b.forwardedValues))
                .map(({ at }) => ({
                    rule: "forwarded-values-required",
                    setting: `${at}.forwardedValues`,
                    message: `\`${at}.forwardedValues\` is required: China has no cache policies, so each behavior needs legacy forwardedValues (queryString, cookies)`,
                })),
    },
    forbidKeys(
        {
            id: "no-response-headers-policy",
            title: "No response-headers policies",
            kind: "unverified",
            evidence: "no AWS China statement; kept off (docs/china-rules.md: Unverified in China)",
        },
        behaviors,
        ["responseHeadersPolicyId"],
        "response-headers policies are not documented for CloudFront in China; set headers as S3 object metadata instead",
    ),
    forbidKeys(
        {
            id: "no-edge-compute",
            title: "No Lambda@Edge, no CloudFront Functions",
            kind: "hard",
            evidence: "AWS China delivery article (Lambda@Edge unavailable); Functions unverified",
        },
        behaviors,
        ["lambdaFunctionAssociations", "functionAssociations"],
        "Lambda@Edge is not available in China and CloudFront Functions are unverified there",
    ),
    forbidKeys(
        {
            id: "no-realtime-logs-or-fle",
            title: "No real-time logs, no field-level encryption",
            kind: "unverified",
            evidence: "no AWS China statement; kept off",
        },
        behaviors,
        ["realtimeLogConfigArn", "fieldLevelEncryptionId", "grpcConfig"],
        "real-time logs, field-level encryption and gRPC are not documented for CloudFront in China",
    ),
    forbidKeys(
        { id: "no-waf", title: "No webAclId", kind: "hard", evidence: "AWS China WAF guide: WAF is regional-only in China" },
        top,
        ["webAclId"],
        "AWS WAF is regional-only in China and cannot be attached to a distribution",
    ),
    forbidKeys(
        {
            id: "no-staging",
            title: "No staging distribution, no continuous deployment",
            kind: "unverified",
            evidence: "no AWS China statement; kept off",
        },
        top,
        ["staging", "continuousDeploymentPolicyId"],
        "continuous deployment / staging distributions are not documented for CloudFront in China",
    ),
    forbidKeys(
        {
            id: "no-global-only-features",
            title: "No Anycast IP lists, viewer mTLS, connection functions, cache tags",
            kind: "unverified",
            evidence: "global-only features, absent from AWS China docs; kept off",
        },
        top,
        ["anycastIpListId", "viewerMtlsConfig", "connectionFunctionAssociation", "cacheTagConfig"],
        "this feature is not documented for CloudFront in China",
    ),
    forbidKeys(
        {
            id: "no-origin-shield",
            title: "No Origin Shield",
            kind: "hard",
            evidence: "AWS China delivery article: Origin Shield unavailable",
        },
        origins,
        ["originShield"],
        "Origin Shield is not available in the China regions",
    ),
    forbidKeys(
        {
            id: "oai-not-oac",
            title: "S3 origins use an Origin Access Identity, never OAC",
            kind: "hard",
            evidence: "tf-aws#36608 (OAC creation fails in China); aws-solutions-constructs#1050",
        },
        origins,
        ["originAccessControlId", "vpcOriginConfig"],
        "Origin Access Control does not work in China; use `s3OriginConfig.originAccessIdentity` (an Origin Access Identity)",
    ),
    {
        id: "s3-regional-origin",
        title: "S3 origins use the regional <bucket>.s3.<region>.amazonaws.com.cn domain with an OAI",
        kind: "hard",
        evidence: "AWS blog; tf-aws S3 code; cloudposse#200",
        check: (d) =>
            origins(d).flatMap(({ at, b }) => {
                const out: Violation[] = [];
                const domain = b.domainName;
                const s3 = asObject(b.s3OriginConfig);
                if (typeof domain === "string" && domain.includes(".s3") && !isRegionalChinaS3Domain(domain)) {
                    out.push({
                        rule: "s3-regional-origin",
                        setting: `${at}.domainName`,
                        message: `\`${at}.domainName\` is "${domain}": in China an S3 origin must be the bucket's regional domain <bucket>.s3.<region>.amazonaws.com.cn (bucketRegionalDomainName); website endpoints cannot use an OAI`,
                    });
                }
                if (isSet(b.s3OriginConfig) && !isSet(s3.originAccessIdentity)) {
                    out.push({
                        rule: "s3-regional-origin",
                        setting: `${at}.s3OriginConfig.originAccessIdentity`,
                        message: `\`${at}.s3OriginConfig.originAccessIdentity\` is required: a private bucket in China is reached through an Origin Access Identity`,
                    });
                }
                return out;
            }),
    },
    {
        id: "ipv6-disabled",
        title: "isIpv6Enabled is false",
        kind: "hard",
        evidence: "AWS blog (IPv6 unsupported); every AWS China sample",
        check: (d) =>
            d.isIpv6Enabled === false
                ? []
                : [
                      {
                          rule: "ipv6-disabled",
                          setting: "isIpv6Enabled",
                          message: `\`isIpv6Enabled\` must be false (got ${JSON.stringify(d.isIpv6Enabled)}): CloudFront in China does not support IPv6`,
                      },
                  ],
    },
    {
        id: "http-version",
        title: "httpVersion is http2 (or http1.1); no HTTP/3",
        kind: "unverified",
        evidence: "HTTP/3 absent from AWS China docs",
        check: (d) =>
            d.httpVersion === "http2" || d.httpVersion === "http1.1"
                ? []
                : [
                      {
                          rule: "http-version",
                          setting: "httpVersion",
                          message: `\`httpVersion\` must be "http2" or "http1.1" (got ${JSON.stringify(d.httpVersion)}): HTTP/3 is not documented for CloudFront in China`,
                      },
                  ],
    },
    {
        id: "price-class-all",
        title: "priceClass is PriceClass_All",
        kind: "hard",
        evidence: "reported: CloudFront in China accepts only PriceClass_All",
        check: (d) =>
            d.priceClass === "PriceClass_All"
                ? []
                : [
                      {
                          rule: "price-class-all",
                          setting: "priceClass",
                          message: `\`priceClass\` must be "PriceClass_All" (got ${JSON.stringify(d.priceClass)}): CloudFront in China has no cheaper price classes`,
                      },
                  ],
    },
    {
        id: "logging-regional-bucket",
        title: "Access logs go to a bucket addressed by its regional .amazonaws.com.cn domain",
        kind: "hard",
        evidence: "aws-cdk#10923 (global bucket domain rejected for logging in China)",
        check: (d) => {
            const bucket = asObject(d.loggingConfig).bucket;
            return typeof bucket === "string" && !isRegionalChinaS3Domain(bucket)
                ? [
                      {
                          rule: "logging-regional-bucket",
                          setting: "loggingConfig.bucket",
                          message: `\`loggingConfig.bucket\` is "${bucket}": in China the log bucket must be given by its regional domain <bucket>.s3.<region>.amazonaws.com.cn`,
                      },
                  ]
                : [];
        },
    },
    {
        id: "viewers-https",
        title: "Viewers are redirected to HTTPS (or HTTPS only)",
        kind: "security",
        evidence: "house rule: the site is HTTPS-only",
        check: (d) =>
            behaviors(d)
                .filter(({ b }) => b.viewerProtocolPolicy !== "redirect-to-https" && b.viewerProtocolPolicy !== "https-only")
                .map(({ at, b }) => ({
                    rule: "viewers-https",
                    setting: `${at}.viewerProtocolPolicy`,
                    message: `\`${at}.viewerProtocolPolicy\` must be "redirect-to-https" or "https-only" (got ${JSON.stringify(b.viewerProtocolPolicy)})`,
                })),
    },
];

/** Runs every rule on a resolved distribution description. */
export function checkDistribution(d: PlainDistribution): Violation[] {
    return CHINA_RULES.flatMap((r) => r.check(d));
}

/** Formats violations for an Error message or a report, one per line. */
export function formatViolations(violations: readonly Violation[]): string {
    return violations.map((v) => `  - [${v.rule}] ${v.message}`).join("\n");
}

/** An Origin Access Identity as a bucket policy principal in aws-cn (what `oai.iamArn` gives). */
const OAI_PRINCIPAL = /^arn:aws-cn:iam::cloudfront:user\/CloudFront Origin Access Identity [A-Z0-9]+$/;

/**
 * The principals of an Allow statement that are not an Origin Access Identity: everyone ("*", also
 * inside a list), an account or its root, a role, a CanonicalUser, a service. Each as "Type value".
 */
function principalsOtherThanOai(principal: unknown): string[] {
    if (principal === undefined) {
        return [];
    }
    if (typeof principal === "string" || Array.isArray(principal)) {
        return [`everyone (${JSON.stringify(principal)})`];
    }
    const others: string[] = [];
    for (const [type, value] of Object.entries(asObject(principal))) {
        for (const v of Array.isArray(value) ? value : [value]) {
            if (type !== "AWS" || typeof v !== "string" || !OAI_PRINCIPAL.test(v)) {
                others.push(v === "*" ? `everyone (${type}: "*")` : `${type} ${JSON.stringify(v)}`);
            }
        }
    }
    return others;
}

/** A condition value as IAM compares it: a boolean, a string, or a list of either ("any of"). */
const conditionValues = (v: Plain): string[] => (Array.isArray(v) ? v : [v]).map((x) => String(x).toLowerCase());

/**
 * Whether a statement denies requests without TLS: `Deny` with `Bool` or `BoolIfExists` on
 * `aws:SecureTransport` (condition keys are case-insensitive) equal to `false`, written as a
 * boolean, a string or a list holding it (IAM JSON policy reference, "Condition element").
 */
function deniesPlainHttp(s: Record<string, Plain>): boolean {
    if (s.Effect !== "Deny") {
        return false;
    }
    return Object.entries(asObject(s.Condition)).some(
        ([operator, block]) =>
            (operator === "Bool" || operator === "BoolIfExists") &&
            Object.entries(asObject(block)).some(
                ([key, value]) => key.toLowerCase() === "aws:securetransport" && conditionValues(value).includes("false"),
            ),
    );
}

/**
 * Checks a bucket policy document (resolved JSON) for the China partition and privacy rules:
 * every ARN in the aws-cn partition (an `arn:aws:` ARN is a MalformedPolicy there), Allow statements
 * for the Origin Access Identity only (not everyone, another account, a CanonicalUser or a service;
 * an Allow with `NotPrincipal` allows everyone but those), and a Deny for requests without TLS. A
 * `Statement` may be one object or a list (IAM takes both). A document that is not JSON cannot be
 * checked: one violation says so (rule `bucket-private`).
 */
export function checkBucketPolicy(policy: unknown): Violation[] {
    let doc: Record<string, Plain>;
    try {
        doc = typeof policy === "string" ? asObject(JSON.parse(policy) as Plain) : asObject(policy);
    } catch (e) {
        return [
            {
                rule: "bucket-private",
                setting: "bucketPolicy",
                message: `the bucket policy is not JSON (${(e as Error).message}), so nothing in it can be checked: write it as a JSON document (JSON.stringify or pulumi.jsonStringify)`,
            },
        ];
    }
    const statements = (Array.isArray(doc.Statement) ? doc.Statement : doc.Statement === undefined ? [] : [doc.Statement]).map(asObject);
    const out: Violation[] = [];
    const arns = JSON.stringify(doc).match(/arn:[a-z-]+:/g) ?? [];
    for (const arn of new Set(arns)) {
        if (arn !== "arn:aws-cn:") {
            out.push({
                rule: "partition-arns",
                setting: "bucketPolicy",
                message: `the bucket policy uses "${arn}…" ARNs: in China every ARN is "arn:aws-cn:" (build it from aws.getPartition(), never hard-code "arn:aws:")`,
            });
        }
    }
    for (const s of statements.filter((st) => st.Effect === "Allow")) {
        const others =
            s.NotPrincipal !== undefined
                ? [`everyone but ${JSON.stringify(s.NotPrincipal)} (NotPrincipal)`]
                : principalsOtherThanOai(s.Principal);
        if (others.length > 0) {
            out.push({
                rule: "bucket-private",
                setting: "bucketPolicy",
                message: `statement ${JSON.stringify(s.Sid ?? "")} allows ${others.join(", ")}: only the Origin Access Identity may read the bucket`,
            });
        }
    }
    if (!statements.some(deniesPlainHttp)) {
        out.push({
            rule: "deny-insecure-transport",
            setting: "bucketPolicy",
            message: "the bucket policy must deny requests without TLS (aws:SecureTransport = false)",
        });
    }
    return out;
}

/** Canned bucket ACLs that open a bucket to others (S3 User Guide, "Canned ACL"): the site is read through the OAI only. */
export const PUBLIC_CANNED_ACLS = ["public-read", "public-read-write", "authenticated-read"] as const;

/** A bucket or bucket ACL resource's canned ACL (resolved inputs): one violation when it opens the bucket. */
export function checkBucketAcl(acl: unknown, name = "bucket"): Violation[] {
    return typeof acl === "string" && (PUBLIC_CANNED_ACLS as readonly string[]).includes(acl)
        ? [
              {
                  rule: "bucket-private",
                  setting: `${name}.acl`,
                  message: `${name}: the canned ACL "${acl}" opens the bucket: keep it private (CloudFront reads it through the Origin Access Identity)`,
              },
          ]
        : [];
}

/**
 * CloudFront resources that do not exist in the China regions (docs/china-rules.md): stand-alone,
 * they fail at deploy with errors that do not say so.
 */
export const UNAVAILABLE_IN_CHINA: Readonly<Record<string, string>> = {
    "aws:cloudfront/originAccessControl:OriginAccessControl": "Origin Access Control (use an Origin Access Identity)",
    "aws:cloudfront/cachePolicy:CachePolicy": "cache policies (use forwardedValues and TTLs)",
    "aws:cloudfront/originRequestPolicy:OriginRequestPolicy": "origin-request policies (use forwardedValues)",
    "aws:cloudfront/function:Function": "CloudFront Functions",
};

/**
 * pulumi-aws's defaults for distribution settings a program may leave out (its Distribution docs and
 * terraform-provider-aws: `is_ipv6_enabled` false, `http_version` "http2", `price_class`
 * "PriceClass_All"): what the distribution gets, so what a check of unset inputs must see.
 */
export const DISTRIBUTION_DEFAULTS = { isIpv6Enabled: false, httpVersion: "http2", priceClass: "PriceClass_All" } as const;

/** A distribution's inputs with pulumi-aws's defaults where a setting is left out. */
export function withDistributionDefaults(d: PlainDistribution): PlainDistribution {
    const out: PlainDistribution = { ...d };
    for (const [k, v] of Object.entries(DISTRIBUTION_DEFAULTS)) {
        if ((out as Record<string, Plain>)[k] === undefined) {
            (out as Record<string, Plain>)[k] = v;
        }
    }
    return out;
}

/** The four public-access-block switches a private bucket keeps on (the site and log buckets). */
export const PUBLIC_ACCESS_BLOCK_SWITCHES = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

/** A bucket's public access block (resolved inputs): every switch on, else one violation per switch. */
export function checkPublicAccessBlock(block: Record<string, unknown>, name = "bucket"): Violation[] {
    return PUBLIC_ACCESS_BLOCK_SWITCHES.filter((k) => block[k] !== true).map((k) => ({
        rule: "bucket-private",
        setting: `${name}.${k}`,
        message: `${name}: ${k} must be true (the bucket stays private; CloudFront reads it through the Origin Access Identity)`,
    }));
}

/**
 * The stack-level certificate rule: every distribution serves an IAM server certificate, and when the
 * stack issues its own (IamAcmeCertificate), the id is one of theirs by `serverCertificateId` (ASCA…),
 * not the resource's id (the IAM certificate *name*), a mistake CloudFront reports only at deploy.
 */
export function checkCertificatesFromIam(
    distributions: ReadonlyArray<{ name: string; viewerCertificate: unknown }>,
    issued: ReadonlyArray<{ name: string; serverCertificateId: unknown; id: unknown }>,
): Violation[] {
    const out: Violation[] = [];
    for (const d of distributions) {
        const id = asObject(d.viewerCertificate).iamCertificateId;
        if (typeof id !== "string" || id.length === 0) {
            out.push({
                rule: "certificate-from-iam",
                setting: `${d.name}.viewerCertificate.iamCertificateId`,
                message: `${d.name}: the distribution serves no IAM server certificate (ACM does not exist in China)`,
            });
            continue;
        }
        const byName = issued.find((c) => c.id === id && c.serverCertificateId !== id);
        if (byName) {
            out.push({
                rule: "certificate-from-iam",
                setting: `${d.name}.viewerCertificate.iamCertificateId`,
                message: `${d.name}: iamCertificateId is ${byName.name}'s IAM certificate name; CloudFront takes its \`serverCertificateId\` (ASCA…)`,
            });
        }
    }
    return out;
}
