/**
 * Faults around the certificate provider, injected with Pebble's own knobs and with proxies in front
 * of Pebble and moto. Each test checks what the user sees (the message), what is left in IAM and
 * Route 53, and what the next run does.
 */
import * as assert from "node:assert/strict";
import * as acme from "acme-client";
import * as fs from "node:fs";
import { DeleteHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client } from "@aws-sdk/client-route-53";
import { IAMClient, ListServerCertificatesCommand } from "@aws-sdk/client-iam";
import { acmeAccountProvider } from "../providers/acmeAccount";
import type { CertificateInputs } from "../core/certificate";
import { iamAcmeCertificateProvider as provider } from "../providers/iamAcmeCertificate";
import { Peers, createZone, usePeers } from "./support/fixture";
import { AcmeProxy, Pebble, freePort, startAcmeFaultProxy, startPebble, tempDir } from "./support/peers";
import { serializedCertificateProvider } from "./support/pulumi";
import { spawn } from "node:child_process";
import * as path from "node:path";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- provider results are untyped (dynamic provider contract)
type Outs = Record<string, any>;

const route53 = () => new Route53Client({ region: "cn-north-1" });

async function challengeRecords(zoneId: string): Promise<string[]> {
    const page = await route53().send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
    return (page.ResourceRecordSets ?? []).filter((s) => s.Type === "TXT").map((s) => s.Name ?? "");
}

async function certificatesUnder(path: string): Promise<string[]> {
    const list = await new IAMClient({ region: "cn-north-1" }).send(new ListServerCertificatesCommand({ PathPrefix: path }));
    // Filtered here too: moto ignores PathPrefix.
    return (list.ServerCertificateMetadataList ?? []).filter((m) => m.Path?.startsWith(path)).map((m) => m.ServerCertificateName ?? "");
}

describe("faults", function () {
    this.timeout(180_000);
    let peers: Peers;

    async function inputsFor(
        directoryUrl: string,
        domains: string[],
        path: string,
        extra: Partial<CertificateInputs> = {},
    ): Promise<CertificateInputs> {
        const account = (await acmeAccountProvider.create({ directoryUrl })).outs as Outs;
        return {
            domains,
            acmeDirectoryUrl: directoryUrl,
            accountUrl: account.accountUrl,
            accountKeyPem: account.accountKeyPem,
            region: "cn-north-1",
            path,
            keyType: "rsa-2048",
            profile: "default",
            dnsResolvers: [peers.dns.address],
            propagationTimeoutSeconds: 5,
            pollIntervalSeconds: 0.2,
            deleteConflictTimeoutSeconds: 20,
            ...extra,
        };
    }

    before(async () => {
        peers = await usePeers();
    });

    afterEach(() => {
        peers.proxy.faults.length = 0;
    });

    describe("ACME", () => {
        let noisy: Pebble;
        let acmeProxy: AcmeProxy;

        before(async () => {
            noisy = await startPebble(peers.dns.address, tempDir("cfcn-noisy-"), { env: { PEBBLE_WFE_NONCEREJECT: "50" } });
            acmeProxy = await startAcmeFaultProxy(peers.pebble.directoryUrl);
        });

        after(() => {
            noisy.stop();
            acmeProxy.stop();
        });

        it("half the nonces rejected (PEBBLE_WFE_NONCEREJECT=50): 20 names issued 5 times in a row, every badNonce retried", async function () {
            this.timeout(300_000);
            // About 43 signed requests per 20-name order: with acme-client's own 5 retries, 1 in 64
            // requests failed, and most runs of this loop did (measured before BAD_NONCE_RETRIES).
            const zone = await createZone("example.cn");
            const names = Array.from({ length: 20 }, (_, i) => `n${i}.${zone.name}`);
            const inputs = await inputsFor(noisy.directoryUrl, names, "/cloudfront/faults/nonce/");
            // acme-client logs each badNonce it retries: count them (Pebble's log does not show rejections).
            let retried = 0;
            acme.setLogger((line: string) => (retried += line.startsWith("Caught invalid nonce error") ? 1 : 0));
            try {
                for (let run = 0; run < 5; run++) {
                    const created = await provider.create(inputs);
                    assert.match((created.outs as Outs).serverCertificateId, /^ASCA/, `run ${run + 1}`);
                    await provider.delete!(created.id, created.outs);
                }
            } finally {
                acme.setLogger(() => undefined);
            }
            assert.match(fs.readFileSync(noisy.logFile, "utf8"), /Configured to reject 50% of good nonces/);
            assert.ok(retried >= 100, `badNonce answers retried: ${retried}`);
            console.log(`      5 orders of 20 names at 50 % nonce rejection: ${retried} badNonce answers retried`);
        });

        it("429 and 503 with Retry-After are waited out and retried", async () => {
            const zone = await createZone("example.cn");
            const inputs = await inputsFor(acmeProxy.directoryUrl, [`www.${zone.name}`], "/cloudfront/faults/retry-after/");
            acmeProxy.faults.push(
                { match: /^POST \/order-plz/, times: 1, status: 429, retryAfterSeconds: 1 },
                { match: /^POST \/finalize-order\//, times: 1, status: 503, retryAfterSeconds: 1 },
            );
            const started = Date.now();
            const created = await provider.create(inputs);
            assert.match((created.outs as Outs).serverCertificateId, /^ASCA/);
            assert.deepEqual(
                acmeProxy.answered.map((a) => a.split(" ").slice(0, 2).join(" ")),
                ["429 POST", "503 POST"],
            );
            assert.ok(Date.now() - started >= 2000, "Retry-After was honoured");
        });

        it("an order that never becomes valid fails after the bounded wait (caTimeoutSeconds) with the CA's status; nothing is uploaded", async function () {
            this.timeout(300_000);
            const zone = await createZone("example.cn");
            // 10 s instead of the default 120 s: the bound, not its length, is what is tested here.
            const inputs = await inputsFor(acmeProxy.directoryUrl, [`www.${zone.name}`], "/cloudfront/faults/never-valid/", {
                caTimeoutSeconds: 10,
            });
            // The CA keeps answering "processing" for the order (finalize and every poll after it).
            acmeProxy.faults.push({
                match: /^POST \/(finalize-order|my-order)\//,
                times: 1000,
                transform: (body) => body.replace(/"status":\s*"valid"/, '"status": "processing"'),
            });
            const started = Date.now();
            await assert.rejects(
                provider.create(inputs),
                /the CA did not issue the certificate for www\..* \(order .*\): Operation is pending or processing; nothing was uploaded \(a certificate already served stays served\)/,
            );
            acmeProxy.faults.length = 0;
            const seconds = (Date.now() - started) / 1000;
            console.log(`      gave up after ${seconds.toFixed(0)} s of polling`);
            // The waits within 10 s are 0.5 + 1 + 2 + 4 s; the order itself takes a few seconds more.
            assert.ok(seconds >= 7.5 && seconds < 40, `bounded by caTimeoutSeconds (${seconds} s)`);
            assert.deepEqual(await challengeRecords(zone.id), []);
            assert.deepEqual(await certificatesUnder("/cloudfront/faults/never-valid/"), []);
        });

        it("an unreachable CA fails with a message naming it; nothing is ordered, written or uploaded", async () => {
            const zone = await createZone("example.cn");
            const inputs = await inputsFor(peers.pebble.directoryUrl, [`www.${zone.name}`], "/cloudfront/faults/unreachable/");
            const dead = `https://127.0.0.1:${await freePort()}/dir`;
            await assert.rejects(provider.create({ ...inputs, acmeDirectoryUrl: dead }), (e: Error) => {
                assert.match(
                    e.message,
                    new RegExp(
                        `the ACME CA cannot be reached at ${dead.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(ECONNREFUSED, 2 attempts\\)`,
                    ),
                );
                assert.match(e.message, /nothing was ordered there/);
                return true;
            });
            await assert.rejects(acmeAccountProvider.create({ directoryUrl: dead }), /the ACME CA cannot be reached/);
            assert.deepEqual(await challengeRecords(zone.id), []);
            assert.deepEqual(await certificatesUnder("/cloudfront/faults/unreachable/"), []);
        });
    });

    describe("Route 53", () => {
        it("Throttling on the change and on GetChange is backed off and retried", async () => {
            const zone = await createZone("example.cn");
            const inputs = await inputsFor(peers.pebble.directoryUrl, [`www.${zone.name}`], "/cloudfront/faults/throttle/");
            peers.proxy.faults.push(
                {
                    action: /^POST \/2013-04-01\/hostedzone\/[^/]+\/rrset/,
                    times: 2,
                    status: 400,
                    code: "Throttling",
                    message: "Rate exceeded",
                },
                { action: /^GET \/2013-04-01\/change\//, times: 2, status: 400, code: "Throttling", message: "Rate exceeded" },
            );
            const created = await provider.create(inputs);
            assert.match((created.outs as Outs).serverCertificateId, /^ASCA/);
            assert.deepEqual(
                peers.proxy.faults.map((f) => f.times),
                [0, 0],
                "every throttle was met",
            );
            assert.deepEqual(await challengeRecords(zone.id), []);
        });

        it("a change that never reaches INSYNC times out with a clear error, and the TXT values are removed", async () => {
            const zone = await createZone("example.cn");
            const inputs = await inputsFor(peers.pebble.directoryUrl, [`www.${zone.name}`], "/cloudfront/faults/pending/", {
                propagationTimeoutSeconds: 2,
            });
            const pending =
                '<GetChangeResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeInfo><Id>/change/C1</Id><Status>PENDING</Status>' +
                "<SubmittedAt>2026-01-01T00:00:00Z</SubmittedAt></ChangeInfo></GetChangeResponse>";
            peers.proxy.faults.push({ action: /^GET \/2013-04-01\/change\//, times: 1000, status: 200, code: "", body: pending });
            await assert.rejects(provider.create(inputs), /Route 53 change .* is still PENDING after 2 s \(propagationTimeoutSeconds\)/);
            peers.proxy.faults.length = 0;
            assert.deepEqual(await challengeRecords(zone.id), [], "cleanup ran in the finally");
            assert.deepEqual(await certificatesUnder("/cloudfront/faults/pending/"), []);
        });

        it("a hosted zone that has vanished is named in the error", async () => {
            const zone = await createZone("example.cn");
            const inputs = await inputsFor(peers.pebble.directoryUrl, [`www.${zone.name}`], "/cloudfront/faults/vanished/", {
                hostedZones: { [zone.name]: zone.id },
            });
            await route53().send(new DeleteHostedZoneCommand({ Id: zone.id }));
            await assert.rejects(
                provider.create(inputs),
                new RegExp(`Route 53 hosted zone ${zone.id} does not exist \\(NoSuchHostedZone\\)`),
            );
            assert.deepEqual(await certificatesUnder("/cloudfront/faults/vanished/"), []);
        });
    });

    describe("IAM", () => {
        it("Throttling on upload is retried; the certificate lands once", async () => {
            const zone = await createZone("example.cn");
            const inputs = await inputsFor(peers.pebble.directoryUrl, [`www.${zone.name}`], "/cloudfront/faults/iam-throttle/");
            peers.proxy.faults.push({
                action: "UploadServerCertificate",
                times: 2,
                status: 400,
                code: "Throttling",
                message: "Rate exceeded",
            });
            const created = await provider.create(inputs);
            assert.equal(peers.proxy.faults[0].times, 0);
            assert.deepEqual(await certificatesUnder("/cloudfront/faults/iam-throttle/"), [created.id]);
        });
    });

    describe("process", () => {
        /** Runs create in a fresh process (as the engine's host would); kills it when `killOn` is printed. */
        function createInChild(dir: string, killOn?: RegExp): Promise<{ code: number | null; signal: string | null; stdout: string }> {
            return new Promise((resolve) => {
                const root = path.resolve(__dirname, "..");
                const child = spawn(
                    process.execPath,
                    [
                        path.join(root, "tests", "support", "serializedDriver.js"),
                        "create",
                        path.join(dir, "provider.js"),
                        path.join(dir, "inputs.json"),
                    ],
                    { cwd: root, env: process.env },
                );
                let stdout = "";
                child.stdout.on("data", (d: Buffer) => {
                    stdout += d.toString();
                    if (killOn && killOn.test(stdout)) {
                        child.kill("SIGKILL");
                    }
                });
                child.on("close", (code, signal) => resolve({ code, signal, stdout }));
            });
        }

        it("killed between issuance and the IAM upload: the next run issues once more (at most one extra order) and uploads", async () => {
            const zone = await createZone("example.cn");
            const iamPath = "/cloudfront/faults/killed/";
            const dir = tempDir("cfcn-killed-");
            fs.writeFileSync(path.join(dir, "provider.js"), await serializedCertificateProvider());
            fs.writeFileSync(
                path.join(dir, "inputs.json"),
                JSON.stringify(await inputsFor(peers.pebble.directoryUrl, [`www.${zone.name}`], iamPath)),
            );

            const orders = peers.pebble.ordersCreated();
            const killed = await createInChild(dir, /certificate issued/);
            assert.equal(killed.signal, "SIGKILL");
            assert.equal(peers.pebble.ordersCreated(), orders + 1);
            assert.deepEqual(await certificatesUnder(iamPath), [], "nothing half-made in IAM");

            const next = await createInChild(dir);
            assert.equal(next.code, 0, next.stdout);
            assert.equal(peers.pebble.ordersCreated(), orders + 2, "exactly one extra issuance");
            assert.deepEqual(await certificatesUnder(iamPath), [JSON.parse(next.stdout.trim().split("\n").pop() ?? "{}").id]);
            // The killed run could not remove its TXT value; the next run removed only its own, and
            // the stale value is harmless (CAs ignore extra values). At most one record set remains.
            assert.ok((await challengeRecords(zone.id)).length <= 1);
        });
    });
});
