/**
 * Where the program keeps what it computes once and reuses between runs (Node's compile cache,
 * compileCache.ts; the serialized providers, providers/dynamicResource.ts): node_modules/.cache,
 * the usual place of build caches, beside the modules the cached code comes from and owned by
 * whoever installed them, never a shared /tmp.
 */
import * as path from "node:path";

/** The node_modules folder the program's @pulumi/pulumi is installed in: the project's, or a workspace root's when hoisted. */
export function programNodeModules(): string {
    return path.resolve(path.dirname(require.resolve("@pulumi/pulumi/package.json")), "..", "..");
}

/** A folder under node_modules/.cache. */
export function cacheDir(...segments: string[]): string {
    return path.join(programNodeModules(), ".cache", ...segments);
}
