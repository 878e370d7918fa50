/**
 * Renewal that listens to the CA (RFC 9773, ACME Renewal Information) against Pebble 2.10: the
 * window re-read by `diff`, `replaces` on replacement orders, and the fallbacks when the CA cannot
 * answer.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import {
    DeleteServerCertificateCommand,
    IAMClient,
    TagServerCertificateCommand,
    UploadServerCertificateCommand,
} from "@aws-sdk/client-iam";
import { ISSUER_ACCOUNT_TAG, issuerAccountTagValue } from "../core/issuers";
import { acmeAccountProvider } from "../providers/acmeAccount";
import { acmeClient } from "../acme/client";
import { ariCertId } from "../acme/ari";
import type { CertificateInputs } from "../core/certificate";
import { ariRenewalInstant, stableFraction } from "../core/certificate";
import { iamAcmeCertificateProvider as provider } from "../providers/iamAcmeCertificate";
import { countConnections, freePort, setRenewalInfo } from "./support/peers";
import { certificateInputs, createZone, logged, Peers, usePeers } from "./support/fixture";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- provider results are untyped (dynamic provider contract)
type Outs = Record<string, any>;
const root = path.resolve(__dirname, "..");

const pebbleLog = (peers: Peers) => fs.readFileSync(peers.pebble.logFile, "utf8");

describe("ARI: the renewal instant", () => {
    it("is a stable point of the window per certificate, spread across certificates, and now for a window in the past", () => {
        const window = { start: "2027-03-01T00:00:00.000Z", end: "2027-03-03T00:00:00.000Z" };
        assert.equal(ariRenewalInstant(window, "04f3a2b1"), ariRenewalInstant(window, "04F3A2B1"), "stable for one serial");
        const fractions = Array.from({ length: 200 }, (_, i) => stableFraction((0x1000 + i * 7919).toString(16)));
        assert.ok(Math.min(...fractions) < 0.1 && Math.max(...fractions) > 0.9, "spread over the window");
        const instant = Date.parse(ariRenewalInstant(window, "04f3a2b1") as string);
        assert.ok(instant >= Date.parse(window.start) && instant < Date.parse(window.end));
        assert.equal(ariRenewalInstant({ start: window.end, end: window.start }, "1"), undefined, "invalid window ignored");
    });
});

describe("ARI against Pebble", function () {
    this.timeout(180_000);
    let peers: Peers;
    let account: { accountUrl: string; accountKeyPem: string };
    const inputs = (domains: string[], extra: Partial<CertificateInputs> = {}): CertificateInputs =>
        certificateInputs(peers, account, domains, { challenge: "dns-01", ...extra });
    const iam = () => new IAMClient({ region: "cn-north-1" });

    before(async () => {
        peers = await usePeers();
        account = (await acmeAccountProvider.create({ directoryUrl: peers.pebble.directoryUrl })).outs;
    });

    describe("replaces", () => {
        it("a first issuance sends none; a replacement names the certificate it replaces and Pebble accepts it", async () => {
            const zone = await createZone("example.cn");
            const i = inputs([`www.${zone.name}`], { path: `/cloudfront/ari/${zone.name}/` });
            const first = await logged(() => provider.create(i));
            assert.ok(
                first.lines.some((l) => /order created for 1 name\(s\): \S+ \(not a replacement/.test(l)),
                first.lines.join("\n"),
            );
            const a = first.result.outs as Outs;
            const certId = ariCertId(a.certificatePem) as string;

            const before = pebbleLog(peers).length;
            const second = await logged(() => provider.create(i));
            assert.ok(
                second.lines.some((l) => l.includes(`replacing ${a.name} (${certId}): before its renewal window`)),
                second.lines.join("\n"),
            );
            assert.ok(
                second.lines.some((l) => l.includes(`(replacement of ${certId},`)),
                second.lines.join("\n"),
            );
            assert.match(pebbleLog(peers).slice(before), /ARI: order "[^"]+" is a replacement of "[^"]+"/, "Pebble accepted it");
        });

        it("a second replacement of the same certificate gets alreadyReplaced and is ordered again without `replaces`", async () => {
            const zone = await createZone("example.cn");
            const i = inputs([`www.${zone.name}`], { path: `/cloudfront/ari/${zone.name}/` });
            const a = (await provider.create(i)).outs as Outs;
            const b = (await provider.create(i)).outs as Outs; // replaces A (Pebble marks A replaced at finalize)
            // B is lost before it reached the stack (say the process was killed after its upload):
            // the next run replaces A again.
            await iam().send(new DeleteServerCertificateCommand({ ServerCertificateName: b.name }));
            const orders = peers.pebble.ordersCreated();
            const third = await logged(() => provider.create(i));
            assert.ok(
                third.lines.some((l) =>
                    new RegExp(
                        `the CA refused \`replaces\` ${ariCertId(a.certificatePem)} \\(certificate with serial \\w+ already has a replacement order\\)`,
                    ).test(l),
                ),
                third.lines.join("\n"),
            );
            assert.ok(
                third.lines.some((l) => /\(not a replacement/.test(l)),
                third.lines.join("\n"),
            );
            assert.equal(peers.pebble.ordersCreated(), orders + 1, "one order: the refused newOrder created none");
        });

        it("no `replaces` for a certificate of another account, or one this CA does not know", async () => {
            const zone = await createZone("example.cn");
            const iamPath = `/cloudfront/ari/${zone.name}/`;
            const i = inputs([`www.${zone.name}`], { path: iamPath });
            const ordered = await provider.create(i);
            // IAM's record of the certificate says another account ordered it (its issuer tag).
            await new IAMClient({ region: "cn-north-1" }).send(
                new TagServerCertificateCommand({
                    ServerCertificateName: ordered.id,
                    Tags: [{ Key: ISSUER_ACCOUNT_TAG, Value: issuerAccountTagValue("https://127.0.0.1:1/my-account/other") }],
                }),
            );
            const otherAccount = await logged(() => provider.create(i));
            assert.ok(otherAccount.lines.some((l) => /\(not a replacement/.test(l)));
            assert.ok(otherAccount.lines.some((l) => /ordered by another CA or account: not sent as replaced/.test(l)));
            assert.ok(!otherAccount.lines.some((l) => /refused `replaces`|replacing /.test(l)), otherAccount.lines.join("\n"));

            // A certificate for the same name from another CA (the local test CA, its own key id) under the path.
            const foreignPath = `/cloudfront/ari-foreign/${zone.name}/`;
            const certs = path.join(root, ".tools", "certs");
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cfcn-foreign-"));
            const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
            openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=www.${zone.name}`, "-keyout", "key.pem", "-out", "req.csr");
            fs.writeFileSync(path.join(dir, "san.ext"), `subjectAltName=DNS:www.${zone.name}\n`);
            openssl(
                "x509",
                "-req",
                "-in",
                "req.csr",
                "-CA",
                path.join(certs, "ca.pem"),
                "-CAkey",
                path.join(certs, "ca.key"),
                "-CAcreateserial",
                "-days",
                "30",
                "-extfile",
                "san.ext",
                "-out",
                "cert.pem",
            );
            await iam().send(
                new UploadServerCertificateCommand({
                    ServerCertificateName: `foreign-${zone.name}`,
                    Path: foreignPath,
                    CertificateBody: fs.readFileSync(path.join(dir, "cert.pem"), "utf8"),
                    PrivateKey: fs.readFileSync(path.join(dir, "key.pem"), "utf8"),
                }),
            );
            const foreign = await logged(() => provider.create({ ...i, path: foreignPath }));
            assert.ok(
                foreign.lines.some((l) => l.includes(`foreign-${zone.name} is unknown to this CA: not sent as replaced`)),
                foreign.lines.join("\n"),
            );
            assert.ok(foreign.lines.some((l) => /\(not a replacement/.test(l)));
        });
    });

    describe("diff re-reads the window", () => {
        it("a window the CA moves into the past replaces at the next diff; one GET to the CA, no AWS call", async () => {
            const zone = await createZone("example.cn");
            const i = inputs([`www.${zone.name}`]);
            const created = await provider.create(i);
            const outs = created.outs as Outs;
            assert.match(outs.renewalInfoUrl, /^https:\/\/127\.0\.0\.1:\d+\/.+\/.+\..+$/);
            const ariGets = () => (pebbleLog(peers).match(/GET \/draft-ietf-acme-ari-03\/renewalInfo\//g) ?? []).length;
            const gets = ariGets();
            const { result: unchanged, connections } = await countConnections(() => provider.diff!(created.id, outs, i));
            assert.deepEqual(unchanged, { changes: false }, "inside the first third of 90 days");
            assert.equal(ariGets() - gets, 1, "exactly one GET of the renewal information");
            assert.ok(connections <= 1, `at most one new connection (fetch keeps one alive): ${connections}`);

            const past = new Date(Date.now() - 3_600_000);
            await setRenewalInfo(peers.pebble, outs.certificatePem, {
                suggestedWindow: { start: past.toISOString(), end: new Date(past.getTime() + 1000).toISOString() },
            });
            const aws = peers.proxy.seen.length;
            const { result, lines } = await logged(() => provider.diff!(created.id, outs, i));
            assert.deepEqual(result, { changes: true, replaces: ["renewalInfo"], deleteBeforeReplace: false });
            assert.ok(
                lines.some((l) => /the CA moved the renewal window to .* renews from/.test(l)),
                lines.join("\n"),
            );
            assert.equal(peers.proxy.seen.length, aws, "no AWS call in diff");
        });

        it("a certificate revoked through ACME is replaced at the next diff (Pebble answers a window in the past)", async () => {
            const zone = await createZone("example.cn");
            const i = inputs([`www.${zone.name}`]);
            const created = await provider.create(i);
            await acmeClient(peers.pebble.directoryUrl, account.accountKeyPem, account.accountUrl).revokeCertificate(
                (created.outs as Outs).certificatePem,
            );
            assert.deepEqual(await provider.diff!(created.id, created.outs, i), {
                changes: true,
                replaces: ["renewalInfo"],
                deleteBeforeReplace: false,
            });
        });

        it("with renewBeforeDays set, diff asks the CA nothing", async () => {
            const zone = await createZone("example.cn");
            const i = inputs([`www.${zone.name}`], { renewBeforeDays: 30 });
            const created = await provider.create(i);
            const before = pebbleLog(peers).length;
            assert.deepEqual(await provider.diff!(created.id, created.outs, i), { changes: false });
            assert.equal(pebbleLog(peers).length, before);
        });

        it("a CA that is unreachable, answers 500, hangs past the bound or answers nonsense never fails the diff: the stored instant decides, said in one line", async () => {
            const zone = await createZone("example.cn");
            const i = inputs([`www.${zone.name}`]);
            const outs = (await provider.create(i)).outs as Outs;
            const answers: Record<string, (res: http.ServerResponse) => void> = {
                "/500": (res) => {
                    res.writeHead(500);
                    res.end("boom");
                },
                "/nonsense": (res) => res.end('{"suggestedWindow": {"start": "later"}}'),
                "/hang": () => undefined,
            };
            const server = http.createServer((req, res) => answers[req.url ?? ""]?.(res));
            const port = await freePort();
            await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
            try {
                const dead = await freePort();
                for (const url of [
                    `http://127.0.0.1:${dead}/ari`,
                    `http://127.0.0.1:${port}/500`,
                    `http://127.0.0.1:${port}/nonsense`,
                    `http://127.0.0.1:${port}/hang`,
                ]) {
                    const started = Date.now();
                    const { result, lines } = await logged(() => provider.diff!("x", { ...outs, renewalInfoUrl: url }, i));
                    assert.deepEqual(result, { changes: false }, url);
                    assert.equal(
                        lines.filter((l) => /renewal information unavailable \(.+\): using the stored renewAfter/.test(l)).length,
                        1,
                        `${url}: ${lines.join("\n")}`,
                    );
                    assert.ok(Date.now() - started < 7_000, `${url}: bounded (${Date.now() - started} ms)`);
                }
            } finally {
                server.closeAllConnections();
                server.close();
            }
        });
    });
});
