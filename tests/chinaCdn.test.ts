import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { ChinaCdnArgs } from "../components/chinaCdn";
import { CHINA_RULES, CLOUDFRONT_CN_HOSTED_ZONE_ID } from "../core/chinaRules";
import type { OfflineAwsChina, Registration } from "../scripts/offlineMocks";
import { promiseOf, recordRegistrations, settle, useOfflineMocks } from "./support/pulumi";

const DISTRIBUTION = "aws:cloudfront/distribution:Distribution";

function siteFolder(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cfcn-site-"));
    fs.mkdirSync(path.join(dir, "assets"));
    fs.writeFileSync(path.join(dir, "index.html"), "<h1>hi</h1>");
    fs.writeFileSync(path.join(dir, "assets", "app.3f9a2c1b.js"), "console.log(1)");
    fs.writeFileSync(path.join(dir, "robots.txt"), "User-agent: *");
    fs.writeFileSync(path.join(dir, ".DS_Store"), "junk");
    return dir;
}

function fullArgs(contentDir: string): ChinaCdnArgs {
    return {
        domains: ["www.example.cn", "example.cn", "*.example.cn"],
        region: "cn-north-1",
        iamCertificateId: pulumi.output("ASCAEXAMPLE0123456789"),
        spa: true,
        logging: true,
        versioning: true,
        forwardQueryString: true,
        dnsRecords: { hostedZoneId: "Z0123456789EXAMPLE", zoneName: "example.cn." },
        contentDir,
        tags: { team: "web" },
    };
}

describe("ChinaCdn component (runtime mocks)", () => {
    let mocks: OfflineAwsChina;
    let ChinaCdn: typeof import("../components/chinaCdn").ChinaCdn;
    const children: Array<{ type: string; name: string; parent: pulumi.Resource | undefined }> = [];
    let site: import("../components/chinaCdn").ChinaCdn;
    let dist: Registration;
    const one = (type: string, name: string) => {
        const found = mocks.find(type, name);
        assert.equal(found.length, 1, `expected one ${type} named ${name}, found ${found.length}`);
        return found[0];
    };

    before(async () => {
        mocks = await useOfflineMocks();
        ({ ChinaCdn } = await import("../components/chinaCdn"));
        site = new ChinaCdn("site", fullArgs(siteFolder()), {
            transformations: [
                (a) => {
                    // Transformations also see the component itself: keep only its children.
                    if (a.type === "cloudfront-china:index:ChinaCdn") {
                        return undefined;
                    }
                    children.push({ type: a.type, name: a.name, parent: a.opts.parent });
                    return undefined;
                },
            ],
        });
        await promiseOf(site.urls);
        await promiseOf(site.distributionId);
        await settle();
        dist = one(DISTRIBUTION, "site-cdn");
    });

    describe("every China rule holds on the registered distribution", () => {
        const d = () => dist.inputs as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
        const b = () => d().defaultCacheBehavior;
        const PER_RULE: Record<string, () => void> = {
            "aliases-required": () => assert.deepEqual(d().aliases, ["www.example.cn", "example.cn", "*.example.cn"]),
            "iam-certificate-only": () => {
                assert.equal(d().viewerCertificate.iamCertificateId, "ASCAEXAMPLE0123456789");
                assert.equal(d().viewerCertificate.acmCertificateArn, undefined);
                assert.equal(d().viewerCertificate.cloudfrontDefaultCertificate, undefined);
            },
            "tls-sni-only": () => assert.equal(d().viewerCertificate.sslSupportMethod, "sni-only"),
            "tls-minimum-protocol": () => assert.equal(d().viewerCertificate.minimumProtocolVersion, "TLSv1.2_2021"),
            "no-cache-policies": () => {
                assert.equal(b().cachePolicyId, undefined);
                assert.equal(b().originRequestPolicyId, undefined);
                assert.deepEqual([b().minTtl, b().defaultTtl, b().maxTtl], [0, 3600, 31536000]);
            },
            "forwarded-values-required": () => assert.deepEqual(b().forwardedValues, { queryString: true, cookies: { forward: "none" } }),
            "no-response-headers-policy": () => assert.equal(b().responseHeadersPolicyId, undefined),
            "no-edge-compute": () => {
                assert.equal(b().lambdaFunctionAssociations, undefined);
                assert.equal(b().functionAssociations, undefined);
            },
            "no-realtime-logs-or-fle": () => {
                assert.equal(b().realtimeLogConfigArn, undefined);
                assert.equal(b().fieldLevelEncryptionId, undefined);
            },
            "no-waf": () => assert.equal(d().webAclId, undefined),
            "no-staging": () => {
                assert.equal(d().staging, undefined);
                assert.equal(d().continuousDeploymentPolicyId, undefined);
            },
            "no-global-only-features": () => {
                for (const k of ["anycastIpListId", "viewerMtlsConfig", "connectionFunctionAssociation", "cacheTagConfig"]) {
                    assert.equal(d()[k], undefined, k);
                }
            },
            "no-origin-shield": () => assert.equal(d().origins[0].originShield, undefined),
            "oai-not-oac": () => {
                const oai = one("aws:cloudfront/originAccessIdentity:OriginAccessIdentity", "site-oai");
                assert.equal(d().origins[0].originAccessControlId, undefined);
                assert.equal(d().origins[0].s3OriginConfig.originAccessIdentity, `origin-access-identity/cloudfront/${oai.id}`);
            },
            "s3-regional-origin": () => {
                const bucket = one("aws:s3/bucket:Bucket", "site-bucket");
                assert.equal(d().origins.length, 1);
                assert.equal(d().origins[0].domainName, `${bucket.id}.s3.cn-north-1.amazonaws.com.cn`);
            },
            "ipv6-disabled": () => assert.equal(d().isIpv6Enabled, false),
            "http-version": () => assert.equal(d().httpVersion, "http2"),
            "price-class-all": () => assert.equal(d().priceClass, "PriceClass_All"),
            "logging-regional-bucket": () => {
                const logs = one("aws:s3/bucket:Bucket", "site-logs");
                assert.equal(d().loggingConfig.bucket, `${logs.id}.s3.cn-north-1.amazonaws.com.cn`);
            },
            "viewers-https": () => assert.equal(b().viewerProtocolPolicy, "redirect-to-https"),
        };

        it("covers every rule of the table", () => {
            assert.deepEqual(Object.keys(PER_RULE).sort(), CHINA_RULES.map((r) => r.id).sort());
        });
        for (const rule of CHINA_RULES) {
            it(rule.id, () => {
                PER_RULE[rule.id]();
                assert.deepEqual(rule.check(dist.inputs), []);
            });
        }
    });

    it("serves HTTPS with compression, index.html, SPA fallback and waits for deployment", () => {
        const d = dist.inputs;
        assert.equal(d.enabled, true);
        assert.equal(d.defaultRootObject, "index.html");
        assert.equal(d.defaultCacheBehavior.compress, true);
        assert.equal(d.waitForDeployment, true);
        assert.deepEqual(d.customErrorResponses, [
            { errorCode: 403, responseCode: 200, responsePagePath: "/index.html", errorCachingMinTtl: 10 },
            { errorCode: 404, responseCode: 200, responsePagePath: "/index.html", errorCachingMinTtl: 10 },
        ]);
    });

    it("keeps the site bucket private, owner-enforced, encrypted and versioned", () => {
        const pab = one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "site-public-access-block").inputs;
        assert.deepEqual(
            [pab.blockPublicAcls, pab.blockPublicPolicy, pab.ignorePublicAcls, pab.restrictPublicBuckets],
            [true, true, true, true],
        );
        assert.equal(
            one("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "site-ownership").inputs.rule.objectOwnership,
            "BucketOwnerEnforced",
        );
        assert.equal(
            one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "site-encryption").inputs.rules[0]
                .applyServerSideEncryptionByDefault.sseAlgorithm,
            "AES256",
        );
        assert.equal(one("aws:s3/bucketVersioning:BucketVersioning", "site-versioning").inputs.versioningConfiguration.status, "Enabled");
    });

    it("lets only the OAI read, denies non-TLS requests, and builds ARNs from the aws-cn partition", () => {
        const bucket = one("aws:s3/bucket:Bucket", "site-bucket");
        const oai = one("aws:cloudfront/originAccessIdentity:OriginAccessIdentity", "site-oai");
        const policy = JSON.parse(one("aws:s3/bucketPolicy:BucketPolicy", "site-bucket-policy").inputs.policy);
        assert.deepEqual(policy.Statement, [
            {
                Sid: "AllowCloudFrontOriginAccessIdentityRead",
                Effect: "Allow",
                Principal: { AWS: oai.state.iamArn },
                Action: "s3:GetObject",
                Resource: `arn:aws-cn:s3:::${bucket.id}/*`,
            },
            {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: [`arn:aws-cn:s3:::${bucket.id}`, `arn:aws-cn:s3:::${bucket.id}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ]);
        assert.ok(mocks.calls.some((c) => c.token === "aws:index/getPartition:getPartition"));
        assert.doesNotMatch(JSON.stringify(policy), /arn:aws:/);
    });

    it("writes logs to a separate private bucket that allows the ACLs CloudFront logging needs", () => {
        const pab = one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "site-logs-public-access-block").inputs;
        assert.deepEqual(
            [pab.blockPublicAcls, pab.blockPublicPolicy, pab.ignorePublicAcls, pab.restrictPublicBuckets],
            [true, true, true, true],
        );
        assert.equal(
            one("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "site-logs-ownership").inputs.rule.objectOwnership,
            "BucketOwnerPreferred",
        );
        assert.equal(dist.inputs.loggingConfig.prefix, "cloudfront/");
    });

    it("writes one Route 53 alias A record per domain to the distribution (aws-cn zone id)", () => {
        const records = mocks.find("aws:route53/record:Record");
        assert.deepEqual(
            records.map((r) => [r.name, r.inputs.name, r.inputs.type, r.inputs.zoneId]),
            [
                ["site-record-www.example.cn", "www.example.cn", "A", "Z0123456789EXAMPLE"],
                ["site-record-example.cn", "example.cn", "A", "Z0123456789EXAMPLE"],
                ["site-record-wildcard.example.cn", "*.example.cn", "A", "Z0123456789EXAMPLE"],
            ],
        );
        for (const r of records) {
            assert.deepEqual(r.inputs.aliases, [
                { name: dist.state.domainName, zoneId: CLOUDFRONT_CN_HOSTED_ZONE_ID, evaluateTargetHealth: false },
            ]);
        }
    });

    it("syncs the content folder as one resource: the bucket, the distribution to invalidate, the folder's digest", async () => {
        const { manifestDigest, siteManifest } = await import("../core/content");
        const content = mocks.find("pulumi-nodejs:dynamic/cloudfront-china:SiteContent");
        assert.equal(content.length, 1);
        const dist = one(DISTRIBUTION, "site-cdn");
        const bucket = one("aws:s3/bucket:Bucket", "site-bucket");
        assert.equal(content[0].name, "site-content");
        assert.equal(content[0].inputs.bucket, bucket.state.bucket);
        assert.equal(content[0].inputs.distributionId, dist.id);
        assert.equal(content[0].inputs.region, "cn-north-1");
        assert.equal(content[0].inputs.digest, manifestDigest(siteManifest(content[0].inputs.dir)));
        assert.equal(mocks.find("aws:s3/bucketObjectv2:BucketObjectv2").length, 0, "no resource per file");
    });

    it("tags every resource that takes tags; the distribution also with its stack (the per-stack deploy policy's tag condition)", () => {
        assert.deepEqual(one(DISTRIBUTION, "site-cdn").inputs.tags, {
            team: "web",
            "cloudfront-china:stack": `${pulumi.getProject()}/${pulumi.getStack()}`,
        });
        for (const [type, name] of [
            ["aws:s3/bucket:Bucket", "site-bucket"],
            ["aws:s3/bucket:Bucket", "site-logs"],
        ]) {
            assert.deepEqual(one(type, name).inputs.tags, { team: "web" }, name);
        }
    });

    it("parents every child to the component, with names derived from the component name", () => {
        assert.ok(children.length >= 15);
        for (const c of children) {
            assert.equal(
                c.parent,
                site,
                `${c.name} is parented to ${(c.parent as unknown as { __name?: string })?.__name}, not the component`,
            );
            assert.match(c.name, /^site-/);
        }
        assert.deepEqual(
            children
                .filter((c) => !c.name.startsWith("site-record-"))
                .map((c) => c.name)
                .sort(),
            [
                "site-bucket",
                "site-bucket-policy",
                "site-cdn",
                "site-content",
                "site-encryption",
                "site-logs",
                "site-logs-encryption",
                "site-logs-lifecycle",
                "site-logs-ownership",
                "site-logs-policy",
                "site-logs-public-access-block",
                "site-logs-versioning",
                "site-oai",
                "site-ownership",
                "site-public-access-block",
                "site-versioning",
            ],
        );
    });

    it("exports bucket, distribution (cloudfront.cn name, zone id), aliases and site URLs", async () => {
        assert.equal(await promiseOf(site.bucketArn), `arn:aws-cn:s3:::${one("aws:s3/bucket:Bucket", "site-bucket").id}`);
        assert.match(await promiseOf(site.distributionDomainName), /^d[0-9a-f]+\.cloudfront\.cn$/);
        assert.equal(await promiseOf(site.distributionHostedZoneId), CLOUDFRONT_CN_HOSTED_ZONE_ID);
        assert.deepEqual(await promiseOf(site.aliases), ["www.example.cn", "example.cn", "*.example.cn"]);
        // A wildcard alias has no URL of its own.
        assert.deepEqual(await promiseOf(site.urls), ["https://www.example.cn/", "https://example.cn/"]);
        assert.match(await promiseOf(site.distributionArn), /^arn:aws-cn:cloudfront::\d{12}:distribution\/E/);
    });

    it("keeps child names when the domains change (a new domain must not replace the bucket)", async () => {
        const before = mocks.registrations.length;
        const other = new ChinaCdn("site2", {
            domains: ["a.example.cn"],
            region: "cn-northwest-1",
            iamCertificateId: "ASCAEXAMPLE0123456789",
        });
        await promiseOf(other.distributionId);
        await settle();
        const names = mocks.registrations
            .slice(before)
            .map((r) => r.name)
            .sort();
        assert.deepEqual(names, [
            "site2",
            "site2-bucket",
            "site2-bucket-policy",
            "site2-cdn",
            "site2-encryption",
            "site2-oai",
            "site2-ownership",
            "site2-public-access-block",
        ]);
        const d = one(DISTRIBUTION, "site2-cdn").inputs;
        assert.equal(d.loggingConfig, undefined);
        assert.equal(d.customErrorResponses, undefined);
        assert.equal(d.defaultCacheBehavior.forwardedValues.queryString, false);
    });

    it("merges allowed overrides (comment, geo restriction, TTLs)", async () => {
        const c = new ChinaCdn("site3", {
            domains: ["b.example.cn"],
            region: "cn-north-1",
            iamCertificateId: "ASCAEXAMPLE0123456789",
            distributionOverrides: {
                comment: "blog",
                restrictions: { geoRestriction: { restrictionType: "whitelist", locations: ["CN"] } },
                defaultCacheBehavior: { defaultTtl: 60 },
            },
        });
        await promiseOf(c.distributionId);
        await settle();
        const d = one(DISTRIBUTION, "site3-cdn").inputs;
        assert.equal(d.comment, "blog");
        assert.deepEqual(d.restrictions, { geoRestriction: { restrictionType: "whitelist", locations: ["CN"] } });
        assert.equal(d.defaultCacheBehavior.defaultTtl, 60);
        assert.equal(d.defaultCacheBehavior.viewerProtocolPolicy, "redirect-to-https");
        assert.deepEqual(checkNothing(d), []);
    });

    describe("bad input fails before anything is registered, naming the setting and the fix", () => {
        const base: ChinaCdnArgs = { domains: ["www.example.cn"], region: "cn-north-1", iamCertificateId: "ASCAEXAMPLE0123456789" };
        const cases: Array<[string, Partial<ChinaCdnArgs> & Record<string, unknown>, RegExp]> = [
            [
                "empty domains",
                { domains: [] },
                /`domains` must list at least one host name: CloudFront in China cannot serve content on its \*\.cloudfront\.cn name/,
            ],
            ["invalid domain", { domains: ["www..example.cn"] }, /`domains\[0\]` "www\.\.example\.cn" has an invalid label ""/],
            ["duplicate domains", { domains: ["a.example.cn", "a.example.cn"] }, /`domains` lists "a\.example\.cn" more than once/],
            ["wildcard not leftmost", { domains: ["www.*.example.cn"] }, /wildcard that is not the leftmost label/],
            [
                "alias outside the zone",
                { dnsRecords: { hostedZoneId: "Z1", zoneName: "example.com" } },
                /"www\.example\.cn" is not inside the hosted zone "example\.com" given by `dnsRecords\.hostedZoneId`/,
            ],
            [
                "global region",
                { region: "us-east-1" },
                /`region` must be "cn-north-1" or "cn-northwest-1" \(got "us-east-1"\): this program targets the aws-cn partition/,
            ],
            ["missing contentDir", { contentDir: "/nonexistent/site" }, /`contentDir` "\/nonexistent\/site" does not exist/],
            [
                "cache policy override",
                { distributionOverrides: { defaultCacheBehavior: { cachePolicyId: "658327ea" } } },
                /\[no-cache-policies\] `defaultCacheBehavior\.cachePolicyId` must not be set: cache and origin-request policies are rejected in China/,
            ],
            [
                "IPv6 override",
                { distributionOverrides: { isIpv6Enabled: true } },
                /\[ipv6-disabled\] `isIpv6Enabled` must be false .*does not support IPv6/,
            ],
            [
                "ACM override",
                { distributionOverrides: { viewerCertificate: { acmCertificateArn: "arn:aws:acm:x" } } },
                /\[iam-certificate-only\] .*ACM is not available in the China regions/,
            ],
            ["WAF override", { distributionOverrides: { webAclId: "arn:aws:wafv2:x" } }, /\[no-waf\] .*WAF is regional-only in China/],
            [
                "Lambda@Edge override",
                { distributionOverrides: { defaultCacheBehavior: { lambdaFunctionAssociations: [{}] } } },
                /\[no-edge-compute\] .*Lambda@Edge is not available in China/,
            ],
            ["price class override", { distributionOverrides: { priceClass: "PriceClass_100" } }, /\[price-class-all\]/],
            ["HTTP/3 override", { distributionOverrides: { httpVersion: "http2and3" } }, /\[http-version\]/],
            [
                "TLSv1 override",
                { distributionOverrides: { viewerCertificate: { minimumProtocolVersion: "TLSv1" } } },
                /\[tls-minimum-protocol\]/,
            ],
            [
                "owned origins override",
                { distributionOverrides: { origins: [] } },
                /`distributionOverrides\.origins` cannot be overridden: the component's private bucket is the only origin/,
            ],
            [
                "owned certificate override",
                { distributionOverrides: { viewerCertificate: { iamCertificateId: "ASCAX" } } },
                /use `iamCertificateId`/,
            ],
            ["owned waitForDeployment", { distributionOverrides: { waitForDeployment: false } }, /old certificate is deleted only after/],
            ["reserved tag", { tags: { "aws:x": "y" } }, /`tags` key "aws:x" uses the reserved "aws:" prefix/],
        ];
        for (const [label, change, message] of cases) {
            it(label, () => {
                const before = mocks.registrations.length;
                assert.throws(
                    () => new ChinaCdn(`bad-${label.replace(/\W+/g, "-")}`, { ...base, ...change } as ChinaCdnArgs),
                    (e: Error) => {
                        assert.equal(e.name, "InputError");
                        assert.match(e.message, message);
                        return true;
                    },
                );
                assert.equal(mocks.registrations.length, before, "something was registered");
            });
        }
    });
});

/** The rule table on a registered distribution (no violations expected). */
function checkNothing(inputs: Record<string, unknown>) {
    return CHINA_RULES.flatMap((r) => r.check(inputs));
}

describe("ChinaCdn from first deploy to last destroy (runtime mocks)", () => {
    const args = (extra: Partial<ChinaCdnArgs> = {}): ChinaCdnArgs => ({
        domains: ["www.example.cn"],
        region: "cn-north-1",
        iamCertificateId: "ASCAEXAMPLE0123456789",
        logging: true,
        ...extra,
    });
    async function build(extra: Partial<ChinaCdnArgs> = {}) {
        const mocks = await useOfflineMocks();
        const recorded = recordRegistrations();
        const { ChinaCdn } = await import("../components/chinaCdn");
        const site = new ChinaCdn("site", args(extra));
        await promiseOf(site.distributionId);
        await settle();
        return { mocks, ...recorded };
    }

    it("the distribution waits for the log bucket's ownership setting (CloudFront writes logs with ACLs)", async () => {
        const { dependencies } = await build();
        assert.ok(dependencies["site-cdn"].includes("site-logs-ownership"), dependencies["site-cdn"].join(", "));
    });

    it("access logs expire (90 days by default, logRetentionDays otherwise)", async () => {
        const rule = async (extra: Partial<ChinaCdnArgs>) =>
            (await build(extra)).mocks.find("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "site-logs-lifecycle")[0]
                .inputs.rules[0];
        assert.deepEqual((await rule({})).expiration, { days: 90 });
        assert.deepEqual((await rule({})).filter, { prefix: "cloudfront/" });
        assert.deepEqual((await rule({ logRetentionDays: 14 })).expiration, { days: 14 });
        // Deleted logs are kept as old versions for the same time, then expire.
        assert.deepEqual((await rule({ logRetentionDays: 14 })).noncurrentVersionExpiration, { noncurrentDays: 14 });
    });

    it("the log bucket is versioned (a delete only hides a log) and refuses requests without TLS", async () => {
        const { mocks, dependencies } = await build();
        const versioning = mocks.find("aws:s3/bucketVersioning:BucketVersioning", "site-logs-versioning")[0];
        const logs = mocks.find("aws:s3/bucket:Bucket", "site-logs")[0];
        assert.equal(versioning.inputs.bucket, logs.id);
        assert.deepEqual(versioning.inputs.versioningConfiguration, { status: "Enabled" });
        const policy = mocks.find("aws:s3/bucketPolicy:BucketPolicy", "site-logs-policy")[0];
        assert.equal(policy.inputs.bucket, logs.id);
        assert.deepEqual(JSON.parse(policy.inputs.policy), {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "DenyInsecureTransport",
                    Effect: "Deny",
                    Principal: "*",
                    Action: "s3:*",
                    Resource: [`arn:aws-cn:s3:::${logs.id}`, `arn:aws-cn:s3:::${logs.id}/*`],
                    Condition: { Bool: { "aws:SecureTransport": "false" } },
                },
            ],
        });
        assert.ok(dependencies["site-logs-policy"].includes("site-logs-public-access-block"));
        assert.ok(dependencies["site-logs-lifecycle"].includes("site-logs-versioning"));
    });

    it("destroy keeps both buckets and their contents by default, and empties and deletes them with destroyBuckets", async () => {
        const kept = await build();
        for (const bucket of ["site-bucket", "site-logs"]) {
            assert.equal(kept.retainOnDelete[bucket], true, `${bucket} kept on destroy`);
            assert.equal(kept.mocks.find("aws:s3/bucket:Bucket", bucket)[0].inputs.forceDestroy, false);
        }
        const destroyed = await build({ destroyBuckets: true, versioning: true });
        for (const bucket of ["site-bucket", "site-logs"]) {
            assert.equal(destroyed.retainOnDelete[bucket], false, `${bucket} deleted on destroy`);
            assert.equal(
                destroyed.mocks.find("aws:s3/bucket:Bucket", bucket)[0].inputs.forceDestroy,
                true,
                "with every object and version",
            );
        }
    });

    it("refuses a log retention that is not a whole number of days", async () => {
        const { ChinaCdn } = await import("../components/chinaCdn");
        assert.throws(
            () => new ChinaCdn("bad", args({ logRetentionDays: 0.5 })),
            /`logRetentionDays` must be a whole number of days from 1 to 36500 \(got 0\.5\)/,
        );
    });
});
