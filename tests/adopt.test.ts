/**
 * Adopting a site made outside the stack, under the real engine: the project's own program and
 * stack config (docs/migrate.md's commands), the stand-in aws plugin over moto, Pebble for the CA.
 * The site is made first with plain SDK calls, as a team would have it: a bucket with its page, an
 * Origin Access Identity, a bucket policy, a certificate uploaded by hand, a distribution with its
 * aliases, and the Route 53 records.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    CloudFrontClient,
    CreateCloudFrontOriginAccessIdentityCommand,
    CreateDistributionCommand,
    GetCloudFrontOriginAccessIdentityCommand,
    GetDistributionCommand,
    ListTagsForResourceCommand,
} from "@aws-sdk/client-cloudfront";
import { GetServerCertificateCommand, IAMClient, UploadServerCertificateCommand } from "@aws-sdk/client-iam";
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand, Route53Client } from "@aws-sdk/client-route-53";
import { CreateBucketCommand, GetObjectCommand, PutBucketPolicyCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { acmeAccountProvider } from "../providers/acmeAccount";
import { iamAcmeCertificateProvider } from "../providers/iamAcmeCertificate";
import { tempDir } from "./support/peers";
import { certificateInputs, createZone, Peers, usePeers } from "./support/fixture";
import { StackCli } from "./support/engine";
import { initPebbleStack, projectProgramStack } from "./support/standinAws";

const REGION = "cn-north-1";
const cloudfront = new CloudFrontClient({ region: REGION });
const iam = new IAMClient({ region: REGION });
const s3 = new S3Client({ region: REGION, forcePathStyle: true });
const route53 = new Route53Client({ region: REGION });

interface HandMadeSite {
    aliases: string[];
    bucket: string;
    oaiId: string;
    certificateName: string;
    certificateId: string;
    distributionId: string;
    domainName: string;
}

/**
 * The site as a team made it by hand (console, CLI, certbot's hook): nothing of it in any stack.
 * `profile` "shortlived": its certificate lives seconds (Pebble), for a site whose certificate has expired.
 */
async function makeSiteByHand(
    peers: Peers,
    zone: { id: string; name: string },
    profile?: string,
): Promise<HandMadeSite & { notAfter: string }> {
    const aliases = [`www.${zone.name}`, zone.name];
    const bucket = `handmade-${Date.now().toString(36)}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: REGION } }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "index.html", Body: "<h1>made by hand</h1>", ContentType: "text/html" }));
    const oai = await cloudfront.send(
        new CreateCloudFrontOriginAccessIdentityCommand({
            CloudFrontOriginAccessIdentityConfig: { CallerReference: `hand-${bucket}`, Comment: "made by hand" },
        }),
    );
    const oaiId = oai.CloudFrontOriginAccessIdentity!.Id!;
    await s3.send(
        new PutBucketPolicyCommand({
            Bucket: bucket,
            Policy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                    {
                        Effect: "Allow",
                        Principal: { AWS: `arn:aws-cn:iam::cloudfront:user/CloudFront Origin Access Identity ${oaiId}` },
                        Action: "s3:GetObject",
                        Resource: `arn:aws-cn:s3:::${bucket}/*`,
                    },
                ],
            }),
        }),
    );
    // A certificate from the CA, uploaded under /cloudfront/ by hand (as certbot's deploy hook does).
    const account = (await acmeAccountProvider.create({ directoryUrl: peers.pebble.directoryUrl })).outs;
    const issued = await iamAcmeCertificateProvider.create(
        // No profile given: the fixture's 90-day "default" (an order naming none may get any of Pebble's profiles).
        certificateInputs(peers, account, aliases, { path: `/cloudfront/hand-${bucket}/`, ...(profile ? { profile } : {}) }),
    );
    const certificateName = `certbot-${zone.name}`;
    const uploaded = await iam.send(
        new UploadServerCertificateCommand({
            ServerCertificateName: certificateName,
            Path: "/cloudfront/",
            CertificateBody: issued.outs.certificatePem,
            CertificateChain: issued.outs.chainPem,
            PrivateKey: issued.outs.privateKeyPem,
        }),
    );
    await iamAcmeCertificateProvider.delete!(issued.id, issued.outs);
    const certificateId = uploaded.ServerCertificateMetadata!.ServerCertificateId!;
    const created = await cloudfront.send(
        new CreateDistributionCommand({
            DistributionConfig: {
                CallerReference: `hand-${bucket}`,
                Comment: "made by hand",
                Enabled: true,
                Aliases: { Quantity: aliases.length, Items: aliases },
                DefaultRootObject: "index.html",
                // Two settings China's rules want otherwise: the first `pulumi up` corrects them.
                IsIPV6Enabled: true,
                Origins: {
                    Quantity: 1,
                    Items: [
                        {
                            Id: "site",
                            DomainName: `${bucket}.s3.${REGION}.amazonaws.com.cn`,
                            S3OriginConfig: { OriginAccessIdentity: `origin-access-identity/cloudfront/${oaiId}` },
                        },
                    ],
                },
                DefaultCacheBehavior: {
                    TargetOriginId: "site",
                    ViewerProtocolPolicy: "redirect-to-https",
                    ForwardedValues: { QueryString: false, Cookies: { Forward: "none" } },
                    MinTTL: 0,
                },
                ViewerCertificate: { IAMCertificateId: certificateId, SSLSupportMethod: "sni-only", MinimumProtocolVersion: "TLSv1" },
            },
        }),
    );
    const distributionId = created.Distribution!.Id!;
    const domainName = created.Distribution!.DomainName!;
    await route53.send(
        new ChangeResourceRecordSetsCommand({
            HostedZoneId: zone.id,
            ChangeBatch: {
                Changes: aliases.map((name) => ({
                    Action: "UPSERT",
                    ResourceRecordSet: {
                        Name: name,
                        Type: "A",
                        AliasTarget: { DNSName: domainName, HostedZoneId: "Z3RFFRIM2A3IF5", EvaluateTargetHealth: false },
                    },
                })),
            },
        }),
    );
    return { aliases, bucket, oaiId, certificateName, certificateId, distributionId, domainName, notAfter: issued.outs.notAfter };
}

/** docs/migrate.md's adoption commands, its example values replaced by the site's; the output of the last (the preview). */
async function adoptWithTheDocsCommands(cli: StackCli, site: HandMadeSite): Promise<{ commands: string[]; preview: string }> {
    const docs = fs.readFileSync(path.resolve(__dirname, "..", "docs", "migrate.md"), "utf8");
    const commands = (/```bash\n# adopt\n([^]*?)```/.exec(docs)?.[1] ?? "").trim().split("\n");
    let preview = "";
    for (const command of commands) {
        const args = command
            .replace("E2QWRUHAPOMQZL", site.distributionId)
            .replace(/www\.example\.cn/g, site.aliases[0])
            .replace(/(?<![.\w])example\.cn/g, site.aliases[1])
            .split(" ")
            .slice(1)
            .map((a) => a.replace(/^'|'$/g, ""));
        preview = (await cli.ok(...args)).output;
    }
    return { commands, preview };
}

const distributionNow = async (id: string) => (await cloudfront.send(new GetDistributionCommand({ Id: id }))).Distribution!;
const certificatePath = async (name: string) =>
    (await iam.send(new GetServerCertificateCommand({ ServerCertificateName: name }))).ServerCertificate!.ServerCertificateMetadata!.Path;

describe("adopting a hand-made site under the real engine: imported with no replacement, renewed with no gap, handed back", function () {
    this.timeout(900_000);
    let peers: Peers;
    let cli: StackCli;
    const STACK = "adopt";

    before(async () => {
        peers = await usePeers();
        cli = projectProgramStack(tempDir("cfcn-adopt-"), STACK).cli;
    });
    afterEach(() => {
        peers.proxy.conflictWhileAttached.on = false;
    });

    it("docs/migrate.md's commands adopt the site, the certificate is renewed from the CA, and `pulumi stack rm --force` gives it back untouched", async () => {
        const zone = await createZone("example.cn");
        const site = await makeSiteByHand(peers, zone);
        // The domains come from docs/migrate.md's commands.
        await initPebbleStack(cli, { zone, directoryUrl: peers.pebble.directoryUrl, dnsAddress: peers.dns.address, domain: false });
        // The adoption itself, as docs/migrate.md shows it (its example values replaced by the site's).
        const { commands, preview } = await adoptWithTheDocsCommands(cli, site);
        // The README's section shows the same commands (its last two): this run executes them.
        const readme = fs.readFileSync(path.resolve(__dirname, "..", "README.md"), "utf8");
        const section = readme.split(/^## The site you already have$/m)[1]?.split(/^## /m)[0] ?? "";
        const shown = (/```bash\n([^]*?)```/.exec(section)?.[1] ?? "").trim().split("\n");
        assert.deepEqual(shown, commands.slice(-2));
        assert.deepEqual(
            commands.map((c) => c.split(" ").slice(0, 3).join(" ")),
            ["pulumi config set", "pulumi config set", "pulumi config set", "pulumi preview --diff"],
            commands.join("\n"),
        );
        // The plan, before anything changes: imports, no replacement, and why each China setting changes.
        for (const type of [
            "cloudfront/distribution:Distribution",
            "s3/bucket:Bucket",
            "cloudfront/originAccessIdentity:OriginAccessIdentity",
        ]) {
            assert.match(preview, new RegExp(`= aws:${type}: \\(import\\)`), preview);
            assert.match(preview, new RegExp(`~ aws:${type}: \\(update\\)`), preview);
        }
        assert.doesNotMatch(preview, /\(replace\)|\+-/, preview);
        assert.doesNotMatch(preview, /cloudfrontDefaultCertificate/, "no China rule reported that the site does not break");
        assert.match(
            preview,
            new RegExp(`adopting distribution ${site.distributionId} \\(${site.aliases.join(", ")}\\), bucket ${site.bucket}`),
        );
        assert.match(preview, /\[ipv6-disabled\] today: `isIpv6Enabled` must be false/);
        assert.match(preview, /\[tls-minimum-protocol\] today/);
        assert.match(preview, /isIpv6Enabled *: true => false/, preview);

        const orders = peers.pebble.ordersCreated();
        peers.proxy.conflictWhileAttached.on = true;
        const adopted = await cli.ok("up", "--yes", "--skip-preview");
        assert.equal(peers.pebble.ordersCreated(), orders, `the served certificate is taken over: nothing ordered\n${adopted.output}`);
        assert.equal(await cli.output("distributionId"), site.distributionId);
        assert.equal(await cli.output("bucketName"), site.bucket);
        assert.equal(await cli.output("certificateId"), site.certificateId);
        // Made elsewhere: its issuer is named from the certificate, not taken for the stack's CA.
        assert.match(await cli.output("certificateIssuer"), /^adopted, issued by CN=Pebble Intermediate CA [0-9a-f]+/);
        let served = await distributionNow(site.distributionId);
        const config = served.DistributionConfig!;
        assert.deepEqual(config.Aliases?.Items, site.aliases, "the aliases stay where they are");
        assert.equal(config.ViewerCertificate?.IAMCertificateId, site.certificateId);
        assert.equal(config.ViewerCertificate?.MinimumProtocolVersion, "TLSv1.2_2021");
        assert.equal(config.IsIPV6Enabled, false);
        assert.equal(config.Origins?.Items?.[0].S3OriginConfig?.OriginAccessIdentity, `origin-access-identity/cloudfront/${site.oaiId}`);
        const tags = await cloudfront.send(new ListTagsForResourceCommand({ Resource: served.ARN }));
        assert.ok(tags.Tags?.Items?.some((t) => t.Key === "cloudfront-china:stack" && t.Value === `cloudfront-china/${STACK}`));
        await cloudfront.send(new GetCloudFrontOriginAccessIdentityCommand({ Id: site.oaiId }));
        assert.equal(
            await certificatePath(site.certificateName),
            `/cloudfront/cloudfront-china/${STACK}/certificate/`,
            "moved under the stack's path",
        );
        const again = await cli.ok("preview", "--expect-no-changes");
        assert.doesNotMatch(again.output, /warning: adopting/, "nothing left to change");

        // The renewal (forced here; a due one is the same): a new certificate from the CA, served
        // before the adopted one is deleted (IAM refuses to delete a served one: never asked here).
        const urn = (await cli.ok("stack", "--show-urns")).output
            .split("\n")
            .map((l) => /(urn:pulumi:\S+IamAcmeCertificate::certificate)\b/.exec(l)?.[1])
            .find((u) => u !== undefined)!;
        const renewal = await cli.ok("up", "--yes", "--skip-preview", "--replace", urn);
        assert.doesNotMatch(renewal.output, /adopted certbot/, "a replacement orders; it never adopts again");
        assert.equal(peers.pebble.ordersCreated(), orders + 1);
        const renewedId = await cli.output("certificateId");
        assert.notEqual(renewedId, site.certificateId);
        assert.equal(await cli.output("certificateIssuer"), peers.pebble.directoryUrl, "renewed from the stack's CA");
        served = await distributionNow(site.distributionId);
        assert.equal(served.DistributionConfig!.ViewerCertificate?.IAMCertificateId, renewedId);
        await assert.rejects(
            certificatePath(site.certificateName),
            /cannot be found/,
            "the adopted certificate is deleted once nothing serves it",
        );
        assert.equal(peers.proxy.conflictWhileAttached.answered, 0, "no delete of a served certificate was tried");

        // Giving it back: the stack forgets everything and touches nothing.
        await cli.ok("stack", "rm", "--force", "--yes");
        served = await distributionNow(site.distributionId);
        assert.deepEqual(served.DistributionConfig!.Aliases?.Items, site.aliases);
        assert.equal(served.DistributionConfig!.Enabled, true);
        assert.equal(served.DistributionConfig!.ViewerCertificate?.IAMCertificateId, renewedId);
        const page = await s3.send(new GetObjectCommand({ Bucket: site.bucket, Key: "index.html" }));
        assert.equal(await page.Body!.transformToString(), "<h1>made by hand</h1>");
        const records = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone.id }));
        for (const alias of site.aliases) {
            assert.ok(
                records.ResourceRecordSets?.some((r) => r.Name === `${alias}.` && r.Type === "A"),
                `${alias} still resolves`,
            );
        }
    });
    it("a site whose certificate has expired: the preview says a new one is ordered; `up` orders it before re-pointing, never fails half-way, and leaves the old one in IAM", async () => {
        const zone = await createZone("example.cn");
        const site = await makeSiteByHand(peers, zone, "shortlived");
        // Its certificate expires (Pebble's shortlived profile lives seconds): the worst day to take it over.
        await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(site.notAfter) - Date.now()) + 1000));
        const expired = projectProgramStack(tempDir("cfcn-adopt-expired-"), "adopt-expired").cli;
        await initPebbleStack(expired, { zone, directoryUrl: peers.pebble.directoryUrl, dnsAddress: peers.dns.address, domain: false });
        const { preview } = await adoptWithTheDocsCommands(expired, site);
        assert.match(
            preview,
            new RegExp(
                `its certificate ${site.certificateName} is not taken over: it expired at .*orders a new certificate first and moves the distribution to it`,
            ),
            preview,
        );
        assert.match(preview, /\+ pulumi-nodejs:dynamic\/cloudfront-china:IamAcmeCertificate: \(create\)/, "a certificate to order");
        assert.doesNotMatch(preview, /\(replace\)|\+-/, preview);

        const orders = peers.pebble.ordersCreated();
        const up = await expired.ok("up", "--yes", "--skip-preview");
        assert.doesNotMatch(up.output, /error:/, up.output);
        assert.equal(peers.pebble.ordersCreated(), orders + 1, "one order: the new certificate");
        const servedId = await expired.output("certificateId");
        assert.notEqual(servedId, site.certificateId);
        const served = await distributionNow(site.distributionId);
        assert.equal(served.DistributionConfig!.ViewerCertificate?.IAMCertificateId, servedId, "re-pointed to the new certificate");
        assert.equal(await certificatePath(site.certificateName), "/cloudfront/", "the expired one stays where it was, untouched");
        await expired.ok("preview", "--expect-no-changes");
        await expired.ok("stack", "rm", "--force", "--yes");
    });
});
