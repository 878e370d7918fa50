import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { PolicyDocument } from "../../core/iamPolicy";
import { policy } from "../../scripts/policy";

/** The policy `npm run policy -- …args` prints for this repository's stacks. */
export async function policyOf(args: string[]): Promise<PolicyDocument> {
    const out: string[] = [];
    const err: string[] = [];
    assert.equal(
        await policy(
            args,
            path.resolve(__dirname, "..", ".."),
            (l) => out.push(l),
            (l) => err.push(l),
        ),
        0,
        err.join("\n"),
    );
    return JSON.parse(out.join("\n")) as PolicyDocument;
}

/**
 * The shipped "any stack" policy (docs/iam-policy/, written by `npm run policy -- --any-stack
 * [--no-route53] --out-dir docs/iam-policy` as managed policies within IAM's size quota), its parts'
 * statements together: what an identity holding all of them may do.
 */
export function shippedAnyStackPolicy(route53 = true): PolicyDocument {
    const dir = path.resolve(__dirname, "..", "..", "docs", "iam-policy");
    const prefix = route53 ? "cloudfront-china-any-stack-" : "cloudfront-china-any-stack-dns-persist-";
    const parts = fs
        .readdirSync(dir)
        .filter((f) => f.startsWith(prefix) && /^\d+\.json$/.test(f.slice(prefix.length)))
        .sort();
    assert.ok(parts.length > 0, `no ${prefix}N.json in docs/iam-policy`);
    return {
        Version: "2012-10-17",
        Statement: parts.flatMap((f) => (JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as PolicyDocument).Statement),
    };
}
