/**
 * "Is it healthy?": the live check (watch/liveCheck.ts) through `npm run status` and through the
 * watch's Lambda handler, against real peers: moto (CloudFront, IAM, CloudWatch) behind the fault
 * proxy (which fills AliasICPRecordals: moto never does), and a TLS server on 127.0.0.1 standing in
 * for the edge, serving Pebble-issued certificates per SNI name. Every check runs in a fresh process
 * whose NODE_EXTRA_CA_CERTS trusts Pebble's root (TLS verification stays on).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    CloudFrontClient,
    CreateDistributionCommand,
    DeleteDistributionCommand,
    GetDistributionConfigCommand,
} from "@aws-sdk/client-cloudfront";
import { CloudWatchClient, GetMetricStatisticsCommand, ListMetricsCommand } from "@aws-sdk/client-cloudwatch";
import {
    DeleteServerCertificateCommand,
    GetServerCertificateCommand,
    IAMClient,
    ListServerCertificatesCommand,
    UploadServerCertificateCommand,
} from "@aws-sdk/client-iam";
import { acmeAccountProvider } from "../providers/acmeAccount";
import type { CertificateInputs } from "../core/certificate";
import { iamAcmeCertificateProvider as provider } from "../providers/iamAcmeCertificate";
import { lambdaCode } from "../components/certificateWatch";
import type { CheckReport } from "../watch/liveCheck";
import { judgeAlias, probeTls, warnThresholdDays } from "../watch/liveCheck";
import { cleanup, keptBecause, stackReferences } from "../scripts/cleanup";
import { parseStatusArgs } from "../scripts/status";
import { testDistributionConfig } from "./engine/program/testDistribution";
import { ENGINE_PROGRAM, Run as EngineRun, configureStack, engineEnv, runPulumi, stackCli } from "./support/engine";
import { certificateInputs, createZone, Peers, usePeers } from "./support/fixture";
import { SniServer, distributionRewrite, freePort, runNode, startSniServer, tempDir, trustPebbleRoots } from "./support/peers";

const root = path.resolve(__dirname, "..");

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- provider results are untyped (dynamic provider contract)
type Outs = Record<string, any>;

describe("cleanup: which certificates under the stack's path are leftovers (pure)", () => {
    const none = stackReferences({}, undefined);
    it("keeps what a distribution serves, the stack's certificate, and anything uploaded within the minimum age", () => {
        const now = Date.parse("2027-01-10T00:00:00Z");
        const listed = (id: string, uploaded?: string) => ({ name: `n-${id}`, id, uploaded });
        const old = "2027-01-09T22:00:00Z";
        assert.equal(keptBecause(listed("ASCA1", old), new Set(["ASCA1"]), none, now), "served by a distribution");
        assert.match(
            keptBecause(listed("ASCA2", old), new Set(), stackReferences({ certificateId: "ASCA2" }, undefined), now) ?? "",
            /a certificate of the stack/,
        );
        assert.match(keptBecause(listed("ASCA3", "2027-01-09T23:30:00Z"), new Set(), none, now) ?? "", /uploaded less than 1 hour/);
        assert.match(keptBecause(listed("ASCA4"), new Set(), none, now) ?? "", /uploaded less than/, "no upload date: kept");
        assert.equal(keptBecause(listed("ASCA5", old), new Set(), none, now), undefined);
        assert.equal(keptBecause(listed("ASCA6", "2027-01-09T23:30:00Z"), new Set(), none, now, 0), undefined);
    });

    it("keeps every site's certificate, what the state holds, and an interrupted up's fresh upload, even at --min-age-hours 0", () => {
        const now = Date.parse("2027-01-10T00:00:00Z");
        const old = "2027-01-01T00:00:00Z";
        const references = stackReferences(
            { certificateId: "ASCAFIRST", sites: { blog: { certificateId: "ASCABLOG" }, shop: {} } },
            {
                deployment: {
                    resources: [
                        {
                            type: "pulumi-nodejs:dynamic/cloudfront-china:IamAcmeCertificate",
                            id: "www.shop.example.cn-20270401-abc",
                            outputs: { serverCertificateId: "ASCASHOP" },
                        },
                    ],
                    pending_operations: [
                        {
                            type: "creating",
                            resource: {
                                type: "pulumi-nodejs:dynamic/cloudfront-china:IamAcmeCertificate",
                                inputs: { path: "/cloudfront/prod/site-shop-certificate/" },
                            },
                        },
                    ],
                },
            },
        );
        const at = (name: string, id: string, path = "/cloudfront/prod/certificate/") => ({ name, id, path, uploaded: old });
        assert.match(
            keptBecause(at("blog", "ASCABLOG"), new Set(), references, now, 0) ?? "",
            /a certificate of the stack/,
            "a further site's",
        );
        assert.match(
            keptBecause(at("www.shop.example.cn-20270401-abc", "ASCAX"), new Set(), references, now, 0) ?? "",
            /a certificate of the stack/,
        );
        assert.match(
            keptBecause(at("fresh", "ASCAFRESH", "/cloudfront/prod/site-shop-certificate/"), new Set(), references, now, 0) ?? "",
            /an upload of an interrupted `pulumi up`/,
        );
        assert.equal(keptBecause(at("leftover", "ASCAOLD"), new Set(), references, now, 0), undefined);
    });

    it("refuses an empty, non-numeric, negative or infinite --min-age-hours, and --yes with outputs but no state, before any AWS call", async () => {
        for (const bad of ["", "abc", "-1", "1e309", "Infinity"]) {
            const lines: string[] = [];
            assert.equal(await cleanup(["--stack", "prod", "--min-age-hours", bad], root, (l) => lines.push(l)), 3, bad);
            assert.match(lines.join("\n"), /--min-age-hours takes a number of hours/, bad);
        }
        const lines: string[] = [];
        assert.equal(await cleanup(["--stack", "prod", "--outputs-file", "o.json", "--yes"], root, (l) => lines.push(l)), 3);
        assert.match(lines.join("\n"), /--yes deletes only what the stack's state does not reference: pass --state-file/);
    });
});

describe("npm run status flags: refused before any AWS call, one line naming the flag", () => {
    it("an empty, infinite, negative or too large number, and an --html that is a folder or in a missing folder", () => {
        const refused = (...flags: string[]) => {
            try {
                parseStatusArgs(["--stack", "prod", ...flags], root);
            } catch (e) {
                return (e as Error).message;
            }
            return "accepted";
        };
        for (const [flag, bad] of [
            ["--warn-days", ""],
            ["--warn-days", "1e309"],
            ["--warn-days", "-3"],
            ["--warn-days", "99999"],
            ["--aws-timeout-seconds", "abc"],
            ["--aws-timeout-seconds", "3000000"],
            ["--iam-quota", "Infinity"],
        ]) {
            assert.match(
                refused(flag, bad),
                new RegExp(`^${flag} must be .*, at most \\d+ \\(got ${JSON.stringify(bad).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\)$`),
                `${flag} ${bad}`,
            );
        }
        assert.equal(refused("--aws-timeout-seconds", "3", "--warn-days", "7.5"), "accepted");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cfcn-html-"));
        assert.match(refused("--html", dir), /--html .* is a folder: give a file name/);
        assert.match(refused("--html", path.join(dir, "missing", "fleet.html")), /the folder .*missing does not exist/);
        assert.equal(refused("--html", path.join(dir, "fleet.html")), "accepted");
    });
});

describe("warning threshold (pure)", () => {
    it("scales with the certificate's lifetime, below the renewal point, at least 7 days where a third allows", () => {
        assert.deepEqual(
            [90, 64, 45, 160 / 24].map((d) => Math.round(warnThresholdDays(d) * 100) / 100),
            [22.5, 16, 11.25, 2.22],
        );
        for (const lifetime of [90, 64, 45, 160 / 24, 1]) {
            assert.ok(warnThresholdDays(lifetime) < lifetime / 3 + 1e-9, "renewal (a third left) comes before the warning");
        }
    });

    it("judges ICP, expiry and staleness from the facts", () => {
        const served = {
            serialNumber: "AB",
            notBefore: "2026-11-01T00:00:00.000Z",
            notAfter: "2027-01-30T00:00:00.000Z",
            issuer: "x",
            subjectAltName: "DNS:a.cn",
            coversAlias: true,
            chainVerified: true,
        };
        const facts = {
            icp: new Map([["a.cn", "APPROVED"]]),
            attached: { id: "ASCA1", name: "n", serialNumber: "AB" },
            distribution: { id: "E1", status: "Deployed" },
        };
        const now = Date.parse("2026-12-01T00:00:00Z");
        assert.equal(judgeAlias("a.cn", { served }, facts, {}, now).verdict, "ok");
        assert.equal(judgeAlias("a.cn", { served }, facts, {}, Date.parse("2027-01-10T00:00:00Z")).verdict, "warn", "20 days left of 90");
        assert.equal(judgeAlias("a.cn", { served }, { ...facts, icp: new Map([["a.cn", "SUSPENDED"]]) }, {}, now).verdict, "fail");
        const stale = judgeAlias("a.cn", { served }, { ...facts, attached: { ...facts.attached, serialNumber: "CD" } }, {}, now);
        assert.equal(stale.verdict, "warn");
        assert.match(stale.reasons[0], /stale: the edge serves serial AB/);
    });
});

describe("live check against moto and a local TLS edge", function () {
    this.timeout(240_000);
    let peers: Peers;
    let edge: SniServer;
    let trusted: string;
    let dir: string;
    let zone: { id: string; name: string };
    let account: { accountUrl: string; accountKeyPem: string };
    const certs: Record<string, Outs> = {};
    const names = (...labels: string[]) => labels.map((l) => (l === "*" ? `*.${zone.name}` : `${l}.${zone.name}`));
    const STACK = "watch";

    const inputs = (domains: string[], extra: Partial<CertificateInputs> = {}): CertificateInputs =>
        certificateInputs(peers, account, domains, { path: `/cloudfront/cloudfront-china/${STACK}/site/`, ...extra });
    const issue = async (label: string, domains: string[], extra: Partial<CertificateInputs> = {}) =>
        (certs[label] = (await provider.create(inputs(domains, extra))).outs as Outs);
    const pair = (c: Outs) => ({ cert: `${c.certificatePem}${c.chainPem}`, key: c.privateKeyPem as string });

    const created: string[] = [];
    /** A distribution for `aliases`; the one an earlier test made goes first (an alias belongs to one distribution). */
    async function distribution(aliases: string[], certificateId: string): Promise<string> {
        const cloudfront = new CloudFrontClient({ region: "cn-north-1" });
        for (const id of created.splice(0)) {
            const { ETag } = await cloudfront.send(new GetDistributionConfigCommand({ Id: id }));
            await cloudfront.send(new DeleteDistributionCommand({ Id: id, IfMatch: ETag }));
        }
        const out = await cloudfront.send(
            new CreateDistributionCommand({ DistributionConfig: testDistributionConfig(aliases, certificateId) }),
        );
        created.push(out.Distribution?.Id ?? "");
        return out.Distribution?.Id ?? "";
    }

    /** `npm run status` in a fresh process, on an outputs file, every alias pointed at the local edge. */
    async function status(
        outputs: Record<string, unknown>,
        extra: string[] = [],
    ): Promise<Awaited<ReturnType<typeof runNode>> & { report?: CheckReport }> {
        const file = path.join(dir, `outputs-${Math.random().toString(36).slice(2)}.json`);
        fs.writeFileSync(file, JSON.stringify(outputs));
        // moto is shared by every suite of the run, which leave certificates in it: a quota no run reaches,
        // unless a test passes its own.
        const quota = extra.includes("--iam-quota") ? [] : ["--iam-quota", "10000"];
        const connect = names("ok", "stale", "name", "expiring", "expired", "suspended", "pending").flatMap((a) => [
            "--connect",
            `${a}=${edge.address}`,
        ]);
        const r = await runNode(
            [
                "-r",
                "ts-node/register/transpile-only",
                "scripts/status.ts",
                "--stack",
                STACK,
                "--outputs-file",
                file,
                ...connect,
                ...quota,
                ...extra,
            ],
            // The region the stack would have in its aws:region (the status command reads it from there, else AWS_REGION).
            { NODE_EXTRA_CA_CERTS: trusted, AWS_REGION: "cn-north-1" },
        );
        const report = extra.includes("--json") && r.stdout.trim().startsWith("{") ? (JSON.parse(r.stdout) as CheckReport) : undefined;
        return { ...r, report };
    }

    before(async () => {
        peers = await usePeers();
        edge = await startSniServer();
        dir = tempDir("cfcn-watch-");
        trusted = await trustPebbleRoots(peers.pebble, dir);
        zone = await createZone("example.cn");
        account = (await acmeAccountProvider.create({ directoryUrl: peers.pebble.directoryUrl })).outs;
        // The certificate the distribution has (90 days), and what the edge serves instead for some names.
        await issue("attached", names("ok", "stale", "name", "refused", "expiring", "expired", "suspended", "pending", "*"));
        await issue("expired", names("expired"), { profile: "shortlived" });
        await issue("old", names("stale"));
        await issue("elsewhere", names("elsewhere"));
        for (const alias of names("ok", "suspended", "pending")) {
            edge.serving.set(alias, pair(certs.attached));
        }
        edge.serving.set(names("stale")[0], pair(certs.old));
        edge.serving.set(names("name")[0], pair(certs.elsewhere));
        edge.serving.set(names("expired")[0], pair(certs.expired));
    });

    after(() => {
        edge?.stop();
        peers.proxy.rewrites.length = 0;
    });

    afterEach(() => {
        peers.proxy.rewrites.length = 0;
    });

    it("one row per alias: ok, stale, name not covered, refused, expiring, expired, ICP SUSPENDED and PENDING, wildcard (exit 2)", async () => {
        const aliases = names("ok", "stale", "name", "refused", "expiring", "expired", "suspended", "pending", "*");
        const id = await distribution(aliases, certs.attached.serverCertificateId);
        peers.proxy.rewrites.push({
            match: /^GET \/2020-05-31\/distribution\/[^/]+$/,
            transform: distributionRewrite({ [names("suspended")[0]]: "SUSPENDED", [names("pending")[0]]: "PENDING" }),
        });
        const wait = Date.parse(certs.expired.notAfter) - Date.now();
        if (wait > 0) {
            await new Promise((r) => setTimeout(r, wait + 1000));
        }
        // Expiring: a 12-second certificate, issued now so that it is still valid when the check runs.
        await issue("expiring", names("expiring"), { profile: "shortlived" });
        edge.serving.set(names("expiring")[0], pair(certs.expiring));
        const refusedPort = await freePort();
        const r = await status(
            { distributionId: id, certificateId: certs.attached.serverCertificateId, certificateRenewAfter: certs.attached.renewAfter },
            ["--json", "--warn-days", "30", "--connect", `${names("refused")[0]}=127.0.0.1:${refusedPort}`],
        );
        assert.equal(r.status, 2, r.stdout + r.stderr);
        const report = r.report!;
        const byAlias = Object.fromEntries(report.aliases.map((a) => [a.alias.split(".")[0], a]));
        const verdicts = Object.fromEntries(Object.entries(byAlias).map(([k, a]) => [k, a.verdict]));
        assert.deepEqual(verdicts, {
            ok: "ok",
            stale: "warn",
            name: "fail",
            refused: "fail",
            expiring: "warn",
            expired: "fail",
            suspended: "fail",
            pending: "warn",
            "*": "ok",
        });
        assert.equal(byAlias.ok.servesAttached, true);
        assert.equal(byAlias.ok.icp, "APPROVED");
        assert.ok(byAlias.ok.daysLeft! > 89 && byAlias.ok.daysLeft! <= 90, String(byAlias.ok.daysLeft));
        assert.equal(byAlias.ok.renewAfter, certs.attached.renewAfter);
        assert.equal(byAlias.ok.served?.serialNumber, certs.attached.serialNumber.toUpperCase().replace(/^0+/, ""));
        assert.match(byAlias.stale.reasons.join(), /stale: the edge serves serial .*, the distribution has /);
        assert.equal(byAlias.name.served?.coversAlias, false);
        assert.match(byAlias.name.reasons.join(), /does not cover name\./);
        assert.match(byAlias.refused.reasons.join(), /ECONNREFUSED/);
        assert.match(byAlias.expiring.reasons.join(), /days left \(warning at 30\): is renewal running\?/);
        assert.match(byAlias.expired.reasons.join(), /the served certificate has expired \(CERT_HAS_EXPIRED/);
        assert.match(byAlias.suspended.reasons.join(), /ICP recordal SUSPENDED: CloudFront does not serve this alias/);
        assert.match(byAlias.pending.reasons.join(), /ICP recordal PENDING/);
        assert.equal(byAlias["*"].probed, false);
        assert.equal(report.attached?.expected, true);
        assert.equal(report.attached?.name, certs.attached.name);
        assert.equal(report.certificatesUnderPath, 5, "the certificates this test uploaded under /cloudfront/cloudfront-china/watch/");
        assert.ok(report.certificatesInAccount! >= 5, "the quota counts every certificate of the account");
        assert.doesNotMatch(r.stdout + r.stderr, /PRIVATE KEY/);
    });

    it("a stack with further sites (docs/sites.md): each site checked, labelled <stack>/<name>; another site's certificate is no leftover", async () => {
        const id = await distribution(names("ok"), certs.attached.serverCertificateId);
        const [blog] = names("elsewhere");
        const more = await new CloudFrontClient({ region: "cn-north-1" }).send(
            new CreateDistributionCommand({ DistributionConfig: testDistributionConfig([blog], certs.elsewhere.serverCertificateId) }),
        );
        created.push(more.Distribution!.Id!);
        edge.serving.set(blog, pair(certs.elsewhere));
        peers.proxy.rewrites.push({ match: /^GET \/2020-05-31\/distribution\/[^/]+$/, transform: distributionRewrite({}) });
        const outputs = {
            distributionId: id,
            certificateId: certs.attached.serverCertificateId,
            sites: { blog: { distributionId: more.Distribution!.Id!, certificateId: certs.elsewhere.serverCertificateId } },
        };
        const connect = ["--connect", `${blog}=${edge.address}`];
        const json = await status(outputs, ["--json", ...connect]);
        assert.equal(json.status, 0, json.stdout + json.stderr);
        const sites = JSON.parse(json.stdout) as Array<{ stack: string; report: CheckReport }>;
        assert.deepEqual(
            sites.map((s) => [s.stack, s.report.distribution.id, s.report.aliases.map((a) => a.alias), s.report.verdict]),
            [
                [STACK, id, names("ok"), "ok"],
                [`${STACK}/blog`, more.Distribution!.Id!, [blog], "ok"],
            ],
        );
        const leftovers = sites[0].report.unservedUnderPath!.map((c) => c.id);
        assert.ok(leftovers.length > 0, "the certificates the other tests left are listed");
        assert.ok(!leftovers.includes(certs.elsewhere.serverCertificateId), "the blog serves it: no leftover");
        assert.deepEqual(sites[1].report.unservedUnderPath, [], "listed once, with the first site");
        const text = await status(outputs, connect);
        assert.match(text.stdout, new RegExp(`^${STACK}/blog\\s+${blog.replace(/\./g, "\\.")}\\s`, "m"), text.stdout);
        assert.match(text.stdout, /^2 site\(s\): 2 ok, 0 warn, 0 fail, 0 could not be checked$/m);
    });

    it("healthy: exit 0 with a table; ICP PENDING: exit 1; the stack expecting another certificate: a warning", async () => {
        const id = await distribution(names("ok"), certs.attached.serverCertificateId);
        const icp: Record<string, string> = {};
        peers.proxy.rewrites.push({ match: /^GET \/2020-05-31\/distribution\/[^/]+$/, transform: (b) => distributionRewrite(icp)(b) });
        const healthy = await status({ distributionId: id, certificateId: certs.attached.serverCertificateId });
        assert.equal(healthy.status, 0, healthy.stdout + healthy.stderr);
        const [header, row] = healthy.stdout.split("\n");
        assert.match(header, /^alias\s+ICP\s+served serial\s+issuer\s+attached\?\s+days left\s+renews from\s+verdict$/);
        assert.match(
            row,
            new RegExp(
                `^ok\\.${zone.name.replace(/\./g, "\\.")}\\s+APPROVED\\s+[0-9A-F]+\\s+Pebble Intermediate CA [0-9a-f]+\\s+yes\\s+(89|90)\\.\\d\\s+-\\s+OK$`,
            ),
        );
        assert.match(healthy.stdout, /^OK: distribution \w+ Deployed, certificate .* 1 alias\(es\) checked/m);

        icp[names("ok")[0]] = "PENDING";
        assert.equal((await status({ distributionId: id })).status, 1);
        delete icp[names("ok")[0]];
        const drift = await status({ distributionId: id, certificateId: certs.old.serverCertificateId }, ["--json"]);
        assert.equal(drift.status, 1);
        assert.match(drift.report!.reasons.join(), /the distribution serves .*, the stack expects /);
    });

    it("a distribution InProgress for longer than the bound is reported; could not check exits 3 with the reason", async () => {
        const id = await distribution(names("ok"), certs.attached.serverCertificateId);
        peers.proxy.rewrites.push({
            match: /^GET \/2020-05-31\/distribution\/[^/]+$/,
            transform: distributionRewrite({}, { value: "InProgress", since: new Date(Date.now() - 2 * 3600_000) }),
        });
        const stuck = await status({ distributionId: id }, ["--json"]);
        assert.equal(stuck.status, 1, stuck.stdout + stuck.stderr);
        assert.match(stuck.report!.reasons.join(), /distribution InProgress for 120 minutes \(more than 60\)/);

        const full = await status({ distributionId: id }, ["--json", "--iam-quota", "3"]);
        assert.match(
            full.report!.reasons.join(),
            /IAM server certificates in the account \(\d+ under \/cloudfront\/cloudfront-china\/watch\/\): the quota is 3 and renewal needs a free slot/,
        );
        const missing = await status({ distributionId: "E0NOSUCHDIST" });
        assert.equal(missing.status, 3);
        assert.match(missing.stdout, /^COULD NOT CHECK: cannot read the distribution or IAM \(NoSuchDistribution/m);
        const noOutputs = await status({});
        assert.equal(noOutputs.status, 3);
        assert.match(noOutputs.stdout, /has no distributionId output: has it been deployed/);
    });

    it("no network (AWS unreachable): exit 3 with the reason, no stack trace, no unhandled rejection", async () => {
        const file = path.join(dir, "outputs-offline.json");
        fs.writeFileSync(file, JSON.stringify({ distributionId: "E0OFFLINE" }));
        const closed = `http://127.0.0.1:${await freePort()}`;
        const r = await runNode(["-r", "ts-node/register/transpile-only", "scripts/status.ts", "--stack", STACK, "--outputs-file", file], {
            AWS_ENDPOINT_URL: closed,
            AWS_REGION: "cn-north-1",
            AWS_MAX_ATTEMPTS: "1",
        });
        assert.equal(r.status, 3, r.stdout + r.stderr);
        assert.match(r.stdout, /^COULD NOT CHECK: cannot read the distribution or IAM \(.*ECONNREFUSED/m);
        assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    });

    it("an AWS endpoint that accepts and never answers: exit 3 within the bound, naming the calls still waiting", async function () {
        this.timeout(90_000);
        const net = await import("node:net");
        const silent = net.createServer(() => undefined); // accepts, never answers
        const port = await freePort();
        await new Promise<void>((resolve) => silent.listen(port, "127.0.0.1", resolve));
        try {
            const file = path.join(dir, "outputs-silent.json");
            fs.writeFileSync(file, JSON.stringify({ distributionId: "E0SILENT" }));
            const started = Date.now();
            const r = await runNode(
                [
                    "-r",
                    "ts-node/register/transpile-only",
                    "scripts/status.ts",
                    "--stack",
                    STACK,
                    "--outputs-file",
                    file,
                    "--aws-timeout-seconds",
                    "3",
                ],
                {
                    AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
                    AWS_REGION: "cn-north-1",
                },
            );
            const seconds = (Date.now() - started) / 1000;
            assert.equal(r.status, 3, r.stdout + r.stderr);
            assert.match(
                r.stdout,
                /^COULD NOT CHECK: .*AWS did not answer within 3 s \((GetDistribution|ListServerCertificates).* still waiting\)/m,
            );
            // The bound plus a process start; the default bound is AWS_READ_TIMEOUT_MS (20 s).
            assert.ok(seconds < 20, `bounded: ${seconds} s`);
            console.log(`      a silent AWS endpoint: exit 3 after ${seconds.toFixed(1)} s`);
        } finally {
            silent.close();
        }
    });

    it("a certificate served without its intermediate: the error says the chain lacks it and how to upload it", async () => {
        const alias = names("nochain")[0];
        edge.serving.set(alias, { cert: certs.attached.certificatePem as string, key: certs.attached.privateKeyPem as string });
        try {
            // Trusting Pebble's root: only the intermediate is missing.
            const tls = await import("node:tls");
            const probe = await probeTls(alias, edge.address, 5_000, tls.createSecureContext({ ca: fs.readFileSync(trusted) }));
            assert.match(
                probe.error ?? "",
                /UNABLE_TO_VERIFY_LEAF_SIGNATURE: .*the served chain lacks the intermediate certificate .*--certificate-chain/,
            );
        } finally {
            edge.serving.delete(alias);
        }
    });

    it("the watch's Lambda code (serialized handler) writes ProbeOk, IcpApproved, ExpiryOk and DaysToExpiry per alias, of every site's distribution", async () => {
        const aliases = names("ok", "pending", "*");
        const id = await distribution(aliases, certs.attached.serverCertificateId);
        // A further site of the stack (docs/sites.md): its own distribution, checked by the same run.
        const [blog] = names("blog");
        const more = await new CloudFrontClient({ region: "cn-north-1" }).send(
            new CreateDistributionCommand({ DistributionConfig: testDistributionConfig([blog], certs.attached.serverCertificateId) }),
        );
        const blogId = more.Distribution!.Id!;
        created.push(blogId);
        // Covered by the attached certificate's wildcard.
        edge.serving.set(blog, pair(certs.attached));
        peers.proxy.rewrites.push({
            match: /^GET \/2020-05-31\/distribution\/[^/]+$/,
            transform: distributionRewrite({ [names("pending")[0]]: "PENDING" }),
        });
        // The code the watch deploys (components/certificateWatch.ts), run as Lambda would: NODE_PATH
        // stands in for the runtime's AWS SDK.
        const text = await lambdaCode();
        const file = path.join(dir, "index.js");
        fs.writeFileSync(file, text);
        const namespace = `CloudFrontChina/Test-${Date.now()}`;
        const r = await runNode(
            [
                "-e",
                `require(${JSON.stringify(file)}).handler().then((r) => { console.log(JSON.stringify({ r, rssMb: process.resourceUsage().maxRSS / 1024 })); process.exit(0); }, (e) => { console.error(e); process.exit(1); })`,
            ],
            {
                NODE_EXTRA_CA_CERTS: trusted,
                NODE_PATH: path.join(root, "node_modules"),
                DISTRIBUTION_ID: id,
                MORE_DISTRIBUTION_IDS: blogId,
                METRIC_NAMESPACE: namespace,
                IAM_PATH_PREFIX: `/cloudfront/cloudfront-china/${STACK}/`,
                PROBE_ADDRESSES: JSON.stringify({
                    [names("ok")[0]]: edge.address,
                    [names("pending")[0]]: edge.address,
                    [blog]: edge.address,
                }),
            },
        );
        assert.equal(r.status, 0, r.stdout + r.stderr);
        const result = JSON.parse(r.stdout.trim().split("\n").pop()!) as {
            r: { verdict: string; aliases: Array<{ alias: string }> };
            rssMb: number;
        };
        assert.equal(result.r.verdict, "warn", r.stdout);
        assert.deepEqual(
            result.r.aliases.map((a) => a.alias),
            [...aliases, blog],
        );
        assert.ok(result.rssMb < 128, `fits a 128 MB Lambda (${result.rssMb} MB)`);

        const cloudwatch = new CloudWatchClient({ region: "cn-north-1" });
        const metrics = (await cloudwatch.send(new ListMetricsCommand({ Namespace: namespace }))).Metrics ?? [];
        const seen = metrics.map((m) => `${m.MetricName} ${(m.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`).join(",")}`).sort();
        const dims = (alias: string) => `DistributionId=${id},Alias=${alias}`;
        const [ok, pending, wildcard] = aliases;
        assert.deepEqual(
            seen,
            [
                `DaysToExpiry ${dims(ok)}`,
                `DaysToExpiry ${dims(pending)}`,
                `ExpiryOk ${dims(ok)}`,
                `ExpiryOk ${dims(pending)}`,
                `IcpApproved ${dims(wildcard)}`,
                `IcpApproved ${dims(ok)}`,
                `IcpApproved ${dims(pending)}`,
                `ProbeOk ${dims(ok)}`,
                `ProbeOk ${dims(pending)}`,
                ...["DaysToExpiry", "ExpiryOk", "IcpApproved", "ProbeOk"].map((m) => `${m} DistributionId=${blogId},Alias=${blog}`),
            ].sort(),
        );
        const value = async (metric: string, alias: string) => {
            const stats = await cloudwatch.send(
                new GetMetricStatisticsCommand({
                    Namespace: namespace,
                    MetricName: metric,
                    Dimensions: [
                        { Name: "DistributionId", Value: id },
                        { Name: "Alias", Value: alias },
                    ],
                    StartTime: new Date(Date.now() - 3600_000),
                    EndTime: new Date(Date.now() + 60_000),
                    Period: 60,
                    Statistics: ["Minimum"],
                }),
            );
            return stats.Datapoints?.[0]?.Minimum;
        };
        assert.deepEqual(
            [await value("ProbeOk", ok), await value("IcpApproved", ok), await value("IcpApproved", pending), await value("ExpiryOk", ok)],
            [1, 1, 0, 1],
        );
        const days = await value("DaysToExpiry", ok);
        assert.ok(days !== undefined && days > 89 && days <= 90, String(days));
    });
});

describe("npm run status against a stack of the engine test program (Automation API, the CLI the tests build)", function () {
    this.timeout(300_000);
    const STACK = "status";
    let peers: Peers;
    let edge: SniServer;
    let env: NodeJS.ProcessEnv;
    let zone: { id: string; name: string };
    const icp: Record<string, string> = {};
    /** What the edge serves for the stack's names: its certificate and key. */
    let served: { cert: string; key: string };
    const pulumi = (...args: string[]) => runPulumi(env, STACK, args);
    const ok = async (...args: string[]): Promise<EngineRun> => {
        const r = await pulumi(...args);
        assert.equal(r.code, 0, `pulumi ${args.join(" ")}:\n${r.output}`);
        return r;
    };
    const output = async (name: string, ...flags: string[]) =>
        JSON.parse((await ok("stack", "output", name, "--json", ...flags)).output) as string;
    const status = (stack = STACK) =>
        runNode(
            [
                "-r",
                "ts-node/register/transpile-only",
                "scripts/status.ts",
                "--stack",
                stack,
                "--dir",
                ENGINE_PROGRAM,
                "--iam-quota",
                "10000",
                "--connect",
                `www.${zone.name}=${edge.address}`,
                "--connect",
                `${zone.name}=${edge.address}`,
            ],
            env,
        );

    before(async () => {
        peers = await usePeers();
        edge = await startSniServer();
        const work = tempDir("cfcn-status-");
        env = { ...engineEnv(work), AWS_REGION: "cn-north-1", NODE_EXTRA_CA_CERTS: await trustPebbleRoots(peers.pebble, work) };
        zone = await createZone("example.cn");
        await configureStack(ok, peers, zone, "default", 30);
        await ok("up", "--yes", "--skip-preview");
        // The edge serves what the stack issued: body and chain from IAM, the key from the stack (secret).
        const stored = (
            await new IAMClient({ region: "cn-north-1" }).send(
                new GetServerCertificateCommand({ ServerCertificateName: await output("certificateName") }),
            )
        ).ServerCertificate!;
        served = {
            cert: `${stored.CertificateBody}\n${stored.CertificateChain}`,
            key: await output("privateKeyPem", "--show-secrets"),
        };
        edge.serving.set(`www.${zone.name}`, served);
        edge.serving.set(zone.name, served);
        peers.proxy.rewrites.push({ match: /^GET \/2020-05-31\/distribution\/[^/]+$/, transform: (b) => distributionRewrite(icp)(b) });
    });

    after(async () => {
        peers.proxy.rewrites.length = 0;
        edge?.stop();
        if (env) {
            await pulumi("destroy", "--yes", "--skip-preview");
        }
    });

    it("reads the outputs with the Automation API and exits 0, 1, 2 and 3 as the site's state says", async () => {
        const healthy = await status();
        assert.equal(healthy.status, 0, healthy.stdout + healthy.stderr);
        assert.match(
            healthy.stdout,
            new RegExp(
                `^www\\.${zone.name.replace(/\./g, "\\.")}\\s+APPROVED\\s+[0-9A-F]+\\s+Pebble Intermediate CA [0-9a-f]+\\s+yes\\s+\\d+\\.\\d\\s+20\\d\\d-\\S+\\s+OK$`,
                "m",
            ),
        );
        assert.match(healthy.stdout, /^OK: distribution \w+ Deployed, certificate www\./m);

        icp[zone.name] = "PENDING";
        assert.equal((await status()).status, 1);
        icp[zone.name] = "SUSPENDED";
        const suspended = await status();
        assert.equal(suspended.status, 2);
        assert.match(suspended.stdout, /ICP recordal SUSPENDED/);
        delete icp[zone.name];

        const unknown = await status("no-such-stack");
        assert.equal(unknown.status, 3);
        assert.match(unknown.stdout, /^COULD NOT CHECK: cannot read the outputs of stack no-such-stack with the pulumi CLI/m);
    });

    it("a fleet: every stack of the project in one table (--all-stacks, or --stack repeated), the worst verdict as the exit code", async () => {
        const other = await createZone("example.cn");
        const b = stackCli(() => env, `${STACK}-b`);
        const c = stackCli(() => env, `${STACK}-c`);
        await configureStack(b.ok, peers, other, "default", 30);
        await b.ok("up", "--yes", "--skip-preview");
        await c.ok("stack", "init"); // never deployed
        // The edge answers status-b's names with status's certificate: not theirs.
        edge.serving.set(`www.${other.name}`, served);
        edge.serving.set(other.name, served);
        const esc = (name: string) => name.replace(/\./g, "\\.");
        const fleet = (...select: string[]) =>
            runNode(
                [
                    "-r",
                    "ts-node/register/transpile-only",
                    "scripts/status.ts",
                    ...select,
                    "--dir",
                    ENGINE_PROGRAM,
                    "--iam-quota",
                    "10000",
                    ...[`www.${zone.name}`, zone.name, `www.${other.name}`, other.name].flatMap((a) => [
                        "--connect",
                        `${a}=${edge.address}`,
                    ]),
                ],
                env,
            );
        try {
            const html = path.join(tempDir("cfcn-fleet-report-"), "fleet.html");
            const all = await fleet("--all-stacks", "--html", html);
            assert.equal(all.status, 3, all.stdout + all.stderr);
            // The same fleet as a page (tests/report.test.ts measures one in Chromium): a row per alias, the unchecked stack too.
            assert.match(all.stdout, new RegExp(`^report: ${html.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}$`, "m"));
            const page = fs.readFileSync(html, "utf8");
            for (const [stack, name] of [
                [STACK, `www.${zone.name}`],
                [`${STACK}-b`, `www.${other.name}`],
                [`${STACK}-c`, "-"],
            ]) {
                assert.ok(page.includes(`<tr data-stack="${stack}" data-alias="${name}">`), `${stack} ${name} has its row`);
            }
            // The page's summary is the terminal's (stacks by verdict), then the aliases checked.
            assert.match(page, /3 stack\(s\): 1 ok, 0 warn, 1 fail, 1 could not be checked; 4 alias\(es\)\./);
            const lines = all.stdout.split("\n");
            assert.match(lines[0], /^stack +alias +ICP +issuer +days left +renews from +verdict$/);
            assert.match(
                all.stdout,
                new RegExp(`^${STACK} +www\\.${esc(zone.name)} +APPROVED +Pebble Intermediate CA [0-9a-f]+ +\\d+\\.\\d +20\\S+ +OK$`, "m"),
            );
            // The edge serves status's certificate for status-b's names too: not covered, so it fails, with the reason.
            assert.match(all.stdout, new RegExp(`^${STACK}-b +www\\.${esc(other.name)} +APPROVED .* FAIL$`, "m"));
            assert.match(all.stdout, new RegExp(`^  ${STACK}-b www\\.${esc(other.name)}: .*does not cover www\\.${esc(other.name)}`, "m"));
            assert.match(all.stdout, new RegExp(`^${STACK}-c +- +- +- +- +- +UNCHECKED$`, "m"));
            assert.match(all.stdout, new RegExp(`^  ${STACK}-c: COULD NOT CHECK: stack ${STACK}-c has no distributionId output`, "m"));
            assert.match(all.stdout, /^3 stack\(s\): 1 ok, 0 warn, 1 fail, 1 could not be checked$/m);

            const listed = await fleet("--stack", STACK, "--stack", `${STACK}-b`, "--json");
            assert.equal(listed.status, 2, listed.stdout + listed.stderr);
            const parsed = JSON.parse(listed.stdout) as Array<{ stack: string; report: CheckReport }>;
            assert.deepEqual(
                parsed.map((p) => [p.stack, p.report.verdict]),
                [
                    [STACK, "ok"],
                    [`${STACK}-b`, "fail"],
                ],
            );
        } finally {
            edge.serving.delete(`www.${other.name}`);
            edge.serving.delete(other.name);
            await b.run("destroy", "--yes", "--skip-preview");
            await b.run("stack", "rm", "--yes");
            await c.run("stack", "rm", "--yes");
        }
    });

    it("leftover certificates: status names them; cleanup lists them, keeps what a distribution serves, and deletes only them with --yes", async () => {
        const iam = new IAMClient({ region: "cn-north-1" });
        const cloudfront = new CloudFrontClient({ region: "cn-north-1" });
        const stored = (await iam.send(new GetServerCertificateCommand({ ServerCertificateName: await output("certificateName") })))
            .ServerCertificate!;
        const key = await output("privateKeyPem", "--show-secrets");
        const upload = async (name: string, where: string) =>
            (
                await iam.send(
                    new UploadServerCertificateCommand({
                        ServerCertificateName: name,
                        Path: where,
                        CertificateBody: stored.CertificateBody,
                        CertificateChain: stored.CertificateChain,
                        PrivateKey: key,
                    }),
                )
            ).ServerCertificateMetadata!.ServerCertificateId!;
        // A delete that failed long ago, one another distribution serves, one of another stack; one
        // an earlier version left under its path (/cloudfront/<stack>/, shared by every project's
        // stack of that name), and one of a project named like the stack (/cloudfront/status/x/).
        const ours = `/cloudfront/engine-test/${STACK}`;
        await upload("leftover-of-an-old-rotation", `${ours}/site-certificate/`);
        const servedElsewhereId = await upload("served-by-another-distribution", `${ours}/old-site/`);
        await upload("another-stacks", `/cloudfront/engine-test/${STACK}-b/site-certificate/`);
        await upload("left-by-an-earlier-version", `/cloudfront/${STACK}/site-certificate/`);
        await upload("project-named-like-the-stack", `/cloudfront/${STACK}/x/site-certificate/`);
        const other = await cloudfront.send(
            new CreateDistributionCommand({ DistributionConfig: testDistributionConfig([`old.${zone.name}`], servedElsewhereId) }),
        );
        const cleanup = (...flags: string[]) =>
            runNode(
                ["-r", "ts-node/register/transpile-only", "scripts/cleanup.ts", "--stack", STACK, "--dir", ENGINE_PROGRAM, ...flags],
                env,
            );
        const names = async () =>
            ((await iam.send(new ListServerCertificatesCommand({}))).ServerCertificateMetadataList ?? [])
                .map((m) => m.ServerCertificateName!)
                .filter((n) =>
                    [
                        "leftover-of-an-old-rotation",
                        "served-by-another-distribution",
                        "another-stacks",
                        "left-by-an-earlier-version",
                        "project-named-like-the-stack",
                    ].includes(n),
                )
                .sort();
        try {
            const report = await status();
            assert.equal(report.status, 0, report.stdout);
            assert.match(
                report.stdout,
                /^2 certificate\(s\) under the stack's path that this distribution does not serve, each holding a quota slot: leftover-of-an-old-rotation \(ASCA\w+, until 20\d\d-[^)]+\), served-by-another-distribution/m,
            );
            assert.match(report.stdout, new RegExp(`npm run cleanup -- --stack ${STACK}\` lists those no distribution serves`));

            // Younger than --min-age-hours: kept (a rotation may be under way). moto dates every upload 2012-05-08.
            const young = await cleanup("--min-age-hours", "200000");
            assert.equal(young.status, 0, young.stdout + young.stderr);
            assert.match(young.stdout, /^keep +leftover-of-an-old-rotation .*uploaded less than 200000 hour\(s\) ago/m);
            assert.match(young.stdout, /^nothing to clean up: 3 certificate\(s\) under \/cloudfront\/engine-test\/status\/, all in use$/m);

            const dryRun = await cleanup();
            assert.equal(dryRun.status, 0, dryRun.stdout + dryRun.stderr);
            assert.match(dryRun.stdout, /^unused +leftover-of-an-old-rotation +ASCA\w+/m);
            assert.match(dryRun.stdout, /^keep +served-by-another-distribution .*\(served by a distribution\)$/m);
            assert.match(dryRun.stdout, /^keep +www\..*\(served by a distribution\)$/m);
            assert.match(
                dryRun.stdout,
                /^1 certificate\(s\) under \/cloudfront\/engine-test\/status\/ that nothing serves: run again with --yes to delete them$/m,
            );
            // Listed, never deleted: the old path may hold another project's stack of this name.
            assert.match(dryRun.stdout, /^keep +left-by-an-earlier-version .*the path of earlier versions .*delete it by hand/m);
            assert.doesNotMatch(dryRun.stdout, /project-named-like-the-stack/, "another project's path is not this stack's");
            const everyName = [
                "another-stacks",
                "left-by-an-earlier-version",
                "leftover-of-an-old-rotation",
                "project-named-like-the-stack",
                "served-by-another-distribution",
            ];
            assert.deepEqual(await names(), everyName);

            const deleted = await cleanup("--yes");
            assert.equal(deleted.status, 0, deleted.stdout + deleted.stderr);
            assert.match(deleted.stdout, /^delete +leftover-of-an-old-rotation /m);
            assert.match(deleted.stdout, /^1 of 1 deleted$/m);
            assert.deepEqual(
                await names(),
                everyName.filter((n) => n !== "leftover-of-an-old-rotation"),
            );
            assert.match(
                (await cleanup()).stdout,
                /^nothing to clean up: 2 certificate\(s\) under \/cloudfront\/engine-test\/status\/, all in use$/m,
            );
            assert.equal((await status()).stdout.includes("leftover-of-an-old-rotation"), false);

            // An interrupted `pulumi up` uploaded a certificate and stopped before recording it: the
            // checkpoint keeps the pending create, as a killed CLI leaves it (`pulumi stack import`
            // would drop it), and cleanup keeps what it may own.
            const checkpointFile = path.join(
                env.PULUMI_BACKEND_URL!.replace(/^file:\/\//, ""),
                ".pulumi",
                "stacks",
                "engine-test",
                `${STACK}.json`,
            );
            const saved = fs.readFileSync(checkpointFile, "utf8");
            const checkpoint = JSON.parse(saved) as {
                checkpoint: {
                    latest: { resources: Array<{ type: string; inputs?: Record<string, unknown> }>; pending_operations?: unknown[] };
                };
            };
            const certificate = checkpoint.checkpoint.latest.resources.find((r) => r.type.endsWith(":IamAcmeCertificate"))!;
            const interruptedPath = certificate.inputs!.path as string;
            await upload("interrupted-upload", interruptedPath);
            checkpoint.checkpoint.latest.pending_operations = [{ resource: { ...certificate, id: "" }, type: "creating" }];
            fs.writeFileSync(checkpointFile, JSON.stringify(checkpoint));
            try {
                const pending = await cleanup("--yes", "--min-age-hours", "0");
                assert.equal(pending.status, 0, pending.stdout + pending.stderr);
                assert.match(pending.stdout, /^keep +interrupted-upload .*an upload of an interrupted `pulumi up`/m);
            } finally {
                fs.writeFileSync(checkpointFile, saved);
                await iam.send(new DeleteServerCertificateCommand({ ServerCertificateName: "interrupted-upload" })).catch(() => undefined);
            }
        } finally {
            const { ETag } = await cloudfront.send(new GetDistributionConfigCommand({ Id: other.Distribution!.Id }));
            await cloudfront.send(new DeleteDistributionCommand({ Id: other.Distribution!.Id, IfMatch: ETag }));
            for (const name of ["leftover-of-an-old-rotation", "served-by-another-distribution", "another-stacks"]) {
                await iam.send(new DeleteServerCertificateCommand({ ServerCertificateName: name })).catch(() => undefined);
            }
        }
    });
});
