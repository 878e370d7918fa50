/**
 * The stand-in aws plugin (tests/standin-aws): its input checks against @pulumi/aws's declarations,
 * and the options the Quickstart does not turn on (the watch, versioning, destroyBuckets, a
 * certificate of one's own, no hosted zone) deployed and destroyed by the project's own program
 * under the CLI.
 */
import * as assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { GetFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CloudWatchClient, GetDashboardCommand } from "@aws-sdk/client-cloudwatch";
import { CreatePolicyCommand, DeletePolicyCommand, GetRoleCommand, IAMClient, UploadServerCertificateCommand } from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { copyProjectProgram, engineEnv } from "./support/engine";
import { usePeers } from "./support/fixture";
import { tempDir } from "./support/peers";
import { installStandInAws } from "./support/standinAws";
import { argsShape, schemaFailures } from "./standin-aws/schema";

const root = path.resolve(__dirname, "..");

describe("stand-in aws plugin: inputs checked against pulumi-aws's declarations", () => {
    it("refuses an unknown property and a missing required one, at the top level and nested, naming them", () => {
        const bucket = schemaFailures(argsShape("aws:s3/bucket:Bucket"), { bucket: "site", forceDestroy: true, bogus: 1 });
        assert.deepEqual(
            bucket.map((f) => f.property),
            ["bogus"],
        );
        assert.match(bucket[0].reason, /pulumi-aws has no input 'bogus' here \(known: .*forceDestroy/);

        const distribution = schemaFailures(argsShape("aws:cloudfront/distribution:Distribution"), {
            enabled: true,
            defaultCacheBehavior: {
                targetOriginId: "s3",
                viewerProtocolPolicy: "redirect-to-https",
                allowedMethods: ["GET"],
                cachedMethods: ["GET"],
            },
            restrictions: { geoRestriction: { restrictionType: "none" } },
            viewerCertificate: { iamCertificateId: "ASCA1", sslSupportMethod: "sni-only", minimumProtocolVersion: "TLSv1.2_2021" },
            origins: [
                { domainName: "b.s3.cn-north-1.amazonaws.com.cn", originId: "s3", s3OriginConfig: { originAccessIdentity: "x", oops: 1 } },
            ],
        });
        assert.deepEqual(
            distribution.map((f) => f.property),
            ["origins[0].s3OriginConfig.oops"],
        );
        const missing = schemaFailures(argsShape("aws:cloudfront/distribution:Distribution"), { enabled: true });
        assert.deepEqual(missing.map((f) => f.reason).sort(), [
            "Missing required property 'defaultCacheBehavior'",
            "Missing required property 'origins'",
            "Missing required property 'restrictions'",
            "Missing required property 'viewerCertificate'",
        ]);
    });
});

describe("the program with the watch, versioning and destroyBuckets, under the CLI with the stand-in", function () {
    this.timeout(600_000);
    let work: string;
    let program: string;
    let env: NodeJS.ProcessEnv;

    const pulumi = (...args: string[]) =>
        new Promise<{ code: number | null; output: string }>((resolve) => {
            const child = spawn("pulumi", [...args, "--non-interactive", "--stack", "options"], { cwd: program, env });
            let output = "";
            child.stdout.on("data", (d: Buffer) => (output += d.toString()));
            child.stderr.on("data", (d: Buffer) => (output += d.toString()));
            child.on("close", (code) => resolve({ code, output }));
        });
    const ok = async (...args: string[]) => {
        const r = await pulumi(...args);
        assert.equal(r.code, 0, `pulumi ${args.join(" ")}\n${r.output.slice(-5000)}`);
        return r.output;
    };

    before(async () => {
        await usePeers();
        work = tempDir("cfcn-options-");
        program = path.join(work, "program");
        copyProjectProgram(program);
        env = engineEnv(work);
        installStandInAws(env.PULUMI_HOME!);
    });

    it("deploys a Lambda watch with its alarms, a versioned bucket and a certificate of one's own; destroy removes the buckets too", async () => {
        // A certificate of one's own (no ACME): uploaded under /cloudfront/ as a user would.
        const dir = tempDir("cfcn-byo-");
        execFileSync(
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
                "/CN=options.example.cn",
                "-addext",
                "subjectAltName=DNS:options.example.cn",
                "-keyout",
                path.join(dir, "key.pem"),
                "-out",
                path.join(dir, "cert.pem"),
            ],
            { stdio: "ignore" },
        );
        const uploaded = await new IAMClient({ region: "cn-north-1" }).send(
            new UploadServerCertificateCommand({
                ServerCertificateName: `options-${Date.now()}`,
                Path: "/cloudfront/options/",
                CertificateBody: fs.readFileSync(path.join(dir, "cert.pem"), "utf8"),
                PrivateKey: fs.readFileSync(path.join(dir, "key.pem"), "utf8"),
            }),
        );
        await ok("stack", "init");
        for (const [key, value] of [
            ["aws:region", "cn-northwest-1"],
            ["cloudfront-china:iamCertificateId", uploaded.ServerCertificateMetadata!.ServerCertificateId!],
            ["cloudfront-china:versioning", "true"],
            ["cloudfront-china:destroyBuckets", "true"],
            ["cloudfront-china:contentDir", "site"],
        ]) {
            await ok("config", "set", key, value);
        }
        await ok("config", "set", "--path", "cloudfront-china:domains[0]", "options.example.cn");
        await ok("config", "set", "--path", "cloudfront-china:watch.emails[0]", "ops@example.cn");

        // The watch role's boundary is missing: refused at preview, naming the key and the admin's step.
        const refused = await pulumi("preview");
        assert.notEqual(refused.code, 0);
        assert.match(
            refused.output,
            /`cloudfront-china:watch\.permissionsBoundary`: the watch role's permissions boundary arn:aws-cn:iam::\d{12}:policy\/cloudfront-china-watch-boundary cannot be read .*An account admin creates it once: `npm run --silent policy -- --watch-boundary --account \d{12} > boundary.json`/,
        );
        // The admin's step (docs/watch.md), with the document `npm run policy -- --watch-boundary` prints.
        const account = (await new STSClient({ region: "cn-northwest-1" }).send(new GetCallerIdentityCommand({}))).Account!;
        const boundary = execFileSync("npm", ["run", "--silent", "policy", "--", "--watch-boundary", "--account", account], {
            cwd: root,
            encoding: "utf8",
        });
        const iam = new IAMClient({ region: "cn-northwest-1" });
        const created = await iam.send(
            new CreatePolicyCommand({ PolicyName: "cloudfront-china-watch-boundary", PolicyDocument: boundary }),
        );

        const up = await ok("up", "--yes");
        assert.match(up, /aws:lambda:Function\s+watch-function\s+created/);
        assert.match(up, /aws:cloudwatch:MetricAlarm/);
        assert.match(up, /aws:s3:BucketVersioning\s+site-versioning\s+created/);
        const outputs = JSON.parse(await ok("stack", "output", "--json")) as Record<string, string>;
        assert.match(outputs.watchTopicArn, /^arn:aws-cn:sns:cn-northwest-1:\d+:cfcn-[0-9a-f]{10}-watch-alarms$/);
        const fn = JSON.parse(await ok("stack", "export")) as { deployment: { resources: Array<{ type: string; id?: string }> } };
        const functionName = fn.deployment.resources.find((r) => r.type === "aws:lambda/function:Function")!.id!;
        const config = await new LambdaClient({ region: "cn-northwest-1" }).send(new GetFunctionCommand({ FunctionName: functionName }));
        assert.equal(config.Configuration?.Runtime, "nodejs22.x");
        const roleName = config.Configuration!.Role!.split("/").pop()!;
        const role = await iam.send(new GetRoleCommand({ RoleName: roleName }));
        assert.equal(role.Role?.PermissionsBoundary?.PermissionsBoundaryArn, created.Policy!.Arn, "the watch role carries the boundary");

        // The watch's dashboard, as CloudWatch holds it: the per-alias picture, linked from the outputs.
        const dashboardName = /#dashboards:name=(.+)$/.exec(outputs.watchDashboardUrl)?.[1] ?? "";
        assert.match(
            outputs.watchDashboardUrl,
            /^https:\/\/console\.amazonaws\.cn\/cloudwatch\/home\?region=cn-northwest-1#dashboards:name=cfcn-[0-9a-f]{10}-watch-dashboard$/,
        );
        const cloudwatch = new CloudWatchClient({ region: "cn-northwest-1" });
        const body = JSON.parse((await cloudwatch.send(new GetDashboardCommand({ DashboardName: dashboardName }))).DashboardBody ?? "{}");
        const views = (body.widgets as Array<{ properties: { view?: string } }>).map((w) => w.properties.view).filter(Boolean);
        assert.deepEqual(views.slice(0, 3), ["gauge", "timeSeries", "singleValue"]);

        const noop = await ok("up", "--yes");
        assert.match(noop, /Resources:\s+\d+ unchanged\s/);

        await ok("destroy", "--yes");
        // destroyBuckets: the objects, their versions and the bucket are gone.
        await assert.rejects(
            new S3Client({ region: "cn-northwest-1", forcePathStyle: true }).send(new HeadBucketCommand({ Bucket: outputs.bucketName })),
        );
        await assert.rejects(new LambdaClient({ region: "cn-northwest-1" }).send(new GetFunctionCommand({ FunctionName: functionName })));
        await assert.rejects(cloudwatch.send(new GetDashboardCommand({ DashboardName: dashboardName })), /does not exist|ResourceNotFound/);
        await ok("stack", "rm", "--yes");
        await iam.send(new DeletePolicyCommand({ PolicyArn: created.Policy!.Arn }));
    });
});
