/**
 * The China policy pack (policy/): every policy run on the resource inputs real programs register
 * under runtime mocks, this program (no violation) and a deliberately China-incompatible one (cache
 * policy, IPv6, an ACM ARN, OAC, the global S3 domain, `arn:aws:` literals, a public bucket), and the
 * pack's rule table being the component's (one policy per rule, enforcement from the rule's kind).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { CHINA_RULES } from "../core/chinaRules";
import { chinaPolicies } from "../policy/policies";
import type { Registration } from "../scripts/offlineMocks";
import { engineEnv, runPulumi } from "./support/engine";
import { tempDir } from "./support/peers";
import { promiseOf, runProgramUnderMocks, settle, useOfflineMocks } from "./support/pulumi";

const root = path.resolve(__dirname, "..");

const resourcePolicies = chinaPolicies.filter((p): p is ResourceValidationPolicy => "validateResource" in p);
const stackPolicy = chinaPolicies.find((p): p is StackValidationPolicy => "validateStack" in p)!;

/** Every policy's violations on `registrations`, as "policy: message". */
function violations(registrations: readonly Registration[]): string[] {
    const found: string[] = [];
    for (const r of registrations) {
        for (const p of resourcePolicies) {
            const validations = [p.validateResource ?? []].flat();
            for (const validate of validations) {
                void validate(
                    { type: r.type, props: r.inputs, urn: `urn:pulumi:test::test::${r.type}::${r.name}`, name: r.name } as never,
                    (message: string) => found.push(`${p.name}: ${message}`),
                );
            }
        }
    }
    // The stack policy sees each resource's outputs (the certificate's serverCertificateId and name).
    void stackPolicy.validateStack(
        { resources: registrations.map((r) => ({ type: r.type, name: r.name, props: { ...r.inputs, ...r.state } })) } as never,
        (message: string) => found.push(`${stackPolicy.name}: ${message}`),
    );
    return found;
}

describe("the China policy pack (policy/)", () => {
    after(() => pulumi.runtime.setAllConfig({}, []));

    it("is the component's rule table: one policy per rule, mandatory unless the rule is unverified, plus the bucket and stack rules", () => {
        for (const rule of CHINA_RULES) {
            const policy = chinaPolicies.find((p) => p.name === `china-${rule.id}`);
            assert.ok(policy, rule.id);
            assert.equal(policy.enforcementLevel, rule.kind === "unverified" ? "advisory" : "mandatory", rule.id);
        }
        assert.deepEqual(
            chinaPolicies
                .map((p) => p.name)
                .filter((n) => !CHINA_RULES.some((r) => n === `china-${r.id}`))
                .sort(),
            [
                "china-bucket-private",
                "china-certificate-from-iam",
                "china-deny-insecure-transport",
                "china-partition-arns",
                "china-public-access-blocked",
                "china-unavailable-resources",
            ],
        );
        assert.ok(
            chinaPolicies.every((p) => /^[a-z0-9-]+$/.test(p.name) && p.name !== "all"),
            "names the analyzer accepts",
        );
    });

    it("this program, with every option on, violates nothing", async () => {
        const { mocks } = await runProgramUnderMocks({
            "aws:region": "cn-north-1",
            "cloudfront-china:domains": ["www.example.cn", "example.cn"],
            "cloudfront-china:hostedZoneId": "Z0123456789EXAMPLE",
            "cloudfront-china:logging": true,
            "cloudfront-china:spa": true,
        });
        assert.ok(mocks.registrations.some((r) => r.type === "aws:cloudfront/distribution:Distribution"));
        assert.deepEqual(violations(mocks.registrations), []);
    });

    it("a China-incompatible program gets each violation, with the rule's message", async () => {
        const mocks = await useOfflineMocks();
        const certificateName = "certificate-20270101-abcd";
        const distribution = new aws.cloudfront.Distribution("global-style", {
            enabled: true,
            isIpv6Enabled: true,
            origins: [{ domainName: "site.s3.amazonaws.com", originId: "s3", originAccessControlId: "E2OACEXAMPLE" }],
            defaultCacheBehavior: {
                targetOriginId: "s3",
                viewerProtocolPolicy: "allow-all",
                allowedMethods: ["GET", "HEAD"],
                cachedMethods: ["GET", "HEAD"],
                cachePolicyId: "658327ea-f89d-4fab-a63d-7e88639e58f6",
            },
            restrictions: { geoRestriction: { restrictionType: "none" } },
            viewerCertificate: { acmCertificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/abc" },
        });
        new aws.s3.BucketPolicy("public-policy", {
            bucket: "site",
            policy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::site/*" }],
            }),
        });
        new aws.s3.BucketPublicAccessBlock("open", {
            bucket: "site",
            blockPublicAcls: false,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        });
        // The README's old mistake: the certificate resource's id (its IAM name) instead of serverCertificateId.
        new aws.cloudfront.Distribution("wrong-id", {
            enabled: true,
            aliases: ["www.example.cn"],
            origins: [
                { domainName: "site.s3.cn-north-1.amazonaws.com.cn", originId: "s3", s3OriginConfig: { originAccessIdentity: "oai" } },
            ],
            defaultCacheBehavior: {
                targetOriginId: "s3",
                viewerProtocolPolicy: "redirect-to-https",
                allowedMethods: ["GET", "HEAD"],
                cachedMethods: ["GET", "HEAD"],
                forwardedValues: { queryString: false, cookies: { forward: "none" } },
            },
            restrictions: { geoRestriction: { restrictionType: "none" } },
            viewerCertificate: { iamCertificateId: certificateName, sslSupportMethod: "sni-only", minimumProtocolVersion: "TLSv1.2_2021" },
        });
        await promiseOf(distribution.id);
        await settle();
        const registrations: Registration[] = [
            ...mocks.registrations,
            {
                type: "pulumi-nodejs:dynamic/cloudfront-china:IamAcmeCertificate",
                name: "certificate",
                id: certificateName,
                inputs: {},
                state: { name: certificateName, serverCertificateId: "ASCAEXAMPLE0123456789" },
            },
        ];
        const found = violations(registrations);
        const expect = (policy: string, message: RegExp) =>
            assert.ok(
                found.some((f) => f.startsWith(`${policy}: `) && message.test(f)),
                `${policy} ${message}:\n${found.join("\n")}`,
            );
        expect("china-no-cache-policies", /defaultCacheBehavior\.cachePolicyId/);
        expect("china-ipv6-disabled", /isIpv6Enabled/);
        expect("china-iam-certificate-only", /acmCertificateArn` must not be set: ACM is not available in the China regions/);
        expect("china-oai-not-oac", /originAccessControlId/);
        expect("china-s3-regional-origin", /site\.s3\.amazonaws\.com/);
        expect("china-viewers-https", /allow-all/);
        expect("china-aliases-required", /alias/i);
        expect("china-partition-arns", /"arn:aws:…" ARNs: in China every ARN is "arn:aws-cn:"/);
        expect("china-bucket-private", /allows everyone/);
        expect("china-deny-insecure-transport", /must deny requests without TLS/);
        expect("china-public-access-blocked", /open: blockPublicAcls must be true/);
        expect("china-certificate-from-iam", /global-style: the distribution serves no IAM server certificate/);
        expect(
            "china-certificate-from-iam",
            /wrong-id: iamCertificateId is certificate's IAM certificate name; CloudFront takes its `serverCertificateId`/,
        );
        assert.equal(
            found.filter((f) => f.includes("wrong-id")).length,
            1,
            `the otherwise China-safe distribution breaks only the certificate rule:\n${found.join("\n")}`,
        );
        // It leaves isIpv6Enabled, httpVersion and priceClass to pulumi-aws's defaults (false, http2, PriceClass_All): no violation.
        assert.deepEqual(
            found.filter((f) => /^china-(ipv6-disabled|http-version|price-class-all): /.test(f)),
            ["china-ipv6-disabled: `isIpv6Enabled` must be false (got true): CloudFront in China does not support IPv6"],
            "only global-style's explicit isIpv6Enabled: true",
        );
    });

    it("bucket policies as IAM reads them: TLS denies written any valid way pass; NotPrincipal, a lone Statement, a policy that is not JSON, public ACLs and stand-alone resources China lacks are judged", () => {
        const oai = "arn:aws-cn:iam::cloudfront:user/CloudFront Origin Access Identity E2EXAMPLE";
        const read = { Effect: "Allow", Principal: { AWS: oai }, Action: "s3:GetObject", Resource: "arn:aws-cn:s3:::site/*" };
        const tlsDeny = (condition: Record<string, unknown>) => ({
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: ["arn:aws-cn:s3:::site", "arn:aws-cn:s3:::site/*"],
            Condition: condition,
        });
        const policy = (name: string, doc: unknown): Registration => ({
            type: "aws:s3/bucketPolicy:BucketPolicy",
            name,
            id: name,
            state: {},
            inputs: {
                bucket: "site",
                policy: typeof doc === "string" ? doc : JSON.stringify({ Version: "2012-10-17", ...(doc as object) }),
            },
        });
        const resource = (type: string, name: string, inputs: Record<string, unknown> = {}): Registration => ({
            type,
            name,
            inputs,
            id: name,
            state: {},
        });
        const of = (r: Registration) => violations([r]);
        // A TLS deny written with a boolean, a list, BoolIfExists or a lower-case key: no violation.
        for (const condition of [
            { Bool: { "aws:SecureTransport": false } },
            { Bool: { "aws:SecureTransport": ["false"] } },
            { BoolIfExists: { "aws:securetransport": "false" } },
        ]) {
            assert.deepEqual(of(policy("tls", { Statement: [read, tlsDeny(condition)] })), [], JSON.stringify(condition));
        }
        assert.deepEqual(
            of(policy("lone", { Statement: tlsDeny({ Bool: { "aws:SecureTransport": "false" } }) })),
            [],
            "a lone Statement object",
        );
        assert.match(
            of(
                policy("not-principal", {
                    Statement: [
                        { ...read, Principal: undefined, NotPrincipal: { AWS: oai } },
                        tlsDeny({ Bool: { "aws:SecureTransport": "false" } }),
                    ],
                }),
            ).join("\n"),
            /china-bucket-private: statement "" allows everyone but .*\(NotPrincipal\)/,
        );
        assert.deepEqual(
            of(policy("not-json", "{ Version: 2012-10-17")).map((v) => v.replace(/ \(.*$/, "")),
            ["china-bucket-private: the bucket policy is not JSON"],
            "one violation, no policy throws",
        );
        for (const [type, acl] of [
            ["aws:s3/bucketAcl:BucketAcl", "public-read"],
            ["aws:s3/bucketAclV2:BucketAclV2", "public-read-write"],
            ["aws:s3/bucket:Bucket", "authenticated-read"],
        ]) {
            assert.deepEqual(of(resource(type, "b", { bucket: "site", acl })), [
                `china-bucket-private: b: the canned ACL "${acl}" opens the bucket: keep it private (CloudFront reads it through the Origin Access Identity)`,
            ]);
        }
        assert.deepEqual(of(resource("aws:s3/bucketAcl:BucketAcl", "b", { bucket: "site", acl: "private" })), []);
        for (const [type, what] of [
            ["aws:cloudfront/originAccessControl:OriginAccessControl", "Origin Access Control"],
            ["aws:cloudfront/cachePolicy:CachePolicy", "cache policies"],
            ["aws:cloudfront/originRequestPolicy:OriginRequestPolicy", "origin-request policies"],
            ["aws:cloudfront/function:Function", "CloudFront Functions"],
        ]) {
            assert.match(
                of(resource(type, "x")).join("\n"),
                new RegExp(`^china-unavailable-resources: x: CloudFront in the China regions has no ${what}`),
            );
        }
    });
});

describe("the China policy pack under the Pulumi CLI the tests build", function () {
    this.timeout(300_000);

    it("`pulumi preview --policy-pack` starts the pack in the real analyzer, which passes the preview", async () => {
        // The Node language host buildable from the Go module proxy (sdk v3.68.0) answers RunPlugin with
        // "not supported", which is how current CLIs start a `runtime: nodejs` pack. The CLI's older
        // path still works: a pack whose runtime has no language host is started by
        // `pulumi-analyzer-policy-<runtime>` from PATH, here @pulumi/pulumi's run-policy-pack.
        const work = tempDir("cfcn-policy-cli-");
        const shims = path.join(work, "bin");
        const pack = path.join(work, "pack");
        const program = path.join(work, "program");
        for (const dir of [shims, pack, program]) {
            fs.mkdirSync(dir);
        }
        fs.writeFileSync(
            path.join(shims, "pulumi-analyzer-policy-nodepack"),
            `#!/bin/sh\nexec node "$(node -p 'require.resolve("@pulumi/pulumi/cmd/run-policy-pack")')" "$@"\n`,
            { mode: 0o755 },
        );
        fs.writeFileSync(
            path.join(pack, "PulumiPolicy.yaml"),
            "runtime: nodepack\ndescription: the cloudfront-china pack, started through the legacy analyzer path\n",
        );
        fs.writeFileSync(path.join(pack, "package.json"), JSON.stringify({ name: "pack", version: "0.2.0", main: "index.js" }));
        fs.writeFileSync(
            path.join(pack, "index.js"),
            `require("ts-node").register({ transpileOnly: true, project: ${JSON.stringify(path.join(root, "tsconfig.json"))} });\n` +
                `require(${JSON.stringify(path.join(root, "policy", "index.ts"))});\n`,
        );
        fs.writeFileSync(path.join(program, "Pulumi.yaml"), "name: policy-cli\nruntime: nodejs\n");
        fs.writeFileSync(path.join(program, "package.json"), JSON.stringify({ name: "policy-cli", main: "index.js" }));
        fs.writeFileSync(path.join(program, "index.js"), 'exports.site = "nothing to deploy";\n');
        for (const dir of [pack, program]) {
            fs.symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"));
        }
        const env = { ...engineEnv(work), PATH: `${shims}${path.delimiter}${engineEnv(work).PATH}` };
        await runPulumi(env, "policy", ["stack", "init"], program);
        const preview = await runPulumi(env, "policy", ["preview", "--policy-pack", pack], program);
        assert.equal(preview.code, 0, preview.output);
        assert.match(preview.output, /Policies:\s*\n\s*✅ cloudfront-china@v0\.2\.0 \(local: /);
    });
});
