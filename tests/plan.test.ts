import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EXIT, compatibilityReport, loadStackConfig, plan, registrableDomain, servedNames, sharedAliasProblems } from "../scripts/plan";
import { OfflineAwsChina } from "../scripts/offlineMocks";
import { defaultSchedule } from "../config/deployments";

const root = path.resolve(__dirname, "..");
const fixture = (name: string) => path.join(root, "tests", "fixtures", `Pulumi.${name}.yaml`);

async function runPlan(...argv: string[]): Promise<{ code: number; text: string }> {
    const lines: string[] = [];
    const code = await plan(argv, root, (l) => lines.push(l));
    return { code, text: lines.join("\n") };
}

describe("offline plan (npm run plan)", () => {
    it("`npm run plan -- --stack cn-north-1` evaluates the real program and exits 0", function () {
        this.timeout(120_000);
        const r = spawnSync("npm", ["run", "--silent", "plan", "--", "--stack", "cn-north-1"], {
            cwd: root,
            encoding: "utf8",
            env: { ...process.env, AWS_ACCESS_KEY_ID: "", AWS_PROFILE: "" },
        });
        assert.equal(r.status, EXIT.ok, r.stdout + r.stderr);
        assert.match(r.stdout, /no AWS credentials, no Pulumi CLI, no network/);
        assert.match(r.stdout, /\+ aws:cloudfront\/distribution:Distribution\s+site-cdn/);
        assert.match(r.stdout, /viewerCertificate: iamCertificateId=ASCA[0-9A-F]+, sni-only, TLSv1\.2_2021/);
        assert.match(
            r.stdout,
            /\+ pulumi-nodejs:dynamic\/cloudfront-china:IamAcmeCertificate\s+certificate\n\s+domains: www\.example\.cn, example\.cn; path \/cloudfront\/cloudfront-china\/cn-north-1\/certificate\/; directory https:\/\/acme-staging-v02/,
        );
        assert.match(r.stdout, /PASS {2}certificate-inputs/);
        assert.match(r.stdout, /isIpv6Enabled=false httpVersion=http2 priceClass=PriceClass_All/);
        assert.match(
            r.stdout,
            /origin: cfcn-[0-9a-f]{10}-site-bucket-[0-9a-z]+\.s3\.cn-north-1\.amazonaws\.com\.cn via origin-access-identity\/cloudfront\/E/,
        );
        assert.match(r.stdout, /PASS {2}no-cache-policies/);
        assert.doesNotMatch(r.stdout, /FAIL/);
        assert.match(r.stdout, /Result: compatible with CloudFront in the AWS China regions\./);
        assert.doesNotMatch(r.stderr, /promises were still active/);
    });

    it("an adopting stack: no AWS call offline; the plan says the live distribution is read by `pulumi preview --diff`", function () {
        this.timeout(120_000);
        const r = spawnSync("npm", ["run", "--silent", "plan", "--", "--stack", "adopt", "--config-file", fixture("adopt")], {
            cwd: root,
            encoding: "utf8",
            // No credentials and no endpoint: an AWS call would fail the plan.
            env: { ...process.env, AWS_ACCESS_KEY_ID: "", AWS_PROFILE: "", AWS_ENDPOINT_URL: "http://127.0.0.1:9" },
        });
        assert.equal(r.status, EXIT.ok, r.stdout + r.stderr);
        assert.match(
            r.stdout + r.stderr,
            /`cloudfront-china:adoptDistributionId` E2QWRUHAPOMQZL: not read offline \(no AWS call under mocks\); `pulumi preview --diff` reads it/,
        );
        assert.match(r.stdout, /\+ aws:cloudfront\/distribution:Distribution\s+site-cdn/);
        assert.match(r.stdout, /distributionId: "E2QWRUHAPOMQZL"/, "the adopted distribution keeps its id");
    });

    it("shows which mechanism each name will use and the records to add (DNS hosted elsewhere)", async () => {
        const { code, text } = await runPlan("--stack", "elsewhere", "--config-file", fixture("dns-elsewhere"));
        assert.equal(code, EXIT.ok, text);
        assert.match(text, /challenge auto:/);
        assert.match(
            text,
            /www\.shop\.cn: dns-persist-01 \(TXT _validation-persist\.www\.shop\.cn, in dnsChallengeRecords\) when in place, else dns-01 in the account's Route 53 zone of the name, or through the CNAME found at _acme-challenge/,
        );
        assert.match(
            text,
            /cdn\.example\.cn: .* else dns-01 via CNAME _acme-challenge\.cdn\.example\.cn -> _acme-challenge\.cdn\.example\.cn\.acme\.example\.net \(add it once at the DNS host\)/,
        );
        const records = JSON.parse(/dnsChallengeRecords: (.*)/.exec(text)?.[1] ?? "[]") as Array<Record<string, string>>;
        assert.deepEqual(records, [
            {
                domain: "www.shop.cn",
                name: "_validation-persist.www.shop.cn",
                type: "TXT",
                value: "letsencrypt.org; accounturi=<ACME account URL, known after the first pulumi up>",
            },
            {
                domain: "*.img.shop.cn",
                name: "_validation-persist.img.shop.cn",
                type: "TXT",
                value: "letsencrypt.org; accounturi=<ACME account URL, known after the first pulumi up>; policy=wildcard",
            },
            {
                domain: "cdn.example.cn",
                name: "_validation-persist.cdn.example.cn",
                type: "TXT",
                value: "letsencrypt.org; accounturi=<ACME account URL, known after the first pulumi up>",
            },
            {
                domain: "cdn.example.cn",
                name: "_acme-challenge.cdn.example.cn",
                type: "CNAME",
                value: "_acme-challenge.cdn.example.cn.acme.example.net",
            },
        ]);
    });

    it("dns-persist-01 with the zone in Route 53: the program writes one standing TXT per base name, before the certificate", async () => {
        const { code, text } = await runPlan("--stack", "persist", "--config-file", fixture("dns-persist-route53"));
        assert.equal(code, EXIT.ok, text);
        assert.match(
            text,
            /\+ aws:route53\/record:Record\s+dns-persist-0\n\s+TXT _validation-persist\.www\.example\.cn "letsencrypt\.org; accounturi=<ACME account URL, known after the first pulumi up>" \(zone Z0123456789EXAMPLE, TTL 300\)/,
        );
        assert.match(
            text,
            /\+ aws:route53\/record:Record\s+dns-persist-1\n\s+TXT _validation-persist\.cdn\.example\.cn ".*; policy=wildcard"/,
        );
        assert.match(
            text,
            /www\.example\.cn: dns-persist-01 \(TXT _validation-persist\.www\.example\.cn written by this program in zone Z0123456789EXAMPLE\)/,
        );
        assert.match(text, /dnsChallengeRecords: \[\]/, "nothing to add by hand");
    });

    it("exits 2 with every configuration problem named, from the command line", function () {
        this.timeout(120_000);
        const r = spawnSync("npm", ["run", "--silent", "plan", "--", "--stack", "bad", "--config-file", fixture("bad-domains")], {
            cwd: root,
            encoding: "utf8",
        });
        assert.equal(r.status, EXIT.badInput, r.stdout + r.stderr);
        assert.match(r.stdout, /Configuration errors \(nothing would be created\):/);
        assert.match(r.stdout, /`cloudfront-china:domains` lists "www\.example\.cn" more than once: remove the duplicate/);
        assert.match(r.stdout, /`cloudfront-china:domains\[2\]` "api\.\*\.example\.cn" has a wildcard that is not the leftmost label/);
        assert.doesNotMatch(r.stdout, /Resources \(/);
    });

    it("a secret hosted zone id (legal: `pulumi config set --secret`) is not judged offline, and a list where one address goes is no address", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cfcn-plan-secret-"));
        const file = path.join(dir, "Pulumi.secretzone.yaml");
        const write = (email: string) =>
            fs.writeFileSync(
                file,
                [
                    "config:",
                    "  aws:region: cn-north-1",
                    "  cloudfront-china:domains: [www.secretzone.example.cn]",
                    "  cloudfront-china:hostedZoneId:",
                    "    secure: AAABAJ1vD8yvGdHSsjrGm9LzrgXZwRgyo8IXv5E=",
                    email,
                ].join("\n") + "\n",
            );
        write("  cloudfront-china:acmeEmail: ops@example.cn");
        const ok = await runPlan("--stack", "secretzone", "--config-file", file);
        assert.doesNotMatch(ok.text, /\[secret\].*hosted zone id/);
        assert.equal(ok.code, EXIT.ok, ok.text);
        write("  cloudfront-china:acmeEmail:\n    - ops@example.cn");
        const list = await runPlan("--stack", "secretzone", "--config-file", file);
        assert.equal(list.code, EXIT.badInput);
        assert.match(list.text, /`cloudfront-china:acmeEmail` .*(is not an email address|must be a string)/);
    });

    it("refuses a global region, naming the aws-cn partition", async () => {
        const r = await runPlan("--stack", "x", "--config-file", fixture("bad-region"));
        assert.equal(r.code, EXIT.badInput);
        assert.match(
            r.text,
            /`aws:region` must be "cn-north-1" or "cn-northwest-1" \(got "us-east-1"\): this program targets the aws-cn partition/,
        );
    });

    it("refuses an alias outside the hosted zone (zone name given, or assumed from the primary domain)", async () => {
        let r = await runPlan("--stack", "x", "--config-file", fixture("zone-mismatch"));
        assert.equal(r.code, EXIT.badInput);
        assert.match(r.text, /Assumed hosted zone name "example\.cn"/);
        assert.match(
            r.text,
            /"static\.example\.com\.cn" is not inside the hosted zone "example\.cn" given by `cloudfront-china:hostedZoneId`/,
        );
        r = await runPlan("--stack", "x", "--config-file", fixture("zone-mismatch"), "--hosted-zone-name", "cn");
        assert.equal(r.code, EXIT.ok, r.text);
    });

    it("plans a minimal stack without records, logs or content, and tolerates encrypted values", async () => {
        const r = await runPlan("--stack", "minimal", "--config-file", fixture("minimal"));
        assert.equal(r.code, EXIT.ok, r.text);
        assert.match(r.text, /aws:region cn-northwest-1/);
        assert.match(r.text, /Resources \(8\):/);
        assert.doesNotMatch(r.text, /route53|SiteContent|logging:/);
        assert.deepEqual(loadStackConfig(root, fixture("minimal")).secretKeys, ["cloudfront-china:acmeEabHmacKey"]);
    });

    it("plans the renewal schedule from a stack whose deployments credentials are encrypted (--path --secret)", async () => {
        const r = await runPlan("--stack", "prod", "--config-file", fixture("deployments"), "--organization", "acme");
        assert.equal(r.code, EXIT.ok, r.text);
        assert.deepEqual(loadStackConfig(root, fixture("deployments")).secretKeys, ["cloudfront-china:deployments"]);
        assert.match(
            r.text,
            /\+ pulumiservice:index:DeploymentSettings\s+renewal-settings\n\s+git https:\/\/github\.com\/acme\/site\.git refs\/heads\/main/,
        );
        assert.match(r.text, /pre-run: npm ci --ignore-scripts; env: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY \(secret\)/);
        assert.ok(r.text.includes(`update at cron "${defaultSchedule("acme", "cloudfront-china", "prod")}" (UTC)`), r.text);
        assert.match(r.text, /slack webhook on deployment_failed, update_failed, drift_detected/);
        assert.doesNotMatch(r.text, /AAAAAAAA|BBBBBBBB|CCCCCCCC/, "encrypted values are never shown");
        const guessed = await runPlan("--stack", "prod", "--config-file", fixture("deployments"));
        assert.match(guessed.text, /Assumed Pulumi organization "organization" for the default renewal schedule/);
    });

    it("plans the in-account watch: the Lambda, its schedule, the alarms and the subscriptions", async () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cfcn-plan-")), "Pulumi.watch.yaml");
        fs.writeFileSync(file, fs.readFileSync(fixture("minimal"), "utf8") + '  cloudfront-china:watch:\n    emails: ["ops@example.cn"]\n');
        const r = await runPlan("--stack", "watch", "--config-file", file);
        assert.equal(r.code, EXIT.ok, r.text);
        assert.match(r.text, /\+ aws:lambda\/function:Function\s+watch-function\n\s+runtime nodejs22\.x, 128 MB, handler index\.handler/);
        assert.match(r.text, /schedule rate\(1 hour\)/);
        assert.match(r.text, /ExpiryOk < 1 for 2 x 3600 s, missing data breaching/);
        assert.match(r.text, /email ops@example\.cn/);
    });

    it("exits 2 on usage errors", async () => {
        assert.equal((await runPlan("--stack")).code, EXIT.badInput);
        assert.equal((await runPlan("--stack", "nope")).code, EXIT.badInput);
        assert.equal((await runPlan("--bogus", "1")).code, EXIT.badInput);
    });

    it("--help prints the usage and every option, and exits 0", async () => {
        const { code, text } = await runPlan("--help");
        assert.equal(code, EXIT.ok);
        for (const option of ["--stack", "--config-file", "--hosted-zone-name", "--organization"]) {
            assert.match(text, new RegExp(`^  ${option} `, "m"), option);
        }
        assert.match(text, /Exit codes: 0 compatible, 1 a China rule is violated, 2 bad configuration or usage\./);
    });

    it("refuses a stack whose domains another stack file of the project serves (CNAMEAlreadyExists), naming both", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cfcn-aliases-"));
        const stack = (domains: string[]) => `config:\n  aws:region: cn-north-1\n  cloudfront-china:domains: ${JSON.stringify(domains)}\n`;
        fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), stack(["www.example.cn", "example.cn"]));
        fs.writeFileSync(path.join(dir, "Pulumi.staging.yaml"), stack(["staging.example.cn", "example.cn"]));
        assert.deepEqual(
            sharedAliasProblems(dir, path.join(dir, "Pulumi.staging.yaml"), "cloudfront-china", ["staging.example.cn", "example.cn"]),
            [
                "`cloudfront-china:domains`: example.cn is also served by stack prod (Pulumi.prod.yaml): two distributions cannot share an alias " +
                    "(CloudFront answers CNAMEAlreadyExists). Give this stack its own names: `pulumi config rm cloudfront-china:domains`, then " +
                    "`pulumi config set --path 'cloudfront-china:domains[0]' <name>`",
            ],
        );
        assert.deepEqual(sharedAliasProblems(dir, path.join(dir, "Pulumi.staging.yaml"), "cloudfront-china", ["staging.example.cn"]), []);
        // Further sites' names count, on either side (docs/sites.md).
        fs.writeFileSync(
            path.join(dir, "Pulumi.prod.yaml"),
            stack(["www.example.cn"]) + "  cloudfront-china:sites:\n    - name: blog\n      domains: [blog.example.cn]\n",
        );
        const staging = {
            "cloudfront-china:domains": '["staging.example.cn"]',
            "cloudfront-china:sites": [{ name: "b", domains: ["blog.example.cn"] }],
        };
        assert.deepEqual(
            sharedAliasProblems(dir, path.join(dir, "Pulumi.staging.yaml"), "cloudfront-china", servedNames(staging, "cloudfront-china")),
            [
                "`cloudfront-china:sites[0].domains`: blog.example.cn is also served by stack prod (Pulumi.prod.yaml): two distributions cannot share an alias " +
                    "(CloudFront answers CNAMEAlreadyExists). Give this stack its own names: `pulumi config rm --path 'cloudfront-china:sites[0].domains'`, then " +
                    "`pulumi config set --path 'cloudfront-china:sites[0].domains[0]' <name>`",
            ],
        );
        // A --config-file outside the project's stack files has no neighbours to compare with.
        assert.deepEqual(sharedAliasProblems(dir, path.join(os.tmpdir(), "Pulumi.other.yaml"), "cloudfront-china", ["example.cn"]), []);
    });

    it("merges Pulumi.yaml defaults under the stack's values, as the CLI does", () => {
        const { config } = loadStackConfig(root, fixture("minimal"));
        assert.equal(config["cloudfront-china:spa"], "false");
        assert.equal(config["cloudfront-china:defaultRootObject"], "index.html");
        assert.equal(config["cloudfront-china:domains"], '["shop.example.com.cn"]');
    });

    it("a stack file anywhere (--config-file) is read field by field: a plaintext credential beside an encrypted one is refused offline too", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cfcn-plan-fields-"));
        const file = path.join(dir, "Pulumi.fields.yaml");
        const stackWith = (deployments: string[]) =>
            fs.writeFileSync(
                file,
                [
                    "config:",
                    "  aws:region: cn-north-1",
                    "  cloudfront-china:domains: [www.fields.example.cn]",
                    "  cloudfront-china:acmeEmail: ops@example.cn",
                    "  cloudfront-china:deployments:",
                    "    repoUrl: https://github.com/acme/site.git",
                    "    awsAccessKeyId:",
                    "      secure: AAABAJ1vD8yvGdHSsjrGm9LzrgXZwRgyo8IXv5E=",
                    ...deployments,
                ].join("\n") + "\n",
            );
        const secure = "\n      secure: AAABAJ1vD8yvGdHSsjrGm9LzrgXZwRgyo8IXv5E=";
        for (const [field, plaintext, encrypted] of [
            ["awsSecretAccessKey", ["    awsSecretAccessKey: plaintext"], [`    awsSecretAccessKey:${secure}`]],
            [
                "gitToken",
                [`    awsSecretAccessKey:${secure}`, "    gitToken: ghp_plaintext"],
                [`    awsSecretAccessKey:${secure}`, `    gitToken:${secure}`],
            ],
            [
                "notify.url",
                [`    awsSecretAccessKey:${secure}`, "    notify:", "      url: https://hooks.slack.com/services/T/B/x"],
                [`    awsSecretAccessKey:${secure}`, "    notify:", `      url:${secure.replace(/\n {6}/, "\n        ")}`],
            ],
        ] as const) {
            stackWith([...plaintext]);
            const refused = await runPlan("--stack", "fields", "--config-file", file);
            assert.equal(refused.code, EXIT.badInput, refused.text);
            assert.match(
                refused.text,
                new RegExp(`\`cloudfront-china:deployments\\.${field.replace(".", "\\.")}\` (is|are) in plain text`),
            );
            stackWith([...encrypted]);
            const accepted = await runPlan("--stack", "fields", "--config-file", file);
            assert.doesNotMatch(accepted.text, /in plain text/, accepted.text);
        }
    });

    it("a first up's orders against the CA's and IAM's limits: counted per registered domain and per account, a warning past them", () => {
        const report = (n: number, domainOf: (i: number) => string, directory = "https://acme-v02.api.letsencrypt.org/directory") => {
            const mocks = new OfflineAwsChina({ region: "cn-north-1" });
            for (let i = 0; i < n; i++) {
                mocks.registrations.push({
                    type: "pulumi-nodejs:dynamic/cloudfront-china:IamAcmeCertificate",
                    name: i === 0 ? "certificate" : `site-s${i}-certificate`,
                    id: `c${i}`,
                    inputs: { domains: [domainOf(i)], acmeDirectoryUrl: directory, path: "/cloudfront/p/s/certificate/" },
                    state: {},
                } as unknown as (typeof mocks.registrations)[number]);
            }
            return compatibilityReport(mocks).lines.join("\n");
        };
        const one = report(1, () => "www.example.cn");
        assert.match(one, /PASS {2}ca-and-iam-limits +a first up orders 1 certificate\(s\), 1 under example\.cn/);
        const sixty = report(60, (i) => `s${i}.example.com.cn`);
        assert.match(sixty, /WARN {2}ca-and-iam-limits +a first up orders 60 certificate\(s\), 60 under example\.com\.cn/);
        assert.match(
            sixty,
            /60 sites issue certificates with names under example\.com\.cn: Let's Encrypt issues at most 50 new certificates per registered domain in 7 days/,
        );
        assert.match(sixty, /uploads 60 server certificates to IAM, whose quota is 20 per account by default/);
        const spread = report(301, (i) => `www.site${i}.cn`);
        assert.match(
            spread,
            /301 sites issue certificates with one ACME account: Let's Encrypt takes at most 300 new orders per account in 3 hours/,
        );
        assert.doesNotMatch(spread, /per registered domain in 7 days/, "one certificate per registered domain");
        // Another CA's limits are its own: only IAM's quota is judged.
        assert.doesNotMatch(
            report(60, (i) => `s${i}.example.cn`, "https://acme.zerossl.com/v2/DV90"),
            /Let's Encrypt (issues|takes)/,
        );
        console.log(`      planned orders: 1 site ${one.includes("PASS  ca-and") ? "PASS" : "WARN"}, 60 sites WARN, 301 sites WARN`);
    });

    it("guesses a zone as the registrable domain", () => {
        assert.equal(registrableDomain("www.example.cn"), "example.cn");
        assert.equal(registrableDomain("*.shop.example.com.cn"), "example.com.cn");
    });

    it("the report fails (exit 1 path) on a registered distribution that breaks a China rule", () => {
        const mocks = new OfflineAwsChina({ region: "cn-north-1" });
        mocks.registrations.push({
            type: "aws:cloudfront/distribution:Distribution",
            name: "global-style",
            id: "E1",
            state: {},
            inputs: {
                aliases: ["a.example.cn"],
                isIpv6Enabled: true,
                defaultCacheBehavior: { cachePolicyId: "x", viewerProtocolPolicy: "allow-all" },
                viewerCertificate: { cloudfrontDefaultCertificate: true },
            },
        });
        const { lines, violations } = compatibilityReport(mocks);
        assert.ok(violations.some((v) => v.rule === "ipv6-disabled"));
        assert.ok(violations.some((v) => v.rule === "no-cache-policies"));
        assert.ok(lines.some((l) => /FAIL {2}iam-certificate-only/.test(l)));
        assert.deepEqual(
            compatibilityReport(new OfflineAwsChina({ region: "cn-north-1" })).violations.map((v) => v.rule),
            ["distribution-present"],
        );
    });
});
