/**
 * The ACME account's key and lifetime against Pebble: the key rolls over (RFC 8555 §7.3.5) with no
 * new account and no new certificate, the old key stops working; a replaced or destroyed account is
 * deactivated (§7.3.6) unless opted out, and a CA that cannot be reached does not block a destroy.
 */
import * as assert from "node:assert/strict";
import * as acme from "acme-client";
import { acmeAccountProvider } from "../providers/acmeAccount";
import { iamAcmeCertificateProvider } from "../providers/iamAcmeCertificate";
import { certificateInputs, usePeers } from "./support/fixture";
import { startAcmeFaultProxy } from "./support/peers";

type Outs = Record<string, unknown> & { accountUrl: string; accountKeyPem: string; directoryUrl: string };

/** Whether the CA answers a signed request from `key` as the account `accountUrl` (an account update with no change). */
async function actsForAccount(directoryUrl: string, accountUrl: string, key: string): Promise<true | string> {
    const client = new acme.Client({ directoryUrl, accountKey: key, accountUrl });
    return client.updateAccount({}).then(
        () => true as const,
        (e: Error) => e.message,
    );
}

describe("the ACME account: key rollover and deactivation, against Pebble", () => {
    let directoryUrl: string;
    before(async () => {
        directoryUrl = (await usePeers()).pebble.directoryUrl;
    });

    it("a new keyRotation rolls the key over: same account URL, the old key refused, the certificate not replaced", async () => {
        const created = (await acmeAccountProvider.create({ directoryUrl })).outs as Outs;
        const diff = await acmeAccountProvider.diff!(created.accountUrl, created, { directoryUrl, keyRotation: 1 });
        assert.deepEqual(diff, { changes: true }, "an update, not a replacement");
        const rolled = (await acmeAccountProvider.update!(created.accountUrl, created, { directoryUrl, keyRotation: 1 })).outs as Outs;
        assert.equal(rolled.accountUrl, created.accountUrl);
        assert.notEqual(rolled.accountKeyPem, created.accountKeyPem);
        assert.equal(rolled.keyRotation, 1);
        assert.equal(await actsForAccount(directoryUrl, rolled.accountUrl, rolled.accountKeyPem), true);
        assert.notEqual(
            await actsForAccount(directoryUrl, created.accountUrl, created.accountKeyPem),
            true,
            "the old key no longer acts for it",
        );
        // The same number again: nothing to do.
        assert.equal((await acmeAccountProvider.diff!(rolled.accountUrl, rolled, { directoryUrl, keyRotation: 1 })).changes, false);

        // A certificate of that account: only its key input changed, which is not a reason to replace or update it.
        const stored = {
            domains: ["www.example.cn"],
            keyType: "rsa-2048",
            acmeDirectoryUrl: directoryUrl,
            accountUrl: created.accountUrl,
            path: "/cloudfront/test/",
            region: "cn-north-1",
            renewBeforeDays: 30,
            serverCertificateId: "ASCAEXAMPLE0123456789",
            notAfter: new Date(Date.now() + 60 * 86400_000).toISOString(),
        };
        const certificateDiff = await iamAcmeCertificateProvider.diff!("cert", stored, {
            ...stored,
            accountKeyPem: rolled.accountKeyPem,
        });
        assert.equal(certificateDiff.changes, false, JSON.stringify(certificateDiff));
    });

    it("delete deactivates the account: its key can no longer act; deactivateOnDelete: false keeps it", async () => {
        const gone = (await acmeAccountProvider.create({ directoryUrl })).outs as Outs;
        await acmeAccountProvider.delete!(gone.accountUrl, gone);
        assert.match(String(await actsForAccount(directoryUrl, gone.accountUrl, gone.accountKeyPem)), /deactivated|unauthorized/i);

        const kept = (await acmeAccountProvider.create({ directoryUrl, deactivateOnDelete: false })).outs as Outs;
        assert.equal(kept.deactivateOnDelete, false);
        await acmeAccountProvider.delete!(kept.accountUrl, kept);
        assert.equal(await actsForAccount(directoryUrl, kept.accountUrl, kept.accountKeyPem), true);
    });

    it("a profile the CA does not offer is refused before anything is ordered, naming the ones it does", async () => {
        const peers = await usePeers();
        const account = (await acmeAccountProvider.create({ directoryUrl })).outs as Outs;
        const orders = peers.pebble.ordersCreated();
        const refused = await iamAcmeCertificateProvider
            .create(certificateInputs(peers, account, ["www.example.cn"], { profile: "nosuch" }))
            .then(
                () => "created",
                (e: Error) => e.message,
            );
        assert.match(
            refused,
            /nothing was ordered: the CA at .* offers no profile "nosuch" \(it offers .*"shortlived".*\): set `profile` \(cloudfront-china:acmeProfile\)/,
        );
        assert.equal(peers.pebble.ordersCreated(), orders);
    });

    it("a CA that cannot be reached, or an account already deactivated, does not fail the delete (a warning says what to do)", async () => {
        const account = (await acmeAccountProvider.create({ directoryUrl })).outs as Outs;
        const warnings: string[] = [];
        const warn = console.warn;
        console.warn = (m: string) => void warnings.push(m);
        try {
            await acmeAccountProvider.delete!(account.accountUrl, account);
            await acmeAccountProvider.delete!(account.accountUrl, account); // twice: already deactivated
            await acmeAccountProvider.delete!(account.accountUrl, { ...account, directoryUrl: "https://127.0.0.1:1/dir" });
        } finally {
            console.warn = warn;
        }
        assert.equal(warnings.length, 2, warnings.join("\n"));
        assert.match(warnings[1], /could not be deactivated .* deactivate it from a backup of the state if the key may have leaked/);
    });
    it("registerLater: a CA out of reach at the first up leaves the account unregistered, not failed; the next up registers it with the same key", async () => {
        const proxy = await startAcmeFaultProxy(directoryUrl);
        try {
            await proxy.outage("refuse");
            await assert.rejects(acmeAccountProvider.create({ directoryUrl: proxy.directoryUrl }), /the ACME CA cannot be reached/);
            const made = await acmeAccountProvider.create({ directoryUrl: proxy.directoryUrl, registerLater: true });
            const pending = made.outs as Outs;
            assert.equal(pending.accountUrl, "");
            assert.match(made.id, /^unregistered-/);
            assert.deepEqual(pending.issuerDomainNames, []);
            assert.deepEqual(await acmeAccountProvider.diff!(made.id, pending, { directoryUrl: proxy.directoryUrl, registerLater: true }), {
                changes: true,
            });
            // Still out of reach: the update keeps it unregistered and does not fail.
            const still = (await acmeAccountProvider.update!(made.id, pending, { directoryUrl: proxy.directoryUrl, registerLater: true }))
                .outs as Outs;
            assert.equal(still.accountUrl, "");
            await proxy.outage(undefined);
            const registered = (
                await acmeAccountProvider.update!(made.id, still, { directoryUrl: proxy.directoryUrl, registerLater: true })
            ).outs as Outs;
            assert.match(registered.accountUrl, /^https:\/\//);
            assert.equal(registered.accountKeyPem, pending.accountKeyPem, "the key made at the first up");
            assert.equal(await actsForAccount(proxy.directoryUrl, registered.accountUrl, registered.accountKeyPem), true);
            await acmeAccountProvider.delete!(made.id, pending); // never registered: nothing to do at the CA
        } finally {
            proxy.stop();
        }
    });
});
