/**
 * The shipped IAM policies through parliament (installed into .tools/analyzers by the test setup):
 * nothing at MEDIUM or above. The workflows go through zizmor in tests/workflows.test.ts.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const root = path.resolve(__dirname, "..");

/** parliament's findings of a policy file, as "SEVERITY ISSUE" (its CLI refuses to run without a terminal, so its API). */
function parliament(file: string): string[] {
    const script = [
        "import json, sys",
        "from parliament import analyze_policy_string, enhance_finding",
        "policy = analyze_policy_string(open(sys.argv[1]).read())",
        "print(json.dumps([f'{enhance_finding(f).severity} {f.issue}' for f in policy.findings]))",
    ].join("\n");
    const r = spawnSync(path.join(root, ".tools", "analyzers", "bin", "python"), ["-c", script, path.join(root, file)], {
        encoding: "utf8",
    });
    assert.equal(r.error, undefined, "parliament is installed by tests/peers/install.sh");
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as string[];
}

describe("the shipped IAM policies under parliament", () => {
    for (const file of ["docs/iam-policy.json", "docs/iam-policy-dns-persist.json"]) {
        it(`${file}: nothing at MEDIUM or above`, () => {
            // Left, LOW: the Distribution statement's "Resource": "*" (CloudFront's distribution ids are
            // not known before create; scoping it per stack is issue 25's generated policy).
            assert.deepEqual(parliament(file), ["LOW RESOURCE_STAR"]);
        });
    }
});
