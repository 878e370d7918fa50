/**
 * The bench cannot silently break: every part of `npm run bench` runs once here, at its smallest
 * size, with the arguments a user would give. Not timed and not judged (speed goals live in the
 * bench's own output, docs/benchmark.md): each part must run to its end, print its table and write
 * its result file. The comparison clients (certbot, lego) are Debian packages that `npm run bench`
 * installs with apt; the suite installs nothing outside .tools/, so their columns run only there.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { runNode } from "./support/peers";

const root = path.resolve(__dirname, "..");
const results = path.join(root, ".tools", "bench");
// Each part writes its own file: removed first, so an old one never passes for a new run.
const fresh = (file: string) => fs.rmSync(path.join(results, file), { force: true });

/** `npm run bench -- <args>` without its install step (the suite's own setup installed the peers). */
async function bench(...args: string[]): Promise<string> {
    const r = await runNode(["-r", "ts-node/register/transpile-only", "tests/bench/bench.ts", ...args], {}, 600_000);
    assert.equal(r.status, 0, `npm run bench -- ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
}

const written = (file: string) => JSON.parse(fs.readFileSync(path.join(results, file), "utf8")) as Record<string, unknown>;

describe("npm run bench: every part runs to its end once, at its smallest size", function () {
    this.timeout(900_000);

    it("issuance (ours and the raw ACME floor, 1 name) and the live check (1, 10 and 50 aliases, each its own distribution)", async () => {
        fresh("result.json");
        const out = await bench("--runs", "1", "--sizes", "1", "--tools", "floor,dns-01,delegated,persist");
        assert.match(out, /Live check \(npm run status \/ the watch\)/);
        assert.match(out, /Goals: /);
        const result = written("result.json");
        assert.deepEqual(Object.keys(result.results as object).sort(), ["delegated", "dns-01", "floor", "persist"]);
    });

    it("--only program: the project's program, an empty one and one of one aws and one dynamic resource under the CLI", async () => {
        fresh("program.json");
        const out = await bench("--only", "program", "--runs", "1", "--program-sites", "1,2");
        assert.ok(out.trim().length > 0, "a table");
        const result = JSON.parse(fs.readFileSync(path.join(results, "program.json"), "utf8")) as {
            empty: { preview: unknown[] };
            minimal: { preview: unknown[] };
            program: Array<{ sites: number }>;
            overMinimal: Record<string, number>;
        };
        assert.equal(result.minimal.preview.length, 1, "the program of one aws and one dynamic resource ran");
        assert.deepEqual(
            result.program.map((p) => p.sites),
            [1, 2],
        );
        assert.ok(Object.keys(result.overMinimal).length > 0, "the ratios against it");
    });

    it("--only fallback: a dead first CA with two issuers", async () => {
        fresh("fallback.json");
        const out = await bench("--only", "fallback", "--runs", "1");
        assert.ok(out.trim().length > 0, "a table");
        assert.ok(fs.existsSync(path.join(results, "fallback.json")));
    });

    it("--only content: site content at its smallest size", async () => {
        fresh("content.json");
        const out = await bench("--only", "content", "--content-sizes", "50");
        assert.ok(out.trim().length > 0, "a table");
        assert.ok(fs.existsSync(path.join(results, "content.json")));
    });
});
