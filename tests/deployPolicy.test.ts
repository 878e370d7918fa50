/**
 * The generated deploy policy (core/iamPolicy.ts, `npm run policy`): the shipped policies are its
 * output, each option's types are exactly what the program registers with that option, a stack's
 * policy is scoped to that stack, and the watch role can only be made with the boundary. The
 * analyzers' verdicts on these policies are in tests/analyzers.test.ts (they need the test setup's tools).
 */
import * as assert from "node:assert/strict";
import { execSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { DeployOption, PolicyDocument, deployPolicy, normalizedRecordName, typesInUse, watchBoundaryPolicy } from "../core/iamPolicy";
import { readSiteConfig } from "../config/siteConfig";
import { WATCH_NAMESPACE } from "../components/certificateWatch";
import { anyStackPolicy, deployOptions, loadActionTable, policy } from "../scripts/policy";
import { policyOf } from "./support/policy";
import { runProgramUnderMocks } from "./support/pulumi";

const root = path.resolve(__dirname, "..");
const table = loadActionTable();
const read = (file: string) => JSON.parse(fs.readFileSync(path.join(root, "docs", file), "utf8")) as PolicyDocument;

const base = { "aws:region": "cn-north-1", "cloudfront-china:domains": ["www.example.cn", "*.shop.example.cn"] };
/** One stack configuration per option, alone. */
const CONFIGS: Array<[string, Record<string, unknown>]> = [
    ["an existing certificate, nothing else", { ...base, "cloudfront-china:iamCertificateId": "ASCAEXAMPLE0123456789" }],
    ["issuing, the zone in Route 53", { ...base, "cloudfront-china:hostedZoneId": "Z0123456789EXAMPLE" }],
    ["issuing with dns-persist-01, DNS elsewhere", { ...base, "cloudfront-china:challenge": "dns-persist-01" }],
    [
        "content",
        { ...base, "cloudfront-china:iamCertificateId": "ASCAEXAMPLE0123456789", "cloudfront-china:contentDir": path.join(root, "site") },
    ],
    ["logging", { ...base, "cloudfront-china:iamCertificateId": "ASCAEXAMPLE0123456789", "cloudfront-china:logging": true }],
    ["versioning", { ...base, "cloudfront-china:iamCertificateId": "ASCAEXAMPLE0123456789", "cloudfront-china:versioning": true }],
    ["destroyBuckets", { ...base, "cloudfront-china:iamCertificateId": "ASCAEXAMPLE0123456789", "cloudfront-china:destroyBuckets": true }],
    [
        "the watch",
        { ...base, "cloudfront-china:iamCertificateId": "ASCAEXAMPLE0123456789", "cloudfront-china:watch": { emails: ["ops@example.cn"] } },
    ],
    [
        "a further site issuing in its zone, with content, beside a first site with its own certificate",
        {
            ...base,
            "cloudfront-china:iamCertificateId": "ASCAEXAMPLE0123456789",
            "cloudfront-china:sites": [
                { name: "blog", domains: ["blog.example.cn"], hostedZoneId: "Z0123456789EXAMPLE", contentDir: path.join(root, "site") },
            ],
        },
    ],
];

const statement = (doc: PolicyDocument, sid: string) => doc.Statement.find((s) => s.Sid === sid);
const actionsOf = (doc: PolicyDocument) => new Set(doc.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => s.Action));

describe("the generated deploy policy (npm run policy)", () => {
    after(() => pulumi.runtime.setAllConfig({}, []));

    it("the shipped policies are the generator's output, byte for byte (npm run policy -- --any-stack [--no-route53] / --watch-boundary)", async () => {
        const printed = async (args: string[]) => {
            const out: string[] = [];
            assert.equal(
                await policy(
                    args,
                    root,
                    (l) => out.push(l),
                    () => undefined,
                ),
                0,
            );
            return out.join("\n") + "\n";
        };
        const file = (name: string) => fs.readFileSync(path.join(root, "docs", name), "utf8");
        assert.equal(file("iam-policy.json"), await printed(["--any-stack"]));
        assert.equal(file("iam-policy-dns-persist.json"), await printed(["--any-stack", "--no-route53"]));
        assert.equal(file("iam-watch-boundary.json"), await printed(["--watch-boundary"]));
        assert.deepEqual(read("iam-policy.json"), anyStackPolicy(table));
        assert.deepEqual(read("iam-watch-boundary.json"), watchBoundaryPolicy("*", WATCH_NAMESPACE));
        assert.equal([...actionsOf(read("iam-policy-dns-persist.json"))].filter((a) => a.startsWith("route53:")).length, 0);
    });

    for (const [name, config] of CONFIGS) {
        it(`${name}: the types the generator grants are exactly the ones the program registers and invokes`, async () => {
            const { mocks } = await runProgramUnderMocks(config);
            const options = deployOptions(readSiteConfig());
            const used = new Set([
                ...mocks.registrations.map((r) => r.type.replace(/^pulumi-nodejs:dynamic\//, "")),
                ...mocks.calls.map((c) => c.token),
            ]);
            const inTable = new Set([...Object.keys(table.resources), ...Object.keys(table.functions), ...Object.keys(table.providers)]);
            assert.deepEqual(
                typesInUse(table, options)
                    .map(([t]) => t)
                    .sort(),
                [...used].filter((t) => inTable.has(t)).sort(),
                `options ${[...options].join(", ")}`,
            );
        });
    }

    it("nothing for options that are off: no IAM role writes without the watch, no Route 53 without a zone, no certificate writes without issuing", () => {
        const scope = (options: DeployOption[]) =>
            deployPolicy(table, {
                account: "123456789012",
                stack: "prod",
                options: new Set(options),
                watchBoundaryArn: "arn:aws-cn:iam::123456789012:policy/b",
            });
        const bare = actionsOf(scope([]));
        for (const action of [
            "iam:CreateRole",
            "iam:PassRole",
            "lambda:CreateFunction",
            "route53:ChangeResourceRecordSets",
            "iam:UploadServerCertificate",
            "s3:PutObject",
            "s3:DeleteObject",
        ]) {
            assert.ok(!bare.has(action), action);
        }
        assert.ok(actionsOf(scope(["watch"])).has("iam:CreateRole"));
        assert.ok(actionsOf(scope(["issuing", "route53Challenge"])).has("route53:ChangeResourceRecordSets"));
        assert.ok(!actionsOf(scope(["issuing"])).has("route53:ChangeResourceRecordSets"), "dns-persist-01: no Route 53");
        assert.ok(actionsOf(scope(["content"])).has("s3:PutObject"));
    });

    it("the watch role: written only with the admin's boundary, passed to Lambda only, and the boundary can be neither loosened nor taken off", () => {
        const boundary = "arn:aws-cn:iam::123456789012:policy/cloudfront-china-watch-boundary";
        const doc = deployPolicy(table, {
            account: "123456789012",
            stack: "prod",
            options: new Set(["watch"]),
            watchBoundaryArn: boundary,
        });
        const gated = statement(doc, "WatchRoleOnlyWithTheBoundary")!;
        assert.deepEqual(gated.Action, ["iam:CreateRole", "iam:DeleteRolePolicy", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy"]);
        assert.deepEqual(gated.Condition, { ArnLike: { "iam:PermissionsBoundary": boundary } });
        // No other statement grants a role write without the condition.
        for (const s of doc.Statement.filter((s) => s.Effect === "Allow" && s !== gated)) {
            for (const a of ["iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePermissionsBoundary"]) {
                assert.ok(!s.Action.includes(a), `${s.Sid} grants ${a} without the boundary`);
            }
        }
        assert.deepEqual(statement(doc, "WatchRolePassedToLambdaOnly")!.Condition, {
            StringEquals: { "iam:PassedToService": "lambda.amazonaws.com" },
        });
        assert.deepEqual(
            doc.Statement.filter((s) => s.Effect === "Deny").map((s) => [s.Action.join(","), s.Resource]),
            [
                ["iam:CreatePolicyVersion,iam:DeletePolicy,iam:DeletePolicyVersion,iam:SetDefaultPolicyVersion", boundary],
                ["iam:DeleteRolePermissionsBoundary", "arn:aws-cn:iam::123456789012:role/watch-role-*"],
            ],
        );
    });

    it("one stack: its account, certificate path, zone, record names (normalized), buckets and distribution once known", () => {
        const doc = deployPolicy(table, {
            account: "123456789012",
            stack: "prod",
            options: new Set<DeployOption>(["issuing", "route53Challenge", "hostedZone", "content", "logging", "bucketVersioning"]),
            watchBoundaryArn: "arn:aws-cn:iam::123456789012:policy/b",
            zoneIds: ["Z0123456789EXAMPLE"],
            recordNames: ["www.example.cn", "*.Example.cn", "_acme-challenge.example.cn"],
            buckets: [{ site: "site-bucket-1a2b3c4", logs: "site-logs-5d6e7f8" }],
            distributionIds: ["E1EXAMPLE"],
        });
        assert.equal(
            statement(doc, "CertificatesUnderTheStackPath")!.Resource,
            "arn:aws-cn:iam::123456789012:server-certificate/cloudfront/prod/*",
        );
        assert.equal(statement(doc, "Distribution")!.Resource, "arn:aws-cn:cloudfront::123456789012:distribution/E1EXAMPLE");
        assert.deepEqual(statement(doc, "Buckets")!.Resource, ["arn:aws-cn:s3:::site-bucket-1a2b3c4", "arn:aws-cn:s3:::site-logs-5d6e7f8"]);
        assert.equal(statement(doc, "SiteObjects")!.Resource, "arn:aws-cn:s3:::site-bucket-1a2b3c4/*");
        assert.equal(statement(doc, "HostedZones")!.Resource, "arn:aws-cn:route53:::hostedzone/Z0123456789EXAMPLE");
        const records = statement(doc, "RecordsOfTheStackOnly")!;
        assert.deepEqual(records.Action, ["route53:ChangeResourceRecordSets"]);
        assert.deepEqual(records.Condition, {
            "ForAllValues:StringEquals": {
                "route53:ChangeResourceRecordSetsNormalizedRecordNames": [
                    "\\052.example.cn",
                    "_acme-challenge.example.cn",
                    "www.example.cn",
                ],
                "route53:ChangeResourceRecordSetsRecordTypes": ["A", "TXT"],
            },
        });
        // Logs: a delete only adds a delete marker (versioned); erasing a version is denied outright.
        assert.deepEqual(
            doc.Statement.filter((s) => s.Effect === "Deny").map((s) => [s.Sid, s.Action.join(","), s.Resource]),
            [["AccessLogsAreNeverErased", "s3:DeleteObjectVersion", "arn:aws-cn:s3:::site-logs-5d6e7f8/*"]],
        );
        assert.ok(!JSON.stringify(doc).includes('"arn:aws-cn:cloudfront::123456789012:distribution/*"'));
    });

    it("before the stack exists: its distribution by the stack tag (create with it in the request, then only tagged ones)", () => {
        const doc = deployPolicy(table, {
            account: "123456789012",
            stack: "prod",
            options: new Set<DeployOption>([]),
            watchBoundaryArn: "arn:aws-cn:iam::123456789012:policy/b",
        });
        assert.deepEqual(statement(doc, "DistributionCreatedWithTheStackTag"), {
            Sid: "DistributionCreatedWithTheStackTag",
            Effect: "Allow",
            Action: ["cloudfront:CreateDistribution", "cloudfront:TagResource"],
            Resource: "*",
            Condition: { StringEquals: { "aws:RequestTag/cloudfront-china:stack": "prod" } },
        });
        const own = statement(doc, "DistributionOfTheStack")!;
        assert.equal(own.Resource, "arn:aws-cn:cloudfront::123456789012:distribution/*");
        assert.deepEqual(own.Condition, { StringEquals: { "aws:ResourceTag/cloudfront-china:stack": "prod" } });
        assert.ok(own.Action.includes("cloudfront:UpdateDistribution") && own.Action.includes("cloudfront:DeleteDistribution"));
        assert.equal(statement(doc, "Distribution"), undefined, "no untagged distribution statement");
    });

    it("Route 53's normalized names: lower case, no trailing dot, other characters in octal", () => {
        assert.equal(normalizedRecordName("*.Example.CN."), "\\052.example.cn");
        assert.equal(normalizedRecordName("_acme-challenge.www.example.cn"), "_acme-challenge.www.example.cn");
    });

    it("the README's IAM permissions commands, run as written: the stack's policy on stdout", () => {
        const section = fs
            .readFileSync(path.join(root, "README.md"), "utf8")
            .split(/^## IAM permissions$/m)[1]
            .split(/^## /m)[0];
        const commands = [...section.matchAll(/```bash\n([\s\S]*?)```/g)].flatMap((m) => m[1].split("\n")).filter((l) => l.trim());
        assert.deepEqual(commands, ["npm run --silent policy -- --stack cn-north-1 --account 123456789012"]);
        const printed = execSync(commands[0], {
            cwd: root,
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
        });
        const doc = JSON.parse(printed) as PolicyDocument;
        assert.equal(
            statement(doc, "CertificatesUnderTheStackPath")!.Resource,
            "arn:aws-cn:iam::123456789012:server-certificate/cloudfront/cn-north-1/*",
        );
    });

    it("an adopting stack: the adopted distribution by its id before the first up, and a note of the grants the first up also needs", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cfcn-policy-adopt-"));
        const file = path.join(dir, "Pulumi.adopt.yaml");
        fs.writeFileSync(
            file,
            fs.readFileSync(path.join(root, "Pulumi.cn-north-1.yaml"), "utf8") + "  cloudfront-china:adoptDistributionId: E2QWRUHAPOMQZL\n",
        );
        const out: string[] = [];
        const err: string[] = [];
        const code = await policy(
            ["--stack", "adopt", "--config-file", file, "--account", "123456789012"],
            root,
            (l) => out.push(l),
            (l) => err.push(l),
        );
        assert.equal(code, 0, err.join("\n"));
        const doc = JSON.parse(out.join("\n")) as PolicyDocument;
        assert.equal(statement(doc, "Distribution")!.Resource, "arn:aws-cn:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL");
        assert.match(err.join("\n"), /adopting: the first `pulumi up` also needs the adopted bucket .*iam:UpdateServerCertificate/);
    });

    it("several sites: each site's buckets by its own prefix, then by name; distributions by the stack tag until every one is known by id", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cfcn-policy-sites-"));
        const file = path.join(dir, "Pulumi.sites.yaml");
        fs.writeFileSync(
            file,
            fs.readFileSync(path.join(root, "Pulumi.cn-north-1.yaml"), "utf8") +
                "  cloudfront-china:sites:\n" +
                "    - name: blog\n" +
                "      domains: [blog.example.cn]\n" +
                "      hostedZoneId: Z0123456789EXAMPLE\n",
        );
        const run = async (extra: string[]) => {
            const out: string[] = [];
            const err: string[] = [];
            const code = await policy(
                ["--stack", "sites", "--config-file", file, "--account", "123456789012", ...extra],
                root,
                (l) => out.push(l),
                (l) => err.push(l),
            );
            assert.equal(code, 0, err.join("\n"));
            return { doc: JSON.parse(out.join("\n")) as PolicyDocument, notes: err.join("\n") };
        };
        const before = await run([]);
        assert.deepEqual(statement(before.doc, "Buckets")!.Resource, [
            "arn:aws-cn:s3:::site-bucket-*",
            "arn:aws-cn:s3:::site-logs-*",
            "arn:aws-cn:s3:::site-blog-bucket-*",
            "arn:aws-cn:s3:::site-blog-logs-*",
        ]);
        assert.deepEqual(statement(before.doc, "SiteObjects")!.Resource, [
            "arn:aws-cn:s3:::site-bucket-*/*",
            "arn:aws-cn:s3:::site-blog-bucket-*/*",
        ]);
        assert.ok(statement(before.doc, "DistributionOfTheStack"));
        assert.equal(statement(before.doc, "Distribution"), undefined);
        assert.match(before.notes, /by the stack tag and name pattern until the stack exists/);
        const names = (statement(before.doc, "RecordsOfTheStackOnly")!.Condition!["ForAllValues:StringEquals"] as Record<string, string[]>)[
            "route53:ChangeResourceRecordSetsNormalizedRecordNames"
        ];
        for (const name of ["blog.example.cn", "_acme-challenge.blog.example.cn", "www.example.cn"]) {
            assert.ok(names.includes(name), `${name} in ${names.join(", ")}`);
        }

        // After the first `pulumi up`: `pulumi stack output --json`, the further site under `sites`.
        const outputsFile = path.join(dir, "outputs.json");
        fs.writeFileSync(
            outputsFile,
            JSON.stringify({
                bucketName: "site-bucket-1a2b3c4",
                logBucketName: "site-logs-5d6e7f8",
                distributionId: "E1FIRST",
                sites: {
                    blog: { bucketName: "site-blog-bucket-9a8b7c6", logBucketName: "site-blog-logs-1f2e3d4", distributionId: "E2BLOG" },
                },
            }),
        );
        const after = await run(["--outputs-file", outputsFile]);
        assert.deepEqual(statement(after.doc, "Buckets")!.Resource, [
            "arn:aws-cn:s3:::site-bucket-1a2b3c4",
            "arn:aws-cn:s3:::site-logs-5d6e7f8",
            "arn:aws-cn:s3:::site-blog-bucket-9a8b7c6",
            "arn:aws-cn:s3:::site-blog-logs-1f2e3d4",
        ]);
        assert.deepEqual(statement(after.doc, "Distribution")!.Resource, [
            "arn:aws-cn:cloudfront::123456789012:distribution/E1FIRST",
            "arn:aws-cn:cloudfront::123456789012:distribution/E2BLOG",
        ]);
        assert.equal(statement(after.doc, "DistributionOfTheStack"), undefined, "every distribution known: none by tag");
        assert.deepEqual(after.doc.Statement.find((s) => s.Sid === "AccessLogsAreNeverErased")!.Resource, [
            "arn:aws-cn:s3:::site-logs-5d6e7f8/*",
            "arn:aws-cn:s3:::site-blog-logs-1f2e3d4/*",
        ]);
    });

    it("npm run policy -- --stack cn-north-1: the project's stack file, scoped to its zone and names; usage errors exit 2", async () => {
        const doc = await policyOf(["--stack", "cn-north-1", "--account", "123456789012"]);
        assert.equal(statement(doc, "HostedZones")!.Resource, "arn:aws-cn:route53:::hostedzone/Z0123456789EXAMPLE");
        assert.equal(
            statement(doc, "CertificatesUnderTheStackPath")!.Resource,
            "arn:aws-cn:iam::123456789012:server-certificate/cloudfront/cn-north-1/*",
        );
        assert.ok(!actionsOf(doc).has("iam:CreateRole"), "the example stack has no watch");
        const errors: string[] = [];
        assert.equal(
            await policy(
                ["--stack", "nope"],
                root,
                () => undefined,
                (l) => errors.push(l),
            ),
            2,
        );
        assert.match(errors.join("\n"), /no stack file Pulumi\.nope\.yaml/);
        assert.equal(
            await policy(
                ["--account", "12"],
                root,
                () => undefined,
                (l) => errors.push(l),
            ),
            2,
        );
        assert.match(errors.join("\n"), /--account takes a 12-digit account id/);
    });
});
