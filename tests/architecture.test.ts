/**
 * The layout by role (docs/architecture.md): every import points down the layers, no module imports
 * itself back through others, and the bottom layer stays free of Pulumi and of the network.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const root = path.resolve(__dirname, "..");

/** Lower rank = lower layer. A module may import its own layer and the ones below, never above. */
export const LAYERS: Record<string, number> = {
    core: 0,
    aws: 1,
    watch: 1,
    dns: 2,
    acme: 3,
    config: 4,
    providers: 5,
    components: 6,
    scripts: 7,
    ".": 7,
};

function layerOf(file: string): string {
    const rel = path.relative(root, file);
    return rel.includes(path.sep) ? rel.split(path.sep)[0] : ".";
}

function sourceFiles(): string[] {
    const top = ["index.ts", "lib.ts", "plugin.ts"].map((f) => path.join(root, f));
    const folders = Object.keys(LAYERS).filter((l) => l !== ".");
    return [
        ...top,
        ...folders.flatMap((d) =>
            fs
                .readdirSync(path.join(root, d))
                .filter((f) => f.endsWith(".ts"))
                .map((f) => path.join(root, d, f)),
        ),
    ];
}

/** Relative modules a file loads: static imports and re-exports, `import()` and `require()`. */
export function relativeImports(file: string): string[] {
    const text = fs.readFileSync(file, "utf8");
    const specs = [...text.matchAll(/(?:from\s+|import\s+|import\(\s*|require\(\s*)"(\.{1,2}\/[^"]+)"/g)].map((m) => m[1]);
    return specs.map((s) => path.resolve(path.dirname(file), s) + ".ts").filter((f) => fs.existsSync(f));
}

describe("architecture: layers by role", () => {
    const files = sourceFiles();

    it("every source folder is a layer (a new folder must be placed)", () => {
        const folders = fs
            .readdirSync(root, { withFileTypes: true })
            .filter((d) => d.isDirectory() && fs.readdirSync(path.join(root, d.name)).some((f) => f.endsWith(".ts")))
            .map((d) => d.name)
            .filter((d) => !["tests", "templates", "policy", "node_modules", "dist", "bin"].includes(d));
        assert.deepEqual(
            folders.sort(),
            Object.keys(LAYERS)
                .filter((l) => l !== ".")
                .sort(),
        );
    });

    it("imports only point down", () => {
        const upward: string[] = [];
        for (const file of files) {
            for (const target of relativeImports(file)) {
                if (LAYERS[layerOf(target)] > LAYERS[layerOf(file)]) {
                    upward.push(`${path.relative(root, file)} → ${path.relative(root, target)}`);
                }
            }
        }
        assert.deepEqual(upward, []);
    });

    it("no circular imports", () => {
        const graph = new Map(files.map((f) => [f, relativeImports(f)]));
        const cycles: string[] = [];
        const state = new Map<string, "open" | "done">();
        const visit = (f: string, trail: string[]) => {
            if (state.get(f) === "done") {
                return;
            }
            if (state.get(f) === "open") {
                cycles.push([...trail.slice(trail.indexOf(f)), f].map((x) => path.relative(root, x)).join(" → "));
                return;
            }
            state.set(f, "open");
            for (const next of graph.get(f) ?? []) {
                visit(next, [...trail, f]);
            }
            state.set(f, "done");
        };
        files.forEach((f) => visit(f, []));
        assert.deepEqual(cycles, []);
    });

    it("core/ has no Pulumi and no network (node built-ins, mime and tldts: data only)", () => {
        for (const file of files.filter((f) => layerOf(f) === "core")) {
            const text = fs.readFileSync(file, "utf8");
            const modules = [...text.matchAll(/(?:from\s+|import\s+|require\(\s*)"([^".][^"]*)"/g)].map((m) => m[1]);
            // mime: the types table; tldts: the Public Suffix List (registered domains, core/caLimits.ts).
            const allowed = ["node:fs", "node:path", "node:url", "node:crypto", "mime", "tldts"];
            assert.deepEqual(
                modules.filter((m) => !allowed.includes(m)),
                [],
                `${path.relative(root, file)} loads only ${allowed.join(", ")}`,
            );
            assert.doesNotMatch(text, /\bfetch\(/, `${path.relative(root, file)} makes no request`);
        }
    });

    it("the order and the challenge plan reach DNS only through the DNS-host interface", () => {
        for (const file of files.filter((f) => layerOf(f) === "acme")) {
            const imports = relativeImports(file).map((f) => path.relative(root, f));
            assert.deepEqual(
                imports.filter((f) => f.startsWith("aws")),
                [],
                `${path.relative(root, file)} calls no AWS adapter (Route 53 is behind dns/route53.ts)`,
            );
        }
    });

    it("components/ holds ComponentResources only, providers/ dynamic resources only", () => {
        for (const file of files.filter((f) => layerOf(f) === "components")) {
            assert.match(fs.readFileSync(file, "utf8"), /extends pulumi\.ComponentResource/, path.relative(root, file));
        }
        // CachedDynamicResource (providers/dynamicResource.ts) is pulumi.dynamic.Resource with its
        // provider's serialization kept between runs; the file that defines it holds no other class.
        for (const file of files.filter((f) => layerOf(f) === "providers")) {
            const source = fs.readFileSync(file, "utf8");
            const base = path.basename(file) === "dynamicResource.ts" ? /extends pulumi\.CustomResource/ : /extends CachedDynamicResource/;
            assert.match(source, base, path.relative(root, file));
            assert.equal(source.match(/^export (abstract )?class /gm)?.length, 1, `${path.relative(root, file)}: one resource class`);
        }
    });

    it("the package pins every runtime dependency exactly: its users install what the suite tested", () => {
        const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { dependencies: Record<string, string> };
        const floating = Object.entries(manifest.dependencies).filter(([, range]) => !/^\d+\.\d+\.\d+$/.test(range));
        assert.deepEqual(floating, []);
    });
});
