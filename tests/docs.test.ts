/**
 * The README and docs/ link to each other and to files of the repository: every relative link must
 * reach a file that exists and, with a #fragment, a heading of that file (sections move between the
 * README and docs/; a dead link once pointed PulumiPlugin.yaml's readers at a section that did not exist).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const root = path.resolve(__dirname, "..");

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
    return new Set(
        [...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
            m[1]
                .trim()
                .toLowerCase()
                .replace(/[^\p{L}\p{N} _-]/gu, "")
                .replace(/ /g, "-"),
        ),
    );
}

describe("documentation links", () => {
    const pages = [
        "README.md",
        ...fs
            .readdirSync(path.join(root, "docs"))
            .filter((f) => f.endsWith(".md"))
            .map((f) => `docs/${f}`),
    ];

    it("every relative link of the README and docs/ reaches a file, and a heading when it names one", () => {
        const dead: string[] = [];
        for (const page of pages) {
            const text = fs.readFileSync(path.join(root, page), "utf8").replace(/```[\s\S]*?```/g, "");
            for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
                if (/^[a-z]+:/i.test(target)) {
                    continue; // https:, mailto:
                }
                const [file, fragment] = target.split("#");
                const resolved = file ? path.resolve(path.dirname(path.join(root, page)), file) : path.join(root, page);
                if (!fs.existsSync(resolved)) {
                    dead.push(`${page}: ${target} (no such file)`);
                } else if (fragment && resolved.endsWith(".md") && !anchors(fs.readFileSync(resolved, "utf8")).has(fragment)) {
                    dead.push(`${page}: ${target} (no such heading)`);
                }
            }
        }
        assert.deepEqual(dead, []);
    });

    it("files that point readers at a document name one that exists", () => {
        const pointer = /docs\/[\w.-]+\.(?:md|json)/g;
        for (const file of [
            "PulumiPlugin.yaml",
            "Pulumi.yaml",
            "Pulumi.cn-north-1.yaml",
            ".github/workflows/renew.yml",
            ".github/workflows/plan.yml",
        ]) {
            for (const [doc] of fs.readFileSync(path.join(root, file), "utf8").matchAll(pointer)) {
                assert.ok(fs.existsSync(path.join(root, doc)), `${file} names ${doc}`);
            }
        }
    });
});
