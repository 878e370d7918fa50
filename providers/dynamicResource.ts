/**
 * The base of this project's dynamic resources: `pulumi.dynamic.Resource`, with its provider
 * serialized once per version of the loaded code instead of once per run.
 *
 * Why: the engine stores each dynamic resource's provider as code (its closure, serialized into the
 * `__provider` input), and `pulumi.dynamic.Resource` serializes it in every process that makes one:
 * every `pulumi preview`, every phase of every `pulumi up`. For this program's own providers, whose
 * modules are local and so serialized by value, that is 0.4 s (AcmeAccount) and 0.8 s
 * (IamAcmeCertificate, 190 KB of code) of V8 inspector calls and TypeScript parsing per run, and it
 * sits on the critical path: the engine starts the dynamic-provider host only when the first dynamic
 * resource arrives, which waits for its serialization (docs/benchmark.md, "The program under the CLI").
 *
 * What: the same text `pulumi.dynamic.Resource` would store (the same `serializeFunction(() =>
 * provider, { allowSecrets: true })` call, so a stack made before sees no change), kept in
 * node_modules/.cache/cloudfront-china/providers beside the modules it comes from, under a key of
 * the program's and this package's loaded modules (path, size, modification time), the lockfile,
 * Node's version and @pulumi/pulumi's. Any edited or added module, any dependency installed or
 * upgraded, another Node or SDK, is a new key: the provider is serialized afresh.
 *
 * Safety: an entry is code the engine will run, so it lives where the code it was made from lives,
 * writable by whoever can write node_modules anyway, never in a shared /tmp. It is checked against
 * its own SHA-256 before use, so a torn or damaged file is serialized afresh (the hash is no
 * signature). A closure that captured a secret is never written to disk (Pulumi marks it; it is
 * serialized on every run, as before). A cache that cannot be written (a read-only node_modules)
 * only costs the time.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { version as sdkVersion } from "@pulumi/pulumi/version";
import { cacheDir, programNodeModules } from "../core/cacheDir";

/** Entries kept per provider: stacks whose programs load different modules each keep theirs. */
const ENTRIES_PER_PROVIDER = 8;

interface CacheEntry {
    text: string;
    sha256: string;
}

/** Where the serialized providers are kept: beside the modules, like Node's own compile cache. */
export function providerCacheDir(): string {
    return cacheDir("cloudfront-china", "providers");
}

/** This package's root (the folder of its package.json): the repository, or node_modules/cloudfront-china once installed. */
function packageRoot(): string {
    let dir = __dirname;
    while (!fs.existsSync(path.join(dir, "package.json")) && path.dirname(dir) !== dir) {
        dir = path.dirname(dir);
    }
    return dir;
}

/**
 * Whether a loaded file's code can reach a serialized provider by value: the program's own modules
 * (outside any node_modules) and this package's, where it is installed. Other npm modules are
 * `require`d by name inside the providers' functions (their versions come in through the lockfile),
 * and they load lazily, at moments that vary from run to run, so they would make the key vary too.
 */
function reachesTheProviders(file: string, ownPackage: string): boolean {
    const inOwnPackage = path.relative(ownPackage, file);
    if (!inOwnPackage.startsWith("..") && !path.isAbsolute(inOwnPackage)) {
        return !inOwnPackage.split(path.sep).includes("node_modules");
    }
    return !file.split(path.sep).includes("node_modules");
}

/**
 * A key for the code a provider's serialization reads: the program's own modules and this package's
 * (path, size, modification time: the closure serializer walks live values, which come from loaded
 * modules), the lockfile beside node_modules (any dependency installed, upgraded or removed), Node's
 * version (functions are read back through Function.prototype.toString) and the serializer's own,
 * @pulumi/pulumi (serialized by value where a provider uses it).
 */
export function loadedCodeKey(providerName: string): string {
    const hash = crypto.createHash("sha256");
    hash.update(`${providerName}\0${process.version}\0${sdkVersion}\0`);
    const stamp = (file: string) => {
        const stat = fs.statSync(file, { throwIfNoEntry: false });
        hash.update(`${file}\0${stat?.size ?? "-"}\0${stat?.mtimeMs ?? "-"}\0`);
    };
    stamp(path.join(programNodeModules(), "..", "package-lock.json"));
    const ownPackage = packageRoot();
    for (const file of Object.keys(require.cache).sort()) {
        if (reachesTheProviders(file, ownPackage)) {
            stamp(file);
        }
    }
    return hash.digest("hex").slice(0, 40);
}

const sha256 = (text: string) => crypto.createHash("sha256").update(text).digest("hex");

function readEntry(file: string): string | undefined {
    let entry: CacheEntry;
    try {
        entry = JSON.parse(fs.readFileSync(file, "utf8")) as CacheEntry;
    } catch {
        return undefined; // not there yet (or unreadable): serialize
    }
    return typeof entry.text === "string" && entry.sha256 === sha256(entry.text) ? entry.text : undefined;
}

function writeEntry(dir: string, providerName: string, file: string, text: string): void {
    try {
        fs.mkdirSync(dir, { recursive: true });
        // Written aside and renamed: two stacks deploying at once never read half an entry.
        const temporary = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(temporary, JSON.stringify({ text, sha256: sha256(text) } satisfies CacheEntry));
        fs.renameSync(temporary, file);
        const older = fs
            .readdirSync(dir)
            .filter((f) => f.startsWith(`${providerName}-`) && f.endsWith(".json"))
            .map((f) => ({ f, mtime: fs.statSync(path.join(dir, f)).mtimeMs }))
            .sort((a, b) => b.mtime - a.mtime)
            .slice(ENTRIES_PER_PROVIDER);
        for (const { f } of older) {
            fs.rmSync(path.join(dir, f), { force: true });
        }
    } catch {
        // A cache that cannot be written (read-only node_modules, full disk) costs only the time.
    }
}

/**
 * The closure pulumi.dynamic.Resource serializes, `() => provider`, with its source text exactly as
 * @pulumi/pulumi's compiled JavaScript has it: the serialized code holds the closure's own text, and a
 * transpiler (swc writes `()=>provider`) would make it differ by a space, so every stack made before
 * would see its provider changed. Built from a string so no compiler touches it.
 */
const closureOf = new Function("provider", "return () => provider;") as (
    provider: pulumi.dynamic.ResourceProvider,
) => () => pulumi.dynamic.ResourceProvider;

/**
 * The provider's serialized text, as `pulumi.dynamic.Resource` stores it in `__provider`: from the
 * cache when this code was serialized before, else serialized now (and kept unless it holds a secret).
 */
export async function serializedProvider(
    providerName: string,
    provider: pulumi.dynamic.ResourceProvider,
    dir: string = providerCacheDir(),
): Promise<{ text: string; containsSecrets: boolean; cached: boolean }> {
    const file = path.join(dir, `${providerName}-${loadedCodeKey(providerName)}.json`);
    const cached = readEntry(file);
    if (cached !== undefined) {
        return { text: cached, containsSecrets: false, cached: true };
    }
    const serialized = await pulumi.runtime.serializeFunction(closureOf(provider), { allowSecrets: true });
    if (!serialized.containsSecrets) {
        writeEntry(dir, providerName, file, serialized.text);
    }
    return { text: serialized.text, containsSecrets: serialized.containsSecrets, cached: false };
}

/** One serialization per provider object and process, as Pulumi's own cache does (many sites, one provider). */
const inProcess = new WeakMap<pulumi.dynamic.ResourceProvider, pulumi.Output<string>>();

/** The `__provider` input: secret when the closure captured a secret, as pulumi.dynamic.Resource marks it. */
export function providerInput(providerName: string, provider: pulumi.dynamic.ResourceProvider): pulumi.Output<string> {
    let input = inProcess.get(provider);
    if (input === undefined) {
        input = pulumi
            .output(serializedProvider(providerName, provider))
            .apply((s) => (s.containsSecrets ? pulumi.secret(s.text) : pulumi.output(s.text)));
        inProcess.set(provider, input);
    }
    return input;
}

/**
 * `pulumi.dynamic.Resource`, with the provider's serialization from the cache: the same type token
 * (`pulumi-nodejs:dynamic/<module>:<type>`) and the same `__provider` input, so the engine and the
 * dynamic-provider host see exactly what they would see from it.
 */
export abstract class CachedDynamicResource extends pulumi.CustomResource {
    constructor(
        provider: pulumi.dynamic.ResourceProvider,
        name: string,
        props: pulumi.Inputs,
        opts: pulumi.CustomResourceOptions | undefined,
        module: string,
        type: string,
    ) {
        if (props.__provider !== undefined) {
            throw new Error("A dynamic resource must not define the __provider key");
        }
        super(
            `pulumi-nodejs:dynamic/${module}:${type}`,
            name,
            { ...props, __provider: providerInput(`${module}-${type}`, provider) },
            opts,
        );
    }
}
