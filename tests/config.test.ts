import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import * as pulumi from "@pulumi/pulumi";
import { readSiteSettings } from "../config/siteConfig";
import { CONFIG_DEFAULTS, STRING_SETTINGS, UNSET_DEFAULTS } from "../config/settingsSource";
import { readSiteConfig } from "../config/stackConfig";
import { CONFIG_KEYS, PROJECT } from "../config/configKeys";
import { InputError } from "../config/inputError";
import { domainsProblems, hostNameProblems, iamCertificateIdProblems, tagsProblems } from "../core/validation";

const root = path.resolve(__dirname, "..");

function withConfig(values: Record<string, unknown>): () => ReturnType<typeof readSiteConfig> {
    const config = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
    pulumi.runtime.setAllConfig(config, []);
    return readSiteConfig;
}

const good = {
    "aws:region": "cn-north-1",
    "cloudfront-china:domains": ["www.example.cn", "example.cn"],
};

describe("stack configuration", () => {
    // Saved when the suite runs, not when it is defined: the peers set AWS_REGION after definition.
    let saved: Record<string, string | undefined> = {};
    before(() => {
        saved = { AWS_REGION: process.env.AWS_REGION, AWS_DEFAULT_REGION: process.env.AWS_DEFAULT_REGION };
        delete process.env.AWS_REGION;
        delete process.env.AWS_DEFAULT_REGION;
    });
    after(() => {
        Object.assign(process.env, Object.fromEntries(Object.entries(saved).filter(([, v]) => v !== undefined)));
        pulumi.runtime.setAllConfig({}, []);
    });

    it("reads a minimal stack with the declared defaults", () => {
        assert.deepEqual(withConfig(good)(), {
            region: "cn-north-1",
            awsIdentity: undefined,
            domains: ["www.example.cn", "example.cn"],
            hostedZoneId: undefined,
            iamCertificateId: undefined,
            contentDir: undefined,
            hashedNamePattern: undefined,
            defaultRootObject: "index.html",
            deployments: undefined,
            watch: undefined,
            sites: [],
            spa: false,
            logging: false,
            forwardQueryString: false,
            versioning: false,
            destroyBuckets: false,
            waitForInvalidation: false,
            logRetentionDays: 90,
            tags: {},
            acme: {
                directoryUrl: "https://acme-v02.api.letsencrypt.org/directory",
                email: undefined,
                profile: undefined,
                keyType: "rsa-2048",
                renewBeforeDays: undefined,
                dnsResolvers: undefined,
                challenge: "auto",
                challengeDelegations: undefined,
                dnsPersistDraft: undefined,
                eab: undefined,
                persistUntil: undefined,
                accountKeyRotation: 0,
                deactivateAccountOnDelete: true,
                fallbackIssuers: [],
            },
        });
    });

    it("reads every key of a full stack", () => {
        const s = withConfig({
            ...good,
            "cloudfront-china:hostedZoneId": "/hostedzone/Z0123456789EXAMPLE",
            "cloudfront-china:iamCertificateId": "ASCAEXAMPLE0123456789",
            "cloudfront-china:contentDir": path.join(root, "site"),
            "cloudfront-china:spa": "true",
            "cloudfront-china:logging": "true",
            "cloudfront-china:forwardQueryString": "true",
            "cloudfront-china:versioning": "true",
            "cloudfront-china:destroyBuckets": "true",
            "cloudfront-china:waitForInvalidation": "true",
            "cloudfront-china:logRetentionDays": "30",
            "cloudfront-china:defaultRootObject": "home.html",
            "cloudfront-china:tags": { team: "web" },
            "cloudfront-china:acmeDirectoryUrl": "https://acme-staging-v02.api.letsencrypt.org/directory",
            "cloudfront-china:acmeEmail": "ops@example.cn",
            "cloudfront-china:acmeProfile": "tlsserver",
            "cloudfront-china:keyType": "ecdsa-p256",
            "cloudfront-china:renewBeforeDays": "20",
            "cloudfront-china:dnsResolvers": ["223.5.5.5", "127.0.0.1:8053"],
            "cloudfront-china:challenge": "dns-01",
            "cloudfront-china:challengeDelegations": { "example.cn": "_acme-challenge.example.cn.acme.example.net" },
            "cloudfront-china:dnsPersistDraft": "draft-01",
            "cloudfront-china:acmeAccountKeyRotation": "2",
            "cloudfront-china:acmeDeactivateAccountOnDelete": "false",
        })();
        assert.deepEqual(s.acme, {
            directoryUrl: "https://acme-staging-v02.api.letsencrypt.org/directory",
            email: "ops@example.cn",
            profile: "tlsserver",
            keyType: "ecdsa-p256",
            renewBeforeDays: 20,
            dnsResolvers: ["223.5.5.5", "127.0.0.1:8053"],
            challenge: "dns-01",
            challengeDelegations: { "example.cn": "_acme-challenge.example.cn.acme.example.net" },
            dnsPersistDraft: "draft-01",
            eab: undefined,
            persistUntil: undefined,
            accountKeyRotation: 2,
            deactivateAccountOnDelete: false,
            fallbackIssuers: [],
        });
        assert.equal(s.hostedZoneId, "Z0123456789EXAMPLE");
        assert.equal(s.iamCertificateId, "ASCAEXAMPLE0123456789");
        assert.deepEqual(
            [s.spa, s.logging, s.forwardQueryString, s.versioning, s.destroyBuckets, s.waitForInvalidation],
            [true, true, true, true, true, true],
        );
        assert.equal(s.logRetentionDays, 30);
        assert.equal(s.defaultRootObject, "home.html");
        assert.deepEqual(s.tags, { team: "web" });
    });

    const bad: Array<[string, Record<string, unknown>, RegExp]> = [
        [
            "no region",
            { "aws:region": undefined },
            /`aws:region` must be "cn-north-1" or "cn-northwest-1" \(it is not set\): this program targets the aws-cn partition.*pulumi config set aws:region cn-north-1/,
        ],
        ["global region", { "aws:region": "ap-east-1" }, /`aws:region` .*got "ap-east-1"/],
        ["no domains", { "cloudfront-china:domains": undefined }, /`cloudfront-china:domains` must list at least one host name/],
        [
            "domains given as one string (pulumi config set without --path)",
            { "cloudfront-china:domains": "www.example.cn" },
            /`cloudfront-china:domains` must be a list of host names, not the string "www\.example\.cn": run `pulumi config rm cloudfront-china:domains`, then `pulumi config set --path 'cloudfront-china:domains\[0\]' www\.example\.cn`/,
        ],
        [
            "upper case",
            { "cloudfront-china:domains": ["WWW.example.cn"] },
            /`cloudfront-china:domains\[0\]` "WWW\.example\.cn" has upper-case letters: write it as "www\.example\.cn"/,
        ],
        ["IDN", { "cloudfront-china:domains": ["例子.中国"] }, /internationalized name.*write it as "xn--fsqu00a\.xn--fiqs8s"/],
        [
            "bad zone id",
            { "cloudfront-china:hostedZoneId": "example.cn" },
            /`cloudfront-china:hostedZoneId` "example\.cn" is not a Route 53 hosted zone id/,
        ],
        [
            "certificate ARN",
            { "cloudfront-china:iamCertificateId": "arn:aws-cn:iam::1:server-certificate/cloudfront/x" },
            /`cloudfront-china:iamCertificateId` must be the IAM ServerCertificateId \("ASCA…"\), not a name or ARN \(got an ARN\)/,
        ],
        ["certificate name", { "cloudfront-china:iamCertificateId": "my-cert" }, /not a name or ARN \(got "my-cert"\)/],
        [
            "missing content",
            { "cloudfront-china:contentDir": "no/such/dir" },
            /`cloudfront-china:contentDir` "no\/such\/dir" does not exist/,
        ],
        ["content is a file", { "cloudfront-china:contentDir": path.join(root, "package.json") }, /is a file, not a folder/],
        ["spa not a boolean", { "cloudfront-china:spa": "yes" }, /`cloudfront-china:spa` must be true or false \(got "yes"\)/],
        ["tags not an object", { "cloudfront-china:tags": ["a"] }, /`cloudfront-china:tags` must be an object/],
        [
            "log retention not a whole number of days",
            { "cloudfront-china:logRetentionDays": "0" },
            /`cloudfront-china:logRetentionDays` must be a whole number of days from 1 to 36500 \(got 0\)/,
        ],
        [
            "a typo in a key",
            { "cloudfront-china:acmeEmial": "ops@example.cn" },
            /`cloudfront-china:acmeEmial` is not a setting of this program: did you mean `cloudfront-china:acmeEmail`\? Remove it with `pulumi config rm cloudfront-china:acmeEmial`/,
        ],
        [
            "a typo in an aws: key (pulumi-aws would ignore it)",
            { "aws:regoin": "cn-north-1" },
            /`aws:regoin` is not a setting of pulumi-aws: did you mean `aws:region`\? Remove it with `pulumi config rm aws:regoin`/,
        ],
        [
            "a typo in the namespace",
            { "cloudfront-chian:spa": "true" },
            /`cloudfront-chian:spa` is in the namespace "cloudfront-chian", which nothing reads: did you mean `cloudfront-china:spa`\?/,
        ],
        [
            "aws misspelt as a namespace",
            { "asw:profile": "china-prod" },
            /`asw:profile` is in the namespace "asw", which nothing reads: did you mean `aws:profile`\?/,
        ],
        [
            "a provider argument set as config",
            { "cloudfront-china:deleteConflictTimeoutSeconds": "600" },
            /`cloudfront-china:deleteConflictTimeoutSeconds` is not a setting of this program: did you mean/,
        ],
        [
            "half an External Account Binding",
            { "cloudfront-china:acmeEabKeyId": "kid-1" },
            /External Account Binding needs both `cloudfront-china:acmeEabKeyId` and `cloudfront-china:acmeEabHmacKey`/,
        ],
        [
            "an EAB HMAC key in plaintext",
            { "cloudfront-china:acmeEabKeyId": "kid-1", "cloudfront-china:acmeEabHmacKey": "c2VjcmV0" },
            /`cloudfront-china:acmeEabHmacKey` is stored in plaintext: set it with `pulumi config set --secret cloudfront-china:acmeEabHmacKey <HMAC key>`/,
        ],
        [
            "unknown challenge mode",
            { "cloudfront-china:challenge": "dns01" },
            /`cloudfront-china:challenge` "dns01" is not a challenge mode: use "auto" \(default\), "dns-01" or "dns-persist-01"/,
        ],
        [
            "delegation of a name not on the certificate",
            { "cloudfront-china:challengeDelegations": { "shop.example.cn": "x.acme.example.net" } },
            /`cloudfront-china:challengeDelegations` names "shop\.example\.cn", which is not on the certificate/,
        ],
        [
            "unknown key type",
            { "cloudfront-china:keyType": "rsa-4096" },
            /`cloudfront-china:keyType` "rsa-4096" is not supported: use "rsa-2048"/,
        ],
        [
            "a negative renewal window (0, the declared default, means the CA's window)",
            { "cloudfront-china:renewBeforeDays": "-1" },
            /`cloudfront-china:renewBeforeDays` -1 must be a number of days in \(0, lifetime\)/,
        ],
        [
            "plain-http CA",
            { "cloudfront-china:acmeDirectoryUrl": "http://acme.example.cn/dir" },
            /`cloudfront-china:acmeDirectoryUrl` must use https/,
        ],
        ["bad email", { "cloudfront-china:acmeEmail": "ops" }, /`cloudfront-china:acmeEmail` "ops" is not an email address/],
        [
            "resolver by name",
            { "cloudfront-china:dnsResolvers": ["dns.example.cn"] },
            /`cloudfront-china:dnsResolvers` must be IP addresses/,
        ],
    ];
    for (const [label, change, message] of bad) {
        it(`rejects ${label}`, () => {
            const values: Record<string, unknown> = { ...good, ...change };
            Object.keys(values)
                .filter((k) => values[k] === undefined)
                .forEach((k) => delete values[k]);
            assert.throws(withConfig(values), (e: Error) => e instanceof InputError && message.test(e.message));
        });
    }

    describe("sites: further sites of the stack (docs/sites.md)", () => {
        const twoSites = {
            ...good,
            "cloudfront-china:acmeEmail": "ops@example.cn",
            "cloudfront-china:tags": { team: "web" },
            "cloudfront-china:logging": true,
            "cloudfront-china:challengeDelegations": {
                "example.cn": "_acme-challenge.example.cn.acme.example.net",
                "blog.example.org": "_acme-challenge.blog.example.org.acme.example.net",
            },
            "cloudfront-china:sites": [
                { name: "blog", domains: ["blog.example.org"], spa: true, hostedZoneId: "Z0BLOG", contentDir: "" },
                { name: "docs", domains: ["docs.example.cn"], iamCertificateId: "ASCAEXAMPLEEXAMPLE1234" },
            ],
        };

        it("each site has its own fields; every other setting, the ACME account's included, is the stack's", () => {
            const settings = withConfig(twoSites)();
            assert.deepEqual(
                settings.sites.map((s) => [s.name, s.setting]),
                [
                    ["blog", "cloudfront-china:sites[0]"],
                    ["docs", "cloudfront-china:sites[1]"],
                ],
            );
            const [blog, docs] = settings.sites.map((s) => s.settings);
            assert.deepEqual(blog.domains, ["blog.example.org"]);
            assert.equal(blog.spa, true);
            assert.equal(settings.spa, false, "the first site keeps its own");
            assert.equal(blog.hostedZoneId, "Z0BLOG");
            assert.equal(blog.contentDir, undefined, '"" is unset, as at the top level');
            assert.equal(blog.acme.email, "ops@example.cn");
            assert.deepEqual(blog.tags, { team: "web" });
            assert.equal(blog.logging, true);
            assert.equal(docs.iamCertificateId, "ASCAEXAMPLEEXAMPLE1234");
            // Each certificate gets the delegations of its own names.
            assert.deepEqual(settings.acme.challengeDelegations, { "example.cn": "_acme-challenge.example.cn.acme.example.net" });
            assert.deepEqual(blog.acme.challengeDelegations, {
                "blog.example.org": "_acme-challenge.blog.example.org.acme.example.net",
            });
            assert.equal(docs.acme.challengeDelegations, undefined);
        });

        const refused: Array<[string, unknown, RegExp]> = [
            ["not a list", { name: "blog" }, /`cloudfront-china:sites` must be a list of the stack's further sites/],
            ["an entry without a name", [{ domains: ["blog.example.org"] }], /`cloudfront-china:sites\[0\]\.name` is required/],
            [
                "a name S3 cannot take",
                [{ name: "Blog_1", domains: ["blog.example.org"] }],
                /`cloudfront-china:sites\[0\]\.name` "Blog_1" must be 1 to 24 lower-case letters/,
            ],
            [
                "a name whose buckets begin like the first site's",
                [{ name: "logs-archive", domains: ["blog.example.org"] }],
                /"logs-archive" cannot have "logs" as a word: its buckets \(site-logs-archive-bucket-…, site-logs-archive-logs-…\) would match another site's/,
            ],
            [
                "one name twice",
                [
                    { name: "blog", domains: ["blog.example.org"] },
                    { name: "blog", domains: ["news.example.org"] },
                ],
                /`cloudfront-china:sites\[1\]\.name` "blog" names two sites/,
            ],
            [
                "a misspelt field",
                [{ name: "blog", domains: ["blog.example.org"], contentdir: "./blog" }],
                /`cloudfront-china:sites\[0\]\.contentdir` is not a field of a site: did you mean `contentDir`\?/,
            ],
            [
                "a stack setting in an entry",
                [{ name: "blog", domains: ["blog.example.org"], acmeEmail: "blog@example.org" }],
                /`cloudfront-china:sites\[0\]\.acmeEmail`: acmeEmail is the stack's, shared by every site: set it once as `cloudfront-china:acmeEmail`/,
            ],
            [
                "a bad name in a site's domains, named by its place",
                [{ name: "blog", domains: ["blog_example.org"] }],
                /`cloudfront-china:sites\[0\]\.domains\[0\]`/,
            ],
            [
                "a site's domains given as one string",
                [{ name: "blog", domains: "blog.example.org" }],
                /`cloudfront-china:sites\[0\]\.domains` must be a list of host names, not the string "blog\.example\.org": run `pulumi config rm --path 'cloudfront-china:sites\[0\]\.domains'`/,
            ],
            [
                "no domains",
                [{ name: "blog" }],
                /`cloudfront-china:sites\[0\]\.domains` must list at least one host name.*pulumi config set --path 'cloudfront-china:sites\[0\]\.domains\[0\]'/,
            ],
            [
                "an alias on two sites",
                [{ name: "blog", domains: ["blog.example.org", "WWW.example.cn"] }],
                /"WWW\.example\.cn" is in both `cloudfront-china:domains` and `cloudfront-china:sites\[0\]\.domains`: an alias can be on one distribution only \(CloudFront refuses the second, CNAMEAlreadyExists\)/,
            ],
            [
                "one distribution adopted by two sites",
                [{ name: "blog", domains: ["blog.example.org"], adoptDistributionId: "E2QWRUHAPOMQZL" }],
                /`cloudfront-china:adoptDistributionId` and `cloudfront-china:sites\[0\]\.adoptDistributionId` both take over E2QWRUHAPOMQZL/,
            ],
        ];
        for (const [label, sites, message] of refused) {
            it(`refuses ${label}, before anything is created`, () => {
                const values = { ...good, "cloudfront-china:adoptDistributionId": "E2QWRUHAPOMQZL", "cloudfront-china:sites": sites };
                assert.throws(withConfig(values), (e: Error) => {
                    assert.ok(e instanceof InputError, e.message);
                    assert.match(e.message, message);
                    return true;
                });
            });
        }

        it("an apex on one site and its wildcard on another: accepted with dns-01 (both prove control side by side); refused when both would write one standing dns-persist-01 record", () => {
            const values = { ...good, "cloudfront-china:sites": [{ name: "wild", domains: ["*.example.cn"] }] };
            assert.doesNotThrow(withConfig(values));
            assert.doesNotThrow(withConfig({ ...values, "cloudfront-china:challenge": "dns-01" }));
            // Each site with the zone: each would write _validation-persist.example.cn as a Route 53 record of its own.
            const persist = {
                ...values,
                "cloudfront-china:challenge": "dns-persist-01",
                "cloudfront-china:hostedZoneId": "Z0123456789EXAMPLE",
                "cloudfront-china:sites": [{ name: "wild", domains: ["*.example.cn"], hostedZoneId: "Z0123456789EXAMPLE" }],
            };
            assert.throws(withConfig(persist), (e: Error) => {
                assert.ok(e instanceof InputError, e.message);
                assert.match(
                    e.message,
                    /"example\.cn" \(`cloudfront-china:domains`\) and "\*\.example\.cn" \(`cloudfront-china:sites\[0\]\.domains`\) share the standing dns-persist-01 record _validation-persist\.example\.cn, which both sites would write to Route 53/,
                );
                return true;
            });
        });

        it("a shared setting's problem is reported once, not once per site; a delegation no site serves is named", () => {
            assert.throws(
                withConfig({
                    ...twoSites,
                    "cloudfront-china:acmeEmail": "ops",
                    "cloudfront-china:challengeDelegations": { "shop.example.org": "_acme-challenge.shop.example.org.acme.example.net" },
                }),
                (e: InputError) => {
                    assert.deepEqual(e.problems.filter((p) => p.includes("acmeEmail")).length, 1, e.message);
                    assert.deepEqual(
                        e.problems.filter((p) => p.includes("challengeDelegations")),
                        [
                            '`cloudfront-china:challengeDelegations` names "shop.example.org", which no site of the stack serves ' +
                                "(domains: www.example.cn, example.cn, blog.example.org, docs.example.cn): remove it or fix the name",
                        ],
                    );
                    return true;
                },
            );
        });
    });

    it("reports every problem at once", () => {
        assert.throws(
            withConfig({ "aws:region": "us-east-1", "cloudfront-china:domains": [], "cloudfront-china:spa": "1x" }),
            (e: InputError) => e.problems.length === 3,
        );
    });

    it("an EAB HMAC key set as a secret reaches the settings", () => {
        pulumi.runtime.setAllConfig(
            {
                "aws:region": "cn-north-1",
                "cloudfront-china:domains": JSON.stringify(["www.example.cn"]),
                "cloudfront-china:acmeEabKeyId": "kid-1",
                "cloudfront-china:acmeEabHmacKey": "c2VjcmV0LWhtYWMta2V5",
            },
            ["cloudfront-china:acmeEabHmacKey"],
        );
        assert.deepEqual(readSiteConfig().acme.eab, { keyId: "kid-1", hmacKey: "c2VjcmV0LWhtYWMta2V5" });
    });

    it("Pulumi.yaml declares exactly the keys the program reads, with the same defaults", () => {
        const project = yaml.load(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as {
            name: string;
            config: Record<string, { default?: unknown; description?: string }>;
        };
        assert.equal(project.name, PROJECT);
        const declared = Object.keys(project.config)
            .map((k) => k.replace(`${PROJECT}:`, ""))
            .sort();
        // The readers of a site's keys, of its CAs' (whose single-CA keys are the CA_FIELDS table) and
        // of the stack's (further sites, deployments, the watch).
        const source = ["siteConfig.ts", "issuerConfig.ts", "challengeConfig.ts", "stackConfig.ts"]
            .map((f) => fs.readFileSync(path.join(root, "config", f), "utf8"))
            .join("\n");
        const caTable = /const CA_FIELDS = \{([^}]*)\}/.exec(source)?.[1] ?? "";
        const read = [
            ...[...source.matchAll(/(?:raw\(config, |source\.value\(|bool\(|read\.string\()"([a-zA-Z]+)"/g)].map((m) => m[1]),
            ...[...caTable.matchAll(/: "([a-zA-Z]+)"/g)].map((m) => m[1]),
        ];
        assert.ok(read.includes("acmeEabHmacKey"), "the CA table is read");
        assert.deepEqual(declared, [...new Set(read)].sort());
        assert.deepEqual([...CONFIG_KEYS].sort(), declared, "the known-key list used to refuse unknown keys");
        for (const [k, v] of Object.entries(CONFIG_DEFAULTS)) {
            assert.equal(project.config[`${PROJECT}:${k}`].default, v, `default of ${k}`);
        }
        for (const [k, decl] of Object.entries(project.config)) {
            assert.ok((decl.description ?? "").length > 20, `${k} has no description`);
        }
        const strings = Object.entries(project.config as Record<string, { type?: string }>)
            .filter(([, d]) => d.type === "string")
            .map(([k]) => k.replace(`${PROJECT}:`, ""));
        assert.deepEqual([...STRING_SETTINGS].sort(), strings.sort(), "the string-typed keys, read as written");
    });

    it("string settings that look like numbers are kept as written (contentDir 2024, an EAB key id 12345)", () => {
        const site = fs.mkdtempSync(path.join(os.tmpdir(), "cfcn-2024-"));
        fs.mkdirSync(path.join(site, "2024"));
        fs.writeFileSync(path.join(site, "2024", "index.html"), "<h1>2024</h1>");
        const set = (values: Record<string, unknown>, secretKeys: string[]) =>
            pulumi.runtime.setAllConfig(
                Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])),
                secretKeys,
            );
        const numeric = {
            ...good,
            "cloudfront-china:contentDir": "2024",
            "cloudfront-china:defaultRootObject": "2024",
            "cloudfront-china:acmeEabKeyId": "12345",
            "cloudfront-china:acmeEabHmacKey": "c2VjcmV0",
        };
        const cwd = process.cwd();
        process.chdir(site);
        try {
            set(numeric, ["cloudfront-china:acmeEabHmacKey"]);
            const settings = readSiteConfig();
            assert.equal(settings.contentDir, "2024");
            assert.equal(settings.defaultRootObject, "2024");
            assert.deepEqual(settings.acme.eab, { keyId: "12345", hmacKey: "c2VjcmV0" });
            // In an issuer entry, `config set --path` stores a numeric key id as a number: still its text.
            const rest = Object.fromEntries(Object.entries(numeric).filter(([key]) => !key.startsWith("cloudfront-china:acmeEab")));
            set(
                {
                    ...rest,
                    "cloudfront-china:issuers": [
                        { directoryUrl: "https://acme.zerossl.com/v2/DV90", eabKeyId: 67890, eabHmacKey: "c2VjcmV0" },
                    ],
                },
                ["cloudfront-china:issuers"],
            );
            assert.deepEqual(readSiteConfig().acme.eab, { keyId: "67890", hmacKey: "c2VjcmV0" });
        } finally {
            process.chdir(cwd);
        }
    });

    it("certificate settings next to iamCertificateId are reported as having no effect (nothing is issued)", () => {
        const values: Record<string, unknown> = {
            ...good,
            "cloudfront-china:iamCertificateId": "ASCAEXAMPLEEXAMPLE1234",
            "cloudfront-china:acmeEmail": "ops@example.cn",
            "cloudfront-china:acmeDirectoryUrl": "https://acme-staging-v02.api.letsencrypt.org/directory",
            // The declared defaults, as the CLI passes them, are not the user's settings.
            "cloudfront-china:keyType": "rsa-2048",
            "cloudfront-china:challenge": "auto",
        };
        const config = new pulumi.Config(PROJECT);
        pulumi.runtime.setAllConfig(
            Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])),
            [],
        );
        const source = {
            value: (n: string) => {
                const t = config.get(n);
                return t === undefined ? undefined : t.startsWith("[") ? JSON.parse(t) : t;
            },
            isSecret: () => false,
            label: (n: string) => `${PROJECT}:${n}`,
            setCommand: (n: string, e: string) => `pulumi config set ${PROJECT}:${n} ${e}`,
        };
        const { problems, warnings } = readSiteSettings(source, { region: "cn-north-1" });
        assert.deepEqual(problems, []);
        assert.deepEqual(warnings, [
            "`cloudfront-china:acmeDirectoryUrl`, `cloudfront-china:acmeEmail` have no effect: `cloudfront-china:iamCertificateId` is set, " +
                "so no certificate is issued; remove them with `pulumi config rm cloudfront-china:acmeDirectoryUrl`, `pulumi config rm cloudfront-china:acmeEmail`",
        ]);
        assert.deepEqual(
            readSiteSettings(
                { ...source, value: (n: string) => (n === "iamCertificateId" ? undefined : source.value(n)) },
                { region: "cn-north-1" },
            ).warnings,
            [],
        );
    });

    it("dnsPersistUntil: a date in Unix seconds on the records; refused when passed or malformed, a warning within 30 days", () => {
        const day = (offset: number) => new Date(Date.now() + offset * 86400_000).toISOString().slice(0, 10);
        const read = (value: string) =>
            readSiteSettings(
                {
                    value: (n: string) => (n === "domains" ? ["www.example.cn"] : n === "dnsPersistUntil" ? value : undefined),
                    isSecret: () => false,
                    label: (n: string) => `${PROJECT}:${n}`,
                    setCommand: (n: string, e: string) => `pulumi config set ${PROJECT}:${n} ${e}`,
                },
                { region: "cn-north-1" },
            );
        const far = read(day(200));
        assert.deepEqual([far.problems, far.warnings], [[], []]);
        assert.equal(far.settings.acme.persistUntil, Date.parse(`${day(200)}T00:00:00Z`) / 1000);
        const soon = read(day(10));
        assert.deepEqual(soon.problems, []);
        assert.match(
            soon.warnings.join(),
            /the dns-persist-01 records expire on \d{4}-\d\d-\d\d \(in (9|10)\.\d days; `cloudfront-china:dnsPersistUntil`\): set a later date: run `pulumi config set cloudfront-china:dnsPersistUntil \d{4}-\d\d-\d\d` and update the records/,
        );
        assert.match(
            read(day(-1)).problems.join(),
            /`cloudfront-china:dnsPersistUntil` \d{4}-\d\d-\d\d has passed: the dns-persist-01 records no longer validate/,
        );
        for (const bad of ["2027-02-30", "31.12.2027", "1830297600"]) {
            assert.match(read(bad).problems.join(), /`cloudfront-china:dnsPersistUntil` ".*" must be a date, YYYY-MM-DD \(UTC\)/, bad);
        }
    });

    it("every key but domains has a default (the CLI requires a declared key without one), and empty defaults read as unset", () => {
        const project = yaml.load(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as {
            config: Record<string, { default?: unknown; secret?: boolean }>;
        };
        const required = Object.entries(project.config)
            .filter(([, decl]) => decl.default === undefined || decl.default === null)
            .map(([k]) => k);
        assert.deepEqual(required, [`${PROJECT}:domains`]);
        // A secret declaration would make the CLI refuse the (plaintext) empty default; the program checks instead.
        assert.deepEqual(
            Object.entries(project.config)
                .filter(([, d]) => d.secret)
                .map(([k]) => k),
            [],
        );
        for (const [k, v] of Object.entries(UNSET_DEFAULTS)) {
            assert.deepEqual(project.config[`${PROJECT}:${k}`].default, v, `empty default of ${k}`);
        }
        // The program, given every default as the CLI passes them, reads the same settings as given none.
        const defaults = Object.fromEntries(
            Object.entries(project.config)
                .filter(([k]) => k !== `${PROJECT}:domains`)
                .map(([k, d]) => [k, d.default]),
        );
        const base = { "aws:region": "cn-north-1", "cloudfront-china:domains": ["www.example.cn"] };
        assert.deepEqual(withConfig({ ...base, ...defaults })(), withConfig(base)());
    });

    it("the example stack is valid, targets cn-north-1 and holds no plaintext secret", () => {
        const text = fs.readFileSync(path.join(root, "Pulumi.cn-north-1.yaml"), "utf8");
        const stack = yaml.load(text) as { config: Record<string, unknown> };
        assert.equal(stack.config["aws:region"], "cn-north-1");
        assert.doesNotMatch(text, /PRIVATE KEY|password|secretKey|hmacKey|AKIA[0-9A-Z]{16}/i);
        const settings = withConfig({
            ...stack.config,
            "cloudfront-china:contentDir": path.join(root, String(stack.config["cloudfront-china:contentDir"])),
        })();
        assert.deepEqual(settings.domains, ["www.example.cn", "example.cn"]);
    });
});

describe("validators (pure)", () => {
    const hostCases: Array<[string, RegExp | null]> = [
        ["www.example.cn", null],
        ["*.example.cn", null],
        ["xn--fsqu00a.xn--fiqs8s", null],
        ["a-b.example.com.cn", null],
        ["*.cn", /wildcard over a top-level domain/],
        ["*example.cn", /partial wildcard/],
        ["www.ex*.cn", /partial wildcard/],
        ["-www.example.cn", /invalid label "-www"/],
        ["www_1.example.cn", /invalid label "www_1"/],
        ["localhost", /single label/],
        ["example.cn.", /trailing dot/],
        ["10.0.0.1", /IP address/],
        [`${"a".repeat(64)}.example.cn`, /invalid label/],
        [`${"abcdefghi.".repeat(26)}cn`, /at most 253/],
        ["", /non-empty host name/],
    ];
    for (const [name, expected] of hostCases) {
        it(`host name ${JSON.stringify(name.slice(0, 40))} ${expected ? "is rejected" : "is accepted"}`, () => {
            const problems = hostNameProblems(name, "domains[0]");
            if (expected === null) {
                assert.deepEqual(problems, []);
            } else {
                assert.equal(problems.length, 1, problems.join("; "));
                assert.match(problems[0], expected);
                assert.match(problems[0], /^`domains\[0\]`/);
            }
        });
    }

    it("more than 100 names is refused (CloudFront aliases and certificate names)", () => {
        const many = Array.from({ length: 101 }, (_, i) => `h${i}.example.cn`);
        assert.match(domainsProblems(many, "domains").join(), /lists 101 names: .* at most 100/);
        assert.deepEqual(domainsProblems(many.slice(0, 100), "domains"), []);
    });

    it("IAM certificate ids: ASCA… only", () => {
        assert.deepEqual(iamCertificateIdProblems("ASCAQ2EXAMPLE7HUBS5KS", "x"), []);
        assert.equal(iamCertificateIdProblems("asca123", "x").length, 1);
    });

    it("tags: at most 49 (AWS's 50 less the program's own mark), values are strings, the program's prefix is its own", () => {
        const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]));
        assert.deepEqual(tagsProblems(tags(49), "tags"), []);
        assert.match(
            tagsProblems(tags(50), "tags").join(),
            /50 tags: AWS allows at most 50, and the program adds one of its own .*keep at most 49/,
        );
        assert.match(tagsProblems({ "cloudfront-china:stack": "x" }, "tags").join(), /uses the program's own "cloudfront-china:" prefix/);
        assert.match(tagsProblems({ a: 1 }, "tags").join(), /value of "a" must be a string/);
    });

    it("other namespaces pass: pulumi-aws's own keys, pulumi:, another provider's", () => {
        assert.doesNotThrow(
            withConfig({
                ...good,
                "aws:skipCredentialsValidation": "true",
                "aws:defaultTags": { tags: { team: "web" } },
                "pulumi:tags": { team: "web" },
                "awsx:x": "1",
                "random:y": "2",
            }),
        );
    });

    it("names the CA refuses are refused for certificates, not for aliases served with a certificate of one's own", () => {
        const read = (domains: string[], extra: Record<string, unknown> = {}) =>
            withConfig({ ...good, "cloudfront-china:domains": domains, ...extra });
        assert.throws(read(["*.example.cn", "www.example.cn", "example.cn"]), /"www\.example\.cn" is covered by "\*\.example\.cn"/);
        assert.doesNotThrow(read(["*.example.cn", "example.cn", "www.shop.example.cn"]), "the wildcard covers one label only");
        assert.throws(read(["xn--abc.example.cn"]), /"xn--abc\.example\.cn" has an "xn--" label that is not valid punycode/);
        assert.doesNotThrow(read(["xn--fiqs8s.xn--fiqs8s"]), "valid punycode (中国.中国)");
        assert.throws(read(["h---test.example.cn"]), /R-LDH/);
        assert.doesNotThrow(read(["*.example.cn", "www.example.cn"], { "cloudfront-china:iamCertificateId": "ASCAEXAMPLE0123456789" }));
    });

    describe("issuers: an ordered list of ACME CAs", () => {
        const LE = "https://acme-v02.api.letsencrypt.org/directory";
        const ZEROSSL = "https://acme.zerossl.com/v2/DV90";
        const read = (issuers: unknown, extra: Record<string, unknown> = {}, secretKeys: string[] = ["cloudfront-china:issuers"]) => {
            const config = { ...good, "cloudfront-china:issuers": issuers, ...extra };
            pulumi.runtime.setAllConfig(
                Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])),
                secretKeys,
            );
            return readSiteConfig;
        };

        it("the first entry is the account's CA, the rest are fallbacks with the defaults of the single-CA keys", () => {
            const s = read([{ directoryUrl: LE }, { directoryUrl: ZEROSSL, eabKeyId: "kid", eabHmacKey: "c2VjcmV0", profile: "p1" }], {
                "cloudfront-china:acmeEmail": "ops@example.cn",
                "cloudfront-china:keyType": "ecdsa-p256",
            })();
            assert.equal(s.acme.directoryUrl, LE);
            assert.equal(s.acme.eab, undefined);
            assert.equal(s.acme.keyType, "ecdsa-p256");
            assert.deepEqual(s.acme.fallbackIssuers, [
                { directoryUrl: ZEROSSL, email: "ops@example.cn", eab: { keyId: "kid", hmacKey: "c2VjcmV0" }, profile: "p1" },
            ]);
        });

        it("directory URLs compare as RFC 3986 §6.2 says, never print a password, and staging is not mixed with production", () => {
            const refusal = (issuers: unknown[]) => {
                try {
                    read(issuers)();
                } catch (e) {
                    return (e as Error).message;
                }
                return "accepted";
            };
            for (const spelling of [
                "https://ACME-v02.api.letsencrypt.org/directory",
                "https://acme-v02.api.letsencrypt.org:443/directory",
            ]) {
                assert.match(
                    refusal([{ directoryUrl: LE }, { directoryUrl: spelling }]),
                    /`cloudfront-china:issuers\[1\]\.directoryUrl` \S+ is listed twice/,
                    spelling,
                );
            }
            assert.match(refusal([{ directoryUrl: ` ${LE}` }]), /`cloudfront-china:issuers\[0\]\.directoryUrl` .* has spaces around it/);
            const withPassword = refusal([{ directoryUrl: "https://ops:hunter2@acme.example.net/directory" }]);
            assert.match(withPassword, /holds a user name or password .*RFC 3986 §3\.2\.1/);
            assert.ok(!withPassword.includes("hunter2"), withPassword);
            assert.match(
                refusal([{ directoryUrl: LE }, { directoryUrl: "https://acme-staging-v02.api.letsencrypt.org/directory" }]),
                /`cloudfront-china:issuers` mixes a staging CA \(https:\/\/acme-staging-v02\.api\.letsencrypt\.org\/directory\) with production ones/,
            );
            assert.equal(
                refusal([{ directoryUrl: LE }, { directoryUrl: ZEROSSL, eabKeyId: "kid", eabHmacKey: "c2VjcmV0" }]).includes("mixes"),
                false,
            );
        });

        it("every entry is checked field by field and named by its place; nothing is created", () => {
            assert.throws(
                read([
                    { directoryUrl: LE, profil: "x" },
                    { directoryUrl: "http://acme.example.net/dir" },
                    { directoryUrl: LE },
                    { eabKeyId: "kid" },
                    { directoryUrl: ZEROSSL, keyType: "rsa-1024", profile: "short lived", email: "nobody" },
                ]),
                (e: Error) => {
                    for (const expected of [
                        "`cloudfront-china:issuers[0].profil` is not a field of an issuer: did you mean `profile`?",
                        "`cloudfront-china:issuers[1].directoryUrl` must use https",
                        "`cloudfront-china:issuers[2].directoryUrl` https://acme-v02.api.letsencrypt.org/directory is listed twice",
                        "`cloudfront-china:issuers[3].directoryUrl` is required",
                        "External Account Binding needs both `cloudfront-china:issuers[3].eabKeyId` and `cloudfront-china:issuers[3].eabHmacKey`",
                        '`cloudfront-china:issuers[4].keyType` "rsa-1024" is not supported',
                        '`cloudfront-china:issuers[4].profile` "short lived" is not a profile name',
                        '`cloudfront-china:issuers[4].email` "nobody" is not an email address',
                    ]) {
                        assert.ok(e.message.includes(expected), `${expected}\nin: ${e.message}`);
                    }
                    return true;
                },
            );
            assert.throws(read({ directoryUrl: LE }), /`cloudfront-china:issuers` must be a list of ACME CAs in the order to try them/);
        });

        it("a field of the first entry is checked once, named by its place (not again as the single-CA key it stands for)", () => {
            assert.throws(read([{ directoryUrl: LE, email: "nobody" }]), (e: Error) => {
                assert.equal(e.message.split("is not an email address").length - 1, 1, e.message);
                assert.ok(e.message.includes('`cloudfront-china:issuers[0].email` "nobody" is not an email address'), e.message);
                return true;
            });
        });

        it("refuses the single-CA keys beside it, and an HMAC key in plain text", () => {
            assert.throws(
                read([{ directoryUrl: LE }], { "cloudfront-china:acmeDirectoryUrl": ZEROSSL }),
                /`cloudfront-china:acmeDirectoryUrl` \(https:\/\/acme.zerossl.com\/v2\/DV90\) and `cloudfront-china:issuers` both name the first CA: move it into/,
            );
            // The declared default, or the same URL, is no conflict.
            assert.doesNotThrow(read([{ directoryUrl: ZEROSSL }], { "cloudfront-china:acmeDirectoryUrl": LE }));
            assert.throws(
                read([{ directoryUrl: LE }, { directoryUrl: ZEROSSL, eabKeyId: "kid", eabHmacKey: "c2VjcmV0" }], {}, []),
                /`cloudfront-china:issuers\[1\].eabHmacKey` is stored in plaintext: set it with `pulumi config set --secret --path 'cloudfront-china:issuers\[1\].eabHmacKey' <HMAC key>`/,
            );
        });
    });
});
