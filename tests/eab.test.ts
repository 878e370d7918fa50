/**
 * External Account Binding (ZeroSSL, Google Trust Services) against a Pebble that requires it
 * (`externalAccountBindingRequired`), and from stack config through the program.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { acmeAccountProvider } from "../providers/acmeAccount";
import { iamAcmeCertificateProvider } from "../providers/iamAcmeCertificate";
import { Pebble, startPebble, tempDir, PEBBLE_TEST_EAB_HMAC } from "./support/peers";
import { certificateInputs, createZone, Peers, usePeers } from "./support/fixture";
import { runProgramUnderMocks } from "./support/pulumi";

const KID = "kid-1";
const HMAC = PEBBLE_TEST_EAB_HMAC;

describe("External Account Binding against a Pebble that requires it", function () {
    this.timeout(120_000);
    let peers: Peers;
    let pebble: Pebble;

    before(async () => {
        peers = await usePeers();
        pebble = await startPebble(peers.dns.address, tempDir("cfcn-eab-"), { eabKeys: { [KID]: HMAC } });
    });
    after(() => pebble?.stop());

    it("without EAB the account is refused with the settings to add; nothing is registered", async () => {
        await assert.rejects(
            acmeAccountProvider.create({ directoryUrl: pebble.directoryUrl }),
            /requires External Account Binding \(.*\): set cloudfront-china:acmeEabKeyId and, as a secret, cloudfront-china:acmeEabHmacKey/,
        );
    });

    it("a wrong HMAC key is refused with the hint to check the credentials", async () => {
        await assert.rejects(
            acmeAccountProvider.create({ directoryUrl: pebble.directoryUrl, eabKeyId: KID, eabHmacKey: HMAC.replace(/^z/, "y") }),
            /requires External Account Binding \(.*\): check that the key id and HMAC key are the CA's current EAB credentials/,
        );
    });

    it("with the key id and HMAC key the account registers and a certificate issues through it", async () => {
        const created = await acmeAccountProvider.create({ directoryUrl: pebble.directoryUrl, eabKeyId: KID, eabHmacKey: HMAC });
        const account = created.outs as { accountUrl: string; accountKeyPem: string; eabKeyId: string };
        assert.match(account.accountUrl, /\/my-account\//);
        assert.equal(account.eabKeyId, KID);
        assert.doesNotMatch(JSON.stringify(created.outs), new RegExp(HMAC), "the HMAC key is not kept in the outputs");
        const zone = await createZone("example.cn");
        const inputs = {
            ...certificateInputs(peers, account, [`www.${zone.name}`]),
            acmeDirectoryUrl: pebble.directoryUrl,
            challenge: "dns-01" as const,
        };
        const issued = await iamAcmeCertificateProvider.create!(inputs);
        assert.equal((issued.outs as { domains: string[] }).domains[0], `www.${zone.name}`);
    });

    it("from stack config: the key id and the secret HMAC key reach the ACME account", async () => {
        const { mocks } = await runProgramUnderMocks(
            {
                "aws:region": "cn-north-1",
                "cloudfront-china:domains": ["www.example.cn"],
                "cloudfront-china:acmeDirectoryUrl": "https://acme.zerossl.com/v2/DV90",
                "cloudfront-china:acmeEabKeyId": KID,
                "cloudfront-china:acmeEabHmacKey": HMAC,
            },
            { secretKeys: ["cloudfront-china:acmeEabHmacKey"] },
        );
        const account = mocks.find("pulumi-nodejs:dynamic/cloudfront-china:AcmeAccount", "acme-account")[0];
        assert.equal(account.inputs.eabKeyId, KID);
        assert.deepEqual(
            account.inputs.eabHmacKey,
            { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: HMAC },
            "a secret",
        );
        pulumi.runtime.setAllConfig({}, []);
    });
});
