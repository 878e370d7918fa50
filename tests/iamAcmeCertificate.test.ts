/**
 * IamAcmeCertificate against real peers: Pebble (ACME, DNS-01 validated through a DNS server that
 * answers from moto's Route 53), moto (IAM, Route 53), a fault proxy in front of moto.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { X509Certificate, createPrivateKey } from "node:crypto";
import * as os from "node:os";
import {
    GetServerCertificateCommand,
    IAMClient,
    ListServerCertificateTagsCommand,
    ListServerCertificatesCommand,
    UploadServerCertificateCommand,
} from "@aws-sdk/client-iam";
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand, Route53Client } from "@aws-sdk/client-route-53";
import * as pulumi from "@pulumi/pulumi";
import { acmeAccountProvider } from "../providers/acmeAccount";
import type { CertificateInputs } from "../core/certificate";
import { iamAcmeCertificateProvider as provider } from "../providers/iamAcmeCertificate";
import { ISSUER_ACCOUNT_TAG, issuerAccountTagValue } from "../core/issuers";
import { SignedCall, runNode, serverCertificateIdFor } from "./support/peers";
import { certificateInputs, countConnections, createZone, logged, Peers, SHORTLIVED_SECONDS, txtValues, usePeers } from "./support/fixture";
import { promiseOf, settle, useOfflineMocks } from "./support/pulumi";
import { shippedAnyStackPolicy } from "./support/policy";

const iam = () => new IAMClient({ region: "cn-north-1" });
const route53 = () => new Route53Client({ region: "cn-north-1" });
const root = path.resolve(__dirname, "..");

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- provider results are untyped (dynamic provider contract)
type Outs = Record<string, any>;

async function allChallengeRecords(zoneId: string): Promise<string[]> {
    const page = await route53().send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
    return (page.ResourceRecordSets ?? [])
        .filter((s) => s.Type === "TXT" && s.Name?.startsWith("_acme-challenge"))
        .map((s) => s.Name ?? "");
}

/** Route 53 change batches per zone seen by the proxy since `from`. */
function changeBatches(peers: Peers, from: number): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const line of peers.proxy.seen.slice(from)) {
        const m = /^POST \/2013-04-01\/hostedzone\/([^/]+)\/rrset/.exec(line);
        if (m) {
            counts[m[1]] = (counts[m[1]] ?? 0) + 1;
        }
    }
    return counts;
}

describe("IamAcmeCertificate against Pebble and moto", function () {
    this.timeout(180_000);
    let peers: Peers;
    let account: { accountUrl: string; accountKeyPem: string };

    const inputs = (domains: string[], extra: Partial<CertificateInputs> = {}): CertificateInputs =>
        certificateInputs(peers, account, domains, extra);

    before(async () => {
        peers = await usePeers();
        const created = await acmeAccountProvider.create({ directoryUrl: peers.pebble.directoryUrl });
        account = created.outs;
    });

    afterEach(() => {
        peers.proxy.faults.length = 0;
    });

    it("issues one name: uploaded under the path with leaf body, chain and not-after; TXT cleaned, foreign TXT kept", async () => {
        const zone = await createZone("example.cn");
        const name = `www.${zone.name}`;
        // A TXT value somebody else put at the same record name must survive.
        await route53().send(
            new ChangeResourceRecordSetsCommand({
                HostedZoneId: zone.id,
                ChangeBatch: {
                    Changes: [
                        {
                            Action: "CREATE",
                            ResourceRecordSet: {
                                Name: `_acme-challenge.${name}`,
                                Type: "TXT",
                                TTL: 300,
                                ResourceRecords: [{ Value: '"foreign-value"' }],
                            },
                        },
                    ],
                },
            }),
        );
        const from = peers.proxy.seen.length;
        const created = await provider.create(inputs([name]));
        const outs = created.outs as Outs;

        assert.equal(created.id, outs.name);
        assert.match(outs.name, new RegExp(`^${name.replace(/\./g, "\\.")}-\\d{8}T\\d{4}-[0-9a-f]{1,8}$`));
        assert.equal(
            outs.serverCertificateId,
            serverCertificateIdFor(outs.name),
            "IAM's id (made unique by the proxy: moto has one for all)",
        );
        const stored = (await iam().send(new GetServerCertificateCommand({ ServerCertificateName: outs.name }))).ServerCertificate!;
        assert.equal(stored.ServerCertificateMetadata?.Path, "/cloudfront/test/site/");
        assert.equal(stored.ServerCertificateMetadata?.Arn, outs.arn);
        assert.match(outs.arn, /^arn:aws-cn:iam::\d+:server-certificate\/cloudfront\/test\/site\//);
        assert.equal(stored.CertificateBody?.trim(), outs.certificatePem.trim());
        assert.equal((stored.CertificateBody?.match(/BEGIN CERTIFICATE/g) ?? []).length, 1, "the body is the leaf only");
        assert.ok((stored.CertificateChain ?? "").includes("BEGIN CERTIFICATE"), "the chain holds the intermediates");
        const leaf = new X509Certificate(outs.certificatePem);
        assert.equal(new Date(leaf.validTo).toISOString(), outs.notAfter);
        assert.equal(leaf.subjectAltName, `DNS:${name}`);
        assert.ok(leaf.checkPrivateKey(createPrivateKey(outs.privateKeyPem)), "the key matches the certificate");

        assert.deepEqual(changeBatches(peers, from), { [zone.id]: 2 }, "one batch to write, one to clean up");
        assert.deepEqual(await txtValues(zone.id, `_acme-challenge.${name}`), ["foreign-value"]);
        const lifetime = Date.parse(outs.notAfter) - Date.parse(outs.notBefore);
        assert.ok(Date.parse(outs.renewAfter) > Date.parse(outs.notBefore) + lifetime / 2, "renews in the last part of the lifetime");
        assert.ok(Date.parse(outs.renewAfter) < Date.parse(outs.notAfter));
    });

    it("issues a wildcard with its apex: both values in one record set, one batch", async () => {
        const zone = await createZone("example.cn");
        const from = peers.proxy.seen.length;
        const created = await provider.create(inputs([zone.name, `*.${zone.name}`]));
        const leaf = new X509Certificate((created.outs as Outs).certificatePem);
        assert.equal(leaf.subjectAltName, `DNS:${zone.name}, DNS:*.${zone.name}`);
        assert.deepEqual(changeBatches(peers, from), { [zone.id]: 2 });
        assert.deepEqual(await allChallengeRecords(zone.id), []);
    });

    it("issues 50 names over two hosted zones with one change batch per zone to write and one to clean", async () => {
        const [a, b] = [await createZone("example.cn"), await createZone("example.com.cn")];
        const names = [
            ...Array.from({ length: 25 }, (_, i) => `h${i}.${a.name}`),
            ...Array.from({ length: 25 }, (_, i) => `h${i}.${b.name}`),
        ];
        const from = peers.proxy.seen.length;
        const started = Date.now();
        const created = await provider.create(inputs(names));
        const seconds = (Date.now() - started) / 1000;
        const leaf = new X509Certificate((created.outs as Outs).certificatePem);
        assert.equal(leaf.subjectAltName?.split(", ").length, 50);
        assert.deepEqual(changeBatches(peers, from), { [a.id]: 2, [b.id]: 2 });
        assert.deepEqual([...(await allChallengeRecords(a.id)), ...(await allChallengeRecords(b.id))], []);
        console.log(`      50 names, 2 zones: issued and uploaded in ${seconds.toFixed(2)} s`);
    });

    it("diff outside the window with renewBeforeDays: no change and no network call", async () => {
        const zone = await createZone("example.cn");
        const i = inputs([`www.${zone.name}`], { renewBeforeDays: 30 });
        const created = await provider.create(i);
        const before = {
            proxy: peers.proxy.seen.length,
            pebble: fs.readFileSync(peers.pebble.logFile, "utf8").length,
            dns: peers.dns.questions.length,
        };
        const { result, connections } = await countConnections(() => provider.diff!(created.id, created.outs, i));
        assert.deepEqual(result, { changes: false });
        assert.equal(connections, 0);
        assert.deepEqual(
            {
                proxy: peers.proxy.seen.length,
                pebble: fs.readFileSync(peers.pebble.logFile, "utf8").length,
                dns: peers.dns.questions.length,
            },
            before,
        );
    });

    it("diff inside the window of a minutes-long certificate asks for a replacement (create-before-delete)", async () => {
        const zone = await createZone("example.cn");
        const i = inputs([`www.${zone.name}`], { profile: "shortlived" });
        const created = await provider.create(i);
        const outs = created.outs as Outs;
        assert.ok(Date.parse(outs.notAfter) - Date.parse(outs.notBefore) <= (SHORTLIVED_SECONDS + 1) * 1000, "Pebble's shortlived profile");
        const wait = Date.parse(outs.renewAfter) - Date.now();
        if (wait > 0) {
            assert.deepEqual(await provider.diff!(created.id, outs, i), { changes: false }, "not yet due");
            await new Promise((r) => setTimeout(r, wait + 50));
        }
        assert.deepEqual(await provider.diff!(created.id, outs, i), {
            changes: true,
            replaces: ["renewAfter"],
            deleteBeforeReplace: false,
        });
    });

    it("an input that shapes the certificate changing asks for a replacement; tags update in place", async () => {
        const zone = await createZone("example.cn");
        const i = inputs([`www.${zone.name}`], { tags: { team: "web" } });
        const created = await provider.create(i);
        const diff = (change: Partial<CertificateInputs>) => provider.diff!(created.id, created.outs, { ...i, ...change });
        assert.deepEqual(await diff({ domains: [`www.${zone.name}`, zone.name] }), {
            changes: true,
            replaces: ["domains"],
            deleteBeforeReplace: false,
        });
        assert.deepEqual(await diff({ keyType: "ecdsa-p256" }), { changes: true, replaces: ["keyType"], deleteBeforeReplace: false });
        assert.deepEqual(await diff({ path: "/cloudfront/other/" }), { changes: true, replaces: ["path"], deleteBeforeReplace: false });
        assert.deepEqual(await diff({ renewBeforeDays: 30 }), { changes: true }, "a new window that is not due yet: update in place");
        assert.deepEqual(await diff({ tags: { team: "platform" } }), { changes: true });
        const tagsInIam = async () =>
            (
                await new IAMClient({ region: "cn-north-1" }).send(
                    new ListServerCertificateTagsCommand({ ServerCertificateName: created.id }),
                )
            ).Tags;
        const issuer = { Key: ISSUER_ACCOUNT_TAG, Value: issuerAccountTagValue(account.accountUrl) };
        assert.deepEqual(
            await tagsInIam(),
            [{ Key: "team", Value: "web" }, issuer],
            "uploaded with the user's tags and the issuing account",
        );
        const from = peers.proxy.seen.length;
        const updated = await provider.update!(created.id, created.outs, { ...i, tags: { env: "prod" } });
        assert.deepEqual(peers.proxy.seen.slice(from), ["UntagServerCertificate", "TagServerCertificate"]);
        assert.deepEqual((updated.outs as Outs).tags, { env: "prod" });
        assert.deepEqual(await tagsInIam(), [issuer, { Key: "env", Value: "prod" }], "the user's tags changed, the issuer's mark kept");
        assert.equal((updated.outs as Outs).serialNumber, (created.outs as Outs).serialNumber);
    });

    it("read reports a certificate deleted out of band as gone, and delete treats NoSuchEntity as deleted", async () => {
        const zone = await createZone("example.cn");
        const created = await provider.create(inputs([`www.${zone.name}`]));
        const read = await provider.read!(created.id, created.outs);
        assert.equal(read.id, created.id);
        assert.equal((read.props as Outs).serverCertificateId, (created.outs as Outs).serverCertificateId);
        await provider.delete!(created.id, created.outs);
        assert.deepEqual(await provider.read!(created.id, created.outs), {});
        await provider.delete!(created.id, created.outs); // NoSuchEntity: no error
    });

    it("delete retries DeleteConflict until the distribution lets go, and gives up after the bound with a clear error", async () => {
        const zone = await createZone("example.cn");
        const created = await provider.create(inputs([`www.${zone.name}`], { deleteConflictTimeoutSeconds: 20 }));
        peers.proxy.faults.push({
            action: "DeleteServerCertificate",
            times: 3,
            status: 409,
            code: "DeleteConflict",
            message: "Certificate is currently in use by CloudFront",
        });
        await provider.delete!(created.id, created.outs);
        assert.equal(peers.proxy.faults[0].times, 0, "all three conflicts were met");
        assert.deepEqual(await provider.read!(created.id, created.outs), {});

        const other = await provider.create(inputs([`api.${zone.name}`], { deleteConflictTimeoutSeconds: 1 }));
        peers.proxy.faults.push({ action: "DeleteServerCertificate", times: 1000, status: 409, code: "DeleteConflict" });
        await assert.rejects(
            provider.delete!(other.id, { ...other.outs, deleteConflictTimeoutSeconds: 1 }),
            /still in use after 1 s \(DeleteConflict\).*next `pulumi up` deletes it/,
        );
        peers.proxy.faults.length = 0;
        assert.ok(await provider.read!(other.id, other.outs).then((r) => r.id), "still in IAM for the next run");
        await provider.delete!(other.id, other.outs);
    });

    it("an IAM upload that fails after issuance keeps the certificate; the next run uploads the same serial with no new order", async () => {
        const zone = await createZone("example.cn");
        const i = { ...inputs([`www.${zone.name}`]), __provider: "serialized-provider-text" };
        peers.proxy.faults.push({
            action: "UploadServerCertificate",
            times: 1,
            status: 409,
            code: "LimitExceeded",
            message: "Cannot exceed quota for ServerCertificatesPerAccount: 20",
        });
        const error = (await provider.create(i).then(
            () => assert.fail("create should fail"),
            (e: unknown) => e,
        )) as Error & { id: string; properties: Outs; reasons: string[] };
        assert.match(error.message, /LimitExceeded, the account's server-certificate quota is full \(20 by default\).*Service Quotas/);
        assert.equal(error.id, error.properties.name);
        assert.equal(error.properties.uploadPending, true);
        assert.equal(error.properties.__provider, "serialized-provider-text", "the partial state keeps the provider");
        assert.match(error.properties.privateKeyPem, /PRIVATE KEY/);
        assert.deepEqual(error.reasons, [error.message]);
        const listed = await iam().send(new ListServerCertificatesCommand({ PathPrefix: "/cloudfront/test/site/" }));
        assert.ok(
            !(listed.ServerCertificateMetadataList ?? []).some((m) => m.ServerCertificateName === error.id),
            "nothing half-made in IAM",
        );

        const orders = peers.pebble.ordersCreated();
        assert.deepEqual(await provider.diff!(error.id, error.properties, i), { changes: true });
        const updated = (await provider.update!(error.id, error.properties, i)).outs as Outs;
        assert.equal(peers.pebble.ordersCreated(), orders, "no second order");
        assert.equal(updated.serialNumber, error.properties.serialNumber);
        assert.equal(updated.uploadPending, false);
        assert.match(updated.serverCertificateId, /^ASCA/);
        const stored = await iam().send(new GetServerCertificateCommand({ ServerCertificateName: error.id }));
        assert.equal(stored.ServerCertificate?.CertificateBody?.trim(), error.properties.certificatePem.trim());
    });

    it("an account at its server-certificate quota: refused before any order, with the numbers, the path's certificates and the fix", async () => {
        const zone = await createZone("example.cn");
        const where = "/cloudfront/test/quota/";
        const first = await provider.create(inputs([`www.${zone.name}`], { path: where }));
        // The quota set at what the account holds: GetAccountSummary's ServerCertificatesQuota lowered to ServerCertificates.
        let used = "";
        peers.proxy.rewrites.push({
            match: /^GetAccountSummary$/,
            transform: (body) => {
                used = /<key>ServerCertificates<\/key>\s*<value>(\d+)<\/value>/.exec(body)?.[1] ?? "";
                return body.replace(/(<key>ServerCertificatesQuota<\/key>\s*<value>)\d+/, `$1${used}`);
            },
        });
        const orders = peers.pebble.ordersCreated();
        try {
            const error = (await provider.create(inputs([`www.${zone.name}`], { path: where })).then(
                () => assert.fail("create should be refused"),
                (e: unknown) => e,
            )) as Error & { code: string };
            assert.ok(Number(used) >= 1, `the summary was read and rewritten (${used})`);
            assert.equal(
                error.message,
                `nothing was ordered: IAM holds ${used} server certificates in this account and the quota is ${used} ` +
                    `(1 under this certificate's path ${where}: ${first.id}; at a renewal the newest is the one served); ` +
                    "a new certificate needs a free slot while the one it replaces stays until the distribution has moved. " +
                    "Free one: `npm run status -- --stack <stack>` lists the stack's certificates that nothing serves, and " +
                    '`npm run cleanup -- --stack <stack> --yes` deletes them; or ask AWS for a higher "Server certificates per account" quota (IAM)',
            );
            assert.equal(error.code, "ServerCertificateQuota");
            assert.equal(peers.pebble.ordersCreated(), orders, "no order sent");
        } finally {
            peers.proxy.rewrites.length = 0;
        }
        // A slot free again (the quota raised, or a leftover deleted): the same inputs issue.
        const again = await provider.create(inputs([`www.${zone.name}`], { path: where }));
        assert.equal(peers.pebble.ordersCreated(), orders + 1);
        await provider.delete!(again.id, again.outs);
        await provider.delete!(first.id, first.outs);
    });

    /** Uploads an issued certificate again by hand under /cloudfront/, as certbot's hook does. */
    const uploadByHand = async (name: string, outs: Record<string, unknown>) =>
        iam().send(
            new UploadServerCertificateCommand({
                ServerCertificateName: name,
                Path: "/cloudfront/",
                CertificateBody: outs.certificatePem as string,
                CertificateChain: outs.chainPem as string,
                PrivateKey: outs.privateKeyPem as string,
            }),
        );

    it("adopts a certificate already in IAM with no order, moves it under the stack's path, then replaces it from the CA and deletes it", async () => {
        const zone = await createZone("example.cn");
        const names = [`www.${zone.name}`, zone.name];
        const handMade = await provider.create(inputs(names, { path: `/cloudfront/test/hand-made-${zone.name}/` }));
        const legacy = `legacy-${zone.name}`;
        await uploadByHand(legacy, handMade.outs);
        await provider.delete!(handMade.id, handMade.outs);
        const before = (await iam().send(new GetServerCertificateCommand({ ServerCertificateName: legacy }))).ServerCertificate!;
        const orders = peers.pebble.ordersCreated();
        const stackPath = `/cloudfront/test/adopt-${zone.name}/`;
        const news = { ...inputs(names, { path: stackPath }), adoptCertificateName: legacy };

        const first = await provider.check!({}, news);
        assert.deepEqual(first.failures, []);
        const adopted = await provider.create(first.inputs);
        const outs = adopted.outs as Outs;
        assert.equal(peers.pebble.ordersCreated(), orders, "nothing ordered");
        assert.equal(adopted.id, legacy);
        assert.equal(outs.serialNumber, handMade.outs.serialNumber);
        assert.equal(outs.adoptedFrom, "/cloudfront/");
        assert.equal(outs.privateKeyPem, "", "IAM never gives the key back");
        assert.ok(Date.parse(outs.renewAfter) > Date.now());
        // Moved, not copied: same name and id (what the distribution serves), now under the stack's path.
        const after = (await iam().send(new GetServerCertificateCommand({ ServerCertificateName: legacy }))).ServerCertificate!;
        assert.equal(after.ServerCertificateMetadata!.Path, stackPath);
        assert.equal(outs.path, stackPath);
        assert.equal(after.ServerCertificateMetadata!.ServerCertificateId, before.ServerCertificateMetadata!.ServerCertificateId);
        assert.equal(outs.serverCertificateId, before.ServerCertificateMetadata!.ServerCertificateId);
        assert.equal(outs.arn, after.ServerCertificateMetadata!.Arn);

        // The next runs: an update does not keep the name; outside the window nothing changes, and a refresh changes nothing.
        const next = await provider.check!(first.inputs, news);
        assert.equal(next.inputs.adoptCertificateName, undefined);
        assert.deepEqual(await provider.diff!(adopted.id, outs, next.inputs), { changes: false });
        assert.deepEqual((await provider.read!(adopted.id, outs)).props, outs);

        // Its window: replaced like any other. The engine checks a replacement with no old inputs, so
        // the name is still there: the certificate under the stack's path says it was adopted already.
        const due = { ...outs, renewAfter: new Date(Date.now() - 1000).toISOString() };
        assert.deepEqual(await provider.diff!(adopted.id, due, next.inputs), {
            changes: true,
            replaces: ["renewAfter"],
            deleteBeforeReplace: false,
        });
        const replacement = await provider.check!({}, news);
        assert.equal(replacement.inputs.adoptCertificateName, legacy);
        const renewed = await logged(() => provider.create(replacement.inputs));
        assert.equal(peers.pebble.ordersCreated(), orders + 1, "one order, for the replacement");
        assert.ok(renewed.lines.some((l) => l.includes(`not adopting ${legacy}: ${stackPath} already holds ${legacy}`)));
        const renewedOuts = renewed.result.outs as Outs;
        assert.notEqual(renewedOuts.serialNumber, outs.serialNumber);
        assert.equal(renewedOuts.adoptedFrom, undefined);
        await provider.delete!(adopted.id, due);
        const left = (await iam().send(new ListServerCertificatesCommand({}))).ServerCertificateMetadataList ?? [];
        assert.ok(!left.some((m) => m.ServerCertificateName === legacy), "the adopted certificate is deleted after the replacement");
        await provider.delete!(renewed.result.id, renewedOuts);
    });

    it("adoption refused before anything is ordered: no such certificate, one that misses a name, a bad name", async () => {
        const zone = await createZone("example.cn");
        const names = [`www.${zone.name}`, zone.name];
        const path = `/cloudfront/test/refused-${zone.name}/`;
        const refused = async (i: CertificateInputs) =>
            (await provider.create(i).then(
                () => assert.fail("create should be refused"),
                (e: unknown) => e,
            )) as Error & { code: string };
        const www = await provider.create(inputs([`www.${zone.name}`], { path: `/cloudfront/test/www-only-${zone.name}/` }));
        const partialName = `partial-${zone.name}`;
        await uploadByHand(partialName, www.outs);
        await provider.delete!(www.id, www.outs);
        const orders = peers.pebble.ordersCreated();

        const missing = await refused({ ...inputs(names, { path }), adoptCertificateName: "no-such-certificate" } as CertificateInputs);
        assert.equal(missing.code, "AdoptNotFound");
        assert.match(
            missing.message,
            /cannot adopt IAM server certificate "no-such-certificate": there is none by that name in this account; nothing was ordered/,
        );
        const partial = await refused({ ...inputs(names, { path }), adoptCertificateName: partialName } as CertificateInputs);
        assert.equal(partial.code, "AdoptRefused");
        assert.match(
            partial.message,
            new RegExp(
                `it covers www\\.${zone.name.replace(/\./g, "\\.")} but not ${zone.name.replace(/\./g, "\\.")}, which \`domains\` lists`,
            ),
        );
        assert.equal(peers.pebble.ordersCreated(), orders, "nothing ordered");
        const stored = (await iam().send(new GetServerCertificateCommand({ ServerCertificateName: partialName }))).ServerCertificate!;
        assert.equal(stored.ServerCertificateMetadata!.Path, "/cloudfront/", "a refused certificate is left where it was");

        const bad = await provider.check!(
            {},
            { ...inputs(names), adoptCertificateName: "arn:aws-cn:iam::123456789012:server-certificate/x" },
        );
        assert.deepEqual(
            (bad.failures ?? []).map((f) => f.property),
            ["adoptCertificateName"],
        );
        assert.match(bad.failures?.[0].reason ?? "", /is not an IAM server certificate name .*give its ServerCertificateName/);
    });

    it("transient IAM errors on upload are retried", async () => {
        const zone = await createZone("example.cn");
        peers.proxy.faults.push({ action: "UploadServerCertificate", times: 2, status: 500, code: "ServiceFailure" });
        const created = await provider.create(inputs([`www.${zone.name}`]));
        assert.equal(peers.proxy.faults[0].times, 0);
        assert.match((created.outs as Outs).serverCertificateId, /^ASCA/);
    });

    it("check refuses a name in no hosted zone before anything is ordered", async () => {
        const orders = peers.pebble.ordersCreated();
        const result = await provider.check!({}, inputs(["www.not-a-zone-here.cn"]));
        assert.deepEqual(result.failures, [
            {
                property: "domains",
                reason:
                    `www.not-a-zone-here.cn cannot be validated (dns-persist-01: no TXT record; dns-01: www.not-a-zone-here.cn is in no Route 53 hosted zone of this account and _acme-challenge.www.not-a-zone-here.cn is no CNAME): ` +
                    `either add TXT _validation-persist.www.not-a-zone-here.cn "pebble.letsencrypt.org; accounturi=${account.accountUrl}" at its DNS host (dns-persist-01: no DNS write per renewal), ` +
                    "or add CNAME _acme-challenge.www.not-a-zone-here.cn → _acme-challenge.www.not-a-zone-here.cn.<a Route 53 zone of this account> (dns-01 by delegation), or create its zone in Route 53",
            },
        ]);
        assert.equal(peers.pebble.ordersCreated(), orders);
    });

    it("a challenge the CA cannot validate fails with the CA's words and leaves no TXT record", async () => {
        // A delegated child zone exists for shop.<parent>, but the names are pinned to the parent zone
        // (a real-world mistake): the TXT goes to the parent, the CA asks the child and finds nothing.
        const parent = await createZone("example.cn");
        const { CreateHostedZoneCommand } = await import("@aws-sdk/client-route-53");
        const child = await route53().send(
            new CreateHostedZoneCommand({ Name: `shop.${parent.name}`, CallerReference: `child-${Date.now()}` }),
        );
        const childId = (child.HostedZone?.Id ?? "").replace(/^\/hostedzone\//, "");
        await assert.rejects(
            provider.create(
                inputs([`shop.${parent.name}`], { dnsResolvers: [], challenge: "dns-01", hostedZones: { [parent.name]: parent.id } }),
            ),
            /the CA did not validate dns-01 for shop\..*urn:ietf:params:acme:error:unauthorized/,
        );
        assert.deepEqual(await allChallengeRecords(parent.id), []);
        assert.deepEqual(await allChallengeRecords(childId), []);
    });

    describe("through the serialized provider (as the engine's dynamic-provider host loads it)", () => {
        it("declares privateKeyPem secret, and runs check -> create -> diff -> delete in a fresh process", async function () {
            const zone = await createZone("example.cn");
            const mocks = await useOfflineMocks();
            const secretOutputs: Record<string, string[] | undefined> = {};
            const { IamAcmeCertificate } = await import("../providers/iamAcmeCertificate");
            const { AcmeAccount } = await import("../providers/acmeAccount");
            const record = (a: pulumi.ResourceTransformationArgs) => {
                secretOutputs[a.name] = (a.opts as pulumi.CustomResourceOptions).additionalSecretOutputs;
                return undefined;
            };
            const acct = new AcmeAccount("acct", { directoryUrl: peers.pebble.directoryUrl }, { transformations: [record] });
            const cert = new IamAcmeCertificate(
                "cert",
                { domains: [`www.${zone.name}`], account: acct, region: "cn-north-1" },
                { transformations: [record] },
            );
            await promiseOf(cert.id);
            await settle();
            assert.deepEqual(secretOutputs.cert, ["privateKeyPem"]);
            assert.deepEqual(secretOutputs.acct, ["accountKeyPem"]);
            const registered = mocks.find("pulumi-nodejs:dynamic/cloudfront-china:IamAcmeCertificate", "cert")[0];
            assert.equal(
                registered.inputs.path,
                "/cloudfront/cloudfront-china/test/cert/",
                "default path /cloudfront/<project>/<stack>/<name>/",
            );
            assert.equal(registered.inputs.formerPath, "/cloudfront/test/cert/", "the path of earlier versions, looked at and moved from");
            const providerText: string = registered.inputs.__provider;
            assert.doesNotMatch(providerText, /PRIVATE KEY/, "no key material is captured into the serialized code");

            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cfcn-serialized-"));
            fs.writeFileSync(path.join(dir, "provider.js"), providerText);
            fs.writeFileSync(path.join(dir, "inputs.json"), JSON.stringify(inputs([`www.${zone.name}`])));
            // Asynchronous spawn: the fault proxy and the DNS server live in this process's event loop.
            const run = await runNode([
                path.join(root, "tests", "support", "serializedDriver.js"),
                "lifecycle",
                path.join(dir, "provider.js"),
                path.join(dir, "inputs.json"),
            ]);
            assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
            const result = JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}");
            assert.deepEqual(result.check.failures, []);
            assert.match(result.created.outs.serverCertificateId, /^ASCA/);
            assert.deepEqual(result.diff, { changes: false });
            assert.deepEqual(result.readAfterDelete, {});
            assert.doesNotMatch(run.stdout.split("\n").slice(0, -1).join("\n") + run.stderr, /PRIVATE KEY/, "no key material in the logs");
            assert.match(run.stdout, /\[iam\] \[www\..*\] uploaded under \/cloudfront\/test\/site\//);
            assert.match(run.stdout, /\[iam\] \[www\..*\] deleted/);
        });
    });
});

describe("AcmeAccount against Pebble", function () {
    this.timeout(60_000);
    let peers: Peers;
    before(async () => {
        peers = await usePeers();
    });

    it("registers once; a new email updates the same account; a new directory or EAB key id asks for a new account", async () => {
        const created = await acmeAccountProvider.create({ directoryUrl: peers.pebble.directoryUrl, email: "ops@example.cn" });
        const outs = created.outs as Outs;
        assert.equal(created.id, outs.accountUrl);
        assert.match(outs.accountUrl, /^https:\/\/127\.0\.0\.1:\d+\/my-account\//);
        assert.match(outs.accountKeyPem, /BEGIN PRIVATE KEY/);
        const diff = (news: Record<string, unknown>) =>
            acmeAccountProvider.diff!(created.id, outs, { directoryUrl: peers.pebble.directoryUrl, ...news });
        assert.deepEqual(await diff({ email: "ops@example.cn" }), { changes: false });
        assert.deepEqual(await diff({ email: "web@example.cn" }), { changes: true });
        assert.deepEqual(await diff({ directoryUrl: "https://acme-staging-v02.api.letsencrypt.org/directory", email: "ops@example.cn" }), {
            changes: true,
            replaces: ["directoryUrl"],
        });
        assert.deepEqual(await diff({ email: "ops@example.cn", eabKeyId: "kid-1" }), { changes: true, replaces: ["eabKeyId"] });
        const updated = await acmeAccountProvider.update!(created.id, outs, {
            directoryUrl: peers.pebble.directoryUrl,
            email: "web@example.cn",
        });
        assert.equal((updated.outs as Outs).accountUrl, outs.accountUrl, "same account");
        assert.equal((updated.outs as Outs).email, "web@example.cn");
    });

    it("check refuses a bad email and half an External Account Binding", async () => {
        const result = await acmeAccountProvider.check!({}, { email: "ops", eabKeyId: "kid" });
        assert.deepEqual(
            result.failures!.map((f) => f.property),
            ["email", "eabKeyId"],
        );
        assert.equal(
            (result.inputs as Outs).directoryUrl,
            "https://acme-v02.api.letsencrypt.org/directory",
            "defaults to Let's Encrypt production",
        );
    });
});

describe("docs/iam-policy/ (any stack)", () => {
    /** The AWS action of a request the proxy saw: IAM query `Action=`, or a Route 53 REST path. */
    function awsAction(seen: SignedCall): string {
        const route53: Array<[RegExp, string]> = [
            [/^POST \/2013-04-01\/hostedzone\/[^/]+\/rrset/, "route53:ChangeResourceRecordSets"],
            [/^GET \/2013-04-01\/hostedzone\/[^/]+\/rrset/, "route53:ListResourceRecordSets"],
            [/^GET \/2013-04-01\/hostedzone\/[^/?]+$/, "route53:GetHostedZone"],
            [/^GET \/2013-04-01\/hostedzone(\?|$)/, "route53:ListHostedZones"],
            [/^POST \/2013-04-01\/hostedzone$/, "route53:CreateHostedZone"],
            [/^DELETE \/2013-04-01\/hostedzone\/[^/]+$/, "route53:DeleteHostedZone"],
            [/^GET \/2013-04-01\/change\//, "route53:GetChange"],
            // The engine test's stand-in distribution makes the calls pulumi-aws would make.
            [/^POST \/2020-05-31\/distribution$/, "cloudfront:CreateDistribution"],
            [/^GET \/2020-05-31\/distribution\/[^/?]+$/, "cloudfront:GetDistribution"],
            // The engine test's watcher reads what the distribution serves (test side, not a provider call).
            [/^GET \/2020-05-31\/distribution\/[^/]+\/config$/, "cloudfront:GetDistributionConfig"],
            [/^PUT \/2020-05-31\/distribution\/[^/]+\/config$/, "cloudfront:UpdateDistribution"],
            [/^DELETE \/2020-05-31\/distribution\/[^/]+$/, "cloudfront:DeleteDistribution"],
            // The content provider's calls, which other suites (the engine test) may make first.
            [/^POST \/2020-05-31\/distribution\/[^/]+\/invalidation$/, "cloudfront:CreateInvalidation"],
            [/^GET \/2020-05-31\/distribution\/[^/]+\/invalidation\//, "cloudfront:GetInvalidation"],
            [/^PUT \/[^/?]+\/[^?]+/, "s3:PutObject"],
            [/^POST \/[^/?]+\/\?delete/, "s3:DeleteObject"],
            [/^GET \/[^/?]+\/\?versions/, "s3:ListBucketVersions"],
            [/^GET \/[^/?]+\/\?list-type=2/, "s3:ListBucket"],
        ];
        const hit = route53.find(([re]) => re.test(seen.action));
        // IAM and STS are both query APIs (`Action=`): the signature's service tells them apart.
        return hit ? hit[1] : /^[A-Z][A-Za-z]+$/.test(seen.action) ? `${seen.service}:${seen.action}` : `unknown:${seen.action}`;
    }

    it("allows every AWS call the provider made in these tests (test setup calls aside)", async () => {
        const peers = await usePeers();
        const policy = shippedAnyStackPolicy();
        const allowed = new Set(policy.Statement.flatMap((s) => s.Action));
        // sts:AssumeRole (aws:assumeRoles) is the caller's permission on the role, granted where the
        // caller is defined (README, "IAM permissions"); the policy here belongs to the role.
        const testSetupOnly = new Set([
            "route53:CreateHostedZone",
            "route53:DeleteHostedZone",
            "iam:ListServerCertificates",
            "iam:ListServerCertificateTags",
            "sts:AssumeRole",
            "cloudfront:GetDistributionConfig",
        ]);
        const made = new Set(peers.proxy.signed.map(awsAction).filter((a) => !testSetupOnly.has(a)));
        assert.ok(made.size >= 8, `too few calls recorded to mean anything: ${[...made].join(", ")}`);
        assert.deepEqual([...made].filter((a) => !allowed.has(a)).sort(), []);
    });
});
