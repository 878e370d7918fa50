/**
 * What to upload from a local site folder: one entry per S3 object with its key, content type,
 * Cache-Control and content hash, and which paths a change must invalidate. Pure (reads the folder,
 * creates nothing), so the choices are unit-tested directly; the program and the SiteContent provider
 * (providers/siteContent.ts) both build the manifest here, so preview and deploy agree.
 *
 * The provider's code is serialized into the state: modules are `require`d inside the functions and
 * the constants are plain literals (Pulumi's function serialization, which captures values, not closures over modules: docs/architecture.md).
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside functions on purpose (serialization) */

export interface ContentFile {
    /** S3 object key: the path relative to the folder, with "/" separators. */
    key: string;
    /** Absolute path on disk. */
    source: string;
    contentType: string;
    cacheControl: string;
}

/** A file as the site serves it: its object, plus what tells a changed file from an unchanged one. */
export interface ManifestEntry extends ContentFile {
    /** MD5 of the content, hex: what S3 answers as the ETag of a single-PUT object (SSE-S3), so a refresh can compare. */
    md5: string;
    size: number;
}

/** HTML and other entry points must be revalidated so a new deploy shows at once. */
export const CACHE_REVALIDATE = "public, max-age=0, must-revalidate";
/** Files whose name carries a content hash (app.3f9a2c1b.js) never change under that name. */
export const CACHE_IMMUTABLE = "public, max-age=31536000, immutable";
/** Everything else: a day, a balance between freshness and CloudFront hit ratio. */
export const CACHE_DEFAULT = "public, max-age=86400";

/** The page served, with status 404, for a missing key when `spa` is off. */
export const NOT_FOUND_PAGE = "404.html";
/** `dir/index.html` is also stored at key `dir/`, so `/dir/` serves it (CloudFront China has no functions to rewrite URLs). */
export const DIRECTORY_INDEX = "index.html";
/** S3's single-PUT limit (5 GiB); larger files need multipart, which this uploader does not do. */
export const MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3;
/** S3's longest key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;
/** Paths one CloudFront invalidation may list; more collapse to "/*" (one wildcard path). */
export const MAX_INVALIDATION_PATHS = 3000;

/**
 * A content hash in a file name by default: `[.-]` then 8 or more hex characters holding both a
 * letter and a digit, before the extension (webpack, Parcel, Hugo: `app.3f9a2c1b.js`). A date, a
 * version or a counter (`banner-20240101.jpg`, all digits) is not a hash: such a file is replaced
 * under the same name and must not be cached for a year. Builds with other hashes (Vite's
 * `index-BxY2zQ1a.js`) give their own pattern (`cloudfront-china:hashedNamePattern`).
 */
export function isHashedName(name: string, pattern?: string): boolean {
    if (pattern !== undefined) {
        return new RegExp(pattern).test(name);
    }
    const hash = /[.-]([0-9a-f]{8,})\.[a-z0-9]+$/i.exec(name)?.[1];
    return hash !== undefined && /[a-f]/i.test(hash) && /[0-9]/.test(hash);
}

/** Why a hashed-name pattern cannot be used (not a regular expression, or one that a plain name like `index.html` matches), or undefined. */
export function hashedNamePatternProblem(pattern: unknown, setting: string): string | undefined {
    if (typeof pattern !== "string" || pattern === "") {
        return `\`${setting}\` must be a regular expression matched against file names (got ${JSON.stringify(pattern)})`;
    }
    try {
        new RegExp(pattern);
    } catch (e) {
        return `\`${setting}\` ${JSON.stringify(pattern)} is not a regular expression (${(e as Error).message})`;
    }
    const plain = ["index.html", "style.css", "app.js", "logo.png"].find((n) => new RegExp(pattern).test(n));
    return plain
        ? `\`${setting}\` ${JSON.stringify(pattern)} matches "${plain}", a name without a hash: such files would be cached for a year and never invalidated; anchor the hash, e.g. "-[A-Za-z0-9_-]{8}\\.[a-z0-9]+$"`
        : undefined;
}

/**
 * Revalidated: HTML, and every XML or JSON document (`…/xml`, `…+xml`, `…/json`, `…+json`: feeds
 * such as RSS and Atom, JSON-LD, web manifests), which point at the rest and change with it. Not
 * images (SVG is `image/svg+xml`): they are assets like the others.
 */
const isRevalidatedType = (type: string) => type === "text/html" || (!type.startsWith("image/") && /[/+](xml|json)$/.test(type));

export function cacheControlFor(key: string, contentType: string, hashedNamePattern?: string): string {
    const base = contentType.split(";")[0].trim().toLowerCase();
    if (isRevalidatedType(base) || key.endsWith("sw.js")) {
        return CACHE_REVALIDATE;
    }
    const name = key.slice(key.lastIndexOf("/") + 1);
    return isHashedName(name, hashedNamePattern) ? CACHE_IMMUTABLE : CACHE_DEFAULT;
}

export function contentTypeFor(key: string): string {
    const mime = require("mime") as typeof import("mime");
    // Apple's app-links file has no extension and is JSON (apps read it as such).
    const type = key.endsWith(".well-known/apple-app-site-association")
        ? "application/json"
        : (mime.getType(key) ?? "application/octet-stream");
    return type.startsWith("text/") || type === "application/javascript" || type === "application/json" ? `${type}; charset=utf-8` : type;
}

const byKey = <T extends { key: string }>(a: T, b: T) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** A folder entry not published, and why. */
export interface SkippedEntry {
    path: string;
    why: string;
}

/** Options of a site folder: a build's own hashed-name pattern. */
export interface ContentOptions {
    hashedNamePattern?: string;
}

/**
 * Lists the files under `dir`, sorted by key. Published: every file, `.well-known/` included (RFC 8615:
 * security.txt, app links); symbolic links whose target lies inside the folder, as the file or folder
 * they point at. Skipped, and listed in `skipped`: other dotfiles and dot-folders (.git, .env,
 * .DS_Store: repository data and secrets, never content), and links that point outside the folder or
 * nowhere (following them could publish any file of the machine).
 */
export function listContent(dir: string, options: ContentOptions = {}, skipped: SkippedEntry[] = []): ContentFile[] {
    const fs = require("node:fs") as typeof import("node:fs");
    const path = require("node:path") as typeof import("node:path");
    const root = fs.realpathSync(path.resolve(dir));
    const files: ContentFile[] = [];
    const inside = (real: string) => real === root || real.startsWith(root + path.sep);
    const walk = (abs: string, seen: Set<string>) => {
        for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
            const full = path.join(abs, entry.name);
            const rel = path.relative(path.resolve(dir), full).split(path.sep).join("/");
            if (entry.name.startsWith(".") && !(entry.name === ".well-known" && abs === path.resolve(dir))) {
                skipped.push({ path: rel, why: "dotfile (repository data or secrets, never content)" });
                continue;
            }
            let isDirectory = entry.isDirectory();
            let isFile = entry.isFile();
            if (entry.isSymbolicLink()) {
                const real = (() => {
                    try {
                        return fs.realpathSync(full);
                    } catch {
                        return undefined;
                    }
                })();
                if (real === undefined || !inside(real)) {
                    skipped.push({
                        path: rel,
                        why: real === undefined ? "symbolic link to nothing" : "symbolic link out of the folder (not followed)",
                    });
                    continue;
                }
                const stat = fs.statSync(real);
                if (stat.isDirectory() && seen.has(real)) {
                    skipped.push({ path: rel, why: "symbolic link loop" });
                    continue;
                }
                isDirectory = stat.isDirectory();
                isFile = stat.isFile();
            }
            if (isDirectory) {
                walk(full, new Set([...seen, fs.realpathSync(full)]));
            } else if (isFile) {
                const contentType = contentTypeFor(rel);
                files.push({
                    key: rel,
                    source: full,
                    contentType,
                    cacheControl: cacheControlFor(rel, contentType, options.hashedNamePattern),
                });
            }
        }
    };
    walk(path.resolve(dir), new Set([root]));
    return files.sort(byKey);
}

/** Every object the site needs: each file, plus `dir/` for each `dir/index.html` (same file). Sorted by key; reads no file. */
export function siteObjects(dir: string, options: ContentOptions = {}, skipped: SkippedEntry[] = []): ContentFile[] {
    const objects: ContentFile[] = [];
    for (const file of listContent(dir, options, skipped)) {
        objects.push(file);
        if (file.key.endsWith(`/${DIRECTORY_INDEX}`)) {
            objects.push({ ...file, key: file.key.slice(0, -DIRECTORY_INDEX.length) });
        }
    }
    return objects.sort(byKey);
}

/** siteObjects() with each object's MD5 and size. Reads every file once (the cost of a preview: no AWS call). */
export function siteManifest(dir: string, options: ContentOptions = {}, skipped: SkippedEntry[] = []): ManifestEntry[] {
    const fs = require("node:fs") as typeof import("node:fs");
    const crypto = require("node:crypto") as typeof import("node:crypto");
    const read = new Map<string, { md5: string; size: number }>();
    return siteObjects(dir, options, skipped).map((object) => {
        let facts = read.get(object.source);
        if (!facts) {
            const body = fs.readFileSync(object.source);
            facts = { md5: crypto.createHash("md5").update(body).digest("hex"), size: body.length };
            read.set(object.source, facts);
        }
        return { ...object, ...facts };
    });
}

/** One hash of the whole manifest: what the program passes and `diff` compares (any key, content or header change moves it). */
export function manifestDigest(entries: readonly ManifestEntry[]): string {
    const crypto = require("node:crypto") as typeof import("node:crypto");
    const hash = crypto.createHash("sha256");
    for (const e of entries) {
        hash.update(`${e.key}\t${e.md5}\t${e.contentType}\t${e.cacheControl}\n`);
    }
    return hash.digest("hex");
}

/**
 * What stops a folder from being deployed, each naming the file and the fix: an empty folder, a file
 * over S3's single-PUT limit, a key S3 or CloudFront cannot take. Checked before anything is uploaded.
 */
export function manifestProblems(entries: ReadonlyArray<{ key: string; size: number }>, dir: string, setting: string): string[] {
    if (entries.length === 0) {
        return [
            `\`${setting}\` "${dir}" holds no files to serve (dotfiles other than .well-known/ are skipped): build the site into it first`,
        ];
    }
    const problems: string[] = [];
    for (const e of entries) {
        if (e.size > MAX_SINGLE_PUT_BYTES) {
            problems.push(
                `\`${setting}\`: "${e.key}" is ${(e.size / 1024 ** 3).toFixed(1)} GiB, over S3's 5 GiB single-upload limit: serve it from elsewhere or split it`,
            );
        }
        if (Buffer.byteLength(e.key, "utf8") > MAX_KEY_BYTES) {
            problems.push(`\`${setting}\`: "${e.key.slice(0, 60)}…" is a path over S3's ${MAX_KEY_BYTES}-byte key limit: shorten it`);
        }
        // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
        const bad = /[\u0000-\u001f\u007f?#\\]/.exec(e.key);
        if (bad) {
            problems.push(
                `\`${setting}\`: "${e.key}" contains ${JSON.stringify(bad[0])}, which no URL path can reach through CloudFront ("?" and "#" start a query or fragment; control characters and "\\" are refused): rename the file`,
            );
        }
    }
    return problems;
}

/**
 * A key as a CloudFront invalidation path: "/" + the key, percent-encoding exactly what AWS says to
 * encode, non-ASCII and the characters RFC 1738 §2.2 calls unsafe (space, `"`, `<`, `>`, `#`, `%`,
 * `{`, `}`, `|`, `\\`, `^`, `~`, `[`, `]`, backquote), and control characters; every other character
 * stays as it is, or CloudFront does not invalidate the object (CloudFront Developer Guide,
 * "Specifying the objects to invalidate"). `*` is encoded too (unencoded it is a wildcard), and `?`
 * (it would start a query string).
 */
export function urlPath(key: string): string {
    return `/${key.replace(/[^\x21-\x7e]|["<>#%{}|\\^~[\]`*?]/gu, (c) => encodeURIComponent(c).replace(/[!'()*~]/g, (x) => `%${x.charCodeAt(0).toString(16).toUpperCase()}`))}`;
}

/**
 * The paths to invalidate after `changedKeys` (new, changed or removed) went to S3: one per key,
 * "/" too when the top index.html changed (CloudFront serves it there as the default root object),
 * none for hashed assets (a new build gives them a new name), and "/*" alone when more paths than one
 * invalidation takes.
 */
export function invalidationPaths(changedKeys: readonly string[], options: ContentOptions = {}): string[] {
    const paths = new Set<string>();
    for (const key of changedKeys) {
        if (cacheControlFor(key, contentTypeFor(key), options.hashedNamePattern) === CACHE_IMMUTABLE) {
            continue;
        }
        paths.add(urlPath(key));
        if (key.includes("+")) {
            // S3 reads "+" in a request path as a space, so `a+b.html` is fetched as /a%2Bb.html:
            // that path is cached, and invalidated too.
            paths.add(urlPath(key).replace(/\+/g, "%2B"));
        }
        if (key === DIRECTORY_INDEX) {
            paths.add("/");
        }
    }
    return paths.size > MAX_INVALIDATION_PATHS ? ["/*"] : [...paths].sort();
}
