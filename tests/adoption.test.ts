import * as assert from "node:assert/strict";
import { AliasHolding, aliasesHeldElsewhere, distributionIdProblem, planAdoption } from "../core/adoption";
import { orderInsteadOfAdopting, adoptionProblem } from "../core/certificate";

/** A hand-made distribution as aws/cloudfront.ts reads it: one S3 origin through an OAI, an IAM certificate. */
const handMade = (over: Record<string, unknown> = {}, tags: Record<string, string> = {}) => ({
    id: "E2QWRUHAPOMQZL",
    tags,
    settings: {
        enabled: true,
        aliases: ["www.example.cn", "example.cn"],
        isIpv6Enabled: false,
        httpVersion: "http2",
        priceClass: "PriceClass_All",
        origins: [
            {
                originId: "site",
                domainName: "legacy-site.s3.cn-north-1.amazonaws.com.cn",
                s3OriginConfig: { originAccessIdentity: "origin-access-identity/cloudfront/E3OAIEXAMPLE01" },
            },
        ],
        defaultCacheBehavior: {
            targetOriginId: "site",
            viewerProtocolPolicy: "redirect-to-https",
            forwardedValues: { queryString: false, cookies: { forward: "none" } },
            lambdaFunctionAssociations: [],
            functionAssociations: [],
        },
        orderedCacheBehaviors: [],
        viewerCertificate: {
            iamCertificateId: "ASCAEXAMPLE0123456789",
            sslSupportMethod: "sni-only",
            minimumProtocolVersion: "TLSv1.2_2021",
        },
        ...over,
    },
});
const want = { region: "cn-north-1", domains: ["www.example.cn", "example.cn"], stack: "prod" };
const SETTING = "cloudfront-china:adoptDistributionId";

describe("adopting an existing distribution (core/adoption.ts)", () => {
    it("takes the bucket, the OAI and the certificate from a China-safe site; only the bucket policy changes", () => {
        const { adoption, problems } = planAdoption(handMade(), want, SETTING);
        assert.deepEqual(problems, []);
        assert.deepEqual(adoption, {
            distributionId: "E2QWRUHAPOMQZL",
            bucketName: "legacy-site",
            originAccessIdentityId: "E3OAIEXAMPLE01",
            certificateId: "ASCAEXAMPLE0123456789",
            changes: ["the bucket policy becomes the stack's: only the Origin Access Identity reads, and only over TLS"],
        });
    });

    it("reports each China rule the site breaks today, and what the stack adds, as changes of the first `pulumi up`", () => {
        const { adoption } = planAdoption(
            handMade({
                isIpv6Enabled: true,
                origins: [
                    { originId: "site", domainName: "legacy-site.s3.amazonaws.com.cn", s3OriginConfig: { originAccessIdentity: "" } },
                ],
                viewerCertificate: { cloudfrontDefaultCertificate: true },
            }),
            { ...want, domains: [...want.domains, "static.example.cn"] },
            SETTING,
        );
        const changes = adoption!.changes.join("\n");
        assert.match(changes, /\[ipv6-disabled\] today: `isIpv6Enabled` must be false/);
        assert.match(changes, /\[iam-certificate-only\] today:/);
        assert.match(changes, /the origin becomes the bucket's regional domain legacy-site\.s3\.cn-north-1\.amazonaws\.com\.cn/);
        assert.match(changes, /uses no Origin Access Identity today: the stack makes one/);
        assert.match(changes, /serves no IAM certificate today: the stack orders one/);
        assert.match(changes, /alias static\.example\.cn is added/);
        assert.equal(adoption!.originAccessIdentityId, undefined);
        assert.equal(adoption!.certificateId, undefined);
    });

    it("refuses what would take traffic away: an alias dropped, another origin or path, a custom origin, another region", () => {
        const refused = (over: Record<string, unknown>, w = want) => planAdoption(handMade(over), w, SETTING).problems.join("\n");
        assert.match(
            refused({}, { ...want, domains: ["www.example.cn"] }),
            /`cloudfront-china:adoptDistributionId` E2QWRUHAPOMQZL serves example\.cn, which `cloudfront-china:domains` does not list.*Set `cloudfront-china:domains` to every alias it serves \(www\.example\.cn, example\.cn\)/,
        );
        assert.match(
            refused({ orderedCacheBehaviors: [{ pathPattern: "/api/*", targetOriginId: "api" }] }),
            /has 1 origin\(s\) \(legacy-site\.s3\.cn-north-1\.amazonaws\.com\.cn\) and path behaviours \/api\/\*: the stack serves one private bucket/,
        );
        assert.match(
            refused({
                origins: [{ originId: "web", domainName: "origin.example.cn", customOriginConfig: { originProtocolPolicy: "https-only" } }],
            }),
            /reads from origin\.example\.cn, which is not an S3 bucket's REST endpoint/,
        );
        assert.match(
            refused({
                origins: [
                    {
                        originId: "site",
                        domainName: "legacy-site.s3.cn-northwest-1.amazonaws.com.cn",
                        s3OriginConfig: { originAccessIdentity: "origin-access-identity/cloudfront/E3OAIEXAMPLE01" },
                    },
                ],
            }),
            /reads bucket legacy-site in cn-northwest-1, but the stack deploys to cn-north-1: set `aws:region` to cn-northwest-1/,
        );
    });

    it("a distribution the stack already tagged was taken over before: the same ids, nothing to report or refuse", () => {
        const { adoption, problems } = planAdoption(
            handMade({ aliases: ["www.example.cn", "example.cn", "old.example.cn"] }, { "cloudfront-china:stack": "prod" }),
            want,
            SETTING,
        );
        assert.deepEqual(problems, []);
        assert.deepEqual(adoption, {
            distributionId: "E2QWRUHAPOMQZL",
            bucketName: "legacy-site",
            originAccessIdentityId: "E3OAIEXAMPLE01",
            changes: [],
        });
    });

    it("never crosses stacks: a distribution tagged for another stack, or a certificate under another stack's path, is refused", () => {
        const taken = planAdoption(handMade({}, { "cloudfront-china:stack": "staging" }), want, SETTING);
        assert.equal(taken.adoption, undefined);
        assert.match(
            taken.problems.join("\n"),
            /carries the tag cloudfront-china:stack=staging: stack staging deploys it, .*`pulumi stack rm --force` in stack staging/,
        );
        // The tag names project and stack: another project's stack of the same name is another stack;
        // a tag of before (the bare stack name) is this stack's, until its next up rewrites it.
        const qualified = { ...want, stack: "cloudfront-china/prod" };
        assert.match(
            planAdoption(handMade({}, { "cloudfront-china:stack": "other-project/prod" }), qualified, SETTING).problems.join("\n"),
            /stack other-project\/prod deploys it/,
        );
        assert.deepEqual(
            planAdoption(handMade({}, { "cloudfront-china:stack": "cloudfront-china/prod" }), qualified, SETTING).problems,
            [],
        );
        assert.equal(planAdoption(handMade({}, { "cloudfront-china:stack": "prod" }), qualified, SETTING).adoption?.changes.length, 0);
        const facts = { notAfter: "2099-01-01T00:00:00Z", domains: ["www.example.cn", "example.cn"] };
        const now = Date.parse("2027-01-01T00:00:00Z");
        const domains = ["www.example.cn", "example.cn"];
        assert.match(
            adoptionProblem("c", "/cloudfront/staging/certificate/", facts, domains, "/cloudfront/prod/") ?? "",
            /under \/cloudfront\/staging\/certificate\/, the path of stack staging's certificates/,
        );
        // A hand-made certificate (any other path under /cloudfront/) and the stack's own are not another stack's.
        assert.equal(adoptionProblem("c", "/cloudfront/", facts, domains, "/cloudfront/prod/"), undefined);
        assert.equal(adoptionProblem("c", "/cloudfront/legacy/", facts, domains, "/cloudfront/prod/"), undefined);
        assert.equal(adoptionProblem("c", "/cloudfront/prod/certificate/", facts, domains, "/cloudfront/prod/"), undefined);
        // Names compare case-insensitively (RFC 5280 §4.2.1.6): a SAN in upper case covers the name.
        assert.equal(adoptionProblem("c", "/cloudfront/", { ...facts, domains: ["WWW.Example.CN", "EXAMPLE.cn"] }, domains), undefined);
        assert.match(adoptionProblem("c", "/cloudfront/", { ...facts, domains: ["WWW.Example.CN"] }, domains) ?? "", /but not example\.cn/);
        // A stack's own path carries its project now: another project's stack of this name is another stack.
        assert.match(
            adoptionProblem("c", "/cloudfront/other-project/prod/certificate/", facts, domains, "/cloudfront/cloudfront-china/prod/") ?? "",
            /the path of stack other-project\/prod's certificates/,
        );

        // Expired, due or self-signed: not refused, not taken over, but ordered anew (docs/migrate.md).
        const valid = {
            ...facts,
            serialNumber: "0a",
            notBefore: "2026-12-01T00:00:00Z",
            notAfter: "2027-03-01T00:00:00Z",
            selfSigned: false,
        };
        assert.equal(orderInsteadOfAdopting(valid, now), undefined, "a month into 90 days: taken over");
        assert.match(orderInsteadOfAdopting({ ...valid, notAfter: "2026-12-31T00:00:00Z" }, now) ?? "", /^it expired at 2026-12-31/);
        assert.match(orderInsteadOfAdopting({ ...valid, selfSigned: true }, now) ?? "", /self-signed/);
        assert.match(
            orderInsteadOfAdopting({ ...valid, notBefore: "2026-10-01T00:00:00Z", notAfter: "2027-01-10T00:00:00Z" }, now) ?? "",
            /inside its renewal window/,
        );
        assert.match(orderInsteadOfAdopting(valid, now, 80) ?? "", /inside its renewal window/, "renewBeforeDays decides the window");
    });

    it("a distribution id is E and upper-case letters or digits", () => {
        assert.equal(distributionIdProblem("E2QWRUHAPOMQZL", SETTING), undefined);
        assert.equal(distributionIdProblem(undefined, SETTING), undefined);
        for (const bad of [
            "d111111abcdef8.cloudfront.cn",
            "arn:aws-cn:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL",
            "e2qwruhapomqzl",
            42,
        ]) {
            assert.match(distributionIdProblem(bad, SETTING) ?? "", /is not a CloudFront distribution id/, String(bad));
        }
    });
});

describe("aliases another distribution holds (core/adoption.ts, aliasesHeldElsewhere)", () => {
    const STACK = "cloudfront-china/cn-north-1";
    const settingOf = (alias: string) =>
        alias.startsWith("blog.")
            ? { domains: "cloudfront-china:sites[0].domains", adoptDistributionId: "cloudfront-china:sites[0].adoptDistributionId" }
            : { domains: "cloudfront-china:domains", adoptDistributionId: "cloudfront-china:adoptDistributionId" };
    const holding = (id: string, over: Partial<AliasHolding>): AliasHolding => ({
        id,
        aliases: ["www.example.cn"],
        comment: "",
        tags: {},
        ...over,
    });

    it("the stack's own distributions hold its aliases: adopted, tagged for the stack (or its bare name, as tagged before), or made before the tag with this program's comment", () => {
        const own = [
            holding("EADOPTED1", { tags: undefined }),
            holding("ETAGGED01", { tags: { "cloudfront-china:stack": STACK } }),
            holding("EBARENAME", { tags: { "cloudfront-china:stack": "cn-north-1" } }),
            holding("EUNTAGGED", { comment: "cloudfront-china: www.example.cn" }),
        ];
        assert.deepEqual(aliasesHeldElsewhere(own, STACK, new Set(["EADOPTED1"]), settingOf), []);
    });

    it("another's: another stack's tag, tags this identity may not read, or no tag and another comment; one line per alias, naming its setting", () => {
        const problems = aliasesHeldElsewhere(
            [
                holding("EOTHERSTK", { tags: { "cloudfront-china:stack": "cloudfront-china/cn-northwest-1" } }),
                holding("EANOTHERP", { tags: { "cloudfront-china:stack": "another-project/cn-north-1" }, aliases: ["blog.example.cn"] }),
                holding("EUNREADAB", { tags: undefined, aliases: ["a.example.cn", "blog.example.cn"] }),
                holding("EHANDMADE", { comment: "the old site" }),
            ],
            STACK,
            new Set(),
            settingOf,
        );
        assert.deepEqual(
            problems.map((p) => /^`([^`]+)`: (\S+) is an alias of distribution (\S+), which is not this stack's/.exec(p)?.slice(1)),
            [
                ["cloudfront-china:domains", "www.example.cn", "EOTHERSTK"],
                ["cloudfront-china:sites[0].domains", "blog.example.cn", "EANOTHERP"],
                ["cloudfront-china:domains", "a.example.cn", "EUNREADAB"],
                ["cloudfront-china:sites[0].domains", "blog.example.cn", "EUNREADAB"],
                ["cloudfront-china:domains", "www.example.cn", "EHANDMADE"],
            ],
        );
        assert.match(
            problems[1],
            /CNAMEAlreadyExists.*`cloudfront-china:sites\[0\]\.adoptDistributionId`, docs\/migrate\.md\), or serve another name/,
        );
    });
});
