/**
 * The plugin package (PulumiPlugin.yaml, plugin.ts): ChinaSite for Pulumi programs in any language.
 *
 * The CLI starts a source-based Node plugin through the Node language host's `RunPlugin`, which runs
 * `node @pulumi/pulumi/cmd/run-plugin <plugin folder> <engine address>` (pulumi/pulumi,
 * sdk/nodejs/cmd/pulumi-language-nodejs/main.go, RunPlugin). The only Node language host that can be
 * built here predates RunPlugin, so the test gives the CLI that same command as an executable plugin
 * (`pulumi-resource-cloudfront-china`), the other way the CLI loads a plugin from a path: everything
 * after the language host (ts-node, package.json `main`, the schema inference, Construct) is the code
 * a user's CLI runs.
 *
 * With it: `pulumi package get-schema` returns ChinaSite with every arg typed and described and the
 * secrets marked; a YAML program (the YAML language host is built from the Go module proxy) is
 * checked against that schema, and its ChinaSite is constructed by the plugin, which refuses bad
 * args with the same messages as the stack config before anything is created. A YAML program with
 * good args is not run: its resources need the pulumi-aws plugin, which cannot be installed here.
 */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { CONFIG_KEYS } from "../config/configKeys";
import { PROGRAM_ONLY_SETTINGS } from "../components/chinaSite";
import { engineEnv, pulumiBinDir } from "./support/engine";
import { tempDir } from "./support/peers";

const root = path.resolve(__dirname, "..");
const SITE = "cloudfront-china:index:ChinaSite";

function pulumi(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; output: string }> {
    return new Promise((resolve) => {
        const child = spawn(path.join(pulumiBinDir(), "pulumi"), args, { cwd, env });
        let stdout = "";
        let output = "";
        child.stdout.on("data", (d: Buffer) => ((stdout += d.toString()), (output += d.toString())));
        child.stderr.on("data", (d: Buffer) => (output += d.toString()));
        child.on("close", (code) => resolve({ code, stdout, output }));
    });
}

interface PropertySpec {
    type?: string;
    $ref?: string;
    description?: string;
    secret?: boolean;
    items?: PropertySpec;
    additionalProperties?: PropertySpec;
}
interface Schema {
    name: string;
    version: string;
    types: Record<string, { properties: Record<string, PropertySpec> }>;
    resources: Record<
        string,
        {
            isComponent?: boolean;
            description?: string;
            inputProperties: Record<string, PropertySpec>;
            requiredInputs?: string[];
            properties: Record<string, PropertySpec>;
        }
    >;
}

/** A YAML program that declares one ChinaSite with `properties` (YAML flow mappings). */
const yamlProgram = (project: string, pluginDir: string, properties: string) => `name: ${project}
runtime: yaml
packages:
  cloudfront-china: ${pluginDir}
resources:
  site:
    type: cloudfront-china:ChinaSite
    properties: ${properties}
`;

describe("the plugin package: ChinaSite for programs in any Pulumi language", function () {
    this.timeout(600_000);
    let work: string;
    let pluginDir: string;
    let env: NodeJS.ProcessEnv;

    before(() => {
        work = tempDir("cfcn-plugin-");
        pluginDir = path.join(work, "plugin");
        fs.mkdirSync(pluginDir);
        // What the Node language host's RunPlugin runs for this folder (see the header).
        const runPlugin = require.resolve("@pulumi/pulumi/cmd/run-plugin", { paths: [root] });
        fs.writeFileSync(
            path.join(pluginDir, "pulumi-resource-cloudfront-china"),
            `#!/bin/sh\nexec node ${JSON.stringify(runPlugin)} ${JSON.stringify(root)} "$@"\n`,
            { mode: 0o755 },
        );
        env = { ...engineEnv(work), PATH: `${pulumiBinDir()}${path.delimiter}${process.env.PATH}` };
    });

    it("is a source-based Node plugin package at the repository root, entered through plugin.ts", () => {
        assert.match(fs.readFileSync(path.join(root, "PulumiPlugin.yaml"), "utf8"), /^runtime: nodejs$/m);
        const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
        assert.equal(manifest.main, "plugin.ts", "run-plugin requires the folder, so Node reads `main`");
        assert.equal(manifest.exports["."].default, "./dist/lib.js", "library users still get the built surface");
    });

    let schema: Schema;
    it("`pulumi package get-schema` returns ChinaSite, every arg typed and described, the secrets marked", async () => {
        const run = await pulumi(["package", "get-schema", path.join(pluginDir, "pulumi-resource-cloudfront-china")], work, env);
        assert.equal(run.code, 0, run.output);
        schema = JSON.parse(run.stdout) as Schema;
        assert.equal(schema.name, "cloudfront-china");
        assert.equal(schema.version, JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).version);
        assert.deepEqual(Object.keys(schema.resources), [SITE], "only ChinaSite is served");
        const site = schema.resources[SITE];
        assert.equal(site.isComponent, true);
        assert.match(site.description ?? "", /CloudFront in the AWS China regions/);

        // Every setting the stack config has for one site, plus the component's own two, and nothing else.
        const expected = [...CONFIG_KEYS.filter((k) => !PROGRAM_ONLY_SETTINGS.includes(k)), "region", "hostedZoneName"].sort();
        assert.deepEqual(Object.keys(site.inputProperties).sort(), expected);
        assert.deepEqual(site.requiredInputs, ["domains"]);
        for (const [name, spec] of Object.entries(site.inputProperties)) {
            assert.ok(spec.type, `${name} has a type`);
            assert.ok((spec.description ?? "").length > 15, `${name} is described`);
        }
        assert.equal(site.inputProperties.domains.type, "array");
        assert.equal(site.inputProperties.domains.items?.type, "string");
        assert.equal(site.inputProperties.spa.type, "boolean");
        assert.equal(site.inputProperties.logRetentionDays.type, "number");
        assert.equal(site.inputProperties.tags.additionalProperties?.type, "string");
        assert.equal(site.inputProperties.acmeEabHmacKey.secret, true, "the EAB HMAC key is a secret input");

        for (const name of ["certificateId", "certificateNotAfter", "certificateRenewAfter", "certificatePem", "privateKeyPem"]) {
            assert.ok(site.properties[name], `certificate output ${name}`);
            assert.ok((site.properties[name].description ?? "").length > 15, `${name} is described`);
        }
        for (const name of ["urls", "bucketName", "distributionId", "distributionDomainName", "dnsChallengeRecords"]) {
            assert.ok(site.properties[name], `output ${name}`);
        }
        assert.equal(site.properties.privateKeyPem.secret, true, "the private key is a secret output");
        assert.deepEqual(
            Object.entries(site.properties)
                .filter(([, p]) => p.secret)
                .map(([n]) => n),
            ["privateKeyPem"],
        );
        // Several CAs: a list of an object type whose HMAC key is a secret field.
        assert.equal(site.inputProperties.issuers.items?.$ref, "#/types/cloudfront-china:index:ChinaSiteIssuer");
        const issuer = schema.types["cloudfront-china:index:ChinaSiteIssuer"].properties;
        assert.deepEqual(Object.keys(issuer).sort(), [
            "directoryUrl",
            "dnsPersistDraft",
            "eabHmacKey",
            "eabKeyId",
            "email",
            "keyType",
            "profile",
        ]);
        assert.equal(issuer.eabHmacKey.secret, true, "an issuer's EAB HMAC key is a secret field");
        assert.ok(site.properties.certificateIssuer, "output certificateIssuer");
        assert.equal(site.properties.dnsChallengeRecords.items?.$ref, "#/types/cloudfront-china:index:DnsChallengeRecord");
        assert.deepEqual(Object.keys(schema.types["cloudfront-china:index:DnsChallengeRecord"].properties).sort(), [
            "domain",
            "name",
            "type",
            "value",
        ]);
    });

    /** Runs `pulumi up` of a one-ChinaSite YAML program in a fresh stack; returns the output and what the state holds. */
    async function yamlUp(name: string, properties: string): Promise<{ code: number | null; output: string; types: string[] }> {
        const project = path.join(work, name);
        fs.mkdirSync(project);
        fs.writeFileSync(path.join(project, "Pulumi.yaml"), yamlProgram(name, pluginDir, properties));
        assert.equal((await pulumi(["stack", "init", "dev", "--non-interactive"], project, env)).code, 0);
        assert.equal((await pulumi(["config", "set", "aws:region", "cn-north-1"], project, env)).code, 0);
        const up = await pulumi(["up", "--yes", "--skip-preview", "--non-interactive"], project, env);
        const state = JSON.parse((await pulumi(["stack", "export"], project, env)).stdout) as {
            deployment: { resources?: { type: string }[] };
        };
        return { code: up.code, output: up.output, types: (state.deployment.resources ?? []).map((r) => r.type) };
    }

    it("a YAML program is checked against the schema: a wrong type is refused by the YAML host", async () => {
        const run = await yamlUp("typed", `{ domains: ["www.example.cn"], spa: "yes" }`);
        assert.notEqual(run.code, 0);
        assert.match(run.output, /spa: Cannot assign type 'string' to type 'boolean'/);
        assert.ok(!run.types.includes(SITE), "nothing was created");
    });

    it("a YAML program's ChinaSite is constructed by the plugin: bad args get the same message, nothing is created", async () => {
        const run = await yamlUp(
            "bad-args",
            `{ domains: ["www.example.cn", "shop.example.com"], hostedZoneId: Z0123456789EXAMPLE, hostedZoneName: example.cn, keyType: ed25519 }`,
        );
        assert.notEqual(run.code, 0);
        assert.match(run.output, /cloudfront-china:index:ChinaSite resource 'site' has a problem: invalid settings:/);
        assert.match(run.output, /"shop\.example\.com" is not inside the hosted zone "example\.cn" given by `hostedZoneName`/);
        assert.match(run.output, /`keyType` "ed25519" is not supported/);
        assert.deepEqual(
            run.types.filter((t) => !t.startsWith("pulumi:")),
            [],
            "nothing but the stack and the plugin's provider entry is in the state",
        );
    });
});
