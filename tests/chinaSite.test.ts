/**
 * ChinaSite under runtime mocks: the whole site from plain args, as the plugin package serves it to
 * other languages. The certificate and account are its children, the distribution serves the issued
 * certificate, the secrets stay secret, and an existing IAM certificate means no ACME at all.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { promiseOf, settle, useOfflineMocks } from "./support/pulumi";

const isSecret = (o: pulumi.Output<unknown>) => pulumi.isSecret(o);

describe("ChinaSite: the site and its certificate from plain args", () => {
    // Loaded once the mocks are set, as the other component tests do (pulumi-aws binds to the runtime at load).
    let ChinaSite: typeof import("../components/chinaSite").ChinaSite;
    before(async () => {
        pulumi.runtime.setAllConfig({ "aws:region": "cn-north-1" }, []);
        await useOfflineMocks();
        ({ ChinaSite } = await import("../components/chinaSite"));
    });
    after(() => pulumi.runtime.setAllConfig({}, []));

    it("issues the certificate as its child and serves it, with alias records in the given zone", async () => {
        const mocks = await useOfflineMocks({ zoneName: "example.cn" });
        const site = new ChinaSite("web", {
            domains: ["www.example.cn", "example.cn"],
            hostedZoneId: "Z0123456789EXAMPLE",
            hostedZoneName: "example.cn",
            acmeEmail: "ops@example.cn",
        });
        const certificateId = await promiseOf(site.certificateId);
        await promiseOf(site.distributionId);
        await settle();
        const names = mocks.registrations.map((r) => `${r.type} ${r.name}`);
        assert.ok(names.includes("cloudfront-china:index:ChinaSite web"));
        assert.ok(names.includes("cloudfront-china:index:ChinaCdn web"));
        const certificate = mocks.registrations.find((r) => r.name === "web-certificate");
        const account = mocks.registrations.find((r) => r.name === "web-acme-account");
        assert.ok(certificate && account, `certificate and account registered (${names.join(", ")})`);
        assert.deepEqual(certificate.inputs.domains, ["www.example.cn", "example.cn"]);
        assert.deepEqual(certificate.inputs.hostedZones, { "example.cn": "Z0123456789EXAMPLE" });
        assert.equal(certificate.inputs.region, "cn-north-1", "the stack's aws:region by default");
        const distribution = mocks.find("aws:cloudfront/distribution:Distribution")[0];
        assert.equal((distribution.inputs.viewerCertificate as { iamCertificateId: string }).iamCertificateId, certificateId);
        assert.equal(mocks.find("aws:route53/record:Record").length, 2, "one alias record per domain");
        assert.equal(await isSecret(site.privateKeyPem), true, "the private key output is a secret");
        assert.deepEqual(await promiseOf(site.urls), ["https://www.example.cn/", "https://example.cn/"]);
    });

    it("serves an existing IAM certificate without any ACME resource", async () => {
        const mocks = await useOfflineMocks();
        const site = new ChinaSite("web", {
            domains: ["www.example.cn"],
            iamCertificateId: "ASCAEXAMPLE0123456789",
            region: "cn-northwest-1",
        });
        assert.equal(await promiseOf(site.certificateId), "ASCAEXAMPLE0123456789");
        assert.equal(await promiseOf(site.certificateNotAfter), undefined);
        await promiseOf(site.distributionId);
        await settle();
        assert.deepEqual(
            mocks.registrations.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/")).map((r) => r.name),
            [],
            "no account, no certificate",
        );
    });

    it("keeps the External Account Binding key secret, given plain or as a secret", async () => {
        for (const hmacKey of ["c2VjcmV0LWhtYWMta2V5", pulumi.secret("c2VjcmV0LWhtYWMta2V5")]) {
            const mocks = await useOfflineMocks();
            const site = new ChinaSite("web", { domains: ["www.example.cn"], acmeEabKeyId: "kid-1", acmeEabHmacKey: hmacKey });
            await promiseOf(site.certificateId);
            await settle();
            const account = mocks.registrations.find((r) => r.name === "web-acme-account");
            assert.ok(account, "account registered");
            assert.equal(account.inputs.eabKeyId, "kid-1");
            // The mock monitor receives a secret as Pulumi's secret envelope (sig + value).
            assert.deepEqual(account.inputs.eabHmacKey, {
                [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig,
                value: "c2VjcmV0LWhtYWMta2V5",
            });
        }
    });
});
