/**
 * Site content at scale, for `npm run bench -- --only content`: a generated site of 2,000 and
 * 20,000 files. Per size: the program's time and peak memory (a fresh process under the offline
 * mocks, as a preview evaluates it), the first upload, an unchanged deploy (program + diff + update:
 * zero writes), and a 10-file change, against moto's S3 and CloudFront through the fault proxy;
 * the per-file resources this project used before, at 2,000 files, for comparison. Goals: an
 * unchanged 20,000-file deploy under 5 s of program time and 300 MB; a change costing what changed.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { siteManifest } from "../../core/content";
import { SiteContentOutputs, siteContentProvider } from "../../providers/siteContent";
import { contentCalls, contentInputs, createContentTarget } from "../support/content";
import { FaultProxy, Moto } from "../support/peers";

const root = path.resolve(__dirname, "..", "..");

export interface ContentSizeResult {
    files: number;
    objects: number;
    program: { seconds: number; peakRssMb: number; registrations: number };
    perFileProgram?: { seconds: number; peakRssMb: number; registrations: number };
    firstUpload: { seconds: number; puts: number };
    unchanged: { programSeconds: number; diffSeconds: number; updateSeconds: number; writes: number };
    tenChanged: { seconds: number; puts: number; deletes: number; invalidations: number; paths: number };
}

/** A site like a static generator's output: pages in nested folders with index.html, CSS, hashed JS and images. */
export function generateSite(dir: string, files: number): void {
    fs.rmSync(dir, { recursive: true, force: true });
    for (let i = 0; i < files; i++) {
        const section = `section-${i % 40}/part-${Math.floor(i / 40) % 25}`;
        const kind = i % 5;
        const rel =
            kind === 0
                ? `${section}/page-${i}/index.html`
                : kind === 1
                  ? `${section}/page-${i}.html`
                  : kind === 2
                    ? `assets/app-${i}.${(i * 2654435761).toString(16).padStart(8, "0").slice(0, 8)}.js`
                    : kind === 3
                      ? `${section}/style-${i}.css`
                      : `${section}/image-${i}.svg`;
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), `/* ${rel} */ ${"x".repeat(1500 + (i % 1000))}`);
    }
}

function program(mode: "sync" | "per-file", dir: string): Promise<{ seconds: number; peakRssMb: number; registrations: number }> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "tests/bench/contentProgramDriver.ts", mode, dir], {
            cwd: root,
            env: { ...process.env, PULUMI_CONFIG: JSON.stringify({ "aws:region": "cn-north-1" }) },
        });
        let out = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (out += d.toString()));
        child.on("close", (code) => {
            const last = out.trim().split("\n").pop() ?? "";
            if (code === 0) {
                resolve(JSON.parse(last));
            } else {
                reject(new Error(`content program driver (${mode}) failed:\n${out}`));
            }
        });
    });
}

const seconds = async (fn: () => Promise<unknown>) => {
    const started = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - started) / 1e9;
};

export async function benchContent(context: {
    moto: Moto;
    proxy: FaultProxy;
    work: string;
    sizes: number[];
}): Promise<ContentSizeResult[]> {
    const { moto, proxy, work } = context;
    const results: ContentSizeResult[] = [];
    for (const files of context.sizes) {
        const dir = path.join(work, `site-${files}`);
        generateSite(dir, files);
        const target = await createContentTarget(moto.url, `bench-${files}`);
        const bucket = target.bucket;
        const prog = await program("sync", dir);
        const perFileProgram = files <= 2000 ? await program("per-file", dir) : undefined;
        const inputs = () => contentInputs(dir, target);
        const writes = (from: number) => {
            const calls = contentCalls(proxy.seen.slice(from), bucket);
            return calls.puts.length + calls.deletes;
        };
        let from = proxy.seen.length;
        let outs: SiteContentOutputs | undefined;
        const firstSeconds = await seconds(async () => (outs = (await siteContentProvider.create!(inputs())).outs as SiteContentOutputs));
        const firstPuts = writes(from);
        // Unchanged: what a scheduled `pulumi up` pays for content.
        const again = await program("sync", dir);
        const news = inputs();
        const diffSeconds = await seconds(() => siteContentProvider.diff!(bucket, outs!, news));
        from = proxy.seen.length;
        const updateSeconds = await seconds(() => siteContentProvider.update!(bucket, outs!, news));
        const unchangedWrites = writes(from);
        // Ten files: 8 edited pages and styles, 1 added, 1 removed (an edited dir/index.html is two objects).
        const manifest = siteManifest(dir).filter((e) => !e.key.endsWith("/") && !e.key.startsWith("assets/"));
        if (manifest.length < 9) {
            throw new Error(`--content-sizes ${files}: the change step edits 8 pages and removes a 9th; give at least 50 files`);
        }
        manifest.slice(0, 8).forEach((e) => fs.appendFileSync(e.source, " /* edited */"));
        fs.writeFileSync(path.join(dir, "added.html"), "<h1>added</h1>");
        fs.rmSync(manifest[8].source);
        from = proxy.seen.length;
        let changed: SiteContentOutputs | undefined;
        const changeSeconds = await seconds(
            async () => (changed = (await siteContentProvider.update!(bucket, outs!, inputs())).outs as SiteContentOutputs),
        );
        const calls = contentCalls(proxy.seen.slice(from), bucket);
        results.push({
            files,
            objects: outs!.fileCount,
            program: prog,
            perFileProgram,
            firstUpload: { seconds: firstSeconds, puts: firstPuts },
            unchanged: { programSeconds: again.seconds, diffSeconds, updateSeconds, writes: unchangedWrites },
            tenChanged: {
                seconds: changeSeconds,
                puts: calls.puts.length,
                deletes: calls.deletes,
                invalidations: calls.invalidations,
                paths: changed!.invalidatedPaths,
            },
        });
    }
    return results;
}

export function printContent(results: ContentSizeResult[]): void {
    console.log("\nSite content (SiteContent: one resource), against moto through the proxy:");
    for (const r of results) {
        console.log(
            `  ${r.files} files (${r.objects} objects): program ${r.program.seconds.toFixed(2)} s, peak ${r.program.peakRssMb.toFixed(0)} MB, ${r.program.registrations} registrations` +
                (r.perFileProgram
                    ? ` | per-file resources: ${r.perFileProgram.seconds.toFixed(2)} s, ${r.perFileProgram.peakRssMb.toFixed(0)} MB, ${r.perFileProgram.registrations} registrations`
                    : ""),
        );
        console.log(
            `    first upload ${r.firstUpload.seconds.toFixed(2)} s (${r.firstUpload.puts} PUTs); unchanged: program ${r.unchanged.programSeconds.toFixed(2)} s + diff ${(r.unchanged.diffSeconds * 1000).toFixed(2)} ms + update ${r.unchanged.updateSeconds.toFixed(2)} s, ${r.unchanged.writes} writes; ` +
                `10 changed: ${r.tenChanged.seconds.toFixed(2)} s, ${r.tenChanged.puts} PUTs, ${r.tenChanged.deletes} delete call, ${r.tenChanged.invalidations} invalidation of ${r.tenChanged.paths} paths`,
        );
    }
    const big = results.find((r) => r.files >= 20000);
    if (big) {
        console.log(
            `  Goals (20,000 files): unchanged program under 5 s: ${big.unchanged.programSeconds < 5}; under 300 MB: ${big.program.peakRssMb < 300}; ` +
                `a change pays for what changed: ${big.tenChanged.puts <= 20 && big.unchanged.writes === 0}`,
        );
    }
}
