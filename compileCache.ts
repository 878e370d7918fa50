/**
 * Node's on-disk compile cache (https://nodejs.org/api/module.html#moduleenablecompilecachecachedir),
 * enabled as the program's first import, before @pulumi/pulumi, @pulumi/aws and the program's own
 * modules load: every `pulumi preview` and `up` loads them afresh (an `up` twice: the preview, then
 * the update), and with the cache V8 reuses the code it compiled the last time instead of parsing
 * and compiling it again (docs/benchmark.md).
 *
 * The cache lives in node_modules/.cache/node-compile-cache (core/cacheDir.ts). Node checks each
 * entry against its source before use, so an edited or upgraded module is compiled afresh.
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off (Node's own switch).
 */
import * as nodeModule from "node:module";
import { cacheDir } from "./core/cacheDir";

// @types/node follows the oldest Node the types serve; the function is Node 22.8's.
const { enableCompileCache } = nodeModule as typeof nodeModule & { enableCompileCache?: (cacheDir: string) => unknown };

// package.json engines (^22.12 || >=24) all have it (an older Node runs uncached); an unwritable
// folder is reported in its result, not thrown, and the program then runs uncached.
enableCompileCache?.(cacheDir("node-compile-cache"));
