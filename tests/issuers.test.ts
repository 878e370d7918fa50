/**
 * Never hostage to one CA (docs/issuers.md): a certificate with two issuers, against two real
 * Pebbles with different roots. The first is the suite's Pebble behind a proxy that can take it down
 * (refused, hanging), rate-limit it or make it refuse a name; the second requires External Account
 * Binding and names itself "pebble-b.test" for CAA. Driven through the providers as the engine calls them.
 */
import * as assert from "node:assert/strict";
import { ChangeResourceRecordSetsCommand, Route53Client } from "@aws-sdk/client-route-53";
import { X509Certificate } from "node:crypto";
import { acmeAccountProvider } from "../providers/acmeAccount";
import { iamAcmeCertificateProvider as provider } from "../providers/iamAcmeCertificate";
import { ariCertId } from "../acme/ari";
import { CertificateInputs } from "../core/certificate";
import { AcmeProxy, Pebble, freePort, startAcmeFaultProxy, startPebble, tempDir, PEBBLE_TEST_EAB_HMAC } from "./support/peers";
import { certificateInputs, createZone, logged, Peers, usePeers } from "./support/fixture";
import { StackCli } from "./support/engine";
import { initPebbleStack, projectProgramStack } from "./support/standinAws";
import { GetServerCertificateCommand, IAMClient, ListServerCertificatesCommand } from "@aws-sdk/client-iam";
import * as fs from "node:fs";
import * as path from "node:path";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- provider results are untyped (dynamic provider contract)
type Outs = Record<string, any>;
type Account = { accountUrl: string; accountKeyPem: string };

const KID = "kid-b";
const HMAC = PEBBLE_TEST_EAB_HMAC;

describe("issuer fallback: two CAs, one certificate", function () {
    this.timeout(180_000);
    let peers: Peers;
    let first: AcmeProxy;
    let second: Pebble;
    let accountA: Account;
    let accountB: Account;
    let paths = 0;

    before(async () => {
        peers = await usePeers();
        first = await startAcmeFaultProxy(peers.pebble.directoryUrl);
        second = await startPebble(peers.dns.address, tempDir("cfcn-issuer-b-"), {
            eabKeys: { [KID]: HMAC },
            caaIdentities: ["pebble-b.test"],
        });
        const account = ({ accountUrl, accountKeyPem }: Account): Account => ({ accountUrl, accountKeyPem });
        accountA = account((await acmeAccountProvider.create({ directoryUrl: first.directoryUrl })).outs as Account);
        accountB = account(
            (await acmeAccountProvider.create({ directoryUrl: second.directoryUrl, eabKeyId: KID, eabHmacKey: HMAC })).outs as Account,
        );
    });
    afterEach(async () => {
        await first.outage(undefined);
        first.faults.length = 0;
    });
    after(() => {
        first?.stop();
        second?.stop();
    });

    /** Inputs with the first CA behind the proxy and the second as the fallback, under a path of their own. */
    async function twoIssuers(
        names = ["www"],
        extra: Partial<CertificateInputs> = {},
    ): Promise<{ inputs: CertificateInputs; zone: string }> {
        const zone = await createZone("example.cn");
        const inputs = certificateInputs(
            peers,
            accountA,
            names.map((n) => `${n}.${zone.name}`),
            {
                acmeDirectoryUrl: first.directoryUrl,
                challenge: "dns-01",
                path: `/cloudfront/issuers/c${++paths}/`,
                fallbackIssuers: [{ directoryUrl: second.directoryUrl, ...accountB }],
                ...extra,
            },
        );
        return { inputs, zone: zone.id };
    }

    const orders = () => ({ first: peers.pebble.ordersCreated(), second: second.ordersCreated() });
    const issuerOf = (outs: Outs) => new X509Certificate(outs.certificatePem as string).issuer;

    it("a healthy first CA issues; the second is never asked", async () => {
        const { inputs } = await twoIssuers();
        const before = orders();
        const created = await provider.create!(inputs);
        assert.equal((created.outs as Outs).issuerDirectoryUrl, first.directoryUrl);
        assert.equal((created.outs as Outs).issuerAccountUrl, accountA.accountUrl);
        assert.deepEqual(orders(), { first: before.first + 1, second: before.second });
        // The fallbacks are kept without their account keys.
        assert.deepEqual((created.outs as Outs).fallbackIssuers, [{ directoryUrl: second.directoryUrl, accountUrl: accountB.accountUrl }]);
        assert.doesNotMatch(JSON.stringify(created.outs), /BEGIN EC PRIVATE KEY|BEGIN PRIVATE KEY-----\n[^]*accountKeyPem/);
    });

    for (const mode of ["refuse", "hang"] as const) {
        it(`the first CA down (${mode === "refuse" ? "connection refused" : "accepts, never answers"}): the second issues, zero gap, each chain to its own root`, async () => {
            const { inputs } = await twoIssuers();
            const healthy = (await provider.create!(inputs)).outs as Outs;
            await first.outage(mode);
            const before = orders();
            const started = Date.now();
            const { result, lines } = await logged(() => provider.create!(inputs));
            const outs = result.outs as Outs;
            assert.equal(outs.issuerDirectoryUrl, second.directoryUrl);
            assert.equal(outs.issuerAccountUrl, accountB.accountUrl);
            assert.match(outs.serverCertificateId, /^ASCA/, "uploaded to IAM as is, chain included");
            assert.notEqual(issuerOf(outs), issuerOf(healthy), "the two CAs chain to different roots");
            assert.deepEqual(orders(), { first: before.first, second: before.second + 1 });
            assert.ok(
                lines.some(
                    (l) =>
                        l.includes(`${first.directoryUrl} cannot issue now (unreachable:`) && l.includes(`trying ${second.directoryUrl}`),
                ),
                lines.join("\n"),
            );
            // `replaces` goes only to the CA that issued the certificate replaced: not to the second.
            assert.ok(
                lines.some((l) => l.includes("(not a replacement")),
                lines.join("\n"),
            );
            console.log(`      first CA ${mode}: certificate from the second in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        });
    }

    it("the first CA rate-limiting (429, Retry-After an hour): the second issues at once", async () => {
        const { inputs } = await twoIssuers();
        first.faults.push({ match: /^POST \/order-plz/, times: 1, status: 429, retryAfterSeconds: 3600 });
        const started = Date.now();
        const outs = (await provider.create!(inputs)).outs as Outs;
        assert.equal(outs.issuerDirectoryUrl, second.directoryUrl);
        assert.deepEqual(first.answered.slice(-1), ["429 POST /order-plz"]);
        assert.ok(Date.now() - started < 30_000, "the hour is not waited for");
    });

    it("the first CA refusing a name (rejectedIdentifier): the second issues", async () => {
        const { inputs } = await twoIssuers();
        first.faults.push({ match: /^POST \/order-plz/, times: 1, status: 400, problemType: "rejectedIdentifier" });
        const outs = (await provider.create!(inputs)).outs as Outs;
        assert.equal(outs.issuerDirectoryUrl, second.directoryUrl);
    });

    it("a CAA record allowing only the second CA: no order at the first, the second issues", async () => {
        const { inputs, zone } = await twoIssuers(["www", "shop"]);
        const apex = inputs.domains[0].replace(/^www\./, "");
        await new Route53Client({ region: "cn-north-1" }).send(
            new ChangeResourceRecordSetsCommand({
                HostedZoneId: zone,
                ChangeBatch: {
                    Changes: [
                        {
                            Action: "CREATE",
                            ResourceRecordSet: {
                                Name: apex,
                                Type: "CAA",
                                TTL: 60,
                                ResourceRecords: [{ Value: '0 issue "pebble-b.test"' }],
                            },
                        },
                    ],
                },
            }),
        );
        const before = orders();
        const { result, lines } = await logged(() => provider.create!(inputs));
        assert.equal((result.outs as Outs).issuerDirectoryUrl, second.directoryUrl);
        assert.deepEqual(orders(), { first: before.first, second: before.second + 1 });
        assert.ok(
            lines.some(
                (l) =>
                    l.includes(`(caa: CAA does not allow ${first.directoryUrl} for shop.`) &&
                    l.includes(`its CAA issue record allows "pebble-b.test"`),
            ),
            lines.join("\n"),
        );
    });

    it("a DNS error every CA would hit: no order anywhere, the name and the fix in the error", async () => {
        const { inputs } = await twoIssuers();
        const before = orders();
        const stray = `www.nowhere-${Date.now().toString(36)}.example.cn`;
        await assert.rejects(provider.create!({ ...inputs, domains: [inputs.domains[0], stray] }), (e: Error & { code?: string }) => {
            assert.equal(e.code, "ChallengeUnavailable");
            assert.match(
                e.message,
                new RegExp(`nothing was ordered: 1 name\\(s\\) cannot be validated yet[^]*${stray.replace(/\./g, "\\.")}`),
            );
            return true;
        });
        assert.deepEqual(orders(), before);
    });

    it("every CA unreachable: one error lists each CA and why; nothing is uploaded", async () => {
        const { inputs } = await twoIssuers();
        await first.outage("refuse");
        const dead = `https://127.0.0.1:${await freePort()}/dir`;
        await assert.rejects(
            provider.create!({ ...inputs, fallbackIssuers: [{ directoryUrl: dead, ...accountB }] }),
            (e: Error & { code?: string }) => {
                assert.equal(e.code, "NoIssuerAvailable");
                assert.match(
                    e.message,
                    /no issuer could issue the certificate for www\.[^;]*; nothing was uploaded \(a certificate already served stays served\)/,
                );
                assert.match(e.message, new RegExp(`1\\. ${first.directoryUrl.replace(/[.]/g, "\\.")} \\(unreachable\\)`));
                assert.match(e.message, new RegExp(`2\\. ${dead.replace(/[.]/g, "\\.")} \\(unreachable\\)`));
                return true;
            },
        );
    });

    it("after a fallback, `replaces` and renewal information go only to the CA and account that issued, read from the certificate's IAM record", async () => {
        const { inputs } = await twoIssuers();
        // The engine hands a replacement's create the new inputs only (never the old outputs): the
        // provider is called here as the engine calls it, and nothing says which CA issued but IAM.
        const { check } = provider;
        // Each renewal as the engine runs a replacement: create the new certificate, then delete the old one.
        let current: { id: string; outs: Outs } | undefined;
        const renew = async () => {
            const renewed = await logged(async () => provider.create!((await check!({}, { ...inputs })).inputs));
            if (current) {
                await provider.delete!(current.id, current.outs);
            }
            current = { id: renewed.result.id, outs: renewed.result.outs as Outs };
            return renewed;
        };
        await first.outage("refuse");
        const fromSecond = (await renew()).result.outs as Outs;
        assert.equal(fromSecond.issuerDirectoryUrl, second.directoryUrl);

        // Still down: the renewal comes from the second CA, which issued what it replaces: `replaces` is sent there.
        const again = await renew();
        assert.equal((again.result.outs as Outs).issuerDirectoryUrl, second.directoryUrl);
        assert.ok(
            again.lines.some((l) => l.includes(`(replacement of `)),
            again.lines.join("\n"),
        );

        // Back: the order starts at the first CA, which is never sent the second CA's CertID nor asked about it.
        await first.outage(undefined);
        const seenBefore = first.seen.length;
        const replacedId = ariCertId((again.result.outs as Outs).certificatePem)!;
        const back = await renew();
        assert.equal((back.result.outs as Outs).issuerDirectoryUrl, first.directoryUrl);
        assert.ok(
            back.lines.some((l) => l.includes("was ordered by another CA or account: not sent as replaced")),
            back.lines.join("\n"),
        );
        assert.ok(
            back.lines.some((l) => l.includes("(not a replacement")),
            back.lines.join("\n"),
        );
        assert.deepEqual(
            first.seen.slice(seenBefore).filter((l) => l.includes(replacedId)),
            [],
            "no renewal-information request to the first CA for the second CA's certificate",
        );

        // The next renewal at the first CA replaces the first CA's certificate: `replaces` is sent again.
        const next = await renew();
        assert.ok(
            next.lines.some((l) => l.includes(`(replacement of `)),
            next.lines.join("\n"),
        );
    });

    it("an existing single-CA certificate upgraded with a fallback: updated in place, never replaced", async () => {
        const { inputs } = await twoIssuers();
        const { fallbackIssuers, ...single } = inputs;
        const old = (await provider.create!(single)).outs as Outs;
        // State written before fallbacks existed: no issuer fields.
        delete old.issuerDirectoryUrl;
        delete old.issuerAccountUrl;
        delete old.fallbackIssuers;
        const diff = await provider.diff!(old.name, old, { ...single, fallbackIssuers });
        assert.deepEqual(diff, { changes: true });
        const updated = (await provider.update!(old.name, old, { ...single, fallbackIssuers })).outs as Outs;
        assert.equal(updated.serialNumber, old.serialNumber, "the same certificate");
        assert.equal(updated.issuerDirectoryUrl, first.directoryUrl, "the account's own CA signed it");
        assert.deepEqual(updated.fallbackIssuers, [{ directoryUrl: second.directoryUrl, accountUrl: accountB.accountUrl }]);
        // A rolled-over fallback account key is no change.
        const rolled = [{ ...fallbackIssuers![0], accountKeyPem: "another key" }];
        assert.deepEqual(await provider.diff!(updated.name, updated, { ...single, fallbackIssuers: rolled }), { changes: false });
    });

    it("editing the list renews nothing whose CA is still listed; a certificate whose CA left the list is renewed", async () => {
        const { inputs } = await twoIssuers();
        await first.outage("refuse");
        const fromSecond = (await provider.create!(inputs)).outs as Outs;
        await first.outage(undefined);
        // The dead first CA dropped: the second, which issued, is now the only (and first) one.
        const { fallbackIssuers, ...rest } = inputs;
        const secondOnly = { ...rest, acmeDirectoryUrl: fallbackIssuers![0].directoryUrl, accountUrl: accountB.accountUrl };
        assert.deepEqual(await provider.diff!(fromSecond.name, fromSecond, secondOnly), { changes: true }, "updated in place");
        const kept = (await provider.update!(fromSecond.name, fromSecond, secondOnly)).outs as Outs;
        assert.equal(kept.serialNumber, fromSecond.serialNumber);
        assert.equal(kept.issuerDirectoryUrl, second.directoryUrl, "still known as the second CA's");
        // The two swapped: no renewal either.
        const swapped = { ...secondOnly, fallbackIssuers: [{ directoryUrl: first.directoryUrl, ...accountA }] };
        assert.deepEqual(await provider.diff!(fromSecond.name, fromSecond, swapped), { changes: true });
        // The second CA gone from the list: its certificate is renewed from the CA that is listed.
        const firstOnly = { ...rest, fallbackIssuers: undefined };
        assert.deepEqual(await provider.diff!(fromSecond.name, fromSecond, firstOnly), {
            changes: true,
            replaces: ["fallbackIssuers"],
            deleteBeforeReplace: false,
        });
    });

    it("check names a fallback listed twice or with a bad directory", async () => {
        const { inputs } = await twoIssuers();
        const checked = await provider.check!(
            {},
            {
                ...inputs,
                fallbackIssuers: [
                    { directoryUrl: inputs.acmeDirectoryUrl, ...accountB },
                    { directoryUrl: "http://acme.example.net/dir", ...accountB },
                ],
            },
        );
        assert.deepEqual(
            (checked.failures ?? []).map((f) => f.property),
            ["fallbackIssuers", "fallbackIssuers"],
        );
        assert.match(checked.failures![0].reason, /`fallbackIssuers\[0\]\.directoryUrl` .* is listed twice/);
        assert.match(checked.failures![1].reason, /`fallbackIssuers\[1\]\.directoryUrl` must use https/);
    });
});

describe("dns-persist-01 records follow what each CA advertises", function () {
    this.timeout(120_000);
    let peers: Peers;
    let proxy: AcmeProxy;
    let renamed: Pebble;
    before(async () => {
        peers = await usePeers();
        proxy = await startAcmeFaultProxy(peers.pebble.directoryUrl);
        renamed = await startPebble(peers.dns.address, tempDir("cfcn-renamed-"), { caaIdentities: ["ca-renamed.test"] });
    });
    after(() => {
        proxy?.stop();
        renamed?.stop();
    });
    const elsewhere = () => `e${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}.elsewhere.cn`;

    it("a record naming an issuer the directory no longer lists: nothing is ordered, the error gives the exact new record", async () => {
        const account = (await acmeAccountProvider.create({ directoryUrl: renamed.directoryUrl })).outs as Account;
        const base = elsewhere();
        // Written when the CA still called itself pebble.letsencrypt.org.
        peers.dns.elsewhere.txt.set(`_validation-persist.${base}`, [`pebble.letsencrypt.org; accounturi=${account.accountUrl}`]);
        const before = renamed.ordersCreated();
        const inputs = certificateInputs(peers, account, [base], { acmeDirectoryUrl: renamed.directoryUrl, challenge: "dns-persist-01" });
        await assert.rejects(provider.create!(inputs), (e: Error & { code?: string }) => {
            assert.equal(e.code, "ChallengeUnavailable");
            assert.ok(
                e.message.includes(`add TXT _validation-persist.${base} "ca-renamed.test; accounturi=${account.accountUrl}"`),
                e.message,
            );
            return true;
        });
        assert.equal(renamed.ordersCreated(), before, "no order");
    });

    it("a challenge naming other issuers than the directory: refused with the record the CA would take (dns-persist-01), dns-01 instead in auto", async () => {
        const account = (await acmeAccountProvider.create({ directoryUrl: proxy.directoryUrl })).outs as Account;
        const base = elsewhere();
        peers.dns.elsewhere.txt.set(`_validation-persist.${base}`, [`pebble.letsencrypt.org; accounturi=${account.accountUrl}`]);
        // The CA's authorizations now name another issuer than its directory (a format move mid-way).
        const rename = (body: string) => body.replace(/"issuer-domain-names":\s*\[[^\]]*\]/g, '"issuer-domain-names":["ca-renamed.test"]');
        proxy.faults.push({ match: /^POST \/authZ\//, times: 50, transform: rename });
        const inputs = certificateInputs(peers, account, [base], { acmeDirectoryUrl: proxy.directoryUrl, challenge: "dns-persist-01" });
        await assert.rejects(provider.create!(inputs), (e: Error) => {
            assert.match(e.message, /its dns-persist-01 challenge accepts issuer names \["ca-renamed\.test"\]/);
            assert.ok(
                e.message.includes(
                    `(the record it would take: TXT _validation-persist.${base} "ca-renamed.test; accounturi=${account.accountUrl}")`,
                ),
                e.message,
            );
            return true;
        });
        // In auto, a name with a Route 53 zone goes to dns-01 for this order, and issues.
        const zone = await createZone("example.cn");
        peers.dns.elsewhere.txt.set(`_validation-persist.${zone.name}`, [`pebble.letsencrypt.org; accounturi=${account.accountUrl}`]);
        const { result, lines } = await logged(() =>
            provider.create!(certificateInputs(peers, account, [zone.name], { acmeDirectoryUrl: proxy.directoryUrl, challenge: "auto" })),
        );
        assert.match((result.outs as Outs).serverCertificateId, /^ASCA/);
        assert.ok(
            lines.some((l) => l.includes("accepts issuer names") && l.includes(": dns-01 instead")),
            lines.join("\n"),
        );
        proxy.faults.length = 0;
    });
});

/**
 * The same under the real CLI: the project's own program (index.ts, Pulumi.yaml) with the stand-in
 * aws plugin, a single-CA stack upgraded with the commands docs/issuers.md shows, then the first CA
 * down during a renewal, then back.
 */
describe("issuer fallback under the real engine: the project's program, upgraded, the first CA down, then back", function () {
    this.timeout(900_000);
    let peers: Peers;
    let first: AcmeProxy;
    let second: Pebble;
    let program: string;
    let cli: StackCli;
    const STACK = "issuers";
    const iam = new IAMClient({ region: "cn-north-1" });
    // The program's path for the stack's certificate (moto lists every path, whatever the prefix).
    const PATH = `/cloudfront/cloudfront-china/${STACK}/certificate/`;
    const underPathMeta = async () =>
        ((await iam.send(new ListServerCertificatesCommand({ PathPrefix: PATH }))).ServerCertificateMetadataList ?? []).filter(
            (c) => c.Path === PATH,
        );
    const underPath = async () => (await underPathMeta()).map((c) => c.ServerCertificateId);
    const certificateUrn = async () =>
        (await cli.ok("stack", "--show-urns")).output
            .split("\n")
            .map((l) => /(urn:pulumi:\S+IamAcmeCertificate::certificate)\b/.exec(l)?.[1])
            .find((u) => u !== undefined) as string;

    /** docs/issuers.md's commands, its CA URLs and EAB placeholders replaced by the peers'. */
    const docsIssuerCommands = async (stack: StackCli) => {
        const docs = fs.readFileSync(path.resolve(__dirname, "..", "docs", "issuers.md"), "utf8");
        const commands = (/```bash\n([^]*?)```/.exec(docs)?.[1] ?? "").trim().split("\n");
        assert.equal(commands.length, 5, commands.join("\n"));
        for (const command of commands) {
            const args = command
                .replace("https://acme-v02.api.letsencrypt.org/directory", first.directoryUrl)
                .replace("https://acme.zerossl.com/v2/DV90", second.directoryUrl)
                .replace("<EAB key id>", KID)
                .replace("<EAB HMAC key>", HMAC)
                .split(" ")
                .slice(1)
                .map((a) => a.replace(/^'|'$/g, ""));
            await stack.ok(...args);
        }
    };

    before(async () => {
        peers = await usePeers();
        first = await startAcmeFaultProxy(peers.pebble.directoryUrl);
        const work = tempDir("cfcn-issuers-engine-");
        second = await startPebble(peers.dns.address, work, { eabKeys: { [KID]: HMAC } });
        ({ cli, program } = projectProgramStack(work, STACK));
    });
    after(() => {
        first?.stop();
        second?.stop();
    });

    it("upgrade without replacement; renewals with the first CA down come from the second with no gap, `replaces` sent there; the next from the first again, never sent the second's", async () => {
        const zone = await createZone("example.cn");
        await initPebbleStack(cli, { zone, directoryUrl: first.directoryUrl, dnsAddress: peers.dns.address });
        await cli.ok("up", "--yes", "--skip-preview");
        const single = await cli.output("certificateId");
        assert.equal(await cli.output("certificateIssuer"), first.directoryUrl);

        // The upgrade, as docs/issuers.md shows it (its CA URLs and EAB placeholders replaced by the peers').
        await docsIssuerCommands(cli);
        assert.doesNotMatch(
            fs.readFileSync(path.join(program, `Pulumi.${STACK}.yaml`), "utf8"),
            new RegExp(HMAC),
            "the HMAC key is encrypted",
        );
        const upgraded = await cli.ok("up", "--yes", "--skip-preview");
        assert.doesNotMatch(upgraded.output, /replaced/, upgraded.output);
        assert.equal(await cli.output("certificateId"), single, "the same certificate: updated in place, not re-issued");
        assert.equal(await cli.output("certificateIssuer"), first.directoryUrl);

        // The first CA goes down; the renewal (forced here) comes from the second, create-before-delete.
        await first.outage("refuse");
        const urn = await certificateUrn();
        const renewed = await cli.ok("up", "--yes", "--skip-preview", "--replace", urn);
        assert.match(renewed.output, /cannot issue now \(unreachable/);
        const fromSecond = await cli.output("certificateId");
        assert.notEqual(fromSecond, single);
        assert.equal(await cli.output("certificateIssuer"), second.directoryUrl);
        assert.deepEqual(await underPath(), [fromSecond], "the old certificate went only after the distribution moved");
        const stored = await iam.send(
            new GetServerCertificateCommand({
                ServerCertificateName: (await underPathMeta())[0].ServerCertificateName,
            }),
        );
        assert.ok(stored.ServerCertificate?.CertificateChain?.includes("BEGIN CERTIFICATE"), "the second CA's chain is in IAM");

        // Still down: the next renewal comes from the second CA, which issued what it replaces, so the
        // order names it (`replaces`, RFC 9773 §5), the IAM record saying which account ordered it.
        const again = await cli.ok("up", "--yes", "--skip-preview", "--replace", urn);
        assert.match(again.output, /\(replacement of [^)]+\)/, again.output);
        assert.equal(await cli.output("certificateIssuer"), second.directoryUrl);

        // Back: the next renewal starts at the first CA again, which is neither sent the second CA's
        // certificate as replaced nor asked for its renewal information.
        await first.outage(undefined);
        const seenBefore = first.seen.length;
        const secondsCertificate = (
            await iam.send(new GetServerCertificateCommand({ ServerCertificateName: (await underPathMeta())[0].ServerCertificateName }))
        ).ServerCertificate!.CertificateBody!;
        const back = await cli.ok("up", "--yes", "--skip-preview", "--replace", urn);
        assert.match(back.output, /was ordered by another CA or account: not sent as replaced/, back.output);
        assert.deepEqual(
            first.seen.slice(seenBefore).filter((l) => l.includes(ariCertId(secondsCertificate)!)),
            [],
            "the first CA is never asked about the second CA's certificate",
        );
        assert.equal(await cli.output("certificateIssuer"), first.directoryUrl);
        assert.doesNotMatch(back.output, /previousAccountUrl/, "the diff names no input the provider made up");
        await cli.ok("destroy", "--yes", "--skip-preview");
        assert.deepEqual(await underPath(), []);
    });
    it("the first CA down at the first deploy: the stack is made, the second CA issuing; dropping the dead CA from the list replaces nothing", async () => {
        const zone = await createZone("example.cn");
        const stack = projectProgramStack(tempDir("cfcn-issuers-first-down-"), "issuers-first-down").cli;
        await initPebbleStack(stack, { zone, directoryUrl: first.directoryUrl, dnsAddress: peers.dns.address });
        await docsIssuerCommands(stack);
        await first.outage("refuse");
        try {
            const made = await stack.ok("up", "--yes", "--skip-preview");
            assert.match(made.output, /account at \S+ not registered: the ACME CA cannot be reached/, made.output);
            assert.equal(await stack.output("certificateIssuer"), second.directoryUrl);
            const served = await stack.output("certificateId");

            // The first CA is gone for good: the list is the second alone. Its certificate stays.
            await stack.ok("config", "rm", "cloudfront-china:issuers");
            await stack.ok("config", "set", "--path", "cloudfront-china:issuers[0].directoryUrl", second.directoryUrl);
            await stack.ok("config", "set", "--path", "cloudfront-china:issuers[0].eabKeyId", KID);
            await stack.ok("config", "set", "--secret", "--path", "cloudfront-china:issuers[0].eabHmacKey", HMAC);
            const preview = await stack.ok("preview", "--diff");
            assert.doesNotMatch(preview.output, /IamAcmeCertificate: \(replace\)/, preview.output);
            const orders = second.ordersCreated();
            await stack.ok("up", "--yes", "--skip-preview");
            assert.equal(await stack.output("certificateId"), served, "the certificate the remaining CA issued is kept, not re-issued");
            assert.equal(second.ordersCreated(), orders, "no order");
            await stack.ok("preview", "--expect-no-changes");
        } finally {
            await first.outage(undefined);
        }
        await stack.ok("destroy", "--yes", "--skip-preview");
    });
});
