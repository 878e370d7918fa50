/**
 * The installable package, as another team's Pulumi program uses it: `npm pack`, the tarball
 * installed into a fresh consumer project in a temporary folder, its TypeScript checked against the
 * emitted declarations, its offline plan run with the package's command, and the program run by the
 * Pulumi CLI the tests build against Pebble and moto (a stand-in distribution, as in the engine
 * test: the pulumi-aws plugin cannot be installed here): `up` issues, a no-op `up` changes nothing,
 * `destroy` cleans up. The dynamic providers then run from the consumer's node_modules.
 */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { IAMClient, ListServerCertificatesCommand } from "@aws-sdk/client-iam";
import { Peers, createZone, usePeers } from "./support/fixture";
import { tempDir } from "./support/peers";
import { StackCli, engineEnv, pulumiBinDir, stackCli } from "./support/engine";
import { installStandInAws } from "./support/standinAws";

const root = path.resolve(__dirname, "..");

function sh(
    command: string,
    args: string[],
    cwd: string,
    env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve) => {
        const child = spawn(command, args, { cwd, env });
        let output = "";
        child.stdout.on("data", (d: Buffer) => (output += d.toString()));
        child.stderr.on("data", (d: Buffer) => (output += d.toString()));
        child.on("close", (code) => resolve({ code, output }));
    });
}

async function ok(command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<string> {
    const run = await sh(command, args, cwd, env);
    assert.equal(run.code, 0, `${command} ${args.join(" ")} failed in ${cwd}:\n${run.output}`);
    return run.output;
}

const CONSUMER_PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import { AcmeAccount, ChinaCdn, IamAcmeCertificate } from "cloudfront-china";
import { TestDistribution } from "./testDistribution";

const config = new pulumi.Config();
const domains = config.requireObject<string[]>("domains");
const account = new AcmeAccount("account", { directoryUrl: config.get("directoryUrl") });
const certificate = new IamAcmeCertificate("certificate", {
    domains,
    account,
    region: "cn-north-1",
    profile: config.get("profile"),
    hostedZones: config.get("zoneId") ? { [config.require("zoneName")]: config.require("zoneId") } : undefined,
    dnsResolvers: config.get("dnsResolver") ? [config.require("dnsResolver")] : undefined,
    propagationTimeoutSeconds: 30,
    pollIntervalSeconds: 0.2,
});
// The real component where pulumi-aws runs; the stand-in where it cannot (the tests' engine runs).
const distributionId = config.getBoolean("standIn")
    ? new TestDistribution("distribution", { aliases: domains, iamCertificateId: certificate.serverCertificateId, region: "cn-north-1" }).id
    : new ChinaCdn("site", { domains, region: "cn-north-1", iamCertificateId: certificate.serverCertificateId }).distributionId;

export const certificateName = certificate.name;
export const serverCertificateId = certificate.serverCertificateId;
export const privateKeyPem = certificate.privateKeyPem;
export const distribution = distributionId;
`;

describe("the installable package in another Pulumi program", function () {
    this.timeout(900_000);
    let consumer: string;
    let tarball: string;
    let peers: Peers;
    let env: NodeJS.ProcessEnv;
    const STACK = "consumer";
    let cli: StackCli;

    before(async () => {
        const work = tempDir("cfcn-consumer-");
        const packed = await ok("npm", ["pack", "--silent", "--pack-destination", work], root);
        tarball = path.join(work, packed.trim().split("\n").pop() ?? "");
        assert.ok(fs.existsSync(tarball), `npm pack wrote ${tarball}`);
        consumer = path.join(work, "site");
        fs.mkdirSync(consumer);
        const ours = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as Record<string, Record<string, string>>;
        fs.writeFileSync(
            path.join(consumer, "package.json"),
            JSON.stringify({
                name: "consumer-site",
                private: true,
                main: "index.ts",
                dependencies: {
                    "cloudfront-china": `file:${tarball}`,
                    "@pulumi/pulumi": ours.devDependencies["@pulumi/pulumi"],
                    "@pulumi/aws": ours.devDependencies["@pulumi/aws"],
                    "@aws-sdk/client-cloudfront": ours.dependencies["@aws-sdk/client-cloudfront"],
                    typescript: ours.devDependencies.typescript,
                    "@types/node": ours.devDependencies["@types/node"],
                },
            }),
        );
        fs.writeFileSync(
            path.join(consumer, "Pulumi.yaml"),
            "name: consumer-site\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n",
        );
        fs.writeFileSync(
            path.join(consumer, "tsconfig.json"),
            JSON.stringify({
                compilerOptions: {
                    target: "ES2022",
                    module: "commonjs",
                    moduleResolution: "node",
                    strict: true,
                    esModuleInterop: true,
                    types: ["node"],
                },
                files: ["index.ts", "testDistribution.ts"],
            }),
        );
        fs.writeFileSync(path.join(consumer, "index.ts"), CONSUMER_PROGRAM);
        fs.copyFileSync(path.join(root, "tests", "engine", "program", "testDistribution.ts"), path.join(consumer, "testDistribution.ts"));
        // From the npm cache the repository's own install filled; the registry for anything missing.
        await ok("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], consumer);
        cli = stackCli(() => env, STACK, consumer);
    });

    after(async () => {
        if (env) {
            await cli.run("destroy", "--yes", "--skip-preview");
        }
    });

    it("ships only the public surface: the declarations typecheck the consumer, internals stay out of the entry point", async () => {
        await ok("npx", ["tsc", "--noEmit", "-p", "."], consumer);
        const installed = path.join(consumer, "node_modules", "cloudfront-china");
        const entry = fs.readFileSync(path.join(installed, "dist", "lib.d.ts"), "utf8");
        for (const name of [
            "ChinaCdn",
            "ChinaSite",
            "IamAcmeCertificate",
            "AcmeAccount",
            "SiteContent",
            "CHINA_RULES",
            "checkDistribution",
            "checkBucketPolicy",
        ]) {
            assert.match(entry, new RegExp(`\\b${name}\\b`), name);
        }
        assert.doesNotMatch(entry, /iamAcmeCertificateProvider|OfflineAwsChina|stackAwsIdentity/, "providers' internals are not exported");
        // `exports` opens exactly the modules the serialized providers `require` from the installed
        // package (closure serialization names a packaged module by its file), and nothing else.
        const serialized = await sh(
            process.execPath,
            [
                "-e",
                `const pulumi = require("@pulumi/pulumi");
                 const dist = ${JSON.stringify(path.join(installed, "dist"))};
                 const providers = [
                     require(dist + "/providers/iamAcmeCertificate.js").iamAcmeCertificateProvider,
                     require(dist + "/providers/siteContent.js").siteContentProvider,
                     require(dist + "/providers/acmeAccount.js").acmeAccountProvider,
                 ];
                 Promise.all(providers.map((p) => pulumi.runtime.serializeFunction(() => p))).then((all) => {
                     const loaded = all.flatMap((s) => [...s.text.matchAll(/require\\("cloudfront-china\\/([^"]+)"\\)/g)].map((m) => "./" + m[1]));
                     console.log("loaded: " + JSON.stringify([...new Set(loaded)].sort()));
                 });`,
            ],
            consumer,
        );
        assert.equal(serialized.code, 0, serialized.output);
        const line = serialized.output.split("\n").find((l) => l.startsWith("loaded: ")) ?? "";
        const loaded = JSON.parse(line.slice("loaded: ".length) || "[]") as string[];
        assert.ok(loaded.length > 0, "the serialized providers load modules of the installed package");
        const manifest = JSON.parse(fs.readFileSync(path.join(installed, "package.json"), "utf8")) as { exports: Record<string, unknown> };
        assert.deepEqual(Object.keys(manifest.exports).sort(), [".", "./package.json", ...loaded].sort());
        const internal = await sh(process.execPath, ["-e", `require("cloudfront-china/dist/acme/order.js")`], consumer);
        assert.match(internal.output, /ERR_PACKAGE_PATH_NOT_EXPORTED/, "a module the providers do not load stays private");
        assert.equal(fs.existsSync(path.join(installed, "tests")), false, "no tests in the package");
        assert.equal(fs.existsSync(path.join(installed, "index.ts")), false, "not this repository's program");
        // A bad argument from the consumer: the same clear error, before anything is registered.
        const bad = await sh(
            process.execPath,
            [
                "-e",
                `const { validateChinaCdnArgs } = require("cloudfront-china");
                 try { validateChinaCdnArgs({ domains: ["WWW.example.cn"], region: "us-east-1", iamCertificateId: "x" }); }
                 catch (e) { console.log(e.name + ": " + e.message); }`,
            ],
            consumer,
        );
        assert.match(
            bad.output,
            /InputError: invalid settings:\n {2}- `domains\[0\]` "WWW.example.cn" has upper-case letters.*\n {2}- `region` must be "cn-north-1" or "cn-northwest-1"/,
        );
    });

    it("`npx cloudfront-china-plan` runs the consumer's program under the strict mocks with the China report", async () => {
        fs.writeFileSync(
            path.join(consumer, "Pulumi.plan.yaml"),
            "config:\n  aws:region: cn-north-1\n  consumer-site:domains:\n    - www.example.cn\n",
        );
        const good = await sh("npx", ["cloudfront-china-plan", "--stack", "plan"], consumer);
        assert.equal(good.code, 0, good.output);
        assert.match(good.output, /project consumer-site, stack plan/);
        assert.match(good.output, /aws:cloudfront\/distribution:Distribution\s+site-cdn/);
        assert.match(good.output, /Result: compatible with CloudFront in the AWS China regions\./);
        // A China-incompatible edit in the consumer's own code fails the report.
        fs.writeFileSync(
            path.join(consumer, "index.ts"),
            CONSUMER_PROGRAM.replace(
                `iamCertificateId: certificate.serverCertificateId }).distributionId`,
                `iamCertificateId: certificate.serverCertificateId, distributionOverrides: { isIpv6Enabled: true } }).distributionId`,
            ),
        );
        const bad = await sh("npx", ["cloudfront-china-plan", "--stack", "plan"], consumer);
        fs.writeFileSync(path.join(consumer, "index.ts"), CONSUMER_PROGRAM);
        // The component refuses it before anything is registered: a configuration error (exit 2), with the rule.
        assert.equal(bad.code, 2, bad.output);
        assert.match(bad.output, /isIpv6Enabled/);
    });

    it("`npx cloudfront-china-policy` writes the shipped policies (and deployPolicy is exported for a program of one's own)", async () => {
        const anyStack = await sh("npx", ["cloudfront-china-policy", "--any-stack", "--out-dir", "iam"], consumer);
        assert.equal(anyStack.code, 0, anyStack.output);
        for (const name of fs.readdirSync(path.join(consumer, "iam"))) {
            assert.equal(
                fs.readFileSync(path.join(consumer, "iam", name), "utf8"),
                fs.readFileSync(path.join(root, "docs", "iam-policy", name), "utf8"),
                name,
            );
        }
        assert.match(anyStack.output, /aws iam create-policy --policy-name cloudfront-china-any-stack-1 --policy-document file:\/\/iam\//);
        const boundary = await sh("npx", ["cloudfront-china-policy", "--watch-boundary", "--account", "123456789012"], consumer);
        assert.equal(boundary.code, 0, boundary.output);
        assert.match(boundary.output, /"arn:aws-cn:iam::123456789012:server-certificate\/cloudfront\/\*"/);
    });

    it("`pulumi new` from the template (its own npm install), the package from the packed tarball: plans clean, refuses a typo and a China-incompatible edit, and deploys and destroys under the CLI", async () => {
        peers = await usePeers();
        const zone = await createZone("example.cn");
        const work = tempDir("cfcn-template-");
        const project = path.join(work, "my-site");
        // npm's own setting: its cache first (the registry is asked only for what the cache lacks).
        const templateEnv: NodeJS.ProcessEnv = {
            ...engineEnv(work),
            PULUMI_CONFIG_PASSPHRASE: "template-test",
            npm_config_prefer_offline: "true",
        };
        installStandInAws(templateEnv.PULUMI_HOME!);
        const domains = `www.${zone.name},${zone.name}`;
        // As a user runs it: `pulumi new` installs the template's dependencies and creates the stack.
        await ok(
            path.join(pulumiBinDir(), "pulumi"),
            [
                "new",
                path.join(root, "templates", "china-site"),
                "--yes",
                "--non-interactive",
                "--dir",
                project,
                "--name",
                "my-site",
                "--description",
                "Our site in China",
                "--stack",
                "dev",
                "-c",
                `domains=${domains}`,
                "-c",
                `hostedZoneId=${zone.id}`,
                "-c",
                "email=ops@example.cn",
            ],
            work,
            templateEnv,
        );
        assert.match(fs.readFileSync(path.join(project, "Pulumi.yaml"), "utf8"), /^name: my-site\ndescription: Our site in China\n/);
        const manifest = JSON.parse(fs.readFileSync(path.join(project, "package.json"), "utf8")) as {
            name: string;
            dependencies: Record<string, string>;
        };
        assert.equal(manifest.name, "my-site");
        assert.equal(manifest.dependencies["cloudfront-china"], undefined, "no dependency on a registry name this project does not own");
        assert.ok(fs.existsSync(path.join(project, "site", "404.html")), "a starter site with its 404 page");
        const cli = stackCli(() => templateEnv, "dev", project);
        const missing = await cli.run("preview");
        assert.notEqual(missing.code, 0);
        assert.match(missing.output, /the cloudfront-china package is not installed: in your clone of cloudfront-china run `npm pack`/);

        await ok("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", tarball], project);
        await ok("npx", ["tsc", "--noEmit", "-p", "."], project);
        const good = await sh("npx", ["cloudfront-china-plan", "--stack", "dev", "--hosted-zone-name", zone.name], project);
        assert.equal(good.code, 0, good.output);
        assert.match(good.output, /IamAcmeCertificate\s+certificate/);
        assert.match(good.output, /Result: compatible with CloudFront in the AWS China regions\./);

        // A typo in the project's namespace is refused before anything is created.
        await cli.ok("config", "set", "emial", "ops@example.cn");
        const typo = await cli.run("preview");
        assert.notEqual(typo.code, 0);
        assert.match(typo.output, /`my-site:emial` is not a setting of this project/);
        await cli.ok("config", "rm", "emial");

        // Against Pebble and moto: the template's own settings point it at the test CA and DNS.
        await cli.ok("config", "set", "acmeDirectoryUrl", peers.pebble.directoryUrl);
        await cli.ok("config", "set", "acmeProfile", "default");
        await cli.ok("config", "set", "dnsResolvers", peers.dns.address);
        const up = await cli.ok("up", "--yes");
        assert.match(up.output, /IamAcmeCertificate\s+certificate\s+created/);
        assert.match(up.output, /aws:cloudfront:Distribution\s+site-cdn\s+created/);
        assert.deepEqual(await cli.output<string[]>("urls"), [`https://www.${zone.name}/`, `https://${zone.name}/`]);
        await cli.ok("destroy", "--yes");

        const index = path.join(project, "index.ts");
        fs.writeFileSync(
            index,
            fs
                .readFileSync(index, "utf8")
                .replace(`contentDir: "site",`, `contentDir: "site",\n        distributionOverrides: { isIpv6Enabled: true },`),
        );
        const bad = await sh("npx", ["cloudfront-china-plan", "--stack", "dev", "--hosted-zone-name", zone.name], project);
        assert.equal(bad.code, 2, bad.output);
        assert.match(bad.output, /\[ipv6-disabled\]/);
    });

    it("under the Pulumi CLI: up issues from the consumer's node_modules, a second up changes nothing, destroy cleans up", async () => {
        peers = await usePeers();
        const zone = await createZone("example.cn");
        env = engineEnv(tempDir("cfcn-consumer-state-"));
        await cli.run("stack", "init");
        await cli.ok("config", "set", "--path", "domains[0]", `www.${zone.name}`);
        for (const [key, value] of Object.entries({
            directoryUrl: peers.pebble.directoryUrl,
            zoneName: zone.name,
            zoneId: zone.id,
            dnsResolver: peers.dns.address,
            // 90-day certificates: the second up must fall outside the renewal window.
            profile: "default",
            standIn: "true",
        })) {
            await cli.ok("config", "set", key, value);
        }
        const orders = peers.pebble.ordersCreated();
        await cli.ok("up", "--yes", "--skip-preview");
        assert.equal(peers.pebble.ordersCreated(), orders + 1, "one order");
        const name = await cli.output("certificateName");
        const state = JSON.parse((await cli.ok("stack", "export")).output) as {
            deployment: { resources: Array<{ type: string; inputs?: { __provider?: string } }> };
        };
        const provider = state.deployment.resources.find((r) => r.type.endsWith(":IamAcmeCertificate"))?.inputs?.__provider ?? "";
        assert.match(provider, /cloudfront-china\/dist\//, "the serialized provider requires the installed package's modules");
        const second = await cli.ok("up", "--yes", "--skip-preview");
        assert.doesNotMatch(second.output, /\b\d+ (created|updated|replaced|deleted)\b/, second.output);
        assert.match(second.output, /\b\d+ unchanged\b/);
        await cli.ok("preview", "--expect-no-changes");
        assert.equal(peers.pebble.ordersCreated(), orders + 1, "no new order");
        await cli.ok("destroy", "--yes", "--skip-preview");
        const left = await new IAMClient({ region: "cn-north-1" }).send(new ListServerCertificatesCommand({}));
        assert.equal(
            (left.ServerCertificateMetadataList ?? []).filter((m) => m.ServerCertificateName === name).length,
            0,
            "deleted from IAM",
        );
    });
});
