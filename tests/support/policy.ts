import * as assert from "node:assert/strict";
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
