/**
 * One table of invalid configurations across the stack config (the whole program under mocks), the
 * ChinaCdn component, the ChinaSite component (what programs in other languages call through the
 * plugin package), and the certificate provider's `check`. Each must fail before anything is created, with
 * a message naming the setting, and without a single AWS or ACME request (counted: connections
 * opened, requests through the AWS proxy, Pebble's log). Zone coverage is the one case that needs a
 * read (the zone's name), and it is marked so.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ChinaCdn, ChinaCdnArgs } from "../components/chinaCdn";
import { ChinaSite, ChinaSiteArgs } from "../components/chinaSite";
import { iamAcmeCertificateProvider } from "../providers/iamAcmeCertificate";
import { countConnections, usePeers, Peers, writeFiles } from "./support/fixture";
import { useOfflineMocks } from "./support/pulumi";

type Layer = "stack" | "component" | "site" | "provider";
interface Case {
    label: string;
    layer: Layer;
    input: Record<string, unknown>;
    /** The setting the message must name, and what else it must say. */
    message: RegExp;
    /** Needs one read (the hosted zone's name or list); still creates nothing. */
    readsZone?: boolean;
    /** Stack keys that hold encrypted values (`pulumi config set --secret`). */
    secretKeys?: string[];
    /** Environment for the run (e.g. the backend the CLI is logged in to). */
    env?: Record<string, string>;
    /** The stack file as written (`Pulumi.test.yaml`), beside a copy of Pulumi.yaml: which fields are `secure:`. */
    stackFile?: string;
}

/** A fresh site folder holding `files`, for the content cases. */
const siteWith = (files: Record<string, string>) => writeFiles(fs.mkdtempSync(path.join(os.tmpdir(), "cfcn-bad-site-")), files);
const stack = (over: Record<string, unknown>) => ({ "aws:region": "cn-north-1", "cloudfront-china:domains": ["www.example.cn"], ...over });
const site = (over: Record<string, unknown>) => ({ domains: ["www.example.cn"], ...over });
/** A stack file holding `value` under `key` as written (`{secure: …}` for an encrypted field). */
const stackFileWith = (key: string, value: unknown) => JSON.stringify({ config: { [key]: value } });
const component = (over: Partial<ChinaCdnArgs> & Record<string, unknown>) => ({
    domains: ["www.example.cn"],
    region: "cn-north-1",
    iamCertificateId: "ASCAEXAMPLE0123456789",
    ...over,
});

/** `cloudfront-china:deployments` values, each refused before anything is registered. */
function deploymentsCases(): Case[] {
    const key = "cloudfront-china:deployments";
    const good = { repoUrl: "https://github.com/acme/site.git", awsAccessKeyId: "AKIAEXAMPLE", awsSecretAccessKey: "secret" };
    const secret = (over: Record<string, unknown>, label: string, message: RegExp, extra: Partial<Case> = {}): Case => ({
        label: `deployments: ${label}`,
        layer: "stack",
        input: stack({ [key]: { ...good, ...over } }),
        secretKeys: [key],
        message,
        ...extra,
    });
    return [
        secret({ schedule: "every day" }, "bad cron", /`cloudfront-china:deployments\.schedule` "every day" must have 5 fields/),
        secret({ schedule: "0 24 * * *" }, "hour out of range", /the hour field "24" must be \*, a number 0-23/),
        secret({ driftSchedule: "*/0 * * * *" }, "zero step", /`cloudfront-china:deployments\.driftSchedule` .*minute field/),
        secret(
            { repoUrl: "git@github.com:acme/site.git" },
            "ssh repo URL",
            /`cloudfront-china:deployments\.repoUrl` .*must be an https URL/,
        ),
        secret({ repoUrl: undefined }, "missing repoUrl", /`cloudfront-china:deployments\.repoUrl` is required/),
        secret(
            { notify: { url: "https://hooks.slack.com/x", format: "discord" } },
            "unknown format",
            /`cloudfront-china:deployments\.notify\.format` "discord" .*slack, ms_teams, raw/,
        ),
        secret(
            { notify: { url: "http://hooks.example.cn/x" } },
            "plain-http webhook",
            /`cloudfront-china:deployments\.notify\.url` must be an https webhook URL/,
        ),
        secret(
            { awsSecretAccessKey: undefined },
            "missing key",
            /`cloudfront-china:deployments\.awsSecretAccessKey` is required.*--secret --path/,
        ),
        secret(
            { oidcRole: "arn:aws-cn:iam::1:role/x" },
            "unknown setting",
            /`cloudfront-china:deployments\.oidcRole` is not a deployments setting/,
        ),
        {
            label: "deployments: credentials as plain config",
            layer: "stack",
            input: stack({ [key]: good }),
            message:
                /`cloudfront-china:deployments\.awsAccessKeyId`, `cloudfront-china:deployments\.awsSecretAccessKey` are in plain text .*pulumi config set --secret --path/,
        },
        secret({}, "self-managed backend", /needs Pulumi Cloud .*s3:\/\/state-bucket\?region=cn-north-1.*\.github\/workflows\/renew\.yml/, {
            env: { PULUMI_BACKEND_URL: "s3://state-bucket?region=cn-north-1" },
        }),
        // Field by field: the key holds a secret (so a whole-key check passes), but not in this field.
        secret({}, "secret key id, plaintext secret access key", /`cloudfront-china:deployments\.awsSecretAccessKey` is in plain text/, {
            stackFile: stackFileWith(key, { ...good, awsAccessKeyId: { secure: "v1:AAAA" } }),
        }),
        secret(
            { gitToken: "ghp_example" },
            "plaintext gitToken beside encrypted keys",
            /`cloudfront-china:deployments\.gitToken` is in plain text/,
            {
                stackFile: stackFileWith(key, {
                    ...good,
                    awsAccessKeyId: { secure: "v1:AAAA" },
                    awsSecretAccessKey: { secure: "v1:BBBB" },
                    gitToken: "ghp_example",
                }),
            },
        ),
        secret(
            { notify: { url: "https://hooks.slack.com/services/x" } },
            "plaintext webhook beside encrypted keys",
            /`cloudfront-china:deployments\.notify\.url` is in plain text/,
            {
                stackFile: stackFileWith(key, {
                    ...good,
                    awsAccessKeyId: { secure: "v1:AAAA" },
                    awsSecretAccessKey: { secure: "v1:BBBB" },
                    notify: { url: "https://hooks.slack.com/services/x" },
                }),
            },
        ),
        {
            ...secret(
                {},
                "with aws:profile",
                /`aws:profile` .* with `cloudfront-china:deployments`: the Deployments runner has no ~\/\.aws files/,
            ),
            input: { ...stack({ [key]: good }), "aws:profile": "china-prod" },
        },
    ];
}

/** `cloudfront-china:watch` values, each refused before anything is registered. */
function watchCases(): Case[] {
    const watch = (value: unknown, label: string, message: RegExp): Case => ({
        label: `watch: ${label}`,
        layer: "stack",
        input: stack({ "cloudfront-china:watch": value }),
        message,
    });
    return [
        // {} is the declared default (no watch); settings without emails are refused.
        watch({ schedule: "rate(1 hour)" }, "no emails", /`cloudfront-china:watch\.emails` must list at least one address/),
        watch({ emails: ["ops"] }, "bad email", /`cloudfront-china:watch\.emails` has "ops", which is not an email address/),
        watch(
            { emails: ["ops@example.cn"], schedule: "cron(0 * * * ? *)" },
            "cron instead of rate",
            /`cloudfront-china:watch\.schedule` .*must be an EventBridge rate/,
        ),
        watch(
            { emails: ["ops@example.cn"], schedule: "rate(1 minute)" },
            "too often",
            /must run between every 5 minutes and every 12 hours/,
        ),
        watch(
            { emails: ["ops@example.cn"], warnDays: 0 },
            "warnDays zero",
            /`cloudfront-china:watch\.warnDays` must be a number of days in \(0, 90\)/,
        ),
        watch({ emails: ["ops@example.cn"], email: "x" }, "unknown setting", /`cloudfront-china:watch\.email` is not a watch setting/),
        watch(["ops@example.cn"], "a list instead of an object", /`cloudfront-china:watch` must be an object like \{"emails"/),
    ];
}

/** `cloudfront-china:issuers` (and ChinaSite's `issuers`, and the provider's `fallbackIssuers`): each refused before anything is registered. */
function issuerCases(): Case[] {
    const key = "cloudfront-china:issuers";
    const LE = "https://acme-v02.api.letsencrypt.org/directory";
    const ZEROSSL = "https://acme.zerossl.com/v2/DV90";
    return [
        {
            label: "issuers: not a list",
            layer: "stack",
            input: stack({ [key]: { directoryUrl: LE } }),
            message: /`cloudfront-china:issuers` must be a list of ACME CAs/,
        },
        {
            label: "issuers: an entry without directoryUrl",
            layer: "stack",
            input: stack({ [key]: [{ directoryUrl: LE }, { email: "ops@example.cn" }] }),
            message: /`cloudfront-china:issuers\[1\]\.directoryUrl` is required/,
        },
        {
            label: "issuers: the same CA twice",
            layer: "stack",
            input: stack({ [key]: [{ directoryUrl: LE }, { directoryUrl: LE }] }),
            message: /`cloudfront-china:issuers\[1\]\.directoryUrl` .* is listed twice/,
        },
        {
            label: "issuers: the same CA twice, in another spelling (host case, :443)",
            layer: "stack",
            input: stack({ [key]: [{ directoryUrl: LE }, { directoryUrl: "https://ACME-v02.api.letsencrypt.org:443/directory" }] }),
            message: /`cloudfront-china:issuers\[1\]\.directoryUrl` .* is listed twice/,
        },
        {
            label: "issuers: a directory URL with a user name and password",
            layer: "stack",
            input: stack({ [key]: [{ directoryUrl: "https://ops:hunter2@acme.example.net/directory" }] }),
            message: /`cloudfront-china:issuers\[0\]\.directoryUrl` holds a user name or password(?!.*hunter2)/,
        },
        {
            label: "issuers: a staging CA beside a production one",
            layer: "stack",
            input: stack({ [key]: [{ directoryUrl: LE }, { directoryUrl: "https://acme-staging-v02.api.letsencrypt.org/directory" }] }),
            message: /`cloudfront-china:issuers` mixes a staging CA/,
        },
        {
            label: "issuers: a misspelt field",
            layer: "stack",
            input: stack({ [key]: [{ directoryUrl: LE, eabKeyID: "kid" }] }),
            message: /`cloudfront-china:issuers\[0\]\.eabKeyID` is not a field of an issuer: did you mean `eabKeyId`\?/,
        },
        {
            label: "issuers: beside acmeDirectoryUrl naming another CA",
            layer: "stack",
            input: stack({ [key]: [{ directoryUrl: LE }], "cloudfront-china:acmeDirectoryUrl": ZEROSSL }),
            message:
                /`cloudfront-china:acmeDirectoryUrl` \(https:\/\/acme\.zerossl\.com\/v2\/DV90\) and `cloudfront-china:issuers` both name the first CA/,
        },
        {
            // Field by field: the key holds a secret (another entry's), this HMAC key is in plain text.
            label: "issuers: a plaintext HMAC key beside an encrypted one",
            layer: "stack",
            input: stack({
                [key]: [
                    { directoryUrl: LE, eabKeyId: "kid-a", eabHmacKey: "c2VjcmV0" },
                    { directoryUrl: ZEROSSL, eabKeyId: "kid-b", eabHmacKey: "c2VjcmV0Mg" },
                ],
            }),
            secretKeys: [key],
            stackFile: stackFileWith(key, [
                { directoryUrl: LE, eabKeyId: "kid-a", eabHmacKey: { secure: "v1:AAAA" } },
                { directoryUrl: ZEROSSL, eabKeyId: "kid-b", eabHmacKey: "c2VjcmV0Mg" },
            ]),
            message: /`cloudfront-china:issuers\[1\]\.eabHmacKey` is stored in plaintext: set it with `pulumi config set --secret --path/,
        },
        {
            label: "issuers: a bad key type for one CA",
            layer: "site",
            input: site({ issuers: [{ directoryUrl: LE }, { directoryUrl: ZEROSSL, keyType: "rsa-4096" }] }),
            message: /`issuers\[1\]\.keyType` "rsa-4096" is not supported/,
        },
        {
            label: "dnsPersistDraft: a draft this program builds no record for",
            layer: "stack",
            input: stack({ "cloudfront-china:dnsPersistDraft": "draft-03" }),
            message:
                /`cloudfront-china:dnsPersistDraft` "draft-03" is not a dns-persist-01 draft this program knows: use "auto", "draft-01", "draft-02"/,
        },
        {
            label: "issuers: a dns-persist-01 draft named without its prefix",
            layer: "stack",
            input: stack({ [key]: [{ directoryUrl: LE }, { directoryUrl: ZEROSSL, dnsPersistDraft: "02" }] }),
            message: /`cloudfront-china:issuers\[1\]\.dnsPersistDraft` "02" is not a dns-persist-01 draft this program knows/,
        },
        {
            label: "fallbackIssuers: an unknown dns-persist-01 draft",
            layer: "provider",
            input: {
                fallbackIssuers: [
                    {
                        directoryUrl: "https://acme.example.net/dir",
                        accountUrl: "https://x/acct/1",
                        accountKeyPem: "k",
                        dnsPersistDraft: "latest",
                    },
                ],
            },
            message: /`fallbackIssuers\[0\]\.dnsPersistDraft` "latest" is not a dns-persist-01 draft this program knows/,
        },
        {
            label: "fallbackIssuers: a CA without TLS",
            layer: "provider",
            input: {
                fallbackIssuers: [{ directoryUrl: "http://acme.example.net/dir", accountUrl: "https://x/acct/1", accountKeyPem: "k" }],
            },
            message: /`fallbackIssuers\[0\]\.directoryUrl` must use https/,
        },
    ];
}

/** Names the DNS syntax allows and the CA refuses (Boulder's identifier policy): refused before any order. */
const CA_NAME_CASES: Case[] = [
    {
        label: "a name covered by a wildcard in the same list",
        layer: "stack",
        input: stack({ "cloudfront-china:domains": ["*.example.cn", "www.example.cn"] }),
        message:
            /`cloudfront-china:domains\[1\]` "www\.example\.cn" is covered by "\*\.example\.cn" in the same list: Let's Encrypt refuses the order as redundant/,
    },
    {
        label: "an R-LDH label (-- in the third and fourth characters)",
        layer: "provider",
        input: { domains: ["ab--cd.example.cn"] },
        message: /`domains\[0\]` "ab--cd\.example\.cn" has the label "ab--cd" .*R-LDH, RFC 5891 §4\.2\.3\.1.*rejectedIdentifier/,
    },
    {
        label: "an all-numeric top-level label",
        layer: "site",
        input: site({ domains: ["www.example.163"] }),
        message: /`domains\[0\]` "www\.example\.163" ends in an all-numeric label/,
    },
    {
        label: "more labels than the CA takes",
        layer: "stack",
        input: stack({ "cloudfront-china:domains": ["a.b.c.d.e.f.g.h.i.example.cn"] }),
        message: /has 11 labels: Let's Encrypt takes at most 10/,
    },
];

/** Keys nothing would read: a typo in an aws: key or in a namespace. */
const NAMESPACE_CASES: Case[] = [
    {
        label: "aws:regoin (pulumi-aws ignores it)",
        layer: "stack",
        input: stack({ "aws:regoin": "cn-north-1" }),
        message: /`aws:regoin` is not a setting of pulumi-aws: did you mean `aws:region`\?/,
    },
    {
        label: "a misspelt namespace",
        layer: "stack",
        input: stack({ "cloudfront-chian:spa": "true" }),
        message:
            /`cloudfront-chian:spa` is in the namespace "cloudfront-chian", which nothing reads: did you mean `cloudfront-china:spa`\?/,
    },
];

const CASES: Case[] = [
    ...issuerCases(),
    ...CA_NAME_CASES,
    ...NAMESPACE_CASES,
    // Stack configuration, through index.ts.
    { label: "no region", layer: "stack", input: stack({ "aws:region": undefined }), message: /`aws:region` .*aws-cn partition/ },
    { label: "global region", layer: "stack", input: stack({ "aws:region": "us-west-2" }), message: /`aws:region` .*"us-west-2"/ },
    {
        label: "no domains",
        layer: "stack",
        input: stack({ "cloudfront-china:domains": undefined }),
        message: /`cloudfront-china:domains` must list at least one/,
    },
    {
        label: "empty domain",
        layer: "stack",
        input: stack({ "cloudfront-china:domains": [""] }),
        message: /`cloudfront-china:domains\[0\]` must be a non-empty host name/,
    },
    {
        label: "IDN",
        layer: "stack",
        input: stack({ "cloudfront-china:domains": ["商店.例子.cn"] }),
        message: /`cloudfront-china:domains\[0\]` .*internationalized name.*xn--/,
    },
    {
        label: "upper case",
        layer: "stack",
        input: stack({ "cloudfront-china:domains": ["WWW.example.cn"] }),
        message: /`cloudfront-china:domains\[0\]` .*upper-case/,
    },
    {
        label: "duplicate names",
        layer: "stack",
        input: stack({ "cloudfront-china:domains": ["a.example.cn", "a.example.cn"] }),
        message: /`cloudfront-china:domains` lists "a\.example\.cn" more than once/,
    },
    {
        label: "wildcard not leftmost",
        layer: "stack",
        input: stack({ "cloudfront-china:domains": ["a.*.example.cn"] }),
        message: /`cloudfront-china:domains\[0\]` .*not the leftmost label/,
    },
    {
        label: "partial wildcard",
        layer: "stack",
        input: stack({ "cloudfront-china:domains": ["w*.example.cn"] }),
        message: /partial wildcard/,
    },
    {
        label: "too many names",
        layer: "stack",
        input: stack({ "cloudfront-china:domains": Array.from({ length: 101 }, (_, i) => `h${i}.example.cn`) }),
        message: /lists 101 names/,
    },
    {
        label: "trailing dot",
        layer: "stack",
        input: stack({ "cloudfront-china:domains": ["www.example.cn."] }),
        message: /ends with a dot/,
    },
    { label: "IP address", layer: "stack", input: stack({ "cloudfront-china:domains": ["192.0.2.1"] }), message: /is an IP address/ },
    {
        label: "certificate ARN",
        layer: "stack",
        input: stack({ "cloudfront-china:iamCertificateId": "arn:aws-cn:iam::1:server-certificate/cloudfront/x" }),
        message: /`cloudfront-china:iamCertificateId` .*not a name or ARN/,
    },
    {
        label: "zone id not a zone id",
        layer: "stack",
        input: stack({ "cloudfront-china:hostedZoneId": "example.cn" }),
        message: /`cloudfront-china:hostedZoneId` .*not a Route 53 hosted zone id/,
    },
    {
        label: "alias outside the zone",
        layer: "stack",
        input: stack({ "cloudfront-china:domains": ["www.example.com.cn"], "cloudfront-china:hostedZoneId": "Z0123456789EXAMPLE" }),
        message: /not inside the hosted zone "example\.cn" given by `cloudfront-china:hostedZoneId`/,
        readsZone: true,
    },
    {
        label: "missing content folder",
        layer: "stack",
        input: stack({ "cloudfront-china:contentDir": "no/such/site" }),
        message: /`cloudfront-china:contentDir` .*does not exist/,
    },
    {
        label: "empty content folder",
        layer: "stack",
        input: stack({ "cloudfront-china:contentDir": siteWith({ ".gitkeep": "" }) }),
        message:
            /`cloudfront-china:contentDir` ".*" holds no files to serve \(dotfiles other than \.well-known\/ are skipped\): build the site into it first/,
    },
    {
        label: "content file CloudFront cannot serve",
        layer: "stack",
        input: stack({ "cloudfront-china:contentDir": siteWith({ "index.html": "x", "what?.html": "x" }) }),
        message:
            /`cloudfront-china:contentDir`: "what\?\.html" contains "\?", which no URL path can reach through CloudFront.*rename the file/,
    },
    {
        label: "content file CloudFront cannot serve (component)",
        layer: "component",
        input: component({ contentDir: siteWith({ "index.html": "x", "a#b.html": "x" }) }),
        message: /`contentDir`: "a#b\.html" contains "#"/,
    },
    {
        label: "waitForInvalidation not boolean",
        layer: "stack",
        input: stack({ "cloudfront-china:waitForInvalidation": "yes" }),
        message: /`cloudfront-china:waitForInvalidation` must be true or false/,
    },
    {
        label: "spa not boolean",
        layer: "stack",
        input: stack({ "cloudfront-china:spa": "yes" }),
        message: /`cloudfront-china:spa` must be true or false/,
    },
    {
        label: "reserved tag",
        layer: "stack",
        input: stack({ "cloudfront-china:tags": { "aws:owner": "x" } }),
        message: /`cloudfront-china:tags` key "aws:owner"/,
    },
    {
        label: "key type",
        layer: "stack",
        input: stack({ "cloudfront-china:keyType": "rsa-1024" }),
        message: /`cloudfront-china:keyType` "rsa-1024" is not supported/,
    },
    {
        label: "renewal window",
        layer: "stack",
        // 0 is the declared default (the CA's window); a negative count is refused.
        input: stack({ "cloudfront-china:renewBeforeDays": "-3" }),
        message: /`cloudfront-china:renewBeforeDays` -3 must be a number of days in \(0, lifetime\)/,
    },
    {
        label: "plain-http CA",
        layer: "stack",
        input: stack({ "cloudfront-china:acmeDirectoryUrl": "http://acme.example.cn/directory" }),
        message: /`cloudfront-china:acmeDirectoryUrl` must use https/,
    },
    {
        label: "resolver by name",
        layer: "stack",
        input: stack({ "cloudfront-china:dnsResolvers": ["dns.example.cn"] }),
        message: /`cloudfront-china:dnsResolvers` must be IP addresses/,
    },
    {
        label: "distribution to adopt given by its domain name",
        layer: "stack",
        input: stack({ "cloudfront-china:adoptDistributionId": "d111111abcdef8.cloudfront.cn" }),
        message:
            /`cloudfront-china:adoptDistributionId` "d111111abcdef8\.cloudfront\.cn" is not a CloudFront distribution id .*not its domain name or ARN/,
    },
    {
        label: "an alias on two sites of the stack",
        layer: "stack",
        input: stack({ "cloudfront-china:sites": [{ name: "blog", domains: ["blog.example.cn", "www.example.cn"] }] }),
        message:
            /"www\.example\.cn" is in both `cloudfront-china:domains` and `cloudfront-china:sites\[0\]\.domains`: an alias can be on one distribution only/,
    },
    {
        label: "a further site's name outside its zone",
        layer: "stack",
        input: stack({
            "cloudfront-china:sites": [{ name: "blog", domains: ["blog.example.org"], hostedZoneId: "Z0123456789EXAMPLE" }],
        }),
        readsZone: true,
        message: /"blog\.example\.org" is not inside the hosted zone "example\.cn" given by `cloudfront-china:sites\[0\]\.hostedZoneId`/,
    },
    {
        label: "bad email",
        layer: "stack",
        input: stack({ "cloudfront-china:acmeEmail": "ops@" }),
        message: /`cloudfront-china:acmeEmail` "ops@" is not an email address/,
    },
    {
        label: "a profile no CA would name",
        layer: "stack",
        input: stack({ "cloudfront-china:acmeProfile": "short lived" }),
        message: /`cloudfront-china:acmeProfile` "short lived" is not a profile name/,
    },
    {
        label: "account key rotation not a whole number",
        layer: "stack",
        input: stack({ "cloudfront-china:acmeAccountKeyRotation": "1.5" }),
        message:
            /`cloudfront-china:acmeAccountKeyRotation` must be a whole number, 0 or more \(got 1\.5\): add 1 to roll the ACME account key over: run `pulumi config set cloudfront-china:acmeAccountKeyRotation 1`/,
    },
    {
        label: "watch boundary not a policy",
        layer: "stack",
        input: stack({
            "cloudfront-china:watch": { emails: ["ops@example.cn"], permissionsBoundary: "arn:aws:iam::123456789012:policy/x" },
        }),
        message:
            /`cloudfront-china:watch\.permissionsBoundary` "arn:aws:iam::123456789012:policy\/x" must be the name of a managed policy in the stack's account/,
    },
    {
        label: "static key in stack config",
        layer: "stack",
        input: stack({ "aws:accessKey": "AKIAEXAMPLE", "aws:secretKey": "secret" }),
        message: /`aws:accessKey`, `aws:secretKey` in stack config: .*aws:profile/,
    },
    {
        label: "role ARN of the global partition",
        layer: "stack",
        input: stack({ "aws:assumeRoles": [{ roleArn: "arn:aws:iam::123456789012:role/deploy" }] }),
        message: /`aws:assumeRoles\[0\]\.roleArn` .*global partition/,
    },
    {
        label: "role session duration",
        layer: "stack",
        input: stack({ "aws:assumeRoles": [{ roleArn: "arn:aws-cn:iam::123456789012:role/deploy", duration: "24h" }] }),
        message: /`aws:assumeRoles\[0\]\.duration` must be between 15m and 12h/,
    },
    ...deploymentsCases(),
    ...watchCases(),
    // The component (library use), China-incompatible overrides among them.
    {
        label: "cache policy",
        layer: "component",
        input: component({ distributionOverrides: { defaultCacheBehavior: { cachePolicyId: "658327ea" } } }),
        message: /\[no-cache-policies\] `defaultCacheBehavior\.cachePolicyId`/,
    },
    {
        label: "origin request policy",
        layer: "component",
        input: component({ distributionOverrides: { defaultCacheBehavior: { originRequestPolicyId: "x" } } }),
        message: /\[no-cache-policies\]/,
    },
    {
        label: "IPv6",
        layer: "component",
        input: component({ distributionOverrides: { isIpv6Enabled: true } }),
        message: /\[ipv6-disabled\] `isIpv6Enabled`/,
    },
    {
        label: "ACM certificate",
        layer: "component",
        input: component({ distributionOverrides: { viewerCertificate: { acmCertificateArn: "arn:aws:acm:x" } } }),
        message: /\[iam-certificate-only\]/,
    },
    { label: "WAF", layer: "component", input: component({ distributionOverrides: { webAclId: "x" } }), message: /\[no-waf\]/ },
    {
        label: "CloudFront Function",
        layer: "component",
        input: component({ distributionOverrides: { defaultCacheBehavior: { functionAssociations: [{}] } } }),
        message: /\[no-edge-compute\]/,
    },
    {
        label: "HTTP/3",
        layer: "component",
        input: component({ distributionOverrides: { httpVersion: "http3" } }),
        message: /\[http-version\]/,
    },
    {
        label: "price class",
        layer: "component",
        input: component({ distributionOverrides: { priceClass: "PriceClass_200" } }),
        message: /\[price-class-all\]/,
    },
    {
        label: "staging distribution",
        layer: "component",
        input: component({ distributionOverrides: { staging: true } }),
        message: /\[no-staging\]/,
    },
    {
        label: "overriding origins",
        layer: "component",
        input: component({ distributionOverrides: { origins: [] } }),
        message: /`distributionOverrides\.origins` cannot be overridden/,
    },
    {
        label: "leading slash root object",
        layer: "component",
        input: component({ defaultRootObject: "/index.html" }),
        message: /`defaultRootObject` "\/index\.html" must not start with "\/"/,
    },
    // ChinaSite's args: the plugin package's entry point for programs in any language (the stack's
    // aws:region is cn-north-1 in these cases).
    {
        label: "misspelt arg",
        layer: "site",
        input: site({ acmeEmial: "ops@example.cn" }),
        message: /`acmeEmial` is not an argument of ChinaSite: did you mean `acmeEmail`\?/,
    },
    { label: "no domains", layer: "site", input: site({ domains: [] }), message: /`domains` must list at least one host name/ },
    {
        label: "global region",
        layer: "site",
        input: site({ region: "us-east-1" }),
        message: /`region` must be "cn-north-1" or "cn-northwest-1"/,
    },
    {
        label: "an output where a plain value is needed",
        layer: "site",
        input: site({ contentDir: pulumi.output("./site") }),
        message: /`contentDir` must be a plain value known before the update/,
    },
    {
        label: "zone id without its name",
        layer: "site",
        input: site({ hostedZoneId: "Z0123456789EXAMPLE" }),
        message: /`hostedZoneId` and `hostedZoneName` go together/,
    },
    {
        label: "domain outside the zone",
        layer: "site",
        input: site({ hostedZoneId: "Z0123456789EXAMPLE", hostedZoneName: "example.com" }),
        message: /"www\.example\.cn" is not inside the hosted zone "example\.com" given by `hostedZoneName`/,
    },
    { label: "spa as text", layer: "site", input: site({ spa: "yes" }), message: /`spa` must be true or false \(got "yes"\)$/m },
    { label: "unknown key type", layer: "site", input: site({ keyType: "ed25519" }), message: /`keyType` "ed25519" is not supported/ },
    {
        label: "EAB key id without the HMAC key",
        layer: "site",
        input: site({ acmeEabKeyId: "kid-1" }),
        message: /External Account Binding needs both `acmeEabKeyId` and `acmeEabHmacKey`/,
    },
    {
        label: "ACM certificate ARN",
        layer: "site",
        input: site({ iamCertificateId: "arn:aws-cn:acm:cn-north-1:123456789012:certificate/abc" }),
        message: /`iamCertificateId` must be the IAM ServerCertificateId \("ASCA…"\), not a name or ARN \(got an ARN\)/,
    },
    // The certificate provider's check (the same checks run in preview).
    {
        label: "path outside /cloudfront",
        layer: "provider",
        input: { path: "/certs/" },
        message: /`path` "\/certs\/" must start with "\/cloudfront\/"/,
    },
    {
        label: "renewBeforeDays over any lifetime",
        layer: "provider",
        input: { renewBeforeDays: 200 },
        message: /`renewBeforeDays` 200 must be a number of days in \(0, lifetime\)/,
    },
    { label: "unknown key type", layer: "provider", input: { keyType: "ed25519" }, message: /`keyType` "ed25519" is not supported/ },
    {
        label: "non-https directory",
        layer: "provider",
        input: { acmeDirectoryUrl: "http://ca.example.cn/dir" },
        message: /`acmeDirectoryUrl` must use https/,
    },
    {
        label: "global region for IAM",
        layer: "provider",
        input: { region: "eu-west-1" },
        message: /`region` must be "cn-north-1" or "cn-northwest-1"/,
    },
    {
        label: "name in no hosted zone",
        layer: "provider",
        input: { domains: ["www.nobody-owns-this.cn"], challenge: "dns-01" },
        message:
            /www\.nobody-owns-this\.cn cannot be validated \(dns-01: www\.nobody-owns-this\.cn is in no Route 53 hosted zone of this account and _acme-challenge\.www\.nobody-owns-this\.cn is no CNAME\): add CNAME _acme-challenge\.www\.nobody-owns-this\.cn → .* \(or create its zone in Route 53\)/,
        readsZone: true,
    },
    {
        label: "unknown challenge mode",
        layer: "provider",
        input: { challenge: "http-01" },
        message: /`challenge` "http-01" is not a challenge mode: use "auto" \(default\), "dns-01" or "dns-persist-01"/,
    },
    {
        label: "delegation for a name not on the certificate",
        layer: "provider",
        input: { challengeDelegations: { "shop.example.cn": "_acme-challenge.shop.example.cn.acme.example.net" } },
        message: /`challengeDelegations` names "shop\.example\.cn", which is not on the certificate \(domains: www\.example\.cn\)/,
    },
    {
        label: "delegation target that is no DNS name",
        layer: "provider",
        input: { challengeDelegations: { "www.example.cn": "http://acme.example.net/" } },
        message: /`challengeDelegations` target for "www\.example\.cn" \("http:\/\/acme\.example\.net\/"\) is not a DNS name/,
    },
    {
        label: "unknown AWS profile",
        layer: "provider",
        input: { awsIdentity: { profile: "no-such-profile-anywhere", sharedCredentialsFiles: ["/dev/null"] } },
        message: /`aws:profile` "no-such-profile-anywhere" is in neither \/dev\/null nor .*aws configure --profile/,
    },
    {
        label: "malformed role ARN",
        layer: "provider",
        input: { awsIdentity: { assumeRoles: [{ roleArn: "role/deploy" }] } },
        message: /`aws:assumeRoles\[0\]\.roleArn` "role\/deploy" is not an AWS China role ARN/,
    },
];

describe("bad input: refused before anything is created, with no AWS or ACME request", function () {
    this.timeout(120_000);
    let peers: Peers;
    const goodProviderInputs = () => ({
        domains: ["www.example.cn"],
        acmeDirectoryUrl: peers.pebble.directoryUrl,
        accountUrl: "https://127.0.0.1/acct/1",
        accountKeyPem: "not used by check",
        region: "cn-north-1",
        path: "/cloudfront/bad-input/site/",
        keyType: "rsa-2048",
        // Lookups (CNAMEs, standing records) go to the test DNS server only, never the system's.
        dnsResolvers: [peers.dns.address],
        propagationTimeoutSeconds: 30,
        pollIntervalSeconds: 1,
        deleteConflictTimeoutSeconds: 60,
    });

    before(async () => {
        peers = await usePeers();
    });
    after(() => pulumi.runtime.setAllConfig({}, []));

    it(`the table holds at least 30 cases across all four layers (${CASES.length})`, () => {
        assert.ok(CASES.length >= 30);
        assert.deepEqual([...new Set(CASES.map((c) => c.layer))].sort(), ["component", "provider", "site", "stack"]);
    });

    const cwd = process.cwd();
    for (const c of CASES) {
        it(`${c.layer}: ${c.label}`, async () => {
            const before = { proxy: peers.proxy.seen.length, pebble: fs.readFileSync(peers.pebble.logFile, "utf8").length };
            let registrations = 0;
            let zoneReads = 0;
            const { result: message, connections } = await countConnections(async () => {
                if (c.layer === "provider") {
                    const result = await iamAcmeCertificateProvider.check!({}, { ...goodProviderInputs(), ...c.input });
                    return (result.failures ?? []).map((f) => f.reason).join("\n");
                }
                const mocks = await useOfflineMocks({ zoneName: "example.cn" });
                try {
                    if (c.layer === "stack") {
                        if (c.stackFile !== undefined) {
                            // A project folder of its own: Pulumi.yaml and the stack file (JSON is YAML).
                            const project = fs.mkdtempSync(path.join(os.tmpdir(), "cfcn-bad-stack-"));
                            fs.copyFileSync(path.join(__dirname, "..", "Pulumi.yaml"), path.join(project, "Pulumi.yaml"));
                            fs.writeFileSync(path.join(project, "Pulumi.test.yaml"), c.stackFile);
                            process.chdir(project);
                        }
                        // The program falls back to AWS_REGION like the AWS provider; the peers set it for the SDK.
                        delete process.env.AWS_REGION;
                        const config = Object.fromEntries(
                            Object.entries(c.input)
                                .filter(([, v]) => v !== undefined)
                                .map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
                        );
                        pulumi.runtime.setAllConfig(config, c.secretKeys ?? []);
                        Object.assign(process.env, c.env);
                        // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program is a CommonJS `export =` function
                        await (require("../index") as () => Promise<unknown>)();
                    } else if (c.layer === "site") {
                        pulumi.runtime.setAllConfig({ "aws:region": "cn-north-1" }, []);
                        new ChinaSite("bad", c.input as unknown as ChinaSiteArgs);
                    } else {
                        new ChinaCdn("bad", c.input as unknown as ChinaCdnArgs);
                    }
                    return "";
                } catch (e) {
                    return (e as Error).message;
                } finally {
                    process.chdir(cwd);
                    process.env.AWS_REGION = "cn-north-1";
                    Object.keys(c.env ?? {}).forEach((k) => delete process.env[k]);
                    await new Promise((r) => setTimeout(r, 20));
                    registrations = mocks.registrations.length;
                    zoneReads = mocks.calls.filter((call) => call.token === "aws:route53/getZone:getZone").length;
                }
            });
            assert.match(message, c.message);
            assert.equal(registrations, 0, "nothing was registered");
            assert.equal(fs.readFileSync(peers.pebble.logFile, "utf8").length, before.pebble, "no ACME request");
            const awsRequests = peers.proxy.seen.length - before.proxy;
            if (c.readsZone) {
                assert.ok(awsRequests + zoneReads <= 1, `one zone read at most (${awsRequests} AWS requests, ${zoneReads} zone lookups)`);
            } else {
                assert.equal(awsRequests, 0, "no AWS request");
                assert.equal(connections, 0, "no connection opened");
            }
        });
    }
});
