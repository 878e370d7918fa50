/**
 * The generated policies, enforced: the project's own program runs under the real CLI (stand-in aws
 * plugin, Pebble) as an IAM user holding exactly what docs/iam-policy.md's commands write and
 * attach (the bootstrap policy for the first `pulumi up`, then the steady-state one), against a moto
 * of its own that checks every request of that user by action, resource and condition
 * (tests/peers/moto_enforce.py, MOTO_CHINA_ENFORCE_IAM=1: moto's own switch checks actions only) and
 * refuses policies over IAM's size quotas as IAM does (tests/peers/moto_china.py). The `aws iam`
 * commands `npm run policy` prints are run as printed, with the AWS CLI. `pulumi up`, a renewal and
 * `pulumi destroy` make no denied call; the escalation and cross-stack attempts are all denied. The
 * setup calls (zone, user, boundary, another stack's things) are the account root's, as an admin's.
 */
import * as assert from "node:assert/strict";
import { execFileSync, execSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as acme from "acme-client";
import {
    CloudFrontClient,
    CreateCloudFrontOriginAccessIdentityCommand,
    CreateDistributionCommand,
    DeleteCloudFrontOriginAccessIdentityCommand,
    DeleteDistributionCommand,
    GetDistributionCommand,
    GetDistributionConfigCommand,
    TagResourceCommand,
    UpdateDistributionCommand,
} from "@aws-sdk/client-cloudfront";
import {
    CreateAccessKeyCommand,
    CreatePolicyCommand,
    CreatePolicyVersionCommand,
    CreateRoleCommand,
    CreateUserCommand,
    DeleteRolePermissionsBoundaryCommand,
    DeleteServerCertificateCommand,
    GetServerCertificateCommand,
    IAMClient,
    ListServerCertificatesCommand,
    DeleteRolePolicyCommand,
    PutRolePolicyCommand,
    TagRoleCommand,
    UpdateAssumeRolePolicyCommand,
    PutUserPolicyCommand,
    UploadServerCertificateCommand,
} from "@aws-sdk/client-iam";
import { CloudWatchClient, DeleteAlarmsCommand, PutMetricAlarmCommand, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, Route53Client } from "@aws-sdk/client-route-53";
import {
    CreateBucketCommand,
    DeleteBucketCommand,
    DeleteObjectCommand,
    PutBucketPolicyCommand,
    PutBucketVersioningCommand,
    PutObjectCommand,
    S3Client,
} from "@aws-sdk/client-s3";
import { copyProjectProgram, engineEnv } from "./support/engine";
import { usePeers } from "./support/fixture";
import { DnsServer, Moto, Pebble, setRenewalInfo, startDnsFromRoute53, startMoto, startPebble, tempDir } from "./support/peers";
import { installStandInAws } from "./support/standinAws";
import { testDistributionConfig } from "./engine/program/testDistribution";
import { stackId } from "../core/sites";

const ACCOUNT = "123456789012";
const root = path.resolve(__dirname, "..");
const STACK = "least";
const ZONE = "lp.example.cn";
const DOMAINS = [`www.${ZONE}`, ZONE];

interface Decision {
    key: string;
    action?: string;
    resource?: string;
    allowed: boolean;
    reason: string;
    method: string;
    path: string;
    context?: Record<string, string[]>;
}

describe("the generated policy, enforced: the program as a user holding exactly that policy", function () {
    this.timeout(900_000);
    let moto: Moto;
    let dns: DnsServer;
    let pebble: Pebble;
    let work: string;
    let program: string;
    let env: NodeJS.ProcessEnv;
    let decisionsFile: string;
    let deployer: { accessKeyId: string; secretAccessKey: string };
    let zoneId: string;
    const rootCredentials = { accessKeyId: "AKIAACCOUNTROOTADMIN", secretAccessKey: "testing" };
    const asRoot = { region: "cn-north-1", endpoint: "", credentials: rootCredentials };
    const asDeployer = () => ({ region: "cn-north-1", endpoint: moto.url, credentials: deployer });

    /** What the enforcing layer decided for the calls signed with `key` (the deployer's by default). */
    const decisions = (key = deployer.accessKeyId): Decision[] =>
        fs.existsSync(decisionsFile)
            ? fs
                  .readFileSync(decisionsFile, "utf8")
                  .split("\n")
                  .filter(Boolean)
                  .map((l) => JSON.parse(l) as Decision)
                  .filter((d) => d.key === key)
            : [];
    const describeDecision = (d: Decision) => `${d.action ?? `${d.method} ${d.path}`} on ${d.resource ?? "?"}: ${d.reason}`;

    const pulumi = (...args: string[]) =>
        new Promise<{ code: number | null; output: string }>((resolve) => {
            const child = spawn("pulumi", [...args, "--non-interactive", "--stack", STACK], { cwd: program, env });
            let output = "";
            child.stdout.on("data", (d: Buffer) => (output += d.toString()));
            child.stderr.on("data", (d: Buffer) => (output += d.toString()));
            child.on("close", (code) => resolve({ code, output }));
        });
    /** Runs `pulumi …args`; returns its output and the deployer's decisions made meanwhile. */
    async function step(...args: string[]): Promise<{ output: string; made: Decision[] }> {
        const from = decisions().length;
        const started = Date.now();
        const r = await pulumi(...args);
        const made = decisions().slice(from);
        console.log(
            `      pulumi ${args.join(" ")}: exit ${r.code}, ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
                `${made.length} checked calls, ${made.filter((d) => !d.allowed).length} denied`,
        );
        assert.equal(r.code, 0, `pulumi ${args.join(" ")}\n${r.output.slice(-5000)}`);
        return { output: r.output, made };
    }
    async function grant(policy: string): Promise<void> {
        await new IAMClient(asRoot).send(new PutUserPolicyCommand({ UserName: "deployer", PolicyName: "deploy", PolicyDocument: policy }));
    }
    /** The AWS CLI as the account's admin, against this test's moto. */
    const awsCli = (command: string) => {
        const admin: NodeJS.ProcessEnv = {
            ...env,
            PATH: `${path.join(root, ".tools", "awscli", "bin")}:${env.PATH}`,
            AWS_ACCESS_KEY_ID: rootCredentials.accessKeyId,
            AWS_SECRET_ACCESS_KEY: rootCredentials.secretAccessKey,
            AWS_DEFAULT_REGION: "cn-north-1",
            AWS_ENDPOINT_URL: moto.url,
        };
        delete admin.AWS_PROFILE;
        return spawnSync("bash", ["-c", command], { cwd: program, encoding: "utf8", env: admin });
    };
    /**
     * docs/iam-policy.md's `npm run policy` command for `step` ("--bootstrap" or "--outputs-file"), for
     * this test's stack and user; then the `aws iam` commands it printed, run as printed. Returns the
     * policies it wrote.
     */
    function docsPolicy(step: "--bootstrap" | "--outputs-file", outputsFile?: string): { files: string[]; commands: string[] } {
        const block = /```bash\n([\s\S]*?)```/.exec(fs.readFileSync(path.join(root, "docs", "iam-policy.md"), "utf8"))![1];
        const command = block.split("\n").find((l) => l.startsWith("npm run --silent policy") && l.includes(step))!;
        const adapted = command
            .replace("--stack cn-north-1", `--stack ${STACK}`)
            .replace("--outputs-file outputs.json", `--outputs-file ${outputsFile}`)
            // The automation's role is this test's user: moto's enforcement checks users' keys.
            .replace("--role cloudfront-china-renew", "--user deployer")
            .replace(/--out-dir (\S+)/, (_, dir: string) => `--out-dir ${path.join(work, dir)}`);
        const printed = execSync(adapted, { cwd: program, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
        const commands = printed.split("\n").filter(Boolean);
        assert.ok(commands.length >= 2 && commands.every((c) => c.startsWith("aws iam ")), printed);
        for (const c of commands) {
            const r = awsCli(c);
            assert.equal(r.status, 0, `${c}\n${r.stdout}${r.stderr}`);
        }
        return {
            files: commands.flatMap((c) => /file:\/\/(\S+)/.exec(c)?.[1] ?? []),
            commands,
        };
    }
    /** Detaches the managed policies `commands` attached to the user. */
    function detach(commands: string[]): void {
        for (const c of commands.filter((c) => c.startsWith("aws iam attach-user-policy"))) {
            const r = awsCli(c.replace("attach-user-policy", "detach-user-policy"));
            assert.equal(r.status, 0, r.stderr);
        }
    }

    before(async () => {
        await usePeers(); // the suite's trust settings; this test has its own moto, DNS server and Pebble
        const logDir = tempDir("cfcn-least-");
        decisionsFile = path.join(logDir, "decisions.jsonl");
        moto = await startMoto(logDir, { MOTO_CHINA_ENFORCE_IAM: "1", MOTO_CHINA_DECISIONS: decisionsFile });
        asRoot.endpoint = moto.url;
        dns = await startDnsFromRoute53(moto.url);
        pebble = await startPebble(dns.address, logDir);

        const zone = await new Route53Client(asRoot).send(
            new CreateHostedZoneCommand({ Name: ZONE, CallerReference: `least-${Date.now()}` }),
        );
        zoneId = zone.HostedZone!.Id!.replace(/^\/hostedzone\//, "");
        const iam = new IAMClient(asRoot);
        await iam.send(new CreateUserCommand({ UserName: "deployer" }));
        const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "deployer" }))).AccessKey!;
        deployer = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };

        work = tempDir("cfcn-least-program-");
        program = path.join(work, "program");
        copyProjectProgram(program);
        const credentials = path.join(work, "aws-credentials");
        fs.writeFileSync(
            credentials,
            `[deployer]\naws_access_key_id = ${deployer.accessKeyId}\naws_secret_access_key = ${deployer.secretAccessKey}\n`,
        );
        fs.writeFileSync(path.join(work, "aws-config"), "[profile deployer]\nregion = cn-north-1\n");
        env = {
            ...engineEnv(work),
            AWS_ENDPOINT_URL: moto.url,
            AWS_SHARED_CREDENTIALS_FILE: credentials,
            AWS_CONFIG_FILE: path.join(work, "aws-config"),
            AWS_PROFILE: "deployer",
        };
        for (const k of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]) {
            delete env[k];
        }
        installStandInAws(env.PULUMI_HOME!);

        assert.equal((await pulumi("stack", "init")).code, 0);
        const settings: Array<[string, string, boolean?]> = [
            ["aws:region", "cn-north-1"],
            ["aws:allowedAccountIds[0]", ACCOUNT, true],
            ["cloudfront-china:domains[0]", DOMAINS[0], true],
            ["cloudfront-china:domains[1]", DOMAINS[1], true],
            ["cloudfront-china:hostedZoneId", zoneId],
            ["cloudfront-china:acmeDirectoryUrl", pebble.directoryUrl],
            ["cloudfront-china:acmeProfile", "default"],
            ["cloudfront-china:dnsResolvers[0]", dns.address, true],
            ["cloudfront-china:contentDir", "site"],
            ["cloudfront-china:logging", "true"],
            ["cloudfront-china:watch.emails[0]", "ops@example.cn", true],
        ];
        for (const [k, v, byPath] of settings) {
            const r = await pulumi("config", "set", ...(byPath ? ["--path"] : []), k, v);
            assert.equal(r.code, 0, r.output);
        }
        // The admin's one-time step: the watch role's boundary (docs/watch.md).
        const boundary = execFileSync("npm", ["run", "--silent", "policy", "--", "--watch-boundary", "--account", ACCOUNT], {
            cwd: program,
            env,
            encoding: "utf8",
        });
        await iam.send(new CreatePolicyCommand({ PolicyName: "cloudfront-china-watch-boundary", PolicyDocument: boundary }));
    });

    after(() => {
        pebble?.stop();
        dns?.stop();
        moto?.stop();
    });

    it("pulumi up, a renewal and pulumi destroy make no denied call; every escalation and cross-stack attempt is denied", async () => {
        // 0. The user is enforced: with no grant, the preview is refused before anything is created.
        await grant(
            JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:GetCallerIdentity", Resource: "*" }] }),
        );
        const refusedFrom = decisions().length;
        const refused = await pulumi("preview");
        const refusedDecisions = decisions().slice(refusedFrom);
        assert.notEqual(refused.code, 0);
        assert.match(refused.output, /not authorized to perform: (route53:GetHostedZone|iam:GetPolicy|cloudfront:ListDistributions)/);
        assert.ok(refusedDecisions.some((d) => !d.allowed));

        // 1. A new stack: the bootstrap policy, written as managed policies within IAM's quota and
        // attached by the commands it printed. As one document IAM refuses it (moto is taught the quota).
        const bootstrap = docsPolicy("--bootstrap");
        const whole = JSON.stringify({
            Version: "2012-10-17",
            Statement: bootstrap.files.flatMap((f) => (JSON.parse(fs.readFileSync(f, "utf8")) as { Statement: unknown[] }).Statement),
        });
        const oneFile = path.join(work, "bootstrap-as-one.json");
        fs.writeFileSync(oneFile, whole);
        assert.ok(bootstrap.files.length >= 2, `the stack's bootstrap policy needs ${bootstrap.files.length} managed policies`);
        const tooLarge = awsCli(`aws iam create-policy --policy-name as-one --policy-document file://${oneFile}`);
        assert.notEqual(tooLarge.status, 0);
        assert.match(tooLarge.stderr, /LimitExceeded.*PolicySize: 6144/);
        const inline = awsCli(`aws iam put-user-policy --user-name deployer --policy-name as-one --policy-document file://${oneFile}`);
        assert.match(inline.stderr, /LimitExceeded.*2048/);
        const first = await step("up", "--yes");
        assert.deepEqual(first.made.filter((d) => !d.allowed).map(describeDecision), []);
        assert.match(first.output, /aws:iam:Role\s+watch-role\s+created/);
        const outputs = JSON.parse((await step("stack", "output", "--json")).output) as Record<string, string>;
        const other = await setUpAnotherStack(outputs);

        // The bootstrap holder can tag another stack's distribution with its own stack (the create needs
        // TagResource on "*"), and that tag gives it nothing: no statement reads a resource tag.
        const retagged = await new CloudFrontClient(asDeployer())
            .send(
                new TagResourceCommand({
                    Resource: other.distributionArn,
                    Tags: { Items: [{ Key: "cloudfront-china:stack", Value: `cloudfront-china/${STACK}` }] },
                }),
            )
            .then(
                () => "allowed",
                (e: Error) => e.name,
            );
        assert.equal(retagged, "allowed", "the bootstrap policy's create-with-tags grant (docs/iam-policy.md)");
        const bootstrapAttempts: Array<[string, () => Promise<unknown>]> = [
            ["bootstrap: update another distribution tagged with the stack", () => updateOther(other.distributionId)],
            [
                "bootstrap: delete another distribution tagged with the stack",
                () => new CloudFrontClient(asDeployer()).send(new DeleteDistributionCommand({ Id: other.distributionId, IfMatch: "x" })),
            ],
        ];

        const bootstrapResults = await tryEach(bootstrapAttempts);

        // 2. Every later run: the steady-state policy from the outputs, in place of the bootstrap one.
        const outputsFile = path.join(work, "outputs.json");
        fs.writeFileSync(outputsFile, JSON.stringify(outputs));
        detach(bootstrap.commands);
        const steady = docsPolicy("--outputs-file", outputsFile);
        const narrowed = steady.files.map((f) => fs.readFileSync(f, "utf8")).join("\n");
        assert.ok(narrowed.includes(`distribution/${outputs.distributionId}`) && narrowed.includes(outputs.bucketName), narrowed);
        assert.ok(!narrowed.includes("aws:ResourceTag") && !narrowed.includes("cloudfront:CreateDistribution"), narrowed);
        const noop = await step("up", "--yes");
        assert.deepEqual(noop.made.filter((d) => !d.allowed).map(describeDecision), []);

        // The ACME account key rolls over as a planned change: the account updated, the certificate untouched.
        assert.equal((await pulumi("config", "set", "cloudfront-china:acmeAccountKeyRotation", "1")).code, 0);
        const rollover = await step("up", "--yes");
        assert.match(rollover.output, /cloudfront-china:AcmeAccount\s+acme-account\s+updated/);
        assert.doesNotMatch(rollover.output, /IamAcmeCertificate\s+\S+\s+(updated|replaced|created)/);

        // 3. A renewal: the CA moves the window into the past (ARI), the next up replaces the certificate
        // (ordered with the rolled-over key).
        const iam = new IAMClient(asRoot);
        const listed = await iam.send(new ListServerCertificatesCommand({ PathPrefix: `/cloudfront/cloudfront-china/${STACK}/` }));
        const served = (
            await iam.send(
                new GetServerCertificateCommand({ ServerCertificateName: listed.ServerCertificateMetadataList![0].ServerCertificateName }),
            )
        ).ServerCertificate!.CertificateBody!;
        const past = new Date(Date.now() - 3_600_000);
        await setRenewalInfo(pebble, served, {
            suggestedWindow: { start: past.toISOString(), end: new Date(past.getTime() + 1000).toISOString() },
        });
        const renewal = await step("up", "--yes");
        assert.match(renewal.output, /replaced/);
        assert.deepEqual(renewal.made.filter((d) => !d.allowed).map(describeDecision), []);

        // The watch role's metrics: with its inline policy widened by the deploy identity (allowed: the
        // boundary stays on), the boundary still lets it publish under its own stack's namespace only,
        // the one its stack tag names (${aws:PrincipalTag/cloudfront-china:stack-id}).
        const ownNamespace = `CloudFrontChina/Site/${stackId("cloudfront-china", STACK)}`;
        const anyMetric = JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "cloudwatch:PutMetricData", Resource: "*" }],
        });
        await new IAMClient(asDeployer()).send(
            new PutRolePolicyCommand({ RoleName: other.watchRoleName, PolicyName: "widened", PolicyDocument: anyMetric }),
        );
        const session = (
            await new STSClient(asRoot).send(
                new AssumeRoleCommand({
                    RoleArn: `arn:aws-cn:iam::${ACCOUNT}:role${ownRolePath}${other.watchRoleName}`,
                    RoleSessionName: "watch",
                }),
            )
        ).Credentials!;
        const asWatchRole = {
            region: "cn-north-1",
            endpoint: moto.url,
            credentials: {
                accessKeyId: session.AccessKeyId!,
                secretAccessKey: session.SecretAccessKey!,
                sessionToken: session.SessionToken!,
            },
        };
        const publish = (namespace: string) =>
            new CloudWatchClient(asWatchRole).send(
                new PutMetricDataCommand({ Namespace: namespace, MetricData: [{ MetricName: "ExpiryOk", Value: 1 }] }),
            );
        await publish(ownNamespace); // its own: allowed, so the denials below are the boundary's
        const otherStackId = "cfcn-0123456789";

        // 4. What the deploy identity must not be able to do, each tried with its keys.
        const attempts: Array<[string, () => Promise<unknown>]> = [
            [
                "publish into another stack's metrics as the stack's watch role, its inline policy widened",
                () => publish(`CloudFrontChina/Site/${otherStackId}`),
            ],
            [
                "publish into the metric namespace of before (every stack's) as the stack's watch role",
                () => publish("CloudFrontChina/Site"),
            ],
            [
                "a watch role tagged with another stack's id (that stack's metrics), with the boundary",
                () =>
                    new IAMClient(asDeployer()).send(
                        new CreateRoleCommand({
                            RoleName: "watch-role-spoof",
                            Path: ownRolePath,
                            PermissionsBoundary: boundaryArn(),
                            AssumeRolePolicyDocument: trustOf(deployerArn()),
                            Tags: [{ Key: "cloudfront-china:stack-id", Value: otherStackId }],
                        }),
                    ),
            ],
            [
                "re-tag the stack's watch role with another stack's id",
                () =>
                    new IAMClient(asDeployer()).send(
                        new TagRoleCommand({
                            RoleName: other.watchRoleName,
                            Tags: [{ Key: "cloudfront-china:stack-id", Value: otherStackId }],
                        }),
                    ),
            ],
            [
                "re-tag another distribution with the stack's tag",
                () =>
                    new CloudFrontClient(asDeployer()).send(
                        new TagResourceCommand({
                            Resource: other.distributionArn,
                            Tags: { Items: [{ Key: "cloudfront-china:stack", Value: `cloudfront-china/${STACK}` }] },
                        }),
                    ),
            ],
            ["then update it", () => updateOther(other.distributionId)],
            [
                "write another stack's bucket policy",
                () =>
                    new S3Client({ ...asDeployer(), forcePathStyle: true }).send(
                        new PutBucketPolicyCommand({
                            Bucket: other.bucket,
                            Policy: JSON.stringify({ Version: "2012-10-17", Statement: [] }),
                        }),
                    ),
            ],
            [
                "delete another stack's bucket",
                () => new S3Client({ ...asDeployer(), forcePathStyle: true }).send(new DeleteBucketCommand({ Bucket: other.bucket })),
            ],
            [
                "erase a version of another stack's access log",
                () =>
                    new S3Client({ ...asDeployer(), forcePathStyle: true }).send(
                        new DeleteObjectCommand({ Bucket: other.logBucket, Key: other.logKey, VersionId: other.otherLogVersion }),
                    ),
            ],
            [
                "a role without the boundary (then trusting itself, with any inline policy)",
                () =>
                    new IAMClient(asDeployer()).send(
                        new CreateRoleCommand({
                            RoleName: "watch-role-escalate",
                            Path: ownRolePath,
                            AssumeRolePolicyDocument: trustOf(deployerArn()),
                        }),
                    ),
            ],
            [
                "a role with another, stronger boundary",
                () =>
                    new IAMClient(asDeployer()).send(
                        new CreateRoleCommand({
                            RoleName: "watch-role-escalate",
                            Path: ownRolePath,
                            AssumeRolePolicyDocument: trustOf(deployerArn()),
                            PermissionsBoundary: other.adminPolicyArn,
                        }),
                    ),
            ],
            [
                "an inline admin policy on the watch role is allowed only with the boundary (it is there), so: loosen the boundary itself",
                () =>
                    new IAMClient(asDeployer()).send(
                        new CreatePolicyVersionCommand({ PolicyArn: boundaryArn(), PolicyDocument: ADMIN, SetAsDefault: true }),
                    ),
            ],
            [
                "take the boundary off the watch role",
                () => new IAMClient(asDeployer()).send(new DeleteRolePermissionsBoundaryCommand({ RoleName: other.watchRoleName })),
            ],
            [
                "an inline policy on a role outside the stack's role path",
                () =>
                    new IAMClient(asDeployer()).send(
                        new PutRolePolicyCommand({ RoleName: other.adminRoleName, PolicyName: "x", PolicyDocument: ADMIN }),
                    ),
            ],
            [
                "rewrite another stack's watch role (its trust policy)",
                () =>
                    new IAMClient(asDeployer()).send(
                        new UpdateAssumeRolePolicyCommand({ RoleName: other.otherWatchRoleName, PolicyDocument: trustOf(deployerArn()) }),
                    ),
            ],
            [
                "an inline policy on a watch role with the shared names of before (another stack's)",
                () =>
                    new IAMClient(asDeployer()).send(
                        new PutRolePolicyCommand({ RoleName: other.legacyWatchRoleName, PolicyName: "x", PolicyDocument: ADMIN }),
                    ),
            ],
            [
                "silence another stack's alarm (delete it)",
                () => new CloudWatchClient(asDeployer()).send(new DeleteAlarmsCommand({ AlarmNames: [other.otherAlarmName] })),
            ],
            ["an A record outside the stack's names", () => changeRecord("A", `evil.${ZONE}`)],
            ["a TXT record for another name's challenge", () => changeRecord("TXT", `_acme-challenge.evil.${ZONE}`)],
            ["a record in another zone", () => changeRecord("TXT", `_acme-challenge.www.${other.zoneName}`, other.zoneId)],
            [
                "another stack's certificate",
                () =>
                    new IAMClient(asDeployer()).send(new DeleteServerCertificateCommand({ ServerCertificateName: other.certificateName })),
            ],
            [
                "the certificate of another project's stack of the same name",
                () =>
                    new IAMClient(asDeployer()).send(
                        new DeleteServerCertificateCommand({ ServerCertificateName: `${other.certificateName}-same-stack-name` }),
                    ),
            ],
            [
                "a certificate under the stack's name alone (the path of earlier versions, every project's)",
                () =>
                    new IAMClient(asDeployer()).send(
                        new DeleteServerCertificateCommand({ ServerCertificateName: `${other.certificateName}-former-path` }),
                    ),
            ],
            [
                "a distribution without the stack's tag",
                () =>
                    new CloudFrontClient(asDeployer()).send(
                        new CreateDistributionCommand({
                            DistributionConfig: testDistributionConfig([`www2.${ZONE}`], "ASCAEXAMPLE0123456789"),
                        }),
                    ),
            ],
            [
                "another stack's Origin Access Identity (delete)",
                () =>
                    new CloudFrontClient(asDeployer()).send(
                        new DeleteCloudFrontOriginAccessIdentityCommand({ Id: other.originAccessIdentityId, IfMatch: "x" }),
                    ),
            ],
            [
                "another distribution (read)",
                () => new CloudFrontClient(asDeployer()).send(new GetDistributionCommand({ Id: other.distributionId })),
            ],
            [
                "another distribution (delete)",
                () => new CloudFrontClient(asDeployer()).send(new DeleteDistributionCommand({ Id: other.distributionId, IfMatch: "x" })),
            ],
            [
                "another stack's bucket",
                () =>
                    new S3Client({ ...asDeployer(), forcePathStyle: true }).send(
                        new PutObjectCommand({ Bucket: other.bucket, Key: "index.html", Body: "defaced" }),
                    ),
            ],
            [
                "erase an access log (a version of it)",
                () =>
                    new S3Client({ ...asDeployer(), forcePathStyle: true }).send(
                        new DeleteObjectCommand({ Bucket: outputs.logBucketName, Key: other.logKey, VersionId: other.logVersion }),
                    ),
            ],
        ];
        const results = [...bootstrapResults, ...(await tryEach(attempts))];
        // The widened inline policy goes again (the boundary on, so allowed), as the role was.
        await new IAMClient(asDeployer()).send(new DeleteRolePolicyCommand({ RoleName: other.watchRoleName, PolicyName: "widened" }));
        console.log(results.map((r) => `        ${r}`).join("\n"));
        assert.deepEqual(
            results.filter((r) => !/: (AccessDenied|AccessDeniedException) /.test(r)),
            [],
            "every attempt is AccessDenied",
        );

        // 5. Destroy: buckets and logs are kept (destroyBuckets off), everything else goes, and the ACME
        // account is deactivated: its key, in any copy of the state, can no longer order.
        const secrets = JSON.parse((await step("stack", "export", "--show-secrets")).output) as {
            deployment: { resources: Array<{ type: string; outputs?: Record<string, unknown> }> };
        };
        const account = secrets.deployment.resources.find((r) => r.type === "pulumi-nodejs:dynamic/cloudfront-china:AcmeAccount")!.outputs!;
        const accountKey = JSON.parse((account.accountKeyPem as { plaintext: string }).plaintext) as string;
        const accountActs = () =>
            new acme.Client({ directoryUrl: pebble.directoryUrl, accountKey, accountUrl: account.accountUrl as string })
                .updateAccount({})
                .then(
                    () => "valid",
                    (e: Error) => e.message,
                );
        assert.equal(await accountActs(), "valid");
        const destroyed = await step("destroy", "--yes");
        assert.match(await accountActs(), /deactivated|unauthorized/i);
        assert.deepEqual(destroyed.made.filter((d) => !d.allowed).map(describeDecision), []);
        // The watch role's session: its own namespace allowed, the two other namespaces denied by the boundary.
        assert.deepEqual(
            decisions(session.AccessKeyId!).map((d) => [d.action, d.allowed, d.context?.["cloudwatch:namespace"]?.[0]]),
            [
                ["cloudwatch:PutMetricData", true, ownNamespace],
                ["cloudwatch:PutMetricData", false, `CloudFrontChina/Site/${otherStackId}`],
                ["cloudwatch:PutMetricData", false, "CloudFrontChina/Site"],
            ],
        );
        const byWatchRole = 2;
        const all = decisions();
        const deniedInPreview = refusedDecisions.filter((d) => !d.allowed).length;
        const allowed = all.filter((d) => d.allowed);
        console.log(
            `      the deployer: ${allowed.length} checked calls allowed (${new Set(allowed.map((d) => d.action)).size} distinct actions), ` +
                `${all.length - allowed.length} denied (${deniedInPreview} in the preview without a grant, the ${attempts.length + bootstrapAttempts.length - byWatchRole} attempts); ` +
                `the watch role: ${byWatchRole} attempts denied, its own namespace allowed`,
        );
        assert.equal(
            all.length - allowed.length,
            deniedInPreview + attempts.length - byWatchRole + bootstrapAttempts.length,
            "the only denials are the refused preview's and the attempts",
        );
        assert.ok(allowed.length > 50, `the runs made enough calls to mean something (${allowed.length})`);
    });

    async function tryEach(list: Array<[string, () => Promise<unknown>]>): Promise<string[]> {
        const results: string[] = [];
        for (const [what, attempt] of list) {
            const error = await attempt().then(
                () => undefined,
                (e: Error & { name?: string; Code?: string }) => e,
            );
            results.push(`${what}: ${error ? `${error.name} ${error.message.slice(0, 160)}` : "ALLOWED"}`);
        }
        return results;
    }
    const updateOther = async (id: string) => {
        const current = await new CloudFrontClient(asRoot).send(new GetDistributionConfigCommand({ Id: id }));
        return new CloudFrontClient(asDeployer()).send(
            new UpdateDistributionCommand({
                Id: id,
                IfMatch: current.ETag,
                DistributionConfig: { ...current.DistributionConfig!, Comment: "taken over" },
            }),
        );
    };
    /** The stack's own IAM path for its watch role (core/sites.ts, stackId): the attempts there lack only the boundary. */
    const ownRolePath = `/${stackId("cloudfront-china", STACK)}/`;
    const ADMIN = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] });
    const deployerArn = () => `arn:aws-cn:iam::${ACCOUNT}:user/deployer`;
    const boundaryArn = () => `arn:aws-cn:iam::${ACCOUNT}:policy/cloudfront-china-watch-boundary`;
    const trustOf = (arn: string) =>
        JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: arn }, Action: "sts:AssumeRole" }] });
    const changeRecord = (type: "A" | "TXT", name: string, zone = zoneId) =>
        new Route53Client(asDeployer()).send(
            new ChangeResourceRecordSetsCommand({
                HostedZoneId: zone,
                ChangeBatch: {
                    Changes: [
                        {
                            Action: "UPSERT",
                            ResourceRecordSet: {
                                Name: name,
                                Type: type,
                                TTL: 60,
                                ResourceRecords: [{ Value: type === "A" ? "192.0.2.1" : '"x"' }],
                            },
                        },
                    ],
                },
            }),
        );

    /** As the account root: another stack's zone, certificate, distribution and bucket; an admin role and policy; a log object. */
    async function setUpAnotherStack(outputs: Record<string, string>) {
        const iam = new IAMClient(asRoot);
        const adminPolicyArn = (await iam.send(new CreatePolicyCommand({ PolicyName: "admin-everything", PolicyDocument: ADMIN }))).Policy!
            .Arn!;
        const adminRoleName = "ops-admin";
        await iam.send(
            new CreateRoleCommand({ RoleName: adminRoleName, AssumeRolePolicyDocument: trustOf(`arn:aws-cn:iam::${ACCOUNT}:root`) }),
        );
        const state = JSON.parse((await step("stack", "export")).output) as {
            deployment: { resources: Array<{ type: string; id?: string }> };
        };
        const watchRoleName = state.deployment.resources.find((r) => r.type === "aws:iam/role:Role")!.id!;
        // Another stack's watch: its role under its own path, one with the names of before, an alarm.
        const otherWatchRoleName = "watch-role-otherstack";
        await iam.send(
            new CreateRoleCommand({
                RoleName: otherWatchRoleName,
                Path: "/cfcn-0123456789/",
                AssumeRolePolicyDocument: trustOf(`arn:aws-cn:iam::${ACCOUNT}:root`),
            }),
        );
        const legacyWatchRoleName = "watch-role-legacy01";
        await iam.send(
            new CreateRoleCommand({ RoleName: legacyWatchRoleName, AssumeRolePolicyDocument: trustOf(`arn:aws-cn:iam::${ACCOUNT}:root`) }),
        );
        const otherAlarmName = "cfcn-0123456789-watch-expiry-www.other.example.cn";
        await new CloudWatchClient(asRoot).send(
            new PutMetricAlarmCommand({
                AlarmName: otherAlarmName,
                Namespace: "CloudFrontChina/Site",
                MetricName: "ExpiryOk",
                Statistic: "Minimum",
                Period: 3600,
                EvaluationPeriods: 2,
                Threshold: 1,
                ComparisonOperator: "LessThanThreshold",
            }),
        );
        const otherZone = "other.example.cn";
        const zone = await new Route53Client(asRoot).send(
            new CreateHostedZoneCommand({ Name: otherZone, CallerReference: `other-${Date.now()}` }),
        );
        const certificate = execFileSync(
            "openssl",
            [
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "30",
                "-subj",
                `/CN=www.${otherZone}`,
                "-keyout",
                path.join(work, "other.key"),
                "-out",
                "-",
            ],
            { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
        );
        const certificateName = `www.${otherZone}-other`;
        // Another stack's; another project's stack of this stack's name; and what an earlier version
        // uploaded for a stack of this name (/cloudfront/<stack>/, which every project's shared).
        const certificatePaths = {
            [certificateName]: "/cloudfront/other/",
            [`${certificateName}-same-stack-name`]: `/cloudfront/another-project/${STACK}/certificate/`,
            [`${certificateName}-former-path`]: `/cloudfront/${STACK}/certificate/`,
        };
        for (const [name, at] of Object.entries(certificatePaths)) {
            await iam.send(
                new UploadServerCertificateCommand({
                    ServerCertificateName: name,
                    Path: at,
                    CertificateBody: certificate,
                    PrivateKey: fs.readFileSync(path.join(work, "other.key"), "utf8"),
                }),
            );
        }
        const distribution = await new CloudFrontClient(asRoot).send(
            new CreateDistributionCommand({ DistributionConfig: testDistributionConfig([`www.${otherZone}`], "ASCAEXAMPLE0123456789") }),
        );
        const otherOai = await new CloudFrontClient(asRoot).send(
            new CreateCloudFrontOriginAccessIdentityCommand({
                CloudFrontOriginAccessIdentityConfig: { CallerReference: `other-${Date.now()}`, Comment: "another stack's" },
            }),
        );
        const bucket = `site-bucket-other-${Date.now().toString(36)}`;
        const logBucket = `site-logs-other-${Date.now().toString(36)}`;
        const s3 = new S3Client({ ...asRoot, forcePathStyle: true });
        for (const b of [bucket, logBucket]) {
            await s3.send(new CreateBucketCommand({ Bucket: b, CreateBucketConfiguration: { LocationConstraint: "cn-north-1" } }));
        }
        await s3.send(new PutBucketVersioningCommand({ Bucket: logBucket, VersioningConfiguration: { Status: "Enabled" } }));
        // An access log as CloudFront delivers it, in this stack's (versioned) log bucket.
        const logKey = `cloudfront/E000.2026-12-01-00.abcd.gz`;
        const put = await s3.send(new PutObjectCommand({ Bucket: outputs.logBucketName, Key: logKey, Body: "log" }));
        const otherPut = await s3.send(new PutObjectCommand({ Bucket: logBucket, Key: logKey, Body: "log" }));
        return {
            adminPolicyArn,
            adminRoleName,
            watchRoleName,
            otherWatchRoleName,
            legacyWatchRoleName,
            otherAlarmName,
            zoneName: otherZone,
            zoneId: zone.HostedZone!.Id!.replace(/^\/hostedzone\//, ""),
            certificateName,
            originAccessIdentityId: otherOai.CloudFrontOriginAccessIdentity!.Id!,
            distributionId: distribution.Distribution!.Id!,
            distributionArn: distribution.Distribution!.ARN!,
            bucket,
            logBucket,
            otherLogVersion: otherPut.VersionId!,
            logKey,
            logVersion: put.VersionId!,
        };
    }
});
