/**
 * The site folder, read once per program run: listed, hashed and checked in one pass, then shared by
 * the config reader, ChinaCdn and SiteContent. The provider reads the folder again in its own
 * process when it uploads (the bytes it sends must be the ones it hashes). A run is one resource
 * monitor: the CLI's, or a new one per `setMocks` (unit tests, the offline plan); outside a run
 * nothing is kept.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ContentOptions, ManifestEntry, SkippedEntry, manifestProblems, siteManifest } from "../core/content";
import { contentDirProblems } from "../core/validation";

const runs = new WeakMap<object, Map<string, { manifest: ManifestEntry[]; skipped: SkippedEntry[] }>>();

/** The folder read once per run: its manifest, and what was not published (reported once). */
function readOnce(dir: string, options: ContentOptions): { manifest: ManifestEntry[]; skipped: SkippedEntry[] } {
    const monitor = pulumi.runtime.getMonitor();
    const key = `${path.resolve(dir)}\n${options.hashedNamePattern ?? ""}`;
    const read = () => {
        const skipped: SkippedEntry[] = [];
        const manifest = siteManifest(path.resolve(dir), options, skipped);
        if (skipped.length > 0 && monitor) {
            // Said once per run: a file the user expects online that is not published is a surprise otherwise.
            const shown = skipped.slice(0, 10).map((s) => `${s.path} (${s.why})`);
            void pulumi.log.info(
                `contentDir "${dir}": ${skipped.length} entr${skipped.length === 1 ? "y" : "ies"} not published: ${shown.join(", ")}` +
                    (skipped.length > shown.length ? `, and ${skipped.length - shown.length} more` : ""),
            );
        }
        return { manifest, skipped };
    };
    if (!monitor) {
        return read();
    }
    let reads = runs.get(monitor);
    if (!reads) {
        reads = new Map();
        runs.set(monitor, reads);
    }
    let entry = reads.get(key);
    if (!entry) {
        entry = read();
        reads.set(key, entry);
    }
    return entry;
}

/** The manifest of `dir` (keys, headers, MD5, sizes), read at most once per run. */
export function siteFolder(dir: string, options: ContentOptions = {}): ManifestEntry[] {
    return readOnce(dir, options).manifest;
}

/** What was not published from `dir` and why (dotfiles, links out of the folder). */
export function siteFolderSkipped(dir: string, options: ContentOptions = {}): SkippedEntry[] {
    return readOnce(dir, options).skipped;
}

/** What stops `dir` from being deployed (missing, not a folder, empty, a file S3 or CloudFront cannot take), named by `setting`. */
export function siteFolderProblems(dir: string, setting: string, options: ContentOptions = {}): string[] {
    const problems = contentDirProblems(dir, setting);
    return problems.length > 0 ? problems : manifestProblems(siteFolder(dir, options), dir, setting);
}
