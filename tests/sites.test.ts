/**
 * Several sites in one stack (`cloudfront-china:sites`, docs/sites.md) under the real engine: the
 * project's own program and stack config, the stand-in aws plugin over moto, Pebble for the CA. A
 * one-site stack is deployed, then docs/sites.md's commands add a site: the preview creates only the
 * new site, the first site and the ACME account are the same resources after the `up`, and the new
 * certificate is ordered with the same account. Removing the entry removes that site alone. A stack
 * as an earlier version left it (buckets without the stack's prefix, the certificate under
 * /cloudfront/<stack>/) keeps its buckets and has its certificate moved in place, nothing ordered.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CloudFrontClient, GetDistributionCommand } from "@aws-sdk/client-cloudfront";
import { ListResourceRecordSetsCommand, Route53Client } from "@aws-sdk/client-route-53";
import { GetServerCertificateCommand, IAMClient, ListServerCertificatesCommand, UpdateServerCertificateCommand } from "@aws-sdk/client-iam";
import { tempDir } from "./support/peers";
import { createZone, Peers, usePeers } from "./support/fixture";
import { StackCli, stackCli } from "./support/engine";
import { initPebbleStack, projectProgramStack } from "./support/standinAws";

const REGION = "cn-north-1";
const cloudfront = new CloudFrontClient({ region: REGION });
const iam = new IAMClient({ region: REGION });
const route53 = new Route53Client({ region: REGION });

interface StateResource {
    urn: string;
    type: string;
    id?: string;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
}

interface SiteOutputs {
    distributionId: string;
    bucketName: string;
    certificateId: string;
    aliases: string[];
    urls: string[];
}

describe("several sites in one stack under the real engine: a one-site stack gains a site with no replacement, sharing its ACME account", function () {
    this.timeout(900_000);
    let peers: Peers;
    let cli: StackCli;
    let stack: ReturnType<typeof projectProgramStack>;
    const STACK = "sites";

    before(async () => {
        peers = await usePeers();
        stack = projectProgramStack(tempDir("cfcn-sites-"), STACK);
        cli = stack.cli;
    });

    it("a hosted zone id this account does not have: `pulumi preview` stops with one line naming the key and the fix, no stack trace", async () => {
        const bad = projectProgramStack(tempDir("cfcn-bad-zone-"), "badzone").cli;
        await initPebbleStack(bad, {
            zone: { id: "Z0000000000NOSUCHZONE", name: "example.cn" },
            directoryUrl: peers.pebble.directoryUrl,
            dnsAddress: peers.dns.address,
        });
        const preview = await bad.run("preview");
        assert.notEqual(preview.code, 0);
        assert.match(
            preview.output,
            /`cloudfront-china:hostedZoneId` "Z0000000000NOSUCHZONE" is not a hosted zone of this account .*`pulumi config set cloudfront-china:hostedZoneId Z…`/,
        );
        assert.doesNotMatch(preview.output, /^\s+at .+:\d+:\d+\)?$/m, "no stack trace");
    });

    const resources = async () =>
        (JSON.parse((await cli.ok("stack", "export")).output) as { deployment: { resources: StateResource[] } }).deployment.resources;

    it("docs/sites.md's commands add a site: only creations, the first site and the account unchanged, one order with the same account; removing it leaves the first", async () => {
        const zone = await createZone("example.cn");
        await initPebbleStack(cli, { zone, directoryUrl: peers.pebble.directoryUrl, dnsAddress: peers.dns.address });
        await cli.ok("up", "--yes", "--skip-preview");
        assert.match(await cli.output("bucketName"), /^cfcn-[0-9a-f]{10}-site-bucket-[0-9a-f]{26}$/);

        // A stack made by an earlier version: its buckets were created without a bucketPrefix, and
        // its certificate was uploaded under /cloudfront/<stack>/certificate/ (no project). The
        // state and IAM as such a stack has them, and the program now: the buckets stay as they
        // are, the certificate is moved in place (same id, still served), nothing is ordered.
        const state = JSON.parse((await cli.ok("stack", "export")).output) as { deployment: { resources: StateResource[] } };
        const buckets = state.deployment.resources.filter((r) => r.type === "aws:s3/bucket:Bucket");
        assert.ok(buckets.length > 0, "the site bucket");
        for (const b of buckets) {
            delete b.inputs!.bucketPrefix;
            delete b.outputs!.bucketPrefix;
        }
        const certificate = state.deployment.resources.find((r) => r.type.endsWith(":IamAcmeCertificate"))!;
        const [formerPath, ownPath] = [`/cloudfront/${STACK}/certificate/`, `/cloudfront/cloudfront-china/${STACK}/certificate/`];
        assert.equal(certificate.outputs!.path, ownPath);
        const certificateName = certificate.outputs!.name as string;
        await iam.send(new UpdateServerCertificateCommand({ ServerCertificateName: certificateName, NewPath: formerPath }));
        certificate.inputs!.path = certificate.outputs!.path = formerPath;
        certificate.outputs!.arn = (certificate.outputs!.arn as string).replace(ownPath, formerPath);
        const stateFile = path.join(tempDir("cfcn-sites-state-"), "state.json");
        fs.writeFileSync(stateFile, JSON.stringify(state));
        await cli.ok("stack", "import", "--file", stateFile);
        const servedId = await cli.output("certificateId");
        const upgrade = await cli.ok("preview", "--diff");
        assert.match(
            upgrade.output,
            /~ pulumi-nodejs:dynamic\/cloudfront-china:IamAcmeCertificate: \(update\)\n\s+\[id=[^\]]+\]\n\s+\[urn=\S+::certificate\]/,
            upgrade.output,
        );
        assert.match(upgrade.output, new RegExp(`~ path\\s*: "${formerPath}" => "${ownPath}"`), upgrade.output);
        assert.doesNotMatch(upgrade.output, /\(replace\)|\+-|\(delete\)|\(create\)/, "nothing replaced, made or deleted");
        const ordersBefore = peers.pebble.ordersCreated();
        const moved = await cli.ok("up", "--yes", "--skip-preview");
        assert.match(moved.output, /1 updated/, moved.output);
        assert.equal(peers.pebble.ordersCreated(), ordersBefore, "no order: the certificate is moved, not renewed");
        const movedTo = (await iam.send(new GetServerCertificateCommand({ ServerCertificateName: certificateName }))).ServerCertificate
            ?.ServerCertificateMetadata;
        assert.equal(movedTo?.Path, ownPath, "moved under the stack's path");
        assert.equal(movedTo?.ServerCertificateId, servedId, "the same certificate");
        const distribution = (await cloudfront.send(new GetDistributionCommand({ Id: await cli.output("distributionId") }))).Distribution!;
        assert.equal(distribution.DistributionConfig?.ViewerCertificate?.IAMCertificateId, servedId, "still served");
        assert.equal(await cli.output("certificateArn"), movedTo?.Arn);
        await cli.ok("preview", "--expect-no-changes");
        const before = await resources();
        const first = {
            distributionId: await cli.output("distributionId"),
            certificateId: await cli.output("certificateId"),
        };

        // docs/sites.md's commands, as written (its example names replaced by this zone's).
        const docs = fs.readFileSync(path.resolve(__dirname, "..", "docs", "sites.md"), "utf8");
        const commands = (/```bash\n# add a site\n([^]*?)```/.exec(docs)?.[1] ?? "").trim().split("\n");
        assert.deepEqual(
            commands.map((c) => c.split(" ").slice(0, 2).join(" ")),
            ["pulumi config", "pulumi config", "pulumi config", "pulumi preview", "pulumi up"],
            commands.join("\n"),
        );
        const blog = `blog.${zone.name}`;
        const orders = peers.pebble.ordersCreated();
        let preview = "";
        for (const command of commands) {
            const args = command
                .replace("blog.example.cn", blog)
                .replace("Z0123456789EXAMPLE", zone.id)
                .split(" ")
                .slice(1)
                .map((a) => a.replace(/^'|'$/g, ""));
            if (args[0] === "preview") {
                preview = (await cli.ok(...args)).output;
            } else if (args[0] === "up") {
                await cli.ok("up", "--yes", "--skip-preview"); // the docs' interactive `pulumi up`, confirmed
            } else {
                await cli.ok(...args);
            }
        }
        // The plan: creations only, every one of them the new site's.
        assert.doesNotMatch(preview, /\(replace\)|\+-|\(update\)|\(delete\)/, preview);
        const created = [...preview.matchAll(/\(create\)\n\s*\[urn=(\S+)\]/g)].map((m) => m[1].split("::").pop()!);
        for (const name of ["site-blog", "site-blog-certificate", "site-blog-bucket", "site-blog-oai", "site-blog-cdn"]) {
            assert.ok(created.includes(name), `${name} created: ${created.join(", ")}\n${preview}`);
        }
        assert.deepEqual(
            created.filter((name) => !name.startsWith("site-blog")),
            [],
            "nothing but the new site is created",
        );

        assert.equal(peers.pebble.ordersCreated(), orders + 1, "one order: the new site's certificate");
        const after = await resources();
        for (const r of before.filter((r) => r.type !== "pulumi:pulumi:Stack")) {
            const now = after.find((a) => a.urn === r.urn);
            assert.ok(now, `${r.urn} is still in the stack`);
            assert.equal(now.id, r.id, `${r.urn} is the same resource`);
        }
        assert.equal(await cli.output("distributionId"), first.distributionId);
        assert.equal(await cli.output("certificateId"), first.certificateId);
        const accounts = after.filter((r) => r.type.endsWith(":AcmeAccount"));
        assert.deepEqual(
            accounts.map((a) => a.urn.split("::").pop()),
            ["acme-account"],
            "one ACME account for both sites",
        );
        const certificates = after.filter((r) => r.type.endsWith(":IamAcmeCertificate"));
        assert.deepEqual(
            certificates.map((c) => [c.urn.split("::").pop(), c.outputs?.path, c.outputs?.accountUrl]),
            [
                ["certificate", `/cloudfront/cloudfront-china/${STACK}/certificate/`, accounts[0].outputs?.accountUrl],
                ["site-blog-certificate", `/cloudfront/cloudfront-china/${STACK}/site-blog-certificate/`, accounts[0].outputs?.accountUrl],
            ],
        );

        // The new site: its own distribution, aliased, serving its own certificate.
        const sites = await cli.output<Record<string, SiteOutputs>>("sites");
        assert.deepEqual(Object.keys(sites), ["blog"]);
        assert.notEqual(sites.blog.distributionId, first.distributionId);
        assert.deepEqual(sites.blog.urls, [`https://${blog}/`]);
        assert.match(sites.blog.bucketName, /^cfcn-[0-9a-f]{10}-site-blog-bucket-/, "a new bucket's name carries the stack");
        const served = (await cloudfront.send(new GetDistributionCommand({ Id: sites.blog.distributionId }))).Distribution!;
        assert.deepEqual(served.DistributionConfig?.Aliases?.Items, [blog]);
        assert.equal(served.DistributionConfig?.ViewerCertificate?.IAMCertificateId, sites.blog.certificateId);
        const blogCertificate = certificates[1].outputs?.name as string;
        const stored = await iam.send(new GetServerCertificateCommand({ ServerCertificateName: blogCertificate }));
        assert.equal(stored.ServerCertificate?.ServerCertificateMetadata?.ServerCertificateId, sites.blog.certificateId);
        await cli.ok("preview", "--expect-no-changes");

        // The README's second environment, copied from this stack with only the first site's names
        // changed: the blog's alias is this stack's. Refused by the preview and by an `up` without
        // one, naming the setting, before anything is ordered or created (it used to fail at the
        // distribution's create with CNAMEAlreadyExists, its certificate already in IAM).
        const second = stackCli(() => stack.env, "second", stack.program);
        await second.ok("stack", "init", "--copy-config-from", STACK);
        await second.ok("config", "set", "--path", "cloudfront-china:domains[0]", `www2.${zone.name}`);
        const ordersBeforeSecond = peers.pebble.ordersCreated();
        const clash = new RegExp(
            `\`cloudfront-china:sites\\[0\\]\\.domains\`: ${blog.replace(/\./g, "\\.")} is an alias of distribution ${sites.blog.distributionId}, which is not this stack's.*CNAMEAlreadyExists`,
        );
        for (const args of [["preview"], ["up", "--yes", "--skip-preview"]]) {
            const refused = await second.run(...args);
            assert.notEqual(refused.code, 0, `${args.join(" ")}: refused\n${refused.output}`);
            assert.match(refused.output, clash, refused.output);
            assert.doesNotMatch(refused.output, /^\s+at .+:\d+:\d+\)?$/m, "no stack trace");
            // The stack resource itself is all the engine registers before the program stops.
            assert.doesNotMatch(refused.output, /^\s+\+\s+(aws:|pulumi-nodejs:|cloudfront-china:)/m, `nothing created\n${refused.output}`);
            assert.doesNotMatch(refused.output, /\b([2-9]|\d{2,}) (created|to create)/, `nothing but the stack created\n${refused.output}`);
        }
        assert.equal(peers.pebble.ordersCreated(), ordersBeforeSecond, "nothing ordered for the second stack");
        const secondCertificates = await iam.send(
            new ListServerCertificatesCommand({ PathPrefix: "/cloudfront/cloudfront-china/second/" }),
        );
        assert.deepEqual(
            (secondCertificates.ServerCertificateMetadataList ?? []).filter((m) =>
                m.Path?.startsWith("/cloudfront/cloudfront-china/second/"),
            ),
            [],
        );
        await second.ok("stack", "rm", "--yes", "--force"); // its state holds the stack resource alone

        // Removing the entry removes that site alone; the first stays as it is.
        await cli.ok("config", "rm", "cloudfront-china:sites");
        const removal = await cli.ok("up", "--yes");
        assert.doesNotMatch(removal.output, /\(replace\)|\+-|~ /, removal.output);
        assert.equal(await cli.output("distributionId"), first.distributionId);
        assert.equal(await cli.output("certificateId"), first.certificateId);
        const left = await iam.send(new ListServerCertificatesCommand({ PathPrefix: `/cloudfront/cloudfront-china/${STACK}/` }));
        // moto lists every path, whatever the prefix: filtered here as IAM would.
        assert.deepEqual(
            (left.ServerCertificateMetadataList ?? [])
                .map((m) => m.Path)
                .filter((p) => p?.startsWith(`/cloudfront/cloudfront-china/${STACK}/`)),
            [`/cloudfront/cloudfront-china/${STACK}/certificate/`],
            "the blog's certificate is deleted with its site",
        );
        await assert.rejects(cloudfront.send(new GetDistributionCommand({ Id: sites.blog.distributionId })), /NoSuchDistribution/);
    });
    it("an apex on one site and its wildcard on another: both issue in one `up` and both renew in one `up`, side by side at one challenge name", async () => {
        const zone = await createZone("example.cn");
        const pair = projectProgramStack(tempDir("cfcn-sites-pair-"), "sites-pair").cli;
        await initPebbleStack(pair, { zone, directoryUrl: peers.pebble.directoryUrl, dnsAddress: peers.dns.address, domain: false });
        await pair.ok("config", "set", "--path", "cloudfront-china:domains[0]", zone.name);
        await pair.ok("config", "set", "--path", "cloudfront-china:sites[0].name", "wild");
        await pair.ok("config", "set", "--path", "cloudfront-china:sites[0].domains[0]", `*.${zone.name}`);
        await pair.ok("config", "set", "--path", "cloudfront-china:sites[0].hostedZoneId", zone.id);
        const orders = peers.pebble.ordersCreated();
        await pair.ok("up", "--yes", "--skip-preview");
        assert.equal(peers.pebble.ordersCreated(), orders + 2, "two certificates, ordered in the same run");
        const served = async () => {
            const first = await pair.output("certificateId");
            const wild = (await pair.output<Record<string, SiteOutputs>>("sites")).wild.certificateId;
            return [first, wild];
        };
        const before = await served();

        // Both renew in one run (forced here; due together is the same): each order writes its value
        // at _acme-challenge.<zone> keeping the other's, and removes only its own.
        const urns = (await pair.ok("stack", "--show-urns")).output
            .split("\n")
            .map((l) => /(urn:pulumi:\S+IamAcmeCertificate::\S*certificate)\b/.exec(l)?.[1])
            .filter((u): u is string => u !== undefined);
        assert.equal(urns.length, 2, urns.join("\n"));
        await pair.ok("up", "--yes", "--skip-preview", ...urns.flatMap((u) => ["--replace", u]));
        assert.equal(peers.pebble.ordersCreated(), orders + 4, "both renewed");
        const after = await served();
        assert.ok(
            after.every((id, i) => id !== before[i]),
            "each site serves its new certificate",
        );
        const txt = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone.id }));
        assert.deepEqual(
            (txt.ResourceRecordSets ?? []).filter((r) => r.Type === "TXT").map((r) => r.Name),
            [],
            "no challenge value left behind",
        );
        await pair.ok("destroy", "--yes", "--skip-preview");
    });
});
