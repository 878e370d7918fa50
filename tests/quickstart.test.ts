/**
 * The README's Quickstart, executed literally in a fresh clone under the real Pulumi CLI: the
 * project's own index.ts, Pulumi.yaml and example stack file, with pulumi-aws replaced by the
 * test-only stand-in plugin (tests/standin-aws, backed by moto). The commands are read from the
 * README's bash blocks (Quickstart, then "A second environment"), and run in order. Only what cannot
 * run here is substituted, as the other suites do:
 *   - the clone source (this repository) and `pulumi login` (a file:// backend);
 *   - the ACME directory (Pebble, with its "default" 90-day profile pinned and the test DNS server
 *     as resolver) and, for "production", the same Pebble under another URL (a second CA account);
 *   - the AWS endpoint (moto behind the fault proxy, AWS_ENDPOINT_URL) and the credentials: a
 *     hermetic credentials file holding the `china-prod` profile the README exports;
 *   - the hosted zone id (moto's zone for your-domain.cn) and, for `npm run status`, the address of
 *     the edge (a local TLS server serving what IAM holds) and the ICP recordals GetDistribution
 *     reports (APPROVED, the README's precondition; moto never reports any).
 * Between the README's steps the test adds what the issue asks to see: a no-op `pulumi up` (no change,
 * no ACME order), an `up` inside the renewal window (the CA moves the window, as on a revocation) run
 * with the renewal workflow's own command and credentials, and the checks on moto after each step.
 */
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { CloudFrontClient, GetDistributionConfigCommand, ListDistributionsCommand } from "@aws-sdk/client-cloudfront";
import { GetServerCertificateCommand, IAMClient, ListServerCertificatesCommand, ServerCertificateMetadata } from "@aws-sdk/client-iam";
import { CreateHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client } from "@aws-sdk/client-route-53";
import { HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { engineEnv } from "./support/engine";
import { Peers, usePeers } from "./support/fixture";
import { SniServer, distributionRewrite, setRenewalInfo, startSniServer, tempDir, trustPebbleRoots } from "./support/peers";
import { installStandInAws } from "./support/standinAws";

const root = path.resolve(__dirname, "..");
const DOMAINS = ["www.your-domain.cn", "your-domain.cn"];
const PROFILE_KEY = "AKIACHINAPRODEXAMPLE";

/** The text of the README's `## section`, up to the next `## ` heading. */
/**
 * A printed line with what changes from run to run made generic: ids, hashes, serials, names with
 * dates, ports, times and counts (digits), and runs of spaces (column widths follow the values).
 */
function shape(line: string): string {
    return line
        .replace(/[A-Za-z0-9_-]{20,}/g, "#")
        .replace(/\b(?=[A-Za-z]*\d)[A-Za-z0-9]{8,19}\b/g, "#")
        .replace(/\b[0-9a-f]{6,}\b/gi, "#")
        .replace(/\d+/g, "0")
        .replace(/\s+/g, " ")
        .trim();
}

function readmeSection(readme: string, section: string): string {
    return readme.split(new RegExp(`^## ${section}$`, "m"))[1]?.split(/^## /m)[0] ?? "";
}

/** The commands of the README's bash blocks in `section` (comments and blank lines dropped), in order. */
export function readmeCommands(readme: string, section: string): string[] {
    return [...readmeSection(readme, section).matchAll(/```bash\n([\s\S]*?)```/g)]
        .flatMap((m) => m[1].split("\n"))
        .map((l) => l.replace(/\s+#.*$/, "").trim())
        .filter((l) => l && !l.startsWith("#"));
}

interface Ran {
    command: string;
    status: number | null;
    output: string;
    /** Access key ids that signed the AWS calls made while the command ran. */
    signers: Set<string>;
}

describe("README Quickstart, executed in a fresh clone under the real Pulumi CLI", function () {
    this.timeout(1_500_000);
    let peers: Peers;
    let edge: SniServer;
    let work: string;
    let clone: string;
    let zoneId: string;
    let env: NodeJS.ProcessEnv;
    const ran: Ran[] = [];
    const icpApproved = { match: /^GET \/2020-05-31\/distribution\/[^/]+$/, transform: distributionRewrite({}) };

    /**
     * Runs one shell command in the clone (or `cwd`), records it, and returns its combined output.
     * Asynchronous: the fault proxy and the DNS server the CLI reaches live in this process.
     */
    function sh(command: string, cwd = clone, extraEnv: NodeJS.ProcessEnv = {}): Promise<Ran> {
        const started = Date.now();
        const mark = peers.proxy.signed.length;
        return new Promise((resolve) => {
            const child = spawn("bash", ["-c", command], { cwd, env: { ...env, ...extraEnv } });
            let output = "";
            child.stdout.on("data", (d: Buffer) => (output += d.toString()));
            child.stderr.on("data", (d: Buffer) => (output += d.toString()));
            child.on("close", (status) => {
                console.log(`      $ ${command}  (${((Date.now() - started) / 1000).toFixed(1)} s, exit ${status})`);
                const r = { command, status, output, signers: new Set(peers.proxy.signed.slice(mark).map((c) => c.accessKeyId)) };
                ran.push(r);
                resolve(r);
            });
        });
    }
    async function ok(command: string, cwd = clone, extraEnv: NodeJS.ProcessEnv = {}): Promise<string> {
        const r = await sh(command, cwd, extraEnv);
        assert.equal(r.status, 0, `${command}\n${r.output.slice(-6000)}`);
        return r.output;
    }
    const stackOutput = async (name: string, stack = "cn-north-1") =>
        JSON.parse(await ok(`pulumi stack output ${name} --json --stack ${stack}`)) as unknown;

    /** What the README says, with the substitutions of the file header. */
    function substitute(command: string): string {
        return command
            .replace(/^git clone \S+ && cd cloudfront-china$/, `git clone --quiet ${root} cloudfront-china`)
            .replace(/^pulumi login\b.*$/, `pulumi login file://${work}`)
            .replace(/^npm ci$/, "npm ci --no-audit --no-fund --prefer-offline")
            .replace("Z0YOURZONEID", zoneId)
            .replace(
                /^pulumi config rm cloudfront-china:acmeDirectoryUrl$/,
                // "Production": the same Pebble under another name, so a new account and a new certificate.
                `pulumi config set cloudfront-china:acmeDirectoryUrl ${peers.pebble.directoryUrl.replace("127.0.0.1", "localhost")}`,
            )
            .replace(
                /^(npm run status -- --stack \S+)$/,
                `$1 --iam-quota 10000 ${DOMAINS.map((d) => `--connect ${d}=${edge.address}`).join(" ")}`,
            );
    }

    /** Runs the README's `command`, applying `export`s to the environment and the ACME substitution after `stack init`. */
    async function runReadme(command: string): Promise<string> {
        const exported = /^export (\w+)=(\S+)$/.exec(command);
        if (exported?.[1] === "PULUMI_CONFIG_PASSPHRASE_FILE") {
            // The passphrase from a file, as the README has it: the file is the test's, and the only source.
            const file = path.join(work, "passphrase");
            fs.writeFileSync(file, String(env.PULUMI_CONFIG_PASSPHRASE), { mode: 0o600 });
            env.PULUMI_CONFIG_PASSPHRASE_FILE = file;
            delete env.PULUMI_CONFIG_PASSPHRASE;
            ran.push({ command, status: 0, output: "", signers: new Set() });
            return "";
        }
        if (exported) {
            env[exported[1]] = exported[2];
            ran.push({ command, status: 0, output: "", signers: new Set() });
            return "";
        }
        const output = await ok(substitute(command));
        const init = /^pulumi stack init (\S+)$/.exec(command);
        if (init) {
            await ok(`pulumi config set cloudfront-china:acmeDirectoryUrl ${peers.pebble.directoryUrl}`);
            await ok("pulumi config set cloudfront-china:acmeProfile default");
            await ok(`pulumi config set --path 'cloudfront-china:dnsResolvers[0]' ${peers.dns.address}`);
            // The stack file's comments stay where they were after the CLI rewrote the file (a block
            // commented out below `config:` used to end up under the last key, tags).
            const comments = (text: string) => text.split("\n").filter((line) => /^\s*#/.test(line));
            const committed = spawnSync("git", ["show", `HEAD:Pulumi.${init[1]}.yaml`], { cwd: clone, encoding: "utf8" });
            if (committed.status === 0) {
                assert.deepEqual(comments(fs.readFileSync(path.join(clone, `Pulumi.${init[1]}.yaml`), "utf8")), comments(committed.stdout));
            }
        }
        return output;
    }

    const iam = () => new IAMClient({ region: "cn-north-1" });
    /** The Quickstart site's certificates in IAM: under the stack's path and named after its primary name (other suites share moto). */
    async function stackCertificates(stack: string) {
        const all: ServerCertificateMetadata[] = [];
        let marker: string | undefined;
        do {
            const page = await iam().send(
                new ListServerCertificatesCommand({ PathPrefix: `/cloudfront/cloudfront-china/${stack}/`, Marker: marker }),
            );
            all.push(...(page.ServerCertificateMetadataList ?? []));
            marker = page.IsTruncated ? page.Marker : undefined;
        } while (marker);
        return all.filter((c) => c.ServerCertificateName?.startsWith(`${DOMAINS[0]}-`));
    }
    async function distributionsFor(alias: string) {
        const list = await new CloudFrontClient({ region: "cn-north-1" }).send(new ListDistributionsCommand({}));
        return (list.DistributionList?.Items ?? []).filter((d) => (d.Aliases?.Items ?? []).includes(alias));
    }
    /** Makes the local edge serve what the distribution serves: the IAM certificate and the key from the stack's state. */
    async function serveCurrentCertificate(): Promise<void> {
        const id = (await stackOutput("certificateId")) as string;
        const meta = (await stackCertificates("cn-north-1")).find((c) => c.ServerCertificateId === id);
        assert.ok(meta, `certificate ${id} is in IAM under /cloudfront/cn-north-1/`);
        const stored = (await iam().send(new GetServerCertificateCommand({ ServerCertificateName: meta.ServerCertificateName })))
            .ServerCertificate!;
        const state = JSON.parse(await ok("pulumi stack export --show-secrets --stack cn-north-1")) as {
            deployment: { resources: Array<{ type: string; outputs?: Record<string, unknown> }> };
        };
        const certificate = state.deployment.resources.find(
            (r) => r.type === "pulumi-nodejs:dynamic/cloudfront-china:IamAcmeCertificate" && r.outputs?.serverCertificateId === id,
        );
        // A secret in an export with --show-secrets: {<sig>: …, plaintext: <the value as JSON>}.
        const secret = certificate?.outputs?.privateKeyPem as { plaintext?: string } | undefined;
        const key = secret?.plaintext !== undefined ? (JSON.parse(secret.plaintext) as unknown) : undefined;
        assert.ok(typeof key === "string" && key.includes("PRIVATE KEY"), "the certificate's key is in the state");
        const pair = { cert: `${stored.CertificateBody}\n${stored.CertificateChain ?? ""}`, key };
        DOMAINS.forEach((d) => edge.serving.set(d, pair));
    }

    before(async () => {
        peers = await usePeers();
        edge = await startSniServer();
        work = tempDir("cfcn-quickstart-");
        const zone = await new Route53Client({ region: "cn-north-1" }).send(
            new CreateHostedZoneCommand({ Name: "your-domain.cn", CallerReference: `quickstart-${Date.now()}` }),
        );
        zoneId = zone.HostedZone!.Id!.replace(/^\/hostedzone\//, "");
        // The user's ~/.aws files, hermetic: the profile the README exports.
        const credentials = path.join(work, "aws-credentials");
        fs.writeFileSync(credentials, `[china-prod]\naws_access_key_id = ${PROFILE_KEY}\naws_secret_access_key = testing\n`);
        fs.writeFileSync(path.join(work, "aws-config"), "[profile china-prod]\n");
        env = {
            ...engineEnv(work),
            AWS_SHARED_CREDENTIALS_FILE: credentials,
            AWS_CONFIG_FILE: path.join(work, "aws-config"),
            // Pebble's HTTPS and its issuing root, which the status command's handshake checks.
            NODE_EXTRA_CA_CERTS: await trustPebbleRoots(peers.pebble, work),
        };
        for (const k of [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_PROFILE",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
        ]) {
            delete env[k];
        }
        installStandInAws(env.PULUMI_HOME!);
        // IAM's DeleteConflict while a distribution still serves a certificate: any gap would show.
        peers.proxy.conflictWhileAttached.on = true;
        peers.proxy.rewrites.push(icpApproved);
    });

    after(() => {
        peers.proxy.conflictWhileAttached.on = false;
        peers.proxy.rewrites.splice(peers.proxy.rewrites.indexOf(icpApproved), 1);
        edge?.stop();
    });

    it("runs every command of the Quickstart and the second-environment recipe, and the renewal workflow's up", async () => {
        const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
        const quickstart = readmeCommands(readme, "Quickstart");
        // The teardown starts by keeping the outputs (the kept buckets' names), then destroys.
        const teardown = quickstart.findIndex((c) => c.startsWith("pulumi stack output --json") || c.startsWith("pulumi destroy"));
        assert.ok(teardown > 0, quickstart.join("\n"));
        assert.match(quickstart[0], /^git clone \S+ && cd cloudfront-china$/);
        assert.ok(
            !quickstart.some((c) => /aws:profile/.test(c)),
            "the stack file names no AWS identity (credentials come from the environment)",
        );

        // 1. Clone, install, log in, stack, config, plan, preview, first up, status.
        await ok(substitute(quickstart[0]), work);
        clone = path.join(work, "cloudfront-china");
        // Not yet committed work of this checkout is part of what is tested: copy it over the clone.
        for (const file of spawnSync("git", ["ls-files", "-m", "-o", "--exclude-standard"], { cwd: root, encoding: "utf8" })
            .stdout.split("\n")
            .filter((f) => f && fs.statSync(path.join(root, f), { throwIfNoEntry: false })?.isFile())) {
            fs.mkdirSync(path.dirname(path.join(clone, file)), { recursive: true });
            fs.copyFileSync(path.join(root, file), path.join(clone, file));
        }
        const firstDeploy = quickstart.slice(1, quickstart.indexOf("npm run status -- --stack cn-north-1") + 1);
        const sampled = new Map<string, string>();
        const ordersBefore = peers.pebble.ordersCreated();
        const firstRan = ran.length;
        for (const command of firstDeploy) {
            const output = await runReadme(command);
            if (command.startsWith("npm run plan")) {
                assert.match(output, /Result: compatible with CloudFront in the AWS China regions\./);
                assert.match(output, /domains: www\.your-domain\.cn, your-domain\.cn/);
            }
            if (command === "pulumi preview") {
                assert.equal(peers.pebble.ordersCreated(), ordersBefore, "a preview never orders a certificate");
                assert.match(output, /\+ 21 to create/, "stack, component, 16 aws resources, account, certificate, content");
            }
            if (command.startsWith("pulumi up")) {
                assert.equal(peers.pebble.ordersCreated(), ordersBefore + 1, "one order for the two names");
                assert.doesNotMatch(output, /Undefined value/, "no warning about outputs of features that are off");
                await serveCurrentCertificate();
            }
            if (command.startsWith("npm run status")) {
                assert.match(output, /^OK: distribution \w+ Deployed, certificate www\.your-domain\.cn/m);
            }
            sampled.set(command, output);
        }
        // The README's sample output is what these commands print: each of its lines (but `…`) is a
        // line of the real output, ids, times, counts and ports aside.
        const sampleBlock = /```text\n([^]*?)```/.exec(readmeSection(readme, "Quickstart"))?.[1] ?? "";
        const samples = new Map(
            sampleBlock
                .split(/^\$ /m)
                .filter(Boolean)
                .map((part) => {
                    const [command, ...lines] = part.split("\n");
                    return [command, lines.filter((l) => l.trim() && l !== "…")] as const;
                }),
        );
        assert.deepEqual([...samples.keys()], ["pulumi up --yes", "npm run status -- --stack cn-north-1"]);
        for (const [command, lines] of samples) {
            const printed = new Set((sampled.get(command) ?? "").split("\n").map(shape));
            for (const line of lines) {
                assert.ok(
                    printed.has(shape(line)),
                    `README's sample of \`${command}\`: "${line}" is not what it prints:\n${sampled.get(command)}`,
                );
            }
        }

        // Every AWS call of the deploy, pulumi-aws's and the dynamic providers', used the exported profile.
        const signers = new Set(ran.slice(firstRan).flatMap((r) => [...r.signers]));
        assert.deepEqual([...signers], [PROFILE_KEY]);

        const certificateId = (await stackOutput("certificateId")) as string;
        const [listed] = await distributionsFor("www.your-domain.cn");
        assert.ok(listed, "a distribution serves www.your-domain.cn");
        const distribution = (
            await new CloudFrontClient({ region: "cn-north-1" }).send(new GetDistributionConfigCommand({ Id: listed.Id }))
        ).DistributionConfig!;
        assert.equal(distribution.ViewerCertificate?.IAMCertificateId, certificateId);
        assert.equal(distribution.Origins?.Items?.[0].DomainName, `${await stackOutput("bucketName")}.s3.cn-north-1.amazonaws.com.cn`);
        assert.match(
            distribution.Origins?.Items?.[0].S3OriginConfig?.OriginAccessIdentity ?? "",
            /^origin-access-identity\/cloudfront\/E\w+$/,
        );
        assert.equal(distribution.ViewerCertificate?.MinimumProtocolVersion, "TLSv1.2_2021");
        assert.equal(distribution.IsIPV6Enabled, false);
        assert.equal(distribution.DefaultCacheBehavior?.ForwardedValues?.QueryString, false, "legacy forwarded values (no cache policy)");
        assert.equal(distribution.DefaultCacheBehavior?.CachePolicyId ?? "", "");
        const records = await new Route53Client({ region: "cn-north-1" }).send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
        for (const d of DOMAINS) {
            const a = records.ResourceRecordSets?.find((r) => r.Type === "A" && r.Name === `${d}.`);
            assert.equal(a?.AliasTarget?.HostedZoneId, "Z3RFFRIM2A3IF5", `alias record for ${d}`);
        }
        assert.equal(await stackOutput("contentObjects"), fs.readdirSync(path.join(clone, "site")).length);

        // The policy pack as `pulumi policy publish` packs it (npm pack), run on the Quickstart's stack.
        // Harness: the CLI built here starts a pack through the legacy analyzer path (its Node language
        // host lacks RunPlugin), so the pack's runtime is renamed to a shim that starts Pulumi's own
        // policy-pack runner (which compiles the pack's TypeScript with the pack's tsconfig).
        const before = await ok("git status --short policy");
        const tarball = (await ok(`npm pack --silent --pack-destination ${work}`, path.join(clone, "policy"))).trim().split("\n").pop()!;
        assert.equal(await ok("git status --short policy"), before, "packing leaves the checkout as it was");
        const pack = path.join(work, "policy-pack");
        fs.mkdirSync(pack);
        await ok(`tar -xzf ${path.join(work, tarball)} -C ${pack} --strip-components=1`);
        for (const file of fs.readdirSync(pack).filter((f) => f.endsWith(".ts"))) {
            assert.doesNotMatch(fs.readFileSync(path.join(pack, file), "utf8"), /from "\.\.\//, `${file} imports nothing outside the pack`);
        }
        await ok("npm install --no-audit --no-fund --prefer-offline", pack);
        const yamlFile = path.join(pack, "PulumiPolicy.yaml");
        fs.writeFileSync(yamlFile, fs.readFileSync(yamlFile, "utf8").replace(/^runtime: nodejs$/m, "runtime: nodepack"));
        const shims = path.join(work, "shims");
        fs.mkdirSync(shims);
        fs.writeFileSync(
            path.join(shims, "pulumi-analyzer-policy-nodepack"),
            `#!/bin/sh\nexec node "$(node -p 'require.resolve("@pulumi/pulumi/cmd/run-policy-pack")')" "$@"\n`,
            { mode: 0o755 },
        );
        const policed = await ok(`pulumi preview --policy-pack ${pack}`, clone, { PATH: `${shims}${path.delimiter}${env.PATH}` });
        assert.match(policed, /Policies:\s*\n\s*✅ cloudfront-china@v0\.2\.0 \(local: /);

        // 2. A second `pulumi up` of the unchanged stack: no change, no ACME order.
        const orders = peers.pebble.ordersCreated();
        const noop = await ok("pulumi up --yes");
        assert.match(noop, /Resources:\s+\d+ unchanged\s/);
        assert.doesNotMatch(noop, /\b(created|updated|replaced|deleted)\b/);
        assert.equal(peers.pebble.ordersCreated(), orders);

        // 3. Production: a new account and certificate, swapped in before the old one is deleted.
        const production = quickstart.slice(firstDeploy.length + 1, teardown);
        const [toProduction, productionUp] = production.slice(0, 2);
        await runReadme(toProduction);
        await runReadme(productionUp);
        const productionId = (await stackOutput("certificateId")) as string;
        assert.notEqual(productionId, certificateId);
        assert.deepEqual(
            (await stackCertificates("cn-north-1")).map((c) => c.ServerCertificateId),
            [productionId],
            "the staging certificate was deleted",
        );
        assert.equal((await distributionsFor("www.your-domain.cn"))[0].ViewerCertificate?.IAMCertificateId, productionId);

        // 4. The edited content file: that upload and that invalidation only.
        let mark = peers.proxy.seen.length;
        const [edit, contentUp] = production.slice(2, 4);
        assert.match(edit, /> site\/index\.html$/);
        await runReadme(edit);
        const contentOutput = await runReadme(contentUp);
        assert.match(contentOutput, /\[content\] s3:\/\/\S+: 1 uploaded, 0 deleted/);
        const seen = peers.proxy.seen.slice(mark);
        assert.deepEqual(
            seen
                .filter((a) => /^PUT \/cfcn-[0-9a-f]{10}-site-bucket-[^/]+\/.+PutObject/.test(a))
                .map((a) => a.split("?")[0].split("/").slice(2).join("/")),
            ["index.html"],
        );
        assert.equal(seen.filter((a) => /^POST \/2020-05-31\/distribution\/\w+\/invalidation/.test(a)).length, 1);

        // 5. Renewal inside the window (the CA moves it to now), by the renewal workflow's own command,
        //    with keys in the environment as its OIDC step exports them (no profile).
        const workflow = yaml.load(fs.readFileSync(path.join(clone, ".github", "workflows", "renew.yml"), "utf8")) as {
            jobs: {
                up: {
                    steps: Array<{ uses?: string; run?: string; with?: Record<string, string> }>;
                    strategy: { matrix: { include: Array<{ stack: string }> } };
                };
            };
        };
        const up = workflow.jobs.up;
        assert.ok(up.steps.some((s) => s.run === "npm ci --ignore-scripts"));
        const pulumiStep = up.steps.find((s) => s.uses?.startsWith("pulumi/actions"));
        assert.equal(pulumiStep?.with?.command, "up");
        assert.equal(up.strategy.matrix.include[0].stack, "cn-north-1", "the workflow's matrix names the Quickstart's stack");
        const served = (
            await iam().send(
                new GetServerCertificateCommand({
                    ServerCertificateName: (await stackCertificates("cn-north-1"))[0].ServerCertificateName,
                }),
            )
        ).ServerCertificate!.CertificateBody!;
        const past = new Date(Date.now() - 3_600_000);
        await setRenewalInfo(peers.pebble, served, {
            suggestedWindow: { start: past.toISOString(), end: new Date(past.getTime() + 1000).toISOString() },
        });
        mark = peers.proxy.seen.length;
        const ciEnv = {
            AWS_PROFILE: "",
            AWS_SHARED_CREDENTIALS_FILE: path.join(work, "none"),
            AWS_ACCESS_KEY_ID: "AKIAGITHUBOIDCSESSION",
            AWS_SECRET_ACCESS_KEY: "testing",
            AWS_REGION: "cn-north-1",
        };
        const renewal = await ok(`pulumi up --yes --stack ${up.strategy.matrix.include[0].stack}`, clone, ciEnv);
        assert.match(renewal, /replaced/);
        assert.deepEqual(
            [...ran[ran.length - 1].signers],
            [ciEnv.AWS_ACCESS_KEY_ID],
            "the workflow's run used the keys in its environment",
        );
        const renewedId = (await stackOutput("certificateId")) as string;
        assert.notEqual(renewedId, productionId);
        const order = peers.proxy.seen.slice(mark);
        const uploaded = order.indexOf("UploadServerCertificate");
        const repointed = order.findIndex((a) => /^PUT \/2020-05-31\/distribution\/\w+\/config$/.test(a));
        const deleted = order.indexOf("DeleteServerCertificate");
        assert.ok(
            uploaded >= 0 && uploaded < repointed && repointed < deleted,
            `new certificate, distribution re-pointed, old deleted: ${order.join(", ")}`,
        );
        assert.equal(peers.proxy.conflictWhileAttached.answered, 0, "no certificate was deleted while a distribution served it");

        // The README's "renew the certificate alone, now": the certificate replaced, the distribution
        // re-pointed, nothing else of the stack touched (run-it-on-a-schedule section).
        const alone = readmeSection(readme, "Run it on a schedule").match(/`(pulumi up --yes --replace <URN>[^`]*)`/)?.[1];
        assert.ok(alone, "the README gives the command");
        const urn = /urn:pulumi:\S+IamAcmeCertificate::certificate/.exec(await ok("pulumi stack --show-urns"))?.[0];
        assert.ok(urn, "the certificate's URN, found the way the README says");
        const renewedAlone = await ok(alone.replace(/<URN>/g, `'${urn}'`));
        assert.match(renewedAlone, /IamAcmeCertificate\s+certificate\s+replaced/);
        assert.match(renewedAlone, /aws:cloudfront:Distribution\s+site-cdn\s+updated/);
        assert.doesNotMatch(renewedAlone, /SiteContent\s+site-content\s+(updated|replaced)/);
        assert.notEqual(await stackOutput("certificateId"), renewedId);

        // 6. The second-environment recipe: its own names, its own distribution.
        const second = readmeCommands(readme, "A second environment");
        await ok(second[0]);
        const clash = await sh("npm run plan -- --stack cn-northwest-1");
        assert.equal(clash.status, 2, clash.output);
        assert.match(clash.output, /www\.your-domain\.cn is also served by stack cn-north-1 \(Pulumi\.cn-north-1\.yaml\)/);
        for (const command of second.slice(1)) {
            const output = await runReadme(command);
            if (command.startsWith("npm run plan")) {
                assert.match(output, /Result: compatible/);
            }
        }
        assert.equal((await distributionsFor("staging.your-domain.cn")).length, 1);
        assert.equal((await distributionsFor("www.your-domain.cn")).length, 1);
        await ok("pulumi destroy --yes --stack cn-northwest-1");
        await ok("pulumi stack rm cn-northwest-1 --yes");
        await ok("pulumi stack select cn-north-1");

        // 7. Tear down.
        const bucket = (await stackOutput("bucketName")) as string;
        for (const command of quickstart.slice(teardown)) {
            await runReadme(command);
        }
        assert.equal((await distributionsFor("www.your-domain.cn")).length, 0);
        assert.deepEqual(await stackCertificates("cn-north-1"), []);
        await new S3Client({ region: "cn-north-1", forcePathStyle: true }).send(new HeadBucketCommand({ Bucket: bucket })); // kept: destroyBuckets is false
        const kept = JSON.parse(fs.readFileSync(path.join(clone, "outputs-cn-north-1.json"), "utf8")) as Record<string, unknown>;
        assert.equal(kept.bucketName, bucket, "the kept bucket's name outlives the stack, in the file the README writes");
        assert.ok(!fs.existsSync(path.join(clone, "Pulumi.cn-north-1.yaml")), "stack rm removed the stack file");

        // Every README command ran, and every run command succeeded.
        const readmeRan = [...quickstart, ...second].filter((c) => !ran.some((r) => r.command === substitute(c) || r.command === c));
        assert.deepEqual(readmeRan, [], "README commands that did not run");
    });
});
