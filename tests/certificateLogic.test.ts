import * as assert from "node:assert/strict";
import { CA_TIMEOUT_SECONDS, pollAttempts } from "../acme/client";
import {
    certificateName,
    checkInputs,
    defaultIamPath,
    legacyIamPath,
    isDue,
    renewAfter,
    renewalFloor,
    shapingChanges,
    zoneFor,
} from "../core/certificate";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const issuedAt = Date.parse("2027-03-01T00:00:00Z");
const times = (lifetimeMs: number) => ({
    notBefore: new Date(issuedAt).toISOString(),
    notAfter: new Date(issuedAt + lifetimeMs).toISOString(),
});

describe("renewal window (pure)", () => {
    // Let's Encrypt's integration guide: renew with 1/3 of the lifetime left (1/2 under 10 days).
    const table: Array<[string, number, number]> = [
        ["90-day classic", 90 * DAY, 60 * DAY],
        ["64-day classic (2027-02-10)", 64 * DAY, (64 * DAY * 2) / 3],
        ["45-day classic / tlsserver (2028-02-16)", 45 * DAY, 30 * DAY],
        ["160-hour shortlived", 160 * HOUR, 80 * HOUR],
        ["5-minute test certificate", 5 * 60_000, 2.5 * 60_000],
    ];
    for (const [label, lifetime, renewsAt] of table) {
        it(`${label}: renews ${renewsAt / HOUR} h after issuance`, () => {
            const at = renewAfter(times(lifetime));
            assert.equal(Date.parse(at) - issuedAt, Math.floor(renewsAt));
            assert.equal(isDue(at, Date.parse(at) - 1), false);
            assert.equal(isDue(at, Date.parse(at)), true);
        });
    }

    it("uses a random instant inside a valid ARI window", () => {
        const ari = { start: "2027-04-20T00:00:00Z", end: "2027-04-22T00:00:00Z" };
        assert.equal(renewAfter(times(90 * DAY), { ari, random: 0 }), "2027-04-20T00:00:00.000Z");
        assert.equal(renewAfter(times(90 * DAY), { ari, random: 0.5 }), "2027-04-21T00:00:00.000Z");
    });

    it("never later than the floor, a quarter of the lifetime left, whatever the CA's window says", () => {
        // A window at a twentieth of the lifetime left (4.5 days of 90): renewal starts at 22.5 days left.
        const late = { start: new Date(issuedAt + 85 * DAY).toISOString(), end: new Date(issuedAt + 86 * DAY).toISOString() };
        assert.equal(renewAfter(times(90 * DAY), { ari: late, random: 0.5 }), new Date(issuedAt + 67.5 * DAY).toISOString());
        assert.equal(renewalFloor(times(45 * DAY)), issuedAt + 33.75 * DAY);
        assert.equal(renewalFloor(times(160 * HOUR)), issuedAt + 120 * HOUR);
        // A window before the floor is followed as it is.
        const early = { start: "2027-04-20T00:00:00Z", end: "2027-04-22T00:00:00Z" };
        assert.equal(renewAfter(times(90 * DAY), { ari: early, random: 0 }), "2027-04-20T00:00:00.000Z");
    });

    it("ignores an invalid ARI window (end <= start), per RFC 9773", () => {
        const ari = { start: "2027-04-22T00:00:00Z", end: "2027-04-20T00:00:00Z" };
        assert.equal(renewAfter(times(90 * DAY), { ari }), renewAfter(times(90 * DAY)));
    });

    it("renewBeforeDays wins over ARI, and falls back to the rule when it is not shorter than the lifetime", () => {
        assert.equal(
            renewAfter(times(90 * DAY), { renewBeforeDays: 30, ari: { start: "2027-04-01T00:00:00Z", end: "2027-04-02T00:00:00Z" } }),
            new Date(issuedAt + 60 * DAY).toISOString(),
        );
        // A 30-day window on a 160-hour certificate would renew on every run.
        assert.equal(renewAfter(times(160 * HOUR), { renewBeforeDays: 30 }), renewAfter(times(160 * HOUR)));
    });

    it("a certificate without a window is never due", () => {
        assert.equal(isDue(undefined, Date.now()), false);
    });
});

describe("IAM naming (pure)", () => {
    it("derives a unique name from the primary name, notAfter and serial", () => {
        assert.equal(certificateName("www.example.cn", "2027-05-30T12:34:56.000Z", "04F3A2B1C9"), "www.example.cn-20270530T1234-4f3a2b1c");
        assert.equal(certificateName("*.example.cn", "2027-05-30T12:34:56.000Z", "ab"), "wildcard.example.cn-20270530T1234-ab");
    });

    it("stays within IAM's 128 characters and alphabet", () => {
        const name = certificateName(`${"a".repeat(60)}.${"b".repeat(60)}.example.cn`, "2027-05-30T12:34:56.000Z", "0123456789abcdef");
        assert.ok(name.length <= 128);
        assert.match(name, /^[\w+=,.@-]+-20270530T1234-12345678$/);
    });

    it("default path is /cloudfront/<stack>/<name>/", () => {
        assert.equal(
            defaultIamPath("cloudfront-china", "cn-north-1", "site-certificate"),
            "/cloudfront/cloudfront-china/cn-north-1/site-certificate/",
        );
        assert.equal(defaultIamPath("p", "my stack", "a/b"), "/cloudfront/p/my-stack/a-b/");
        // Earlier versions' path, where a stack's certificate stays until it is moved (docs/migrate.md).
        assert.equal(legacyIamPath("cn-north-1", "site-certificate"), "/cloudfront/cn-north-1/site-certificate/");
    });
});

describe("certificate input checks (pure)", () => {
    const good = {
        domains: ["www.example.cn", "*.shop.example.cn"],
        acmeDirectoryUrl: "https://acme-v02.api.letsencrypt.org/directory",
        region: "cn-north-1",
        path: "/cloudfront/prod/site/",
        keyType: "rsa-2048",
        propagationTimeoutSeconds: 300,
        pollIntervalSeconds: 5,
        deleteConflictTimeoutSeconds: 1200,
    };
    const bad: Array<[string, Record<string, unknown>, string, RegExp]> = [
        ["invalid name", { domains: ["www..example.cn"] }, "domains", /invalid label/],
        ["duplicate names", { domains: ["a.example.cn", "a.example.cn"] }, "domains", /more than once/],
        ["wildcard not leftmost", { domains: ["a.*.example.cn"] }, "domains", /not the leftmost label/],
        ["too many names", { domains: Array.from({ length: 101 }, (_, i) => `h${i}.example.cn`) }, "domains", /at most 100/],
        ["path outside /cloudfront", { path: "/certs/" }, "path", /must start with "\/cloudfront\/" and end with "\/"/],
        ["path without trailing slash", { path: "/cloudfront/prod" }, "path", /end with "\/"/],
        ["zero renewBeforeDays", { renewBeforeDays: 0 }, "renewBeforeDays", /in \(0, lifetime\)/],
        ["renewBeforeDays beyond any lifetime", { renewBeforeDays: 120 }, "renewBeforeDays", /in \(0, lifetime\)/],
        ["plain-http directory", { acmeDirectoryUrl: "http://acme.example.cn/directory" }, "acmeDirectoryUrl", /must use https/],
        ["not a URL", { acmeDirectoryUrl: "letsencrypt" }, "acmeDirectoryUrl", /is not a URL/],
        ["unknown key type", { keyType: "rsa-1024" }, "keyType", /"rsa-2048" \(default, safe in China\) or "ecdsa-p256"/],
        ["global region", { region: "us-east-1" }, "region", /aws-cn partition/],
        ["zero timeout", { propagationTimeoutSeconds: 0 }, "propagationTimeoutSeconds", /positive number/],
        ["resolver host name", { dnsResolvers: ["ns1.example.cn"] }, "dnsResolvers", /IP addresses/],
        // What the DNS library cannot take: octets above 255, port 0 (it aborts the process), ports above 65535 (wrapped).
        ["resolver octet above 255", { dnsResolvers: ["223.5.5.256"] }, "dnsResolvers", /IP addresses.*"223\.5\.5\.256"/],
        ["resolver port 0", { dnsResolvers: ["223.5.5.5:0"] }, "dnsResolvers", /IP addresses.*"223\.5\.5\.5:0"/],
        ["resolver port above 65535", { dnsResolvers: ["127.0.0.1:70000"] }, "dnsResolvers", /IP addresses.*"127\.0\.0\.1:70000"/],
        ["resolver IPv6 that is not one", { dnsResolvers: ["[2400:::3200:baba::1]"] }, "dnsResolvers", /IP addresses/],
        ["unknown challenge mode", { challenge: "tls-alpn-01" }, "challenge", /not a challenge mode/],
        ["a profile no CA would name", { profile: "short lived" }, "profile", /`profile` "short lived" is not a profile name/],
        [
            "delegation of a name not on the certificate",
            { challengeDelegations: { "a.example.com": "x.example.net" } },
            "challengeDelegations",
            /not on the certificate/,
        ],
    ];

    it("accepts valid inputs, loopback http directories, and unknown (preview) values", () => {
        assert.deepEqual(checkInputs(good), []);
        assert.deepEqual(checkInputs({ ...good, acmeDirectoryUrl: "http://127.0.0.1:14000/dir" }), []);
        assert.deepEqual(checkInputs({ ...good, dnsResolvers: ["223.5.5.5", "127.0.0.1:65535", "[2400:3200::1]", "[::1]:8053"] }), []);
        const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
        assert.deepEqual(checkInputs({ ...good, domains: unknown, path: unknown, region: unknown }), []);
    });
    for (const [label, change, property, reason] of bad) {
        it(`refuses ${label}, naming \`${property}\``, () => {
            const failures = checkInputs({ ...good, ...change });
            assert.ok(failures.length >= 1, "no failure");
            assert.ok(
                failures.every((f) => f.property === property),
                JSON.stringify(failures),
            );
            assert.match(failures.map((f) => f.reason).join("\n"), reason);
        });
    }

    it("finds a name's zone by exact or longest suffix", () => {
        const zones = { "example.cn": "Z1", "shop.example.cn": "Z2" };
        assert.equal(zoneFor("www.example.cn", zones), "Z1");
        assert.equal(zoneFor("*.shop.example.cn", zones), "Z2");
        assert.equal(zoneFor("a.b.shop.example.cn", zones), "Z2");
        assert.equal(zoneFor("example.com", zones), undefined);
    });

    it("lists exactly the shaping inputs that changed", () => {
        const olds = { domains: ["a.example.cn"], keyType: "rsa-2048", path: "/cloudfront/x/", tags: { a: "1" } };
        assert.deepEqual(shapingChanges(olds, { ...olds, tags: { a: "2" } }), []);
        assert.deepEqual(shapingChanges(olds, { ...olds, domains: ["b.example.cn"], keyType: "ecdsa-p256" }), ["domains", "keyType"]);
    });
});

describe("what forces a new certificate", () => {
    const olds = { domains: ["www.example.cn", "example.cn", "*.example.cn"], keyType: "rsa-2048" };
    it("reordering the names after the primary is no reason to issue again", () => {
        assert.deepEqual(shapingChanges(olds, { ...olds, domains: ["www.example.cn", "*.example.cn", "example.cn"] }), []);
    });
    it("a new primary name, an added or a removed name is", () => {
        assert.deepEqual(shapingChanges(olds, { ...olds, domains: ["example.cn", "www.example.cn", "*.example.cn"] }), ["domains"]);
        assert.deepEqual(shapingChanges(olds, { ...olds, domains: [...olds.domains, "api.example.cn"] }), ["domains"]);
        assert.deepEqual(shapingChanges(olds, { ...olds, domains: olds.domains.slice(0, 2) }), ["domains"]);
    });
});

describe("how long an order waits for the CA (pure)", () => {
    it("caTimeoutSeconds bounds acme-client's polling: waits double from 0.5 s to 15 s and stop within the bound", () => {
        assert.equal(CA_TIMEOUT_SECONDS, 120);
        assert.equal(pollAttempts(120_000), 12, "0.5+1+2+4+8 s, then six waits of 15 s: 105.5 s");
        assert.equal(pollAttempts(10_000), 5, "0.5+1+2+4 s: 7.5 s");
        assert.equal(pollAttempts(0), 1, "one look, no wait");
    });

    it("caTimeoutSeconds must be a positive number of seconds", () => {
        const failures = checkInputs({ caTimeoutSeconds: -1 }, ["caTimeoutSeconds"]);
        assert.deepEqual(
            failures.map((f) => f.property),
            ["caTimeoutSeconds"],
        );
        assert.deepEqual(checkInputs({ caTimeoutSeconds: 30 }, ["caTimeoutSeconds"]), []);
    });
});
