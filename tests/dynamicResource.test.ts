/**
 * The providers' serialization, kept between runs (providers/dynamicResource.ts), and Node's compile
 * cache (compileCache.ts): the stored provider is byte for byte what pulumi.dynamic.Resource stores, an
 * entry is reused only for the same loaded code, a damaged entry or a secret never reaches the state
 * from disk, and the caches sit in node_modules/.cache.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { acmeAccountProvider } from "../providers/acmeAccount";
import { iamAcmeCertificateProvider } from "../providers/iamAcmeCertificate";
import { siteContentProvider } from "../providers/siteContent";
import { loadedCodeKey, providerCacheDir, providerInput, serializedProvider } from "../providers/dynamicResource";
import { promiseOf, settle } from "./support/pulumi";

const root = path.resolve(__dirname, "..");
/** Records every registration and answers with its inputs: any type, reference ones included. */
class RecordingMocks implements pulumi.runtime.Mocks {
    readonly registrations: Array<{ type: string; name: string; inputs: Record<string, unknown> }> = [];
    newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
        this.registrations.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
        return { id: `${args.name}-id`, state: args.inputs as Record<string, unknown> };
    }
    call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        throw new Error(`no call expected: ${args.token}`);
    }
}
/** pulumi.dynamic.Resource itself (abstract in its types, not in its code). */
class Reference extends pulumi.dynamic.Resource {}

async function recordingMocks(): Promise<RecordingMocks> {
    const mocks = new RecordingMocks();
    await pulumi.runtime.setMocks(mocks, "cloudfront-china", "test", false);
    return mocks;
}

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "cfcn-provider-cache-"));

describe("dynamic resources: the provider serialized once per version of the code", () => {
    it("stores in __provider exactly what pulumi.dynamic.Resource stores, for each of the three providers (a stack made before sees no change)", async () => {
        const mocks = await recordingMocks();
        const { AcmeAccount } = await import("../providers/acmeAccount");
        const { IamAcmeCertificate } = await import("../providers/iamAcmeCertificate");
        const { SiteContent } = await import("../providers/siteContent");
        const site = fs.mkdtempSync(path.join(os.tmpdir(), "cfcn-site-"));
        fs.writeFileSync(path.join(site, "index.html"), "<p>hi</p>\n");
        const account = new AcmeAccount("ours-account", {});
        const certificate = new IamAcmeCertificate("ours-certificate", { domains: ["www.example.cn"], account, region: "cn-north-1" });
        const content = new SiteContent("ours-content", { dir: site, bucket: "b", region: "cn-north-1" });
        const references = (
            [
                ["pulumi-account", acmeAccountProvider],
                ["pulumi-certificate", iamAcmeCertificateProvider],
                ["pulumi-content", siteContentProvider],
            ] as const
        ).map(([name, provider]) => new Reference(provider, name, {}, undefined, "reference", "Resource"));
        await Promise.all([account, certificate, content, ...references].map((r) => promiseOf(r.urn)));
        await settle();
        const stored = (name: string) => mocks.registrations.find((r) => r.name === name)?.inputs.__provider as string;
        assert.deepEqual(
            mocks.registrations
                .filter((r) => r.name.startsWith("ours-"))
                .map((r) => r.type)
                .sort(),
            ["AcmeAccount", "IamAcmeCertificate", "SiteContent"].map((t) => `pulumi-nodejs:dynamic/cloudfront-china:${t}`),
            "the same type tokens",
        );
        for (const [ours, reference] of [
            ["ours-account", "pulumi-account"],
            ["ours-certificate", "pulumi-certificate"],
            ["ours-content", "pulumi-content"],
        ]) {
            assert.ok(stored(reference)?.length > 1000, `${reference} serialized`);
            assert.equal(stored(ours), stored(reference), `${ours}: the same provider code as pulumi.dynamic.Resource stores`);
        }
    });

    it("serializes on the first run and reads the entry on the next, with the same text", async () => {
        const dir = tempDir();
        const first = await serializedProvider("test-AcmeAccount", acmeAccountProvider, dir);
        const second = await serializedProvider("test-AcmeAccount", acmeAccountProvider, dir);
        assert.equal(first.cached, false);
        assert.equal(second.cached, true, "the second run reads the entry");
        assert.equal(second.text, first.text);
        assert.equal(fs.readdirSync(dir).length, 1);
    });

    it("keeps the key when an npm module loads lazily (as the AWS SDK's credential providers do mid-run), so both phases of an up find the entry", async () => {
        const before = loadedCodeKey("test");
        const dependency = path.join(tempDir(), "node_modules", "lazy-dependency", "index.js");
        fs.mkdirSync(path.dirname(dependency), { recursive: true });
        fs.writeFileSync(dependency, "module.exports = 1;\n");
        await import(dependency);
        assert.ok(require.cache[dependency], "loaded");
        assert.equal(loadedCodeKey("test"), before);
    });

    it("serializes afresh when a loaded module changed (a new key), and never uses an entry whose text does not match its hash", async () => {
        const dir = tempDir();
        const module = path.join(tempDir(), "loaded.js");
        fs.writeFileSync(module, "module.exports = 1;\n");
        await import(module);
        const before = loadedCodeKey("test");
        await serializedProvider("test-AcmeAccount", acmeAccountProvider, dir);
        fs.writeFileSync(module, "module.exports = 22;\n"); // an edit: another size and time
        assert.notEqual(loadedCodeKey("test"), before, "an edited module is another key");
        const afterEdit = await serializedProvider("test-AcmeAccount", acmeAccountProvider, dir);
        assert.equal(afterEdit.cached, false, "the edit is serialized afresh");

        const file = path.join(dir, `test-AcmeAccount-${loadedCodeKey("test-AcmeAccount")}.json`);
        const damaged = JSON.parse(fs.readFileSync(file, "utf8")) as { text: string; sha256: string };
        fs.writeFileSync(file, JSON.stringify({ ...damaged, text: damaged.text.replace("function", "functio") }));
        const afterDamage = await serializedProvider("test-AcmeAccount", acmeAccountProvider, dir);
        assert.equal(afterDamage.cached, false, "a damaged entry is not used");
        assert.equal(afterDamage.text, afterEdit.text);
    });

    it("never writes a provider that captured a secret to disk, and marks its __provider secret", async () => {
        await recordingMocks();
        const dir = tempDir();
        const token = pulumi.secret("s3cr3t-token");
        const holdsSecret: pulumi.dynamic.ResourceProvider = {
            async create() {
                return { id: String(token) };
            },
        };
        const result = await serializedProvider("test-Secret", holdsSecret, dir);
        assert.equal(result.containsSecrets, true);
        assert.deepEqual(fs.readdirSync(dir), [], "nothing on disk");
        const input = providerInput("test-Holder", holdsSecret);
        assert.equal(await promiseOf(input.apply((t) => t.length > 0)), true);
        assert.equal(await pulumi.isSecret(input), true, "secret, as pulumi.dynamic.Resource marks it");
        assert.equal(await pulumi.isSecret(providerInput("test-Plain", siteContentProvider)), false);
        await settle();
        assert.equal(
            (fs.existsSync(providerCacheDir()) ? fs.readdirSync(providerCacheDir()) : []).some((f) => f.startsWith("test-Holder-")),
            false,
            "not in the program's cache either",
        );
    });

    it("keeps 8 entries per provider, the newest, and runs uncached where the folder cannot be written", async () => {
        const dir = tempDir();
        for (let i = 0; i < 10; i++) {
            fs.writeFileSync(path.join(dir, `test-AcmeAccount-old${i}.json`), "{}");
            fs.utimesSync(path.join(dir, `test-AcmeAccount-old${i}.json`), 1000 + i, 1000 + i);
        }
        fs.writeFileSync(path.join(dir, "other-provider-x.json"), "{}");
        await serializedProvider("test-AcmeAccount", acmeAccountProvider, dir);
        const left = fs.readdirSync(dir).sort();
        assert.equal(left.filter((f) => f.startsWith("test-AcmeAccount-")).length, 8);
        assert.ok(!left.includes("test-AcmeAccount-old0.json") && left.includes("test-AcmeAccount-old9.json"), "the oldest go");
        assert.ok(left.includes("other-provider-x.json"), "another provider's entries stay");

        const blocked = path.join(tempDir(), "a-file");
        fs.writeFileSync(blocked, "not a folder");
        const uncached = await serializedProvider("test-AcmeAccount", acmeAccountProvider, path.join(blocked, "providers"));
        assert.equal(uncached.cached, false);
        assert.ok(uncached.text.length > 1000, "serialized all the same");
    });
});

describe("Node's compile cache for the program", () => {
    const run = (disabled: boolean) => {
        const env = { ...process.env };
        delete env.NODE_COMPILE_CACHE; // Node's own variable would take precedence
        delete env.NODE_DISABLE_COMPILE_CACHE;
        return spawnSync(
            process.execPath,
            [
                "-r",
                "ts-node/register/transpile-only",
                "-e",
                'require("./compileCache"); console.log(require("node:module").getCompileCacheDir?.() ?? "off")',
            ],
            { cwd: root, env: disabled ? { ...env, NODE_DISABLE_COMPILE_CACHE: "1" } : env, encoding: "utf8" },
        );
    };

    it("is on in node_modules/.cache/node-compile-cache once compileCache is imported (index.ts's first import), and off with NODE_DISABLE_COMPILE_CACHE=1", () => {
        const on = run(false);
        assert.equal(on.status, 0, on.stderr);
        assert.ok(
            on.stdout.trim().startsWith(path.join(root, "node_modules", ".cache", "node-compile-cache")),
            `cache folder: ${on.stdout.trim()}`,
        );
        const off = run(true);
        assert.equal(off.status, 0, off.stderr);
        assert.equal(off.stdout.trim(), "off");
        const program = fs.readFileSync(path.join(root, "index.ts"), "utf8");
        assert.match(
            program.split("\n").find((l) => l.startsWith("import ")) ?? "",
            /^import "\.\/compileCache";/,
            "the program's first import",
        );
    });
});
