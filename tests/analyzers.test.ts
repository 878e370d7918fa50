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
import { PolicyDocument } from "../core/iamPolicy";
import { policyOf } from "./support/policy";

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
function cloudsplaining(doc: PolicyDocument): string[] {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cloudsplaining-")), "policy.json");
    fs.writeFileSync(file, JSON.stringify(doc));
    const script = [
        "import json, sys",
        "from cloudsplaining.scan.policy_document import PolicyDocument",
        "doc = PolicyDocument(json.load(open(sys.argv[1])))",
        "print(json.dumps({'PrivilegeEscalation': doc.allows_privilege_escalation,",
        "  'ResourceExposure': doc.permissions_management_without_constraints,",
        "  'DataExfiltration': doc.allows_data_exfiltration_actions,",
        "  'InfrastructureModification': doc.infrastructure_modification}))",
    ].join("\n");
    const r = spawnSync(python, ["-c", script, file], { encoding: "utf8" });
    assert.equal(r.error, undefined, "cloudsplaining is installed by tests/peers/install.sh");
    assert.equal(r.status, 0, r.stderr);
    const found = JSON.parse(r.stdout) as Record<string, unknown[]>;
    return Object.entries(found).flatMap(([risk, items]) => items.map((i) => `${risk}: ${JSON.stringify(i)}`));
}

describe("the IAM policies under parliament and cloudsplaining", () => {
    const policies: Array<[string, () => Promise<PolicyDocument>]> = [
        ["docs/iam-policy.json", async () => read("iam-policy.json")],
        ["docs/iam-policy-dns-persist.json", async () => read("iam-policy-dns-persist.json")],
        ["docs/iam-watch-boundary.json", async () => read("iam-watch-boundary.json")],
        ["npm run policy -- --stack cn-north-1", () => policyOf(["--stack", "cn-north-1", "--account", "123456789012"])],
    ];
    for (const [name, load] of policies) {
        it(`${name}: no parliament finding, no cloudsplaining risk`, async () => {
            const doc = await load();
            assert.deepEqual(parliament(doc), []);
            assert.deepEqual(cloudsplaining(doc), []);
        });
    }

    it("both see the escalation the boundary closes: role writes without the condition, on any role", () => {
        const shipped = read("iam-policy.json");
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
