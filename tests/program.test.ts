/** The whole program (index.ts) under strict aws-cn mocks: config in, resource graph and outputs out. */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { OFFLINE_ACCOUNT_URL, type OfflineAwsChina } from "../scripts/offlineMocks";
import { promiseOf, settle, useOfflineMocks } from "./support/pulumi";

const CERTIFICATE = "pulumi-nodejs:dynamic/cloudfront-china:IamAcmeCertificate";
const ACCOUNT = "pulumi-nodejs:dynamic/cloudfront-china:AcmeAccount";
const DISTRIBUTION = "aws:cloudfront/distribution:Distribution";

/** Runs index.ts with `config`; `onMocks` sees the mocks before the program starts (to inspect a failed run). */
async function runProgram(config: Record<string, unknown>, onMocks?: (m: OfflineAwsChina) => void) {
    pulumi.runtime.setAllConfig(
        Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])),
        [],
    );
    const mocks = await useOfflineMocks({ zoneName: "example.cn" }, "prod");
    onMocks?.(mocks);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program is a CommonJS `export =` function
    const program = require("../index") as () => Promise<Record<string, pulumi.Input<unknown>>>;
    const result = await program();
    const outputs = Object.fromEntries(await Promise.all(Object.entries(result).map(async ([k, v]) => [k, await promiseOf(v)])));
    await settle();
    return { mocks, outputs };
}

describe("program (index.ts) under mocks", () => {
    after(() => pulumi.runtime.setAllConfig({}, []));

    it("issues a certificate for every domain and points the distribution at it", async () => {
        const { mocks, outputs } = await runProgram({
            "aws:region": "cn-northwest-1",
            "cloudfront-china:domains": ["www.example.cn", "example.cn"],
            "cloudfront-china:hostedZoneId": "Z0123456789EXAMPLE",
            "cloudfront-china:acmeDirectoryUrl": "https://acme-staging-v02.api.letsencrypt.org/directory",
            "cloudfront-china:acmeEmail": "ops@example.cn",
            "cloudfront-china:renewBeforeDays": "30",
            "cloudfront-china:tags": { team: "web" },
        });
        const account = mocks.find(ACCOUNT, "acme-account")[0];
        assert.deepEqual(
            [account.inputs.directoryUrl, account.inputs.email],
            ["https://acme-staging-v02.api.letsencrypt.org/directory", "ops@example.cn"],
        );
        const cert = mocks.find(CERTIFICATE, "certificate")[0];
        assert.deepEqual(cert.inputs.domains, ["www.example.cn", "example.cn"]);
        assert.equal(cert.inputs.region, "cn-northwest-1");
        assert.equal(cert.inputs.path, "/cloudfront/cloudfront-china/prod/certificate/");
        assert.equal(cert.inputs.keyType, "rsa-2048");
        assert.equal(cert.inputs.renewBeforeDays, 30);
        assert.deepEqual(cert.inputs.hostedZones, { "example.cn": "Z0123456789EXAMPLE" }, "DNS-01 goes to the configured zone");
        assert.deepEqual(cert.inputs.tags, { team: "web" });
        const dist = mocks.find(DISTRIBUTION, "site-cdn")[0];
        assert.equal(dist.inputs.viewerCertificate.iamCertificateId, cert.state.serverCertificateId);
        assert.equal(outputs.certificateId, cert.state.serverCertificateId);
        assert.equal(outputs.certificateRenewAfter, cert.state.renewAfter);
        assert.equal(outputs.certificateNotAfter, cert.state.notAfter);
    });

    it("dns-persist-01 in its own zone: standing TXT records in Route 53 that the certificate depends on; the challenge settings reach the provider", async () => {
        const { runProgramUnderMocks } = await import("./support/pulumi");
        const { mocks, outputs, dependencies } = await runProgramUnderMocks({
            "aws:region": "cn-north-1",
            "cloudfront-china:domains": ["www.shop.example.cn", "*.example.cn", "example.cn"],
            "cloudfront-china:hostedZoneId": "Z0123456789EXAMPLE",
            "cloudfront-china:challenge": "dns-persist-01",
        });
        const records = mocks.registrations.filter((r) => r.type === "aws:route53/record:Record" && r.name.startsWith("dns-persist-"));
        assert.deepEqual(
            records.map((r) => [r.inputs.name, r.inputs.type, r.inputs.zoneId, r.inputs.records]),
            [
                [
                    "_validation-persist.www.shop.example.cn",
                    "TXT",
                    "Z0123456789EXAMPLE",
                    [`letsencrypt.org; accounturi=${OFFLINE_ACCOUNT_URL}`],
                ],
                [
                    "_validation-persist.example.cn",
                    "TXT",
                    "Z0123456789EXAMPLE",
                    [`letsencrypt.org; accounturi=${OFFLINE_ACCOUNT_URL}; policy=wildcard`],
                ],
            ],
        );
        assert.deepEqual(dependencies.certificate.filter((d) => d.startsWith("dns-persist-")).sort(), ["dns-persist-0", "dns-persist-1"]);
        const cert = mocks.find(CERTIFICATE, "certificate")[0];
        assert.equal(cert.inputs.challenge, "dns-persist-01");
        assert.deepEqual(outputs.dnsChallengeRecords, [], "nothing to add by hand");
    });

    it("dns-persist-01 drafts per CA (docs/dns-persist-drafts.md): each reaches its certificate input, and a CA's records follow its draft", async () => {
        const { runProgramUnderMocks } = await import("./support/pulumi");
        const { mocks } = await runProgramUnderMocks(
            {
                "aws:region": "cn-north-1",
                "cloudfront-china:domains": ["www.example.cn"],
                "cloudfront-china:hostedZoneId": "Z0123456789EXAMPLE",
                "cloudfront-china:challenge": "dns-persist-01",
                "cloudfront-china:issuers": [
                    { directoryUrl: "https://acme-v02.api.letsencrypt.org/directory", dnsPersistDraft: "draft-01" },
                    {
                        directoryUrl: "https://acme.zerossl.com/v2/DV90",
                        eabKeyId: "kid",
                        dnsPersistDraft: "draft-02",
                        eabHmacKey: "c2VjcmV0",
                    },
                ],
            },
            { secretKeys: ["cloudfront-china:issuers"] },
        );
        const cert = mocks.find(CERTIFICATE, "certificate")[0];
        assert.equal(cert.inputs.dnsPersistDraft, "draft-01");
        assert.deepEqual(
            (cert.inputs.fallbackIssuers as Array<Record<string, unknown>>).map((f) => [f.directoryUrl, f.dnsPersistDraft]),
            [["https://acme.zerossl.com/v2/DV90", "draft-02"]],
        );
        // The offline account's CA publishes no accountHashPrefix: the draft-01 CA gets its record (the
        // account URL); the draft-02 one none, as that CA cannot validate it (the certificate says why).
        const records = mocks.registrations.filter((r) => r.type === "aws:route53/record:Record" && r.name.startsWith("dns-persist-"));
        assert.deepEqual(
            records.map((r) => r.inputs.records),
            [[`letsencrypt.org; accounturi=${OFFLINE_ACCOUNT_URL}`]],
        );
    });

    it("default challenge is auto and writes no standing record; dns-01 lists only delegation CNAMEs", async () => {
        const auto = await runProgram({
            "aws:region": "cn-north-1",
            "cloudfront-china:domains": ["www.example.cn"],
            "cloudfront-china:hostedZoneId": "Z0123456789EXAMPLE",
        });
        assert.equal(auto.mocks.find(CERTIFICATE, "certificate")[0].inputs.challenge, "auto");
        assert.equal(auto.mocks.registrations.filter((r) => r.name.startsWith("dns-persist-")).length, 0);
        const dns01 = await runProgram({
            "aws:region": "cn-north-1",
            "cloudfront-china:domains": ["www.example.cn"],
            "cloudfront-china:challenge": "dns-01",
            "cloudfront-china:challengeDelegations": { "www.example.cn": "w.acme.example.net" },
        });
        assert.deepEqual(dns01.outputs.dnsChallengeRecords, [
            { domain: "www.example.cn", name: "_acme-challenge.www.example.cn", type: "CNAME", value: "w.acme.example.net" },
        ]);
        assert.deepEqual(dns01.mocks.find(CERTIFICATE, "certificate")[0].inputs.challengeDelegations, {
            "www.example.cn": "w.acme.example.net",
        });
    });

    it("uses an existing IAM certificate instead when iamCertificateId is set (no ACME account, no order)", async () => {
        const { mocks, outputs } = await runProgram({
            "aws:region": "cn-north-1",
            "cloudfront-china:domains": ["www.example.cn"],
            "cloudfront-china:iamCertificateId": "ASCAEXAMPLE0123456789",
        });
        assert.deepEqual([mocks.find(ACCOUNT).length, mocks.find(CERTIFICATE).length], [0, 0]);
        assert.equal(mocks.find(DISTRIBUTION, "site-cdn")[0].inputs.viewerCertificate.iamCertificateId, "ASCAEXAMPLE0123456789");
        assert.equal(outputs.certificateId, "ASCAEXAMPLE0123456789");
        assert.equal(outputs.certificateRenewAfter, undefined);
    });

    it("several sites (cloudfront-china:sites): one ACME account orders every certificate; each site has its own certificate, distribution and bucket; the first site's names are a one-site stack's", async () => {
        const { mocks, outputs } = await runProgram({
            "aws:region": "cn-north-1",
            "cloudfront-china:domains": ["www.example.cn"],
            "cloudfront-china:hostedZoneId": "Z0123456789EXAMPLE",
            "cloudfront-china:challengeDelegations": { "blog.example.cn": "_acme-challenge.blog.example.cn.acme.example.net" },
            "cloudfront-china:sites": [
                { name: "blog", domains: ["blog.example.cn"], hostedZoneId: "Z0123456789EXAMPLE", spa: true },
                { name: "docs", domains: ["docs.example.cn"], iamCertificateId: "ASCAEXAMPLE0123456789" },
            ],
        });
        const accounts = mocks.find(ACCOUNT);
        assert.deepEqual(
            accounts.map((a) => a.name),
            ["acme-account"],
            "one account for the stack, named as in a one-site stack",
        );
        const certificates = mocks.find(CERTIFICATE);
        assert.deepEqual(
            certificates.map((c) => [c.name, c.inputs.path, c.inputs.domains, c.inputs.accountUrl]),
            [
                ["certificate", "/cloudfront/cloudfront-china/prod/certificate/", ["www.example.cn"], accounts[0].state.accountUrl],
                [
                    "site-blog-certificate",
                    "/cloudfront/cloudfront-china/prod/site-blog-certificate/",
                    ["blog.example.cn"],
                    accounts[0].state.accountUrl,
                ],
            ],
        );
        // Each certificate gets the delegations of its own names.
        assert.deepEqual(
            certificates.map((c) => c.inputs.challengeDelegations),
            [undefined, { "blog.example.cn": "_acme-challenge.blog.example.cn.acme.example.net" }],
        );
        const [first, blog, docs] = ["site-cdn", "site-blog-cdn", "site-docs-cdn"].map((n) => mocks.find(DISTRIBUTION, n)[0]);
        assert.deepEqual(
            [first, blog, docs].map((d) => [d.inputs.aliases, d.inputs.viewerCertificate.iamCertificateId]),
            [
                [["www.example.cn"], certificates[0].state.serverCertificateId],
                [["blog.example.cn"], certificates[1].state.serverCertificateId],
                [["docs.example.cn"], "ASCAEXAMPLE0123456789"],
            ],
        );
        assert.equal(first.inputs.customErrorResponses, undefined, "spa is the blog's own setting");
        assert.ok(blog.inputs.customErrorResponses.some((r: { errorCode: number }) => r.errorCode === 404));
        assert.deepEqual(
            mocks.find("aws:s3/bucket:Bucket").map((b) => b.name),
            ["site-bucket", "site-blog-bucket", "site-docs-bucket"],
        );
        assert.equal(outputs.distributionId, first.id, "the top-level outputs stay the first site's");
        const sites = outputs.sites as Record<string, Record<string, unknown>>;
        assert.deepEqual(Object.keys(sites), ["blog", "docs"]);
        assert.equal(sites.blog.distributionId, blog.id);
        assert.equal(sites.blog.certificateId, certificates[1].state.serverCertificateId);
        assert.deepEqual(sites.blog.urls, ["https://blog.example.cn/"]);
        assert.deepEqual(sites.blog.dnsChallengeRecords, [
            {
                domain: "blog.example.cn",
                name: "_acme-challenge.blog.example.cn",
                type: "CNAME",
                value: "_acme-challenge.blog.example.cn.acme.example.net",
            },
        ]);
        assert.equal(sites.docs.certificateId, "ASCAEXAMPLE0123456789");
        assert.equal(sites.docs.certificateRenewAfter, undefined);
    });

    it("reads the site folder once per run: config, ChinaCdn and SiteContent share one listing and one read of each file", async () => {
        const site = fs.mkdtempSync(path.join(os.tmpdir(), "cfcn-once-"));
        fs.mkdirSync(path.join(site, "docs"));
        for (const file of ["index.html", "404.html", "style.css", "docs/index.html"]) {
            fs.writeFileSync(path.join(site, file), `<p>${file}</p>`);
        }
        const listed: string[] = [];
        const read: string[] = [];
        // The module object itself (what core/content.ts requires), not the import's read-only namespace.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const nodeFs = require("node:fs") as typeof fs;
        const { readdirSync, readFileSync } = nodeFs;
        const inSite = (p: unknown) => typeof p === "string" && p.startsWith(site);
        nodeFs.readdirSync = ((p: fs.PathLike, ...rest: unknown[]) => {
            if (inSite(p)) listed.push(p as string);
            return (readdirSync as (...a: unknown[]) => unknown)(p, ...rest);
        }) as typeof fs.readdirSync;
        nodeFs.readFileSync = ((p: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
            if (inSite(p)) read.push(p as string);
            return (readFileSync as (...a: unknown[]) => unknown)(p, ...rest);
        }) as typeof fs.readFileSync;
        try {
            const { mocks } = await runProgram({
                "aws:region": "cn-north-1",
                "cloudfront-china:domains": ["www.example.cn"],
                "cloudfront-china:contentDir": site,
            });
            assert.equal(mocks.find("pulumi-nodejs:dynamic/cloudfront-china:SiteContent", "site-content").length, 1);
        } finally {
            nodeFs.readdirSync = readdirSync;
            nodeFs.readFileSync = readFileSync;
        }
        assert.deepEqual(listed.sort(), [site, path.join(site, "docs")].sort(), "each folder listed once");
        assert.equal(read.length, 4, `each file read once: ${read.join(", ")}`);
    });

    it("bad configuration registers nothing at all, not even the ACME account", async () => {
        let mocks: OfflineAwsChina | undefined;
        await assert.rejects(
            runProgram(
                {
                    "aws:region": "cn-north-1",
                    "cloudfront-china:domains": ["www.example.cn", "api.example.com"],
                    "cloudfront-china:hostedZoneId": "Z0123456789EXAMPLE",
                },
                (m) => (mocks = m),
            ),
            /"api\.example\.com" is not inside the hosted zone "example\.cn"/,
        );
        await settle();
        assert.deepEqual(mocks?.registrations, []);
        assert.deepEqual(
            mocks?.calls.map((c) => c.token),
            ["aws:route53/getZone:getZone"],
            "only the zone lookup was made",
        );
    });
});
