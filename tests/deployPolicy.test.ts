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
import {
    DeployOption,
    PolicyDocument,
    PolicyScopeError,
    deployPolicy,
    normalizedRecordName,
    typesInUse,
    watchBoundaryPolicy,
} from "../core/iamPolicy";
import { readSiteConfig } from "../config/stackConfig";
import { WATCH_NAMESPACE } from "../core/iamPolicy";
import { anyStackPolicy, deployOptions, loadActionTable, policy } from "../scripts/policy";
import { policyOf, shippedAnyStackPolicy, sitesStack } from "./support/policy";
import { IAM_QUOTAS, asManagedPolicies, policyCharacters } from "../core/iamQuotas";
import { stackBucketBase } from "../core/sites";
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

    it("the shipped policies are the generator's output, byte for byte, each within IAM's managed-policy quota (npm run policy -- --any-stack [--no-route53] --out-dir / --watch-boundary)", async () => {
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
        const written = fs.mkdtempSync(path.join(os.tmpdir(), "cfcn-any-stack-"));
        await printed(["--any-stack", "--out-dir", written]);
        await printed(["--any-stack", "--no-route53", "--out-dir", written]);
        const shipped = fs.readdirSync(path.join(root, "docs", "iam-policy")).sort();
        assert.deepEqual(fs.readdirSync(written).sort(), shipped);
        for (const name of shipped) {
            assert.equal(file(path.join("iam-policy", name)), fs.readFileSync(path.join(written, name), "utf8"), name);
            assert.ok(policyCharacters(read(path.join("iam-policy", name))) <= IAM_QUOTAS.managedPolicyCharacters, name);
        }
        assert.equal(file("iam-watch-boundary.json"), await printed(["--watch-boundary"]));
        // The parts together are the one policy: the same statements, nothing lost or added.
        const bySid = (d: PolicyDocument) => [...d.Statement].sort((a, b) => a.Sid.localeCompare(b.Sid));
        assert.deepEqual(bySid(shippedAnyStackPolicy()), bySid(anyStackPolicy(table)));
        assert.deepEqual(read("iam-watch-boundary.json"), watchBoundaryPolicy("*", WATCH_NAMESPACE));
        assert.equal([...actionsOf(shippedAnyStackPolicy(false))].filter((a) => a.startsWith("route53:")).length, 0);
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
                project: "cloudfront-china",
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
            project: "cloudfront-china",
            options: new Set(["watch"]),
            watchBoundaryArn: boundary,
        });
        const gated = statement(doc, "WatchRoleOnlyWithTheBoundary")!;
        assert.deepEqual(gated.Action, ["iam:DeleteRolePolicy", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy"]);
        assert.deepEqual(gated.Condition, { ArnLike: { "iam:PermissionsBoundary": boundary } });
        // Created with the boundary and a stack tag (a stack's own id once the scope names it, below).
        const created = statement(doc, "WatchRoleCreatedWithTheBoundaryAndItsStack")!;
        assert.deepEqual(created.Action, ["iam:CreateRole"]);
        assert.deepEqual(created.Condition, {
            ArnLike: { "iam:PermissionsBoundary": boundary },
            StringLike: { "aws:RequestTag/cloudfront-china:stack-id": "cfcn-*" },
        });
        const own = deployPolicy(table, {
            account: "123456789012",
            stack: "prod",
            project: "cloudfront-china",
            stackId: "cfcn-0123456789",
            options: new Set(["watch"]),
            watchBoundaryArn: boundary,
        });
        assert.deepEqual(statement(own, "WatchRoleCreatedWithTheBoundaryAndItsStack")!.Condition, {
            ArnLike: { "iam:PermissionsBoundary": boundary },
            StringEquals: { "aws:RequestTag/cloudfront-china:stack-id": "cfcn-0123456789" },
        });
        // Its tags may change, but never to another stack's id (the namespace the boundary allows).
        assert.deepEqual(statement(own, "WatchRoleTaggedWithItsStackOnly")!, {
            Sid: "WatchRoleTaggedWithItsStackOnly",
            Effect: "Allow",
            Action: ["iam:TagRole"],
            Resource: "arn:aws-cn:iam::123456789012:role/cfcn-0123456789/*",
            Condition: { StringEqualsIfExists: { "aws:RequestTag/cloudfront-china:stack-id": "cfcn-0123456789" } },
        });
        // No other statement grants a role write without the condition.
        for (const s of doc.Statement.filter((s) => s.Effect === "Allow" && s !== gated && s !== created)) {
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
            project: "cloudfront-china",
            options: new Set<DeployOption>(["issuing", "route53Challenge", "hostedZone", "content", "logging", "bucketVersioning"]),
            watchBoundaryArn: "arn:aws-cn:iam::123456789012:policy/b",
            zoneIds: ["Z0123456789EXAMPLE"],
            recordNames: ["www.example.cn", "*.Example.cn", "_acme-challenge.example.cn"],
            buckets: [{ site: "site-bucket-1a2b3c4", logs: "site-logs-5d6e7f8" }],
            distributionIds: ["E1EXAMPLE"],
        });
        assert.equal(
            statement(doc, "CertificatesUnderTheStackPath")!.Resource,
            "arn:aws-cn:iam::123456789012:server-certificate/cloudfront/cloudfront-china/prod/*",
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
            Null: {
                "route53:ChangeResourceRecordSetsNormalizedRecordNames": "false",
                "route53:ChangeResourceRecordSetsRecordTypes": "false",
            },
        });
        // Logs: a delete only adds a delete marker (versioned); erasing a version is denied outright.
        assert.deepEqual(
            doc.Statement.filter((s) => s.Effect === "Deny").map((s) => [s.Sid, s.Action.join(","), s.Resource]),
            [["AccessLogsAreNeverErased", "s3:DeleteObjectVersion", "arn:aws-cn:s3:::site-logs-5d6e7f8/*"]],
        );
        assert.ok(!JSON.stringify(doc).includes('"arn:aws-cn:cloudfront::123456789012:distribution/*"'));
    });

    it("bootstrap: creates its distribution with the stack tag in the request, reads the ones to come, and updates or deletes none by a tag", () => {
        const doc = deployPolicy(table, {
            account: "123456789012",
            stack: "prod",
            project: "cloudfront-china",
            options: new Set<DeployOption>([]),
            watchBoundaryArn: "arn:aws-cn:iam::123456789012:policy/b",
            phase: "bootstrap",
        });
        assert.deepEqual(statement(doc, "DistributionCreatedWithTheStackTag"), {
            Sid: "DistributionCreatedWithTheStackTag",
            Effect: "Allow",
            Action: ["cloudfront:CreateDistribution", "cloudfront:TagResource"],
            Resource: "*",
            Condition: { StringEquals: { "aws:RequestTag/cloudfront-china:stack": "prod" } },
        });
        const toCome = statement(doc, "ReadDistributionsToCome")!;
        assert.equal(toCome.Resource, "arn:aws-cn:cloudfront::123456789012:distribution/*");
        assert.ok(
            toCome.Action.every((a) => /^cloudfront:(Get|List)/.test(a)),
            toCome.Action.join(),
        );
        assert.equal(toCome.Condition, undefined, "no condition on a tag the identity could set itself");
        assert.ok(!JSON.stringify(doc).includes("aws:ResourceTag"), "nothing granted by a tag on the resource");
        assert.ok(!actionsOf(doc).has("cloudfront:UpdateDistribution") && !actionsOf(doc).has("cloudfront:DeleteDistribution"));
    });

    it("steady state: every distribution by id; no create, no TagResource beyond its own, nothing by a tag", () => {
        const doc = deployPolicy(table, {
            account: "123456789012",
            stack: "prod",
            project: "cloudfront-china",
            options: new Set<DeployOption>([]),
            watchBoundaryArn: "arn:aws-cn:iam::123456789012:policy/b",
            distributionIds: ["E1EXAMPLE"],
            buckets: [{ site: "site-bucket-1a2b3c4", logs: "site-logs-5d6e7f8" }],
            phase: "steady",
        });
        assert.equal(statement(doc, "DistributionCreatedWithTheStackTag"), undefined);
        assert.equal(statement(doc, "ReadDistributionsToCome"), undefined);
        const own = statement(doc, "Distribution")!;
        assert.equal(own.Resource, "arn:aws-cn:cloudfront::123456789012:distribution/E1EXAMPLE");
        assert.ok(own.Action.includes("cloudfront:TagResource") && own.Action.includes("cloudfront:UpdateDistribution"));
        assert.ok(!actionsOf(doc).has("cloudfront:CreateDistribution"));
        assert.ok(!JSON.stringify(doc).includes("Tag/"), "no tag condition at all");
        assert.ok(
            !doc.Statement.some((s) => [s.Resource].flat().some((r) => r.startsWith("arn:aws-cn:s3") && r.split("/")[0].includes("*"))),
            "no bucket by pattern",
        );
    });

    it("every string that reaches an ARN is checked: wildcards and separators in a stack, zone, account, bucket or distribution are refused", () => {
        const scope = {
            account: "123456789012",
            stack: "prod",
            project: "cloudfront-china",
            options: new Set<DeployOption>(["issuing", "route53Challenge", "hostedZone"]),
            watchBoundaryArn: "arn:aws-cn:iam::123456789012:policy/b",
            zoneIds: ["Z0123456789EXAMPLE"],
            distributionIds: ["E1EXAMPLE"],
            buckets: [{ site: "site-bucket-1a2b3c4", logs: "site-logs-5d6e7f8" }],
        };
        assert.doesNotThrow(() => deployPolicy(table, scope));
        const attempts: Array<[string, Partial<typeof scope> & { account?: string; stack?: string }, RegExp]> = [
            ["a stack named *", { stack: "*x" }, /the stack "\*x" is not a stack name/],
            ["a stack with a path", { stack: "prod/../*" }, /the stack "prod\/\.\.\/\*" is not a stack name/],
            ["a stack with ?", { stack: "pro?" }, /is not a stack name/],
            ["a zone *", { zoneIds: ["*"] }, /the hosted zone "\*" is not a Route 53 hosted zone id/],
            ["an account *", { account: "1234567890*" }, /the account "1234567890\*" is not a 12-digit account id/],
            ["a distribution *", { distributionIds: ["E*"] }, /the distribution "E\*" is not a CloudFront distribution id/],
            ["a bucket *", { buckets: [{ site: "*", logs: "site-logs-5d6e7f8" }] }, /the bucket "\*" is not an S3 bucket name/],
            [
                "a bucket with a ?",
                { buckets: [{ site: "site-bucket-?", logs: "site-logs-5d6e7f8" }] },
                /the bucket "site-bucket-\?" is not an S3 bucket name/,
            ],
        ];
        for (const [what, change, message] of attempts) {
            assert.throws(
                () => deployPolicy(table, { ...scope, ...change }),
                (e: Error) => e instanceof PolicyScopeError && message.test(e.message),
                what,
            );
        }
    });

    it("inside IAM's quotas: every option alone, and 1, 10 and 100 sites with every option, as managed policies within 6,144 characters and at most 10", async () => {
        const sizes: string[] = [];
        for (const [name, config] of CONFIGS) {
            await runProgramUnderMocks(config);
            const options = deployOptions(readSiteConfig());
            const doc = deployPolicy(table, {
                account: "123456789012",
                stack: "prod",
                project: "cloudfront-china",
                options,
                watchBoundaryArn: "arn:aws-cn:iam::123456789012:policy/b",
                phase: "bootstrap",
            });
            sizes.push(`${name}: ${policyCharacters(doc)}`);
            assert.ok(policyCharacters(doc) <= IAM_QUOTAS.managedPolicyCharacters, `${name}: ${policyCharacters(doc)}`);
        }
        for (const n of [1, 10, 100]) {
            for (const phase of ["bootstrap", "steady"] as const) {
                const { file, outputsFile } = sitesStack(n);
                const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cfcn-policy-parts-"));
                const out: string[] = [];
                const err: string[] = [];
                const code = await policy(
                    [
                        "--stack",
                        `sites${n}`,
                        "--config-file",
                        file,
                        "--account",
                        "123456789012",
                        ...(phase === "bootstrap" ? ["--bootstrap"] : ["--outputs-file", outputsFile]),
                        "--out-dir",
                        dir,
                        "--user",
                        "deployer",
                    ],
                    root,
                    (l) => out.push(l),
                    (l) => err.push(l),
                );
                assert.equal(code, 0, err.join("\n"));
                const parts = fs.readdirSync(dir).map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as PolicyDocument);
                const characters = parts.map(policyCharacters);
                sizes.push(`${n} sites, ${phase}: ${parts.length} managed policies (${characters.join(", ")})`);
                assert.ok(
                    characters.every((c) => c <= IAM_QUOTAS.managedPolicyCharacters),
                    characters.join(),
                );
                assert.ok(parts.length <= IAM_QUOTAS.managedPoliciesPerIdentity, `${parts.length} managed policies`);
                // Two commands per part, naming the stack: create it, attach it to the identity.
                assert.equal(out.length, 2 * parts.length);
                assert.match(
                    out[0],
                    new RegExp(`^aws iam create-policy --policy-name cloudfront-china-cloudfront-china-sites${n}-(bootstrap|deploy)`),
                );
                assert.match(out[1], /^aws iam attach-user-policy --user-name deployer --policy-arn arn:aws-cn:iam::123456789012:policy\//);
            }
        }
        console.log(sizes.map((l) => `      ${l}`).join("\n"));
    });

    it("a policy over the quota is refused on stdout (create-policy would fail), naming --out-dir", async () => {
        const { file } = sitesStack(10);
        const err: string[] = [];
        const code = await policy(
            ["--stack", "sites10", "--config-file", file, "--account", "123456789012", "--bootstrap"],
            root,
            () => undefined,
            (l) => err.push(l),
        );
        assert.equal(code, 2);
        assert.match(err.join("\n"), /the policy is \d+ characters, over IAM's 6144 for one managed policy: pass --out-dir DIR/);
        assert.equal(asManagedPolicies({ Version: "2012-10-17", Statement: [] }).length, 1);
    });

    it("bucket names carry the project and stack: within pulumi-aws's 37-character bucketPrefix, and no two stacks' patterns meet", () => {
        const names = ["site", "site-blog", "site-a-very-long-site-name-x", "site-a-very-long-site-name-y"];
        const bases = names.map((n) => stackBucketBase("cloudfront-china", "cn-north-1", n));
        assert.equal(new Set(bases).size, names.length, bases.join());
        for (const base of bases) {
            assert.ok(`${base}-bucket-`.length <= 37, base);
            assert.match(base, /^cfcn-[0-9a-f]{10}-[a-z0-9-]+$/);
        }
        const glob = (p: string) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
        // The same stack name in another project, and another stack of this project: no pattern of one matches the other's bucket.
        for (const [a, b] of [
            [stackBucketBase("cloudfront-china", "cn-north-1", "site"), stackBucketBase("other-project", "cn-north-1", "site")],
            [stackBucketBase("cloudfront-china", "cn-north-1", "site"), stackBucketBase("cloudfront-china", "staging", "site")],
        ]) {
            assert.equal(glob(`${a}-bucket-*`).test(`${b}-bucket-20270101000000000012ab34cd`), false, `${a} vs ${b}`);
            assert.equal(glob(`${a}-logs-*`).test(`${b}-logs-20270101000000000012ab34cd`), false);
        }
    });

    it("Route 53's normalized names: lower case, no trailing dot, other characters in octal", () => {
        assert.equal(normalizedRecordName("*.Example.CN."), "\\052.example.cn");
        assert.equal(normalizedRecordName("_acme-challenge.www.example.cn"), "_acme-challenge.www.example.cn");
    });

    it("the README's IAM permissions command, run as written: the stack's bootstrap policy on stdout, within one managed policy", () => {
        const section = fs
            .readFileSync(path.join(root, "README.md"), "utf8")
            .split(/^## IAM permissions$/m)[1]
            .split(/^## /m)[0];
        const commands = [...section.matchAll(/```bash\n([\s\S]*?)```/g)].flatMap((m) => m[1].split("\n")).filter((l) => l.trim());
        assert.deepEqual(commands, ["npm run --silent policy -- --stack cn-north-1 --account 123456789012 --bootstrap"]);
        const printed = execSync(commands[0], {
            cwd: root,
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
        });
        const doc = JSON.parse(printed) as PolicyDocument;
        assert.equal(
            statement(doc, "CertificatesUnderTheStackPath")!.Resource,
            "arn:aws-cn:iam::123456789012:server-certificate/cloudfront/cloudfront-china/cn-north-1/*",
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
            ["--stack", "adopt", "--config-file", file, "--account", "123456789012", "--bootstrap"],
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
        const before = await run(["--bootstrap"]);
        // Buckets to come by a pattern that carries the project and stack (no other stack's bucket matches).
        const first = stackBucketBase("cloudfront-china", "sites", "site");
        const blog = stackBucketBase("cloudfront-china", "sites", "site-blog");
        assert.deepEqual(statement(before.doc, "Buckets")!.Resource, [
            `arn:aws-cn:s3:::${first}-bucket-*`,
            `arn:aws-cn:s3:::${first}-logs-*`,
            `arn:aws-cn:s3:::${blog}-bucket-*`,
            `arn:aws-cn:s3:::${blog}-logs-*`,
        ]);
        assert.deepEqual(statement(before.doc, "SiteObjects")!.Resource, [
            `arn:aws-cn:s3:::${first}-bucket-*/*`,
            `arn:aws-cn:s3:::${blog}-bucket-*/*`,
        ]);
        assert.ok(statement(before.doc, "ReadDistributionsToCome"));
        assert.equal(statement(before.doc, "Distribution"), undefined);
        assert.match(before.notes, /bootstrap: for the person who runs the first `pulumi up`/);
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
        assert.equal(statement(after.doc, "ReadDistributionsToCome"), undefined, "every distribution known: each by id");
        assert.equal(statement(after.doc, "DistributionCreatedWithTheStackTag"), undefined, "steady state creates none");
        assert.deepEqual(after.doc.Statement.find((s) => s.Sid === "AccessLogsAreNeverErased")!.Resource, [
            "arn:aws-cn:s3:::site-logs-5d6e7f8/*",
            "arn:aws-cn:s3:::site-blog-logs-1f2e3d4/*",
        ]);
        const own = "arn:aws-cn:iam::123456789012:server-certificate/cloudfront/cloudfront-china/sites/*";
        assert.deepEqual(
            statement(after.doc, "CertificatesUnderTheStackPath")!.Resource,
            own,
            "no certificate outputs: the stack's path only",
        );

        // A stack deployed by an earlier version: its certificates are under /cloudfront/<stack>/<resource>/
        // and its outputs name none (no certificateArn): each site's resource path of then, until the
        // next `up` moves them (docs/migrate.md, "Certificate paths").
        const earlier = { certificateId: "ASCAFIRST", certificateRenewAfter: "2027-01-01T00:00:00.000Z" };
        const withCertificates = (first: object, blog: object) => {
            const outputs = JSON.parse(fs.readFileSync(outputsFile, "utf8")) as { sites: { blog: object } };
            fs.writeFileSync(outputsFile, JSON.stringify({ ...outputs, ...first, sites: { blog: { ...outputs.sites.blog, ...blog } } }));
        };
        withCertificates(earlier, { ...earlier, certificateId: "ASCABLOG" });
        assert.deepEqual(statement((await run(["--outputs-file", outputsFile])).doc, "CertificatesUnderTheStackPath")!.Resource, [
            own,
            "arn:aws-cn:iam::123456789012:server-certificate/cloudfront/sites/certificate/*",
            "arn:aws-cn:iam::123456789012:server-certificate/cloudfront/sites/site-blog-certificate/*",
        ]);
        // With certificateArn: the one still outside the stack's path by its exact ARN, the moved one not at all.
        const arn = (at: string) => `arn:aws-cn:iam::123456789012:server-certificate${at}www.example.cn-20270101T0000-0a1b2c3d`;
        withCertificates(
            { certificateArn: arn("/cloudfront/sites/certificate/") },
            { certificateArn: arn("/cloudfront/cloudfront-china/sites/site-blog-certificate/") },
        );
        assert.deepEqual(statement((await run(["--outputs-file", outputsFile])).doc, "CertificatesUnderTheStackPath")!.Resource, [
            own,
            arn("/cloudfront/sites/certificate/"),
        ]);
        // Every site's Origin Access Identity named in the outputs: the steady state reaches those only.
        const oai = (id: string) => `arn:aws-cn:cloudfront::123456789012:origin-access-identity/${id}`;
        assert.deepEqual(
            statement((await run(["--outputs-file", outputsFile])).doc, "OriginAccessIdentity")!.Resource,
            oai("*"),
            "not all named: every OAI",
        );
        withCertificates({ originAccessIdentityId: "E1OAIFIRST" }, { originAccessIdentityId: "E2OAIBLOG" });
        assert.deepEqual(statement((await run(["--outputs-file", outputsFile])).doc, "OriginAccessIdentity")!.Resource, [
            oai("E1OAIFIRST"),
            oai("E2OAIBLOG"),
        ]);
        assert.deepEqual(
            statement((await run(["--bootstrap", "--outputs-file", outputsFile])).doc, "OriginAccessIdentity")!.Resource,
            oai("*"),
            "a bootstrap policy makes OAIs: every one",
        );

        // An outputs file is whoever ran `pulumi up`'s: a wildcard in it is refused, never granted.
        withCertificates({ certificateArn: arn("/cloudfront/*/") }, {});
        const errors: string[] = [];
        assert.equal(
            await policy(
                ["--stack", "sites", "--config-file", file, "--account", "123456789012", "--outputs-file", outputsFile],
                root,
                () => undefined,
                (l) => errors.push(l),
            ),
            2,
        );
        assert.match(errors.join("\n"), /the certificate "\/cloudfront\/\*\/www[^"]*" is not an IAM server certificate's path and name/);
    });

    it("npm run policy -- --stack cn-north-1: the project's stack file, scoped to its zone and names; usage errors exit 2", async () => {
        const doc = await policyOf(["--stack", "cn-north-1", "--account", "123456789012", "--bootstrap"]);
        assert.equal(statement(doc, "HostedZones")!.Resource, "arn:aws-cn:route53:::hostedzone/Z0123456789EXAMPLE");
        assert.equal(
            statement(doc, "CertificatesUnderTheStackPath")!.Resource,
            "arn:aws-cn:iam::123456789012:server-certificate/cloudfront/cloudfront-china/cn-north-1/*",
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
        const refused = async (args: string[]) => {
            const lines: string[] = [];
            assert.equal(
                await policy(
                    args,
                    root,
                    () => undefined,
                    (l) => lines.push(l),
                ),
                2,
                args.join(" "),
            );
            assert.equal(lines.filter((l) => !l.startsWith("policy: bootstrap")).length, 1, `one line: ${lines.join("\n")}`);
            return lines[lines.length - 1];
        };
        // Steady state needs the ids: without the outputs it names both ways on.
        assert.match(
            await refused(["--stack", "cn-north-1", "--account", "123456789012"]),
            /the first site has none known: pass --outputs-file FILE .* or --bootstrap/,
        );
        // The outputs file is whoever ran `pulumi up`'s: each problem one line, before anything is printed.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cfcn-outputs-bad-"));
        const outputsFile = (content: string) => {
            const f = path.join(dir, `o${fs.readdirSync(dir).length}.json`);
            fs.writeFileSync(f, content);
            return f;
        };
        const withOutputs = (f: string) => ["--stack", "cn-north-1", "--account", "123456789012", "--outputs-file", f];
        assert.match(await refused(withOutputs(path.join(dir, "missing.json"))), /--outputs-file .*missing\.json: no such file/);
        assert.match(await refused(withOutputs(outputsFile("not json"))), /not JSON .*pulumi stack output --json/);
        assert.match(await refused(withOutputs(outputsFile("null"))), /not the outputs of a stack/);
        assert.match(
            await refused(
                withOutputs(outputsFile(JSON.stringify({ bucketName: "*", logBucketName: "site-logs-x1", distributionId: "E1" }))),
            ),
            /bucketName "\*" is not an S3 bucket name: refused/,
        );
        assert.match(
            await refused(withOutputs(outputsFile(JSON.stringify({ bucketName: "site-bucket-a1", distributionId: "E*" })))),
            /distributionId "E\*" is not a CloudFront distribution id/,
        );
        assert.match(
            await refused(withOutputs(outputsFile(JSON.stringify({ bucketName: "site-bucket-a1", distributionId: 7 })))),
            /distributionId is not a string/,
        );
        assert.match(await refused(["--stack", "prod*", "--bootstrap"]), /--stack "prod\*" is not a stack name/);
        assert.match(
            await refused(["--stack", "cn-north-1", "--bootstrap", "--zone-id", "Z*"]),
            /--zone-id "Z\*" is not a Route 53 hosted zone id/,
        );
        assert.match(
            await refused(["--stack", "cn-north-1", "--bootstrap", "--record-name", "a b"]),
            /--record-name "a b" is not a DNS name/,
        );
    });
});
