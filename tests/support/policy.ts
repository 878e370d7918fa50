import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
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

/** A stack file with `n` sites and every option, and its `pulumi stack output --json` once deployed. */
export function sitesStack(n: number): { file: string; outputsFile: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cfcn-policy-${n}-sites-`));
    const suffix = (i: number, k: string) => `${k}${i.toString(36).padStart(6, "0")}`;
    const lines = [
        "config:",
        "  aws:region: cn-north-1",
        "  cloudfront-china:domains: [www.example.cn, example.cn]",
        "  cloudfront-china:hostedZoneId: Z0123456789EXAMPLE",
        `  cloudfront-china:contentDir: ${path.resolve(__dirname, "..", "..", "site")}`,
        "  cloudfront-china:logging: true",
        "  cloudfront-china:versioning: true",
        "  cloudfront-china:destroyBuckets: true",
        "  cloudfront-china:watch:",
        "    emails: [ops@example.cn]",
        ...(n > 1 ? ["  cloudfront-china:sites:"] : []),
    ];
    const outputs = {
        bucketName: "site-bucket-1a2b3c4",
        logBucketName: "site-logs-5d6e7f8",
        distributionId: "E1EXAMPLE0FIRST",
        sites: {} as Record<string, Record<string, string>>,
    };
    for (let i = 1; i < n; i++) {
        lines.push(
            `    - name: s${i}`,
            `      domains: [www.site${i}.example.cn, site${i}.example.cn]`,
            "      hostedZoneId: Z0123456789EXAMPLE",
            `      contentDir: ${path.resolve(__dirname, "..", "..", "site")}`,
        );
        outputs.sites[`s${i}`] = {
            bucketName: `site-s${i}-bucket-${suffix(i, "b")}`,
            logBucketName: `site-s${i}-logs-${suffix(i, "l")}`,
            distributionId: `E${suffix(i, "D").toUpperCase()}0EXAMPLE`,
        };
    }
    const file = path.join(dir, `Pulumi.sites${n}.yaml`);
    fs.writeFileSync(file, lines.join("\n") + "\n");
    const outputsFile = path.join(dir, "outputs.json");
    fs.writeFileSync(outputsFile, JSON.stringify(outputs));
    return { file, outputsFile };
}
