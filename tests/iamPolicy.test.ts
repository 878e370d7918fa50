/**
 * docs/iam-policy/ (the any-stack policy) against what pulumi-aws does for this program: docs/iam-actions.json lists, per
 * resource type and data source, the API calls terraform-provider-aws (which pulumi-aws wraps) makes
 * on create/read/update/delete and the IAM action each needs. These tests run the program under every
 * option, check that every type it registers is in that table (and no row is stale), and that the
 * policy allows every row on the ARN the resource gets. The certificate providers' own calls are
 * recorded against moto instead (tests/iamAcmeCertificate.test.ts, "docs/iam-policy/").
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { runProgramUnderMocks } from "./support/pulumi";
import { shippedAnyStackPolicy } from "./support/policy";

type Row = [call: string, action: string, resource?: string];
interface TypeEntry {
    terraform: string;
    source: string;
    arn?: string;
    create?: Row[];
    read?: Row[];
    update?: Row[];
    delete?: Row[];
}
interface ActionTable {
    resources: Record<string, TypeEntry>;
    functions: Record<string, TypeEntry>;
    notAws: { typePrefixes: string[] };
}
interface Policy {
    Statement: Array<{ Effect: string; Action: string[]; Resource: string | string[]; Condition?: unknown }>;
}

const docs = path.join(__dirname, "..", "docs");
const table = JSON.parse(fs.readFileSync(path.join(docs, "iam-actions.json"), "utf8")) as ActionTable;
const policy = shippedAnyStackPolicy() as Policy;

/** IAM's wildcard match (`*` any run of characters), case-sensitive as ARNs are. */
const glob = (pattern: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);

const matches = (s: Policy["Statement"][number], action: string, arn: string) =>
    s.Action.some((a) => glob(a).test(action)) && [s.Resource].flat().some((r) => glob(r).test(arn));

/**
 * Whether the policy allows `action` on `arn`: an Allow matches and no Deny does (IAM's evaluation;
 * conditions are taken as met, as the program's own requests meet them: the boundary, Lambda as the
 * service, the stack's record names).
 */
const allows = (p: Policy, action: string, arn: string) =>
    p.Statement.some((s) => s.Effect === "Allow" && matches(s, action, arn)) &&
    !p.Statement.some((s) => s.Effect === "Deny" && matches(s, action, arn));

// Actions that need no IAM permission (the STS docs: GetCallerIdentity works even when explicitly denied).
const NEEDS_NO_PERMISSION = new Set(["sts:GetCallerIdentity"]);

/** Every row of the table that `p` does not allow, as "type op: call → action on arn". */
function notAllowed(p: Policy): string[] {
    const entries = [...Object.entries(table.resources), ...Object.entries(table.functions)];
    return entries.flatMap(([type, entry]) =>
        (["create", "read", "update", "delete"] as const).flatMap((op) =>
            (entry[op] ?? [])
                .filter(([, action]) => !NEEDS_NO_PERMISSION.has(action))
                .map(([call, action, resource]) => ({ call, action, arn: resource ?? entry.arn ?? "*" }))
                .filter(({ action, arn }) => !allows(p, action, arn))
                .map(({ call, action, arn }) => `${type} ${op}: ${call} → ${action} on ${arn}`),
        ),
    );
}

const everyOption = {
    "aws:region": "cn-north-1",
    "cloudfront-china:domains": ["www.shop.example.cn", "*.example.cn", "example.cn"],
    "cloudfront-china:hostedZoneId": "Z0123456789EXAMPLE",
    "cloudfront-china:challenge": "dns-persist-01",
    "cloudfront-china:contentDir": path.join(__dirname, "..", "site"),
    "cloudfront-china:logging": true,
    "cloudfront-china:versioning": true,
    "cloudfront-china:destroyBuckets": true,
    "cloudfront-china:tags": { team: "web" },
    "cloudfront-china:watch": { emails: ["ops@example.cn"] },
    "cloudfront-china:deployments": {
        repoUrl: "https://github.com/acme/site.git",
        awsAccessKeyId: "AKIAEXAMPLEEXAMPLE01",
        awsSecretAccessKey: "example-secret-access-key",
    },
};

describe("docs/iam-policy/ covers what pulumi-aws does (docs/iam-actions.json)", () => {
    after(() => pulumi.runtime.setAllConfig({}, []));

    it("every resource type and data source the program registers, under every option, is in the table, and every row is still used", async () => {
        const runs = [
            await runProgramUnderMocks(everyOption, { secretKeys: ["cloudfront-china:deployments"] }),
            // The other branch: an existing certificate, no zone, no options.
            await runProgramUnderMocks({
                "aws:region": "cn-north-1",
                "cloudfront-china:domains": ["www.example.cn"],
                "cloudfront-china:iamCertificateId": "ASCAEXAMPLE0123456789",
            }),
        ];
        const isComponent = (type: string) => type.startsWith("cloudfront-china:");
        const isNotAws = (type: string) => table.notAws.typePrefixes.some((prefix) => type.startsWith(prefix));
        const registered = new Set(
            runs.flatMap((r) => r.mocks.registrations.map((reg) => reg.type)).filter((t) => !isComponent(t) && !isNotAws(t)),
        );
        const invoked = new Set(runs.flatMap((r) => r.mocks.calls.map((c) => c.token)));
        assert.deepEqual([...registered].filter((t) => !(t in table.resources)).sort(), [], "registered but not in the table");
        assert.deepEqual([...invoked].filter((t) => !(t in table.functions)).sort(), [], "invoked but not in the table");
        assert.deepEqual(
            Object.keys(table.resources)
                .filter((t) => !registered.has(t))
                .sort(),
            [],
            "in the table but never registered",
        );
        assert.deepEqual(
            Object.keys(table.functions)
                .filter((t) => !invoked.has(t))
                .sort(),
            [],
            "in the table but never invoked",
        );
        assert.ok(registered.size >= 20, `every option on registers the watch and content types too: ${[...registered].join(", ")}`);
    });

    it("every row has its source file, and every resource its four operations", () => {
        for (const [type, entry] of Object.entries(table.resources)) {
            assert.match(entry.source, /^internal\/service\/[a-z0-9]+\/[a-z0-9_]+\.go$/, type);
            assert.match(entry.arn ?? "", /^arn:aws-cn:/, `${type}: an aws-cn ARN to check the policy's resources against`);
            for (const op of ["create", "read", "update", "delete"] as const) {
                assert.ok(Array.isArray(entry[op]), `${type} ${op}`);
            }
            assert.ok((entry.create ?? []).length > 0 && (entry.delete ?? []).length > 0, type);
        }
    });

    it("the policy allows every call in the table on the resource's ARN", () => {
        assert.deepEqual(notAllowed(policy), []);
    });

    it("a policy missing one needed action is caught, with the call that needs it", () => {
        const without = (action: string): Policy => ({
            Statement: policy.Statement.map((s) => ({ ...s, Action: s.Action.filter((a) => a !== action) })),
        });
        assert.deepEqual(notAllowed(without("s3:PutLifecycleConfiguration")), [
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration create: PutBucketLifecycleConfiguration → s3:PutLifecycleConfiguration on arn:aws-cn:s3:::site-logs-1a2b3c4",
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration update: PutBucketLifecycleConfiguration → s3:PutLifecycleConfiguration on arn:aws-cn:s3:::site-logs-1a2b3c4",
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration delete: DeleteBucketLifecycle → s3:PutLifecycleConfiguration on arn:aws-cn:s3:::site-logs-1a2b3c4",
        ]);
        assert.ok(
            notAllowed(without("route53:ListTagsForResource")).some((m) => m.startsWith("aws:route53/getZone:getZone read")),
            "getZone reads the zone's tags",
        );
        assert.ok(
            notAllowed(without("s3:DeleteObjectVersion")).some((m) => m.startsWith("aws:s3/bucket:Bucket delete")),
            "destroyBuckets empties versioned buckets",
        );
    });
});
