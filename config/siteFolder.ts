/**
 * The site folder, read once per program run: listed, hashed and checked in one pass, then shared by
 * the config reader, ChinaCdn and SiteContent. The provider reads the folder again in its own
 * process when it uploads (the bytes it sends must be the ones it hashes). A run is one resource
 * monitor: the CLI's, or a new one per `setMocks` (unit tests, the offline plan); outside a run
 * nothing is kept.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ManifestEntry, manifestProblems, siteManifest } from "../core/content";
import { contentDirProblems } from "../core/validation";

const runs = new WeakMap<object, Map<string, ManifestEntry[]>>();

/** The manifest of `dir` (keys, headers, MD5, sizes), read at most once per run. */
export function siteFolder(dir: string): ManifestEntry[] {
    const monitor = pulumi.runtime.getMonitor();
    const key = path.resolve(dir);
    if (!monitor) {
        return siteManifest(key);
    }
    let read = runs.get(monitor);
    if (!read) {
        read = new Map();
        runs.set(monitor, read);
    }
    let manifest = read.get(key);
    if (!manifest) {
        manifest = siteManifest(key);
        read.set(key, manifest);
    }
    return manifest;
}

/** What stops `dir` from being deployed (missing, not a folder, empty, a file S3 or CloudFront cannot take), named by `setting`. */
export function siteFolderProblems(dir: string, setting: string): string[] {
    const problems = contentDirProblems(dir, setting);
    return problems.length > 0 ? problems : manifestProblems(siteFolder(dir), dir, setting);
}
