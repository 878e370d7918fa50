/**
 * Zero-gap rotation under the real Pulumi engine (CLI built by tests/peers/install-pulumi.sh), with
 * the project's IamAcmeCertificate issued by Pebble and a stand-in distribution in moto. A watcher
 * polls moto during each renewal: at every sample the distribution's certificate must exist in IAM
 * and be unexpired.
 */
import * as assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { CloudFrontClient, GetDistributionConfigCommand, GetInvalidationCommand } from "@aws-sdk/client-cloudfront";
import { GetServerCertificateCommand, IAMClient, ListServerCertificatesCommand } from "@aws-sdk/client-iam";
import { ListResourceRecordSetsCommand, Route53Client } from "@aws-sdk/client-route-53";
import { CreateBucketCommand, DeleteBucketCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { contentCalls } from "./support/content";
import { stepsOfOneScenario } from "./support/scenario";
import { Peers, SAMPLE_SITE, createZone, usePeers, writeFiles } from "./support/fixture";
import { tempDir } from "./support/peers";
import { CONTENT_PROGRAM, Run, configureStack, engineEnv, runPulumi, stackCli } from "./support/engine";

const STACK = "engine";
const IAM_PATH = `/cloudfront/engine-test/${STACK}/certificate/`;
/** Lifetime of Pebble's "minutes" profile and the renewal lead used here (renewBeforeDays). */
const LIFETIME_S = 90;
const RENEW_BEFORE_S = 45;

interface EngineEvent {
    op: string;
    type: string;
    name: string;
}

const iam = () => new IAMClient({ region: "cn-north-1" });

/** Completed steps from an --event-log file, in order. */
function steps(eventLog: string): EngineEvent[] {
    return fs
        .readFileSync(eventLog, "utf8")
        .split("\n")
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as { resOutputsEvent?: { metadata: { op: string; type: string; urn: string } } })
        .filter((e) => e.resOutputsEvent)
        .map((e) => ({
            op: e.resOutputsEvent!.metadata.op,
            type: e.resOutputsEvent!.metadata.type,
            name: e.resOutputsEvent!.metadata.urn.split("::").pop() ?? "",
        }))
        .filter((e) => e.op !== "same");
}

async function certificatesUnderPath(iamPath = IAM_PATH): Promise<Array<{ id: string; name: string }>> {
    const list = await iam().send(new ListServerCertificatesCommand({ PathPrefix: iamPath }));
    // Filtered here too: moto ignores PathPrefix.
    return (list.ServerCertificateMetadataList ?? [])
        .filter((m) => m.Path?.startsWith(iamPath))
        .map((m) => ({
            id: m.ServerCertificateId ?? "",
            name: m.ServerCertificateName ?? "",
        }));
}

/** Polls moto until stopped: the distribution's certificate must exist in IAM and be unexpired. */
function watch(distributionId: string, iamPath = IAM_PATH): { stop: () => Promise<{ samples: number; gaps: string[] }> } {
    let running = true;
    let samples = 0;
    const gaps: string[] = [];
    const cloudfront = new CloudFrontClient({ region: "cn-north-1" });
    const loop = (async () => {
        while (running) {
            const config = await cloudfront.send(new GetDistributionConfigCommand({ Id: distributionId }));
            const attached = config.DistributionConfig?.ViewerCertificate?.IAMCertificateId ?? "";
            const match = (await certificatesUnderPath(iamPath)).find((c) => c.id === attached);
            const now = Date.now();
            if (!match) {
                gaps.push(`${new Date(now).toISOString()}: attached ${attached} is not in IAM`);
            } else {
                const body =
                    (await iam().send(new GetServerCertificateCommand({ ServerCertificateName: match.name }))).ServerCertificate
                        ?.CertificateBody ?? "";
                if (Date.parse(new X509Certificate(body).validTo) <= now) {
                    gaps.push(`${new Date(now).toISOString()}: attached ${match.name} has expired`);
                }
            }
            samples++;
            await new Promise((r) => setTimeout(r, 200));
        }
    })();
    return {
        stop: async () => {
            running = false;
            await loop;
            return { samples, gaps };
        },
    };
}

describe("zero-gap rotation under the real Pulumi engine (one scenario: steps 1-6)", function () {
    this.timeout(900_000);
    // One scenario on one stack: each step starts from the state the one before left.
    stepsOfOneScenario();
    let peers: Peers;
    let env: NodeJS.ProcessEnv;
    let work: string;
    let zone: { id: string; name: string };

    const pulumi = (...args: string[]) => runPulumi(env, STACK, args);

    async function ok(...args: string[]): Promise<Run> {
        const run = await pulumi(...args);
        assert.equal(run.code, 0, `pulumi ${args.join(" ")} failed:\n${run.output}`);
        return run;
    }

    /** Waits until the stack's certificate is due for renewal. */
    async function waitForWindow(): Promise<void> {
        const renewAfter = Date.parse(JSON.parse((await ok("stack", "output", "renewAfter", "--json")).output));
        const wait = renewAfter - Date.now();
        if (wait > 0) {
            await new Promise((r) => setTimeout(r, wait + 250));
        }
    }

    /** One renewal `up`, watched, with its event log; returns the steps and the watcher's findings. */
    async function renew(label: string) {
        const distributionId = JSON.parse((await ok("stack", "output", "distributionId", "--json")).output) as string;
        const before = JSON.parse((await ok("stack", "output", "certificateName", "--json")).output) as string;
        const eventLog = path.join(work, `${label}.events.jsonl`);
        const watcher = watch(distributionId);
        const run = await ok("up", "--yes", "--skip-preview", "--event-log", eventLog);
        const watched = await watcher.stop();
        const after = JSON.parse((await ok("stack", "output", "certificateName", "--json")).output) as string;
        return { run, steps: steps(eventLog), watched, before, after };
    }

    before(async function () {
        peers = await usePeers();
        work = tempDir("cfcn-engine-");
        zone = await createZone("example.cn");
        env = engineEnv(work);
        await configureStack(ok, peers, zone, "minutes", RENEW_BEFORE_S / 86400);
    });

    after(async () => {
        if (env) {
            await pulumi("destroy", "--yes", "--skip-preview");
        }
    });

    it("1. up: certificate A is issued, uploaded under the path and attached", async () => {
        const run = await ok("up", "--yes", "--skip-preview");
        console.log(`      first up: ${run.seconds.toFixed(1)} s`);
        const name = JSON.parse((await ok("stack", "output", "certificateName", "--json")).output) as string;
        assert.deepEqual(
            (await certificatesUnderPath()).map((c) => c.name),
            [name],
        );
        const notAfter = Date.parse(JSON.parse((await ok("stack", "output", "notAfter", "--json")).output));
        const renewAfter = Date.parse(JSON.parse((await ok("stack", "output", "renewAfter", "--json")).output));
        assert.ok(notAfter - Date.now() <= LIFETIME_S * 1000, "Pebble's minutes-long profile");
        assert.equal(notAfter - renewAfter, RENEW_BEFORE_S * 1000);
    });

    it("2. preview and up at once: no changes, and no ACME order reaches Pebble", async () => {
        const orders = peers.pebble.ordersCreated();
        const preview = await ok("preview", "--expect-no-changes");
        const up = await ok("up", "--yes", "--expect-no-changes", "--skip-preview");
        assert.equal(peers.pebble.ordersCreated(), orders);
        console.log(`      no-op preview ${preview.seconds.toFixed(1)} s, no-op up ${up.seconds.toFixed(1)} s`);
    });

    it("3. the state holds no plaintext private key, and the key output is a secret", async () => {
        const exported = (await ok("stack", "export")).output;
        assert.doesNotMatch(exported, /PRIVATE KEY/);
        const deployment = JSON.parse(exported) as {
            deployment: { resources: Array<{ type: string; outputs?: Record<string, unknown> }> };
        };
        const cert = deployment.deployment.resources.find((r) => r.type.endsWith(":IamAcmeCertificate"))!;
        const account = deployment.deployment.resources.find((r) => r.type.endsWith(":AcmeAccount"))!;
        const isSecret = (v: unknown) => typeof v === "object" && v !== null && "4dabf18193072939515e22adb298388d" in v;
        assert.ok(isSecret(cert.outputs?.privateKeyPem), "privateKeyPem is stored as a secret");
        assert.ok(isSecret(account.outputs?.accountKeyPem), "accountKeyPem is stored as a secret");
        assert.equal(JSON.parse((await ok("stack", "output", "privateKeyPem", "--json")).output), "[secret]");
        assert.match((await ok("stack", "output", "privateKeyPem", "--show-secrets")).output, /BEGIN PRIVATE KEY/);
    });

    it("4. inside the window, up: create(B) -> replace -> update(distribution to B) -> delete(A), with no gap", async () => {
        await waitForWindow();
        const { run, steps: order, watched, before, after } = await renew("renewal");
        console.log(
            `      renewal up: ${run.seconds.toFixed(1)} s, ${watched.samples} watcher samples, steps: ${order.map((s) => `${s.op}(${s.name})`).join(" -> ")}`,
        );
        assert.deepEqual(
            order.filter((s) => s.name !== `${STACK}`).map((s) => `${s.op} ${s.name}`),
            ["create-replacement certificate", "replace certificate", "update distribution", "delete-replaced certificate"],
        );
        assert.deepEqual(watched.gaps, []);
        assert.ok(watched.samples >= 3, "the watcher sampled during the run");
        assert.notEqual(after, before);
        assert.deepEqual(
            (await certificatesUnderPath()).map((c) => c.name),
            [after],
            "IAM holds only B under the path",
        );
    });

    it("5. the same with DeleteConflict answered for a while: the update completes and the old certificate goes afterwards", async () => {
        await waitForWindow();
        peers.proxy.faults.push({
            action: "DeleteServerCertificate",
            times: 3,
            status: 409,
            code: "DeleteConflict",
            message: "Certificate is currently in use by CloudFront",
        });
        const { steps: order, watched, before, after, run } = await renew("renewal-with-conflicts");
        assert.equal(peers.proxy.faults[0].times, 0, "all conflicts were met");
        peers.proxy.faults.length = 0;
        assert.deepEqual(
            order.filter((s) => s.name !== `${STACK}`).map((s) => `${s.op} ${s.name}`),
            ["create-replacement certificate", "replace certificate", "update distribution", "delete-replaced certificate"],
        );
        assert.deepEqual(watched.gaps, []);
        assert.match(run.output, /DeleteConflict\), retrying in/);
        assert.notEqual(after, before);
        assert.deepEqual(
            (await certificatesUnderPath()).map((c) => c.name),
            [after],
        );
    });

    it("6. destroy leaves no server certificate under the path and no TXT record", async () => {
        await ok("destroy", "--yes", "--skip-preview");
        assert.deepEqual(await certificatesUnderPath(), []);
        const sets = await new Route53Client({ region: "cn-north-1" }).send(new ListResourceRecordSetsCommand({ HostedZoneId: zone.id }));
        assert.deepEqual(
            (sets.ResourceRecordSets ?? []).filter((s) => s.Type === "TXT"),
            [],
        );
    });
});

describe("a failed IAM upload under the real engine", function () {
    this.timeout(300_000);
    const STACK_PARTIAL = "engine-partial";
    let peers: Peers;
    let env: NodeJS.ProcessEnv;
    const run = (...args: string[]) => runPulumi(env, STACK_PARTIAL, args);

    before(async () => {
        peers = await usePeers();
        env = engineEnv(tempDir("cfcn-engine-partial-"));
        const zone = await createZone("example.cn");
        await configureStack(run, peers, zone, "default", 30);
    });

    after(async () => {
        peers.proxy.faults.length = 0;
        await run("destroy", "--yes", "--skip-preview");
    });

    it("keeps the issued certificate as a partial resource (key secret) and uploads it on the next up with no new order", async () => {
        peers.proxy.faults.push({
            action: "UploadServerCertificate",
            times: 1,
            status: 409,
            code: "LimitExceeded",
            message: "Cannot exceed quota for ServerCertificatesPerAccount: 20",
        });
        const failed = await run("up", "--yes", "--skip-preview");
        assert.notEqual(failed.code, 0);
        assert.match(
            failed.output,
            /LimitExceeded, the account's server-certificate quota is full \(20 by default\)/,
            "the provider's message reaches the user",
        );
        const exported = (await run("stack", "export")).output;
        assert.doesNotMatch(exported, /PRIVATE KEY/, "the partial state holds the key only as a secret");
        const partial = (
            JSON.parse(exported) as {
                deployment: { resources: Array<{ type: string; id?: string; outputs?: Record<string, unknown>; initErrors?: string[] }> };
            }
        ).deployment.resources.find((r) => r.type.endsWith(":IamAcmeCertificate"))!;
        assert.equal(partial.outputs?.uploadPending, true);
        assert.ok((partial.initErrors ?? []).length > 0, "recorded with init errors");
        const serial = partial.outputs?.serialNumber;

        const orders = peers.pebble.ordersCreated();
        const recovered = await run("up", "--yes", "--skip-preview");
        assert.equal(recovered.code, 0, recovered.output);
        assert.equal(peers.pebble.ordersCreated(), orders, "no second order");
        assert.match(recovered.output, /uploading the certificate issued by an earlier run/);
        const after = (
            JSON.parse((await run("stack", "export")).output) as {
                deployment: { resources: Array<{ type: string; outputs?: Record<string, unknown> }> };
            }
        ).deployment.resources.find((r) => r.type.endsWith(":IamAcmeCertificate"))!;
        assert.equal(after.outputs?.serialNumber, serial);
        assert.equal(after.outputs?.uploadPending, false);
    });
});

describe("dns-persist-01 under the real engine: names hosted elsewhere, first run to renewal", function () {
    this.timeout(600_000);
    const STACK_PERSIST = "engine-persist";
    const iamPath = `/cloudfront/engine-test/${STACK_PERSIST}/certificate/`;
    let peers: Peers;
    let env: NodeJS.ProcessEnv;
    let work: string;
    const domain = `persist-${Date.now().toString(36)}.elsewhere.cn`;
    const { run, ok, output } = stackCli(() => env, STACK_PERSIST);

    before(async () => {
        peers = await usePeers();
        work = tempDir("cfcn-engine-persist-");
        env = engineEnv(work);
        await configureStack(run, peers, domain, "minutes", RENEW_BEFORE_S / 86400, { challenge: "dns-persist-01" });
    });

    after(async () => {
        if (env) {
            await run("destroy", "--yes", "--skip-preview");
        }
    });

    it("first up stops before any order with the exact records; once added, up issues; the renewal is create-before-delete with no gap and no Route 53 call", async () => {
        const orders = peers.pebble.ordersCreated();
        const first = await run("up", "--yes", "--skip-preview");
        assert.notEqual(first.code, 0, "no records yet");
        assert.equal(peers.pebble.ordersCreated(), orders, "nothing was ordered");
        // The engine prints the error twice (as it happens and in the summary).
        const records = [...new Map([...first.output.matchAll(/add TXT (\S+) "([^"]+)" at its DNS host/g)].map((m) => [m[1], m[2]]))];
        assert.deepEqual(
            records.map(([name]) => name).sort(),
            [`_validation-persist.${domain}`, `_validation-persist.www.${domain}`],
            first.output,
        );
        // What the user types into the DNS host's console, from the message.
        records.forEach(([name, value]) => peers.dns.elsewhere.txt.set(name, [value]));
        await ok("up", "--yes", "--skip-preview");
        assert.equal((await certificatesUnderPath(iamPath)).length, 1);

        const renewAfter = Date.parse(await output("renewAfter"));
        await new Promise((r) => setTimeout(r, Math.max(0, renewAfter - Date.now()) + 250));
        const distributionId = await output("distributionId");
        const before = await output("certificateName");
        const eventLog = path.join(work, "persist-renewal.events.jsonl");
        const from = peers.proxy.signed.length;
        const watcher = watch(distributionId, iamPath);
        await ok("up", "--yes", "--skip-preview", "--event-log", eventLog);
        const watched = await watcher.stop();
        assert.deepEqual(
            steps(eventLog)
                .filter((s) => s.name !== STACK_PERSIST)
                .map((s) => `${s.op} ${s.name}`),
            ["create-replacement certificate", "replace certificate", "update distribution", "delete-replaced certificate"],
        );
        assert.deepEqual(watched.gaps, []);
        assert.notEqual(await output("certificateName"), before);
        assert.deepEqual(
            peers.proxy.signed.slice(from).filter((c) => c.service === "route53"),
            [],
            "the renewal made no Route 53 call (no DNS write, no zone lookup)",
        );
    });
});

describe("renewal that listens to the CA, under the real engine (one scenario: renew now, revocation, a failed distribution update)", function () {
    this.timeout(600_000);
    // One scenario on one stack: each step starts from the state the one before left.
    stepsOfOneScenario();
    const STACK_ARI = "engine-ari";
    const iamPath = `/cloudfront/engine-test/${STACK_ARI}/certificate/`;
    let peers: Peers;
    let env: NodeJS.ProcessEnv;
    let work: string;
    const { run, ok, output } = stackCli(() => env, STACK_ARI);
    /** The certificate's URN, found the way the README says: `pulumi stack --show-urns`. */
    const certificateUrn = async () => {
        const urn = /urn:pulumi:\S+IamAcmeCertificate::certificate/.exec((await ok("stack", "--show-urns")).output)?.[0];
        assert.ok(urn, "the certificate's URN is listed");
        return urn;
    };
    const cloudfront = () => new CloudFrontClient({ region: "cn-north-1" });
    const attachedId = async (distributionId: string) =>
        (await cloudfront().send(new GetDistributionConfigCommand({ Id: distributionId }))).DistributionConfig?.ViewerCertificate
            ?.IAMCertificateId;
    const ordered = (eventLog: string) =>
        steps(eventLog)
            .filter((s) => s.name !== STACK_ARI)
            .map((s) => `${s.op} ${s.name}`);
    const ROTATION = ["create-replacement certificate", "replace certificate", "update distribution", "delete-replaced certificate"];

    before(async () => {
        peers = await usePeers();
        work = tempDir("cfcn-engine-ari-");
        env = engineEnv(work);
        // 90-day certificates, no renewBeforeDays: only the CA's window (or --replace) renews them.
        await configureStack(run, peers, await createZone("example.cn"), "default", undefined);
        peers.proxy.conflictWhileAttached.on = true; // IAM refuses to delete an attached certificate
        await ok("up", "--yes", "--skip-preview");
    });

    after(async () => {
        peers.proxy.conflictWhileAttached.on = false;
        peers.proxy.faults.length = 0;
        if (env) {
            await run("destroy", "--yes", "--skip-preview");
        }
    });

    it("renew now: `pulumi up --replace <URN>` is create-before-delete with no gap, and the order names the certificate it replaces", async () => {
        const distributionId = await output("distributionId");
        const before = await output("certificateName");
        const pebbleFrom = fs.readFileSync(peers.pebble.logFile, "utf8").length;
        const eventLog = path.join(work, "renew-now.events.jsonl");
        const watcher = watch(distributionId, iamPath);
        const up = await ok("up", "--yes", "--skip-preview", "--replace", await certificateUrn(), "--event-log", eventLog);
        const watched = await watcher.stop();
        assert.deepEqual(ordered(eventLog), ROTATION);
        assert.deepEqual(watched.gaps, []);
        assert.match(up.output, /\(replacement of [\w-]+\.[\w-]+, /);
        assert.match(fs.readFileSync(peers.pebble.logFile, "utf8").slice(pebbleFrom), /ARI: order "[^"]+" is a replacement of/);
        assert.notEqual(await output("certificateName"), before);
    });

    it("a certificate revoked through ACME: the next preview shows the replacement, and up replaces it with no gap", async () => {
        const exported = JSON.parse((await ok("stack", "export", "--show-secrets")).output) as {
            deployment: { resources: Array<{ type: string; outputs?: Record<string, unknown> }> };
        };
        // With --show-secrets a secret is {<secret sig>: …, plaintext: "<JSON of the value>"}.
        const reveal = (v: unknown) =>
            typeof v === "object" && v !== null && "plaintext" in v
                ? (JSON.parse((v as { plaintext: string }).plaintext) as string)
                : (v as string);
        const state = (type: string) =>
            Object.fromEntries(
                Object.entries(exported.deployment.resources.find((r) => r.type.endsWith(type))!.outputs!).map(([k, v]) => [k, reveal(v)]),
            );
        const accountState = state(":AcmeAccount");
        const certificateState = state(":IamAcmeCertificate");
        const { acmeClient } = await import("../acme/client");
        await acmeClient(peers.pebble.directoryUrl, accountState.accountKeyPem, accountState.accountUrl).revokeCertificate(
            certificateState.certificatePem,
        );
        const preview = await ok("preview", "--diff");
        assert.match(preview.output, /\+-.*certificate.*replace/s);
        const distributionId = await output("distributionId");
        const eventLog = path.join(work, "revoked.events.jsonl");
        const watcher = watch(distributionId, iamPath);
        const up = await ok("up", "--yes", "--skip-preview", "--event-log", eventLog);
        const watched = await watcher.stop();
        assert.deepEqual(ordered(eventLog), ROTATION);
        assert.deepEqual(watched.gaps, []);
        assert.match(up.output, /the CA moved the renewal window/);
    });

    it("a distribution update that fails: A keeps serving and stays; the next up re-points, then deletes A, with no new order and no gap", async () => {
        const distributionId = await output("distributionId");
        const a = await output("serverCertificateId");
        const urn = await certificateUrn();
        const orders = peers.pebble.ordersCreated();
        // Past the SDK's retries: every UpdateDistribution of this run fails.
        peers.proxy.faults.push({
            action: /^PUT \/2020-05-31\/distribution\/[^/]+\/config$/,
            times: 1000,
            status: 503,
            code: "ServiceUnavailable",
        });
        const watcher = watch(distributionId, iamPath);
        const failed = await run("up", "--yes", "--skip-preview", "--replace", urn);
        peers.proxy.faults.length = 0;
        assert.notEqual(failed.code, 0, "the up fails");
        assert.equal(peers.pebble.ordersCreated(), orders + 1, "B was issued");
        assert.equal(await attachedId(distributionId), a, "the distribution still serves A");
        assert.ok(
            (await certificatesUnderPath(iamPath)).some((c) => c.id === a),
            "A is not deleted",
        );

        const eventLog = path.join(work, "after-failed-update.events.jsonl");
        await ok("up", "--yes", "--skip-preview", "--event-log", eventLog);
        const watched = await watcher.stop();
        // The engine kept A as "pending replace": it deletes it only after the distribution moved to B.
        assert.deepEqual(ordered(eventLog), ["update distribution", "delete-replaced certificate"]);
        assert.equal(peers.pebble.ordersCreated(), orders + 1, "no extra order");
        assert.deepEqual(watched.gaps, [], "no gap across both runs");
        const b = await output("serverCertificateId");
        assert.notEqual(b, a);
        assert.equal(await attachedId(distributionId), b);
        assert.deepEqual(
            (await certificatesUnderPath(iamPath)).map((c) => c.id),
            [b],
        );
    });
});

describe("site content under the real engine (one scenario: first deploy, a no-op preview, a small change, destroy)", function () {
    this.timeout(300_000);
    // One scenario on one stack: each step starts from the state the one before left.
    stepsOfOneScenario();
    const STACK_CONTENT = "engine-content";
    let peers: Peers;
    let env: NodeJS.ProcessEnv;
    let site: string;
    let bucket: string;
    const { run, ok, output } = stackCli(() => env, STACK_CONTENT, CONTENT_PROGRAM);
    const s3 = () => new S3Client({ region: "cn-north-1", endpoint: peers.moto.url, forcePathStyle: true });
    const write = (rel: string, body: string) => {
        fs.mkdirSync(path.dirname(path.join(site, rel)), { recursive: true });
        fs.writeFileSync(path.join(site, rel), body);
    };
    /** The bucket's S3 writes and the invalidations the provider host made during `fn` (seen at the proxy). */
    async function writesDuring(fn: () => Promise<unknown>) {
        const from = peers.proxy.seen.length;
        await fn();
        const calls = contentCalls(peers.proxy.seen.slice(from), bucket);
        return { ...calls, puts: calls.puts.sort() };
    }
    const keys = async () =>
        ((await s3().send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key ?? "").sort();

    before(async () => {
        peers = await usePeers();
        const work = tempDir("cfcn-engine-content-");
        env = engineEnv(work);
        site = path.join(work, "site");
        writeFiles(site, SAMPLE_SITE);
        bucket = `site-bucket-engine-content-${Date.now().toString(36)}`; // named like the program's site bucket (the deploy policy's object grants)
        await s3().send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: "cn-north-1" } }));
        await run("stack", "init");
        for (const [key, value] of Object.entries({ alias: `content-${Date.now().toString(36)}.example.cn`, contentDir: site, bucket })) {
            await ok("config", "set", key, value);
        }
    });

    after(async () => {
        peers.proxy.faults.length = 0;
        if (env) {
            await run("destroy", "--yes", "--skip-preview");
        }
    });

    it("up uploads every object; a preview right after shows no change and makes no S3 call", async () => {
        const first = await writesDuring(() => ok("up", "--yes", "--skip-preview"));
        assert.equal(first.puts.length, 8, first.puts.join(", "));
        assert.equal(await output<number>("fileCount"), 8);
        assert.deepEqual(await keys(), [
            "404.html",
            "assets/app.3f9a2c1b.js",
            "docs/",
            "docs/guide.html",
            "docs/index.html",
            "index.html",
            "robots.txt",
            "style.css",
        ]);
        const from = peers.proxy.seen.length;
        await ok("preview", "--expect-no-changes");
        assert.deepEqual(
            peers.proxy.seen.slice(from).filter((a) => a.includes(bucket) || a.includes("/invalidation")),
            [],
            "diff reads no AWS",
        );
    });

    it("3 edited (one a hashed asset), 1 added, 1 removed: the preview shows one update; up uploads 4, deletes 1, invalidates exactly the 4 paths", async () => {
        write("style.css", "body{color:red}");
        write("docs/guide.html", "<h1>guide v2</h1>");
        write("assets/app.3f9a2c1b.js", "console.log(2)");
        write("new.html", "<h1>new</h1>");
        fs.rmSync(path.join(site, "robots.txt"));
        const preview = await ok("preview", "--diff");
        assert.match(preview.output, /~ .*content|content.*update/i, preview.output);
        const change = await writesDuring(() => ok("up", "--yes", "--skip-preview"));
        assert.deepEqual(change.puts, ["assets/app.3f9a2c1b.js", "docs/guide.html", "new.html", "style.css"]);
        assert.deepEqual([change.deletes, change.invalidations], [1, 1]);
        const invalidation = await new CloudFrontClient({ region: "cn-north-1" }).send(
            new GetInvalidationCommand({ DistributionId: await output("distributionId"), Id: await output("lastInvalidationId") }),
        );
        assert.deepEqual([...(invalidation.Invalidation?.InvalidationBatch?.Paths?.Items ?? [])].sort(), [
            "/docs/guide.html",
            "/new.html",
            "/robots.txt",
            "/style.css",
        ]);
        await ok("preview", "--expect-no-changes");
    });

    it("a failure in the middle of an upload: up fails, the next up uploads only what had not gone up", async () => {
        write("a.css", ".a{}");
        write("b.css", ".b{}");
        peers.proxy.faults.push({ action: new RegExp(`^PUT /${bucket}/b\\.css`), times: 100, status: 500, code: "InternalError" });
        const failed = await writesDuring(async () => assert.notEqual((await run("up", "--yes", "--skip-preview")).code, 0));
        peers.proxy.faults.length = 0;
        assert.ok(failed.puts.includes("a.css"), failed.puts.join(", "));
        const resumed = await writesDuring(() => ok("up", "--yes", "--skip-preview"));
        assert.deepEqual(resumed.puts, ["b.css"], "a.css is not uploaded again");
        assert.equal(resumed.invalidations, 1);
        await ok("preview", "--expect-no-changes");
    });

    it("destroy removes every object it wrote, then the bucket can go", async () => {
        await ok("destroy", "--yes", "--skip-preview");
        assert.deepEqual(await keys(), []);
        await s3().send(new DeleteBucketCommand({ Bucket: bucket }));
    });
});
