/**
 * What to upload from a local site folder: one entry per file with its S3 key, content type and
 * Cache-Control. Pure (reads the folder, creates nothing), so the choices are unit-tested directly.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import mime from "mime";

export interface ContentFile {
    /** S3 object key: the path relative to the folder, with "/" separators. */
    key: string;
    /** Absolute path on disk. */
    source: string;
    contentType: string;
    cacheControl: string;
}

/** HTML and other entry points must be revalidated so a new deploy shows at once. */
export const CACHE_REVALIDATE = "public, max-age=0, must-revalidate";
/** Files whose name carries a content hash (app.3f9a2c1b.js) never change under that name. */
export const CACHE_IMMUTABLE = "public, max-age=31536000, immutable";
/** Everything else: a day, a balance between freshness and CloudFront hit ratio. */
export const CACHE_DEFAULT = "public, max-age=86400";

const HASHED_NAME = /[.-][0-9a-f]{8,}\.[a-z0-9]+$/i;
const REVALIDATE_TYPES = new Set(["text/html", "application/xml", "application/json", "application/manifest+json"]);

export function cacheControlFor(key: string, contentType: string): string {
    const base = contentType.split(";")[0];
    if (REVALIDATE_TYPES.has(base) || key.endsWith("sw.js")) {
        return CACHE_REVALIDATE;
    }
    return HASHED_NAME.test(path.posix.basename(key)) ? CACHE_IMMUTABLE : CACHE_DEFAULT;
}

export function contentTypeFor(key: string): string {
    const type = mime.getType(key) ?? "application/octet-stream";
    return type.startsWith("text/") || type === "application/javascript" || type === "application/json" ? `${type}; charset=utf-8` : type;
}

/** Lists the files under `dir`, sorted by key, skipping dotfiles (.git, .DS_Store, .env). */
export function listContent(dir: string): ContentFile[] {
    const root = path.resolve(dir);
    const files: ContentFile[] = [];
    const walk = (abs: string) => {
        for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
            if (entry.name.startsWith(".")) {
                continue;
            }
            const full = path.join(abs, entry.name);
            if (entry.isDirectory()) {
                walk(full);
            } else if (entry.isFile()) {
                const key = path.relative(root, full).split(path.sep).join("/");
                const contentType = contentTypeFor(key);
                files.push({ key, source: full, contentType, cacheControl: cacheControlFor(key, contentType) });
            }
        }
    };
    walk(root);
    return files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
