/**
 * The in-account watch (cloudfront-china:watch) under strict runtime mocks: the Lambda and its
 * schedule, the least-privilege role, the alarms (missing data breaching) and the topic, and that
 * none of it depends on the certificate resource.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import {
    DASHBOARD_MAX_WIDGETS,
    watchNamespace,
    dashboardBody,
    lambdaCode,
    outdatedBoundaryWarning,
    runtimeDeprecationWarning,
} from "../components/certificateWatch";
import { WATCH_NAMESPACE, watchBoundaryPolicy } from "../core/iamPolicy";
import { rateSeconds, readWatchConfig } from "../config/watch";
import { persistMetricData } from "../watch/handler";
import { runProgramUnderMocks } from "./support/pulumi";
import { stackId } from "../core/sites";

/** The stack's own metric namespace, once a program run has set the project and stack. */
const ownNamespace = () => watchNamespace(stackId(pulumi.getProject(), pulumi.getStack()));

const KEY = "cloudfront-china:watch";

const runProgram = (config: Record<string, unknown>) => runProgramUnderMocks(config);

const base = {
    "aws:region": "cn-north-1",
    "cloudfront-china:domains": ["www.example.cn", "*.shop.example.cn"],
    "cloudfront-china:hostedZoneId": "Z0123456789EXAMPLE",
};

describe("the in-account watch (cloudfront-china:watch) under mocks", () => {
    after(() => pulumi.runtime.setAllConfig({}, []));

    it("validates the key: emails, an EventBridge rate between 5 minutes and 12 hours, warnDays", () => {
        assert.deepEqual(readWatchConfig({ emails: ["ops@example.cn"] }, KEY), {
            problems: [],
            watch: {
                emails: ["ops@example.cn"],
                schedule: "rate(1 hour)",
                warnDays: undefined,
                permissionsBoundary: "cloudfront-china-watch-boundary",
            },
        });
        assert.equal(
            readWatchConfig({ emails: ["ops@example.cn"], permissionsBoundary: "arn:aws-cn:iam::123456789012:policy/team/watch-cap" }, KEY)
                .watch?.permissionsBoundary,
            "arn:aws-cn:iam::123456789012:policy/team/watch-cap",
        );
        for (const bad of ["arn:aws:iam::123456789012:policy/x", "has space", "", 7]) {
            assert.match(
                readWatchConfig({ emails: ["ops@example.cn"], permissionsBoundary: bad }, KEY).problems.join("\n"),
                /`cloudfront-china:watch\.permissionsBoundary` .* must be the name of a managed policy in the stack's account/,
                String(bad),
            );
        }
        assert.deepEqual(
            ["rate(1 hour)", "rate(30 minutes)", "rate(1 day)", "rate(1 hours)", "rate(2 hour)", "cron(0 * * * ? *)"].map(rateSeconds),
            [3600, 1800, 86400, undefined, undefined, undefined],
        );
        assert.equal(readWatchConfig(undefined, KEY).watch, undefined);
    });

    it("the runtime's deprecation: no warning months ahead, a warning with the days left from 90 days before, and after it", () => {
        const at = (iso: string) => Date.parse(iso);
        assert.equal(runtimeDeprecationWarning(at("2026-12-07T00:00:00Z")), undefined);
        assert.match(
            runtimeDeprecationWarning(at("2027-02-01T00:00:00Z")) ?? "",
            /runtime nodejs22\.x is deprecated in 88 day\(s\), on 2027-04-30 .*upgrade cloudfront-china/,
        );
        assert.match(runtimeDeprecationWarning(at("2027-05-02T00:00:00Z")) ?? "", /nodejs22\.x was deprecated on 2027-04-30/);
    });

    it("a boundary from before per-stack namespaces: a warning naming the two commands that update it; the current one (as IAM returns it, URL-encoded or not) none", () => {
        const arn = "arn:aws-cn:iam::123456789012:policy/cloudfront-china-watch-boundary";
        const current = JSON.stringify(watchBoundaryPolicy("123456789012", WATCH_NAMESPACE));
        assert.equal(outdatedBoundaryWarning(current, arn, "123456789012", "cloudfront-china:watch.permissionsBoundary"), undefined);
        assert.equal(outdatedBoundaryWarning(encodeURIComponent(current), arn, "123456789012", "w"), undefined);
        const before = current.replace(`${WATCH_NAMESPACE}/\${aws:PrincipalTag/cloudfront-china:stack-id}`, WATCH_NAMESPACE);
        assert.notEqual(before, current);
        assert.match(
            outdatedBoundaryWarning(encodeURIComponent(before), arn, "123456789012", "cloudfront-china:watch.permissionsBoundary") ?? "",
            /^`cloudfront-china:watch\.permissionsBoundary`: .* predates per-stack metric namespaces .*`npm run --silent policy -- --watch-boundary --account 123456789012 > boundary\.json` then `aws iam create-policy-version --policy-arn arn:aws-cn:iam::123456789012:policy\/cloudfront-china-watch-boundary --policy-document file:\/\/boundary\.json --set-as-default`/,
        );
    });

    it("absent: nothing of the watch is registered", async () => {
        const { mocks, outputs } = await runProgram(base);
        assert.deepEqual(
            mocks.registrations.filter((r) => /lambda|sns|cloudwatch|iam\/role|CertificateWatch/.test(r.type)),
            [],
        );
        assert.equal(outputs.watchTopicArn, undefined);
    });

    it("a nodejs22.x Lambda on an EventBridge schedule, with the check bundled and only the SDK required", async () => {
        const { mocks } = await runProgram({
            ...base,
            [KEY]: { emails: ["ops@example.cn", "web@example.cn"], schedule: "rate(30 minutes)", warnDays: 10 },
        });
        const fn = mocks.find("aws:lambda/function:Function", "watch-function")[0];
        assert.equal(fn.inputs.runtime, "nodejs22.x", "creating nodejs20.x functions is blocked in China");
        assert.equal(fn.inputs.handler, "index.handler");
        assert.equal(fn.inputs.memorySize, 128);
        assert.deepEqual(fn.inputs.environment.variables, {
            DISTRIBUTION_ID: mocks.find("aws:cloudfront/distribution:Distribution", "site-cdn")[0].id,
            METRIC_NAMESPACE: ownNamespace(),
            IAM_PATH_PREFIX: "/cloudfront/cloudfront-china/cn-north-1/",
            WARN_DAYS: "10",
        });
        // The archive holds one file: the closure-serialized handler with the check inside it.
        assert.equal(fn.inputs.code.__pulumiArchive, true);
        // The archive's one file: the closure-serialized handler with the check inside it.
        const code = await lambdaCode();
        assert.match(code, /exports\.handler = /);
        assert.ok(code.includes("function /*probeTls*/"), "the TLS probe is in the bundle");
        assert.deepEqual([...new Set([...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]))].sort(), [
            "@aws-sdk/client-cloudfront",
            "@aws-sdk/client-cloudwatch",
            "@aws-sdk/client-iam",
            "node:crypto",
            "node:tls",
        ]);
        const rule = mocks.find("aws:cloudwatch/eventRule:EventRule", "watch-schedule")[0];
        assert.equal(rule.inputs.scheduleExpression, "rate(30 minutes)");
        const target = mocks.find("aws:cloudwatch/eventTarget:EventTarget", "watch-target")[0];
        assert.equal(target.inputs.arn, "arn:aws-cn:lambda:cn-north-1:123456789012:function:watch-function");
        const permission = mocks.find("aws:lambda/permission:Permission", "watch-invoke")[0];
        assert.deepEqual(
            [permission.inputs.principal, permission.inputs.sourceArn, permission.inputs.action],
            ["events.amazonaws.com", "arn:aws-cn:events:cn-north-1:123456789012:rule/watch-schedule", "lambda:InvokeFunction"],
        );
        const subscriptions = mocks.find("aws:sns/topicSubscription:TopicSubscription");
        assert.deepEqual(
            subscriptions.map((s) => [s.inputs.protocol, s.inputs.endpoint, s.inputs.topic]),
            [
                ["email", "ops@example.cn", "arn:aws-cn:sns:cn-north-1:123456789012:watch-alarms"],
                ["email", "web@example.cn", "arn:aws-cn:sns:cn-north-1:123456789012:watch-alarms"],
            ],
        );
    });

    it("a least-privilege role: lambda.amazonaws.com, GetDistribution on this distribution, IAM reads, metrics in its namespace, its own logs", async () => {
        const { mocks } = await runProgram({ ...base, [KEY]: { emails: ["ops@example.cn"] } });
        const role = mocks.find("aws:iam/role:Role", "watch-role")[0];
        assert.deepEqual(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal, { Service: "lambda.amazonaws.com" });
        // Capped by the admin's boundary, whatever the inline policy says (docs/iam-policy.md).
        assert.equal(role.inputs.permissionsBoundary, "arn:aws-cn:iam::123456789012:policy/cloudfront-china-watch-boundary");
        // Every name carries the stack (project and stack): the role's path, the function, topic, schedule and alarms.
        const id = stackId(pulumi.getProject(), pulumi.getStack());
        assert.equal(role.inputs.path, `/${id}/`);
        // The tag the boundary reads: this role publishes under its own stack's namespace only.
        assert.equal(role.inputs.tags["cloudfront-china:stack-id"], id);
        assert.equal(ownNamespace(), `CloudFrontChina/Site/${id}`);
        assert.equal(mocks.find("aws:lambda/function:Function", "watch-function")[0].inputs.name, `${id}-watch`);
        assert.equal(mocks.find("aws:sns/topic:Topic", "watch-alarms")[0].inputs.name, `${id}-watch-alarms`);
        assert.equal(mocks.find("aws:cloudwatch/eventRule:EventRule", "watch-schedule")[0].inputs.name, `${id}-watch-schedule`);
        for (const alarm of mocks.registrations.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm")) {
            assert.ok(String(alarm.inputs.name).startsWith(`${id}-watch-`), String(alarm.inputs.name));
        }
        const policy = JSON.parse(mocks.find("aws:iam/rolePolicy:RolePolicy", "watch-policy")[0].inputs.policy) as {
            Statement: Array<{ Action: string[]; Resource: string; Condition?: unknown }>;
        };
        const distributionArn = mocks.find("aws:cloudfront/distribution:Distribution", "site-cdn")[0].state.arn;
        assert.deepEqual(
            policy.Statement.map((s) => [s.Action.join(","), s.Resource]),
            [
                ["cloudfront:GetDistribution", distributionArn],
                ["iam:ListServerCertificates", "*"],
                ["iam:GetServerCertificate", "arn:aws-cn:iam::123456789012:server-certificate/cloudfront/*"],
                ["cloudwatch:PutMetricData", "*"],
                [
                    "logs:CreateLogStream,logs:PutLogEvents",
                    "arn:aws-cn:logs:cn-north-1:123456789012:log-group:/aws/lambda/watch-function:*",
                ],
            ],
        );
        assert.deepEqual(policy.Statement[3].Condition, { StringEquals: { "cloudwatch:namespace": ownNamespace() } });
        for (const s of policy.Statement) {
            assert.doesNotMatch(s.Resource, /arn:aws:/, "every ARN from the partition");
        }
        const logs = mocks.find("aws:cloudwatch/logGroup:LogGroup", "watch-logs")[0];
        assert.deepEqual([logs.inputs.name, logs.inputs.retentionInDays], ["/aws/lambda/watch-function", 30]);
    });

    it("dns-persist-01 records with an end: the Lambda knows it and an alarm fires from 30 days before (dns-01: none)", async () => {
        const until = new Date(Date.now() + 200 * 86400_000).toISOString().slice(0, 10);
        const seconds = Date.parse(`${until}T00:00:00Z`) / 1000;
        const { mocks } = await runProgram({
            ...base,
            "cloudfront-china:challenge": "dns-persist-01",
            "cloudfront-china:dnsPersistUntil": until,
            [KEY]: { emails: ["ops@example.cn"] },
        });
        const fn = mocks.find("aws:lambda/function:Function", "watch-function")[0];
        assert.equal(fn.inputs.environment.variables.PERSIST_UNTIL, String(seconds));
        const alarm = mocks.find("aws:cloudwatch/metricAlarm:MetricAlarm", "watch-persist-records")[0];
        assert.equal(alarm.inputs.metricName, "PersistRecordsOk");
        assert.equal(alarm.inputs.treatMissingData, "breaching");
        assert.match(
            alarm.inputs.alarmDescription,
            new RegExp(`end on ${until} \\(persistUntil\\).*set cloudfront-china:dnsPersistUntil to a later date`),
        );
        const [daysLeft, ok] = persistMetricData("E1", seconds, new Date(Date.now()));
        assert.ok(Math.abs((daysLeft.Value as number) - (seconds * 1000 - Date.now()) / 86400_000) < 0.01);
        assert.equal(ok.Value, 1);
        assert.equal(persistMetricData("E1", Math.floor(Date.now() / 1000) + 29 * 86400, new Date())[1].Value, 0, "29 days left: alarm");

        const dns01 = await runProgram({
            ...base,
            "cloudfront-china:challenge": "dns-01",
            "cloudfront-china:dnsPersistUntil": until,
            [KEY]: { emails: ["ops@example.cn"] },
        });
        assert.equal(dns01.mocks.find("aws:cloudwatch/metricAlarm:MetricAlarm", "watch-persist-records").length, 0);
    });

    it("alarms per alias, missing data breaching, two runs in a row, to the topic; a wildcard gets the ICP alarm only", async () => {
        const { mocks } = await runProgram({ ...base, [KEY]: { emails: ["ops@example.cn"], schedule: "rate(2 hours)" } });
        const alarms = mocks.find("aws:cloudwatch/metricAlarm:MetricAlarm");
        assert.deepEqual(alarms.map((a) => a.name).sort(), [
            "watch-expiry-www.example.cn",
            "watch-icp-wildcard.shop.example.cn",
            "watch-icp-www.example.cn",
            "watch-probe-www.example.cn",
        ]);
        const distributionId = mocks.find("aws:cloudfront/distribution:Distribution", "site-cdn")[0].id;
        for (const a of alarms) {
            assert.equal(a.inputs.namespace, ownNamespace());
            assert.equal(a.inputs.treatMissingData, "breaching", `${a.name}: a dead watch alarms too`);
            assert.deepEqual(
                [
                    a.inputs.comparisonOperator,
                    a.inputs.threshold,
                    a.inputs.statistic,
                    a.inputs.period,
                    a.inputs.evaluationPeriods,
                    a.inputs.datapointsToAlarm,
                ],
                ["LessThanThreshold", 1, "Minimum", 7200, 2, 2],
            );
            assert.equal(a.inputs.dimensions.DistributionId, distributionId);
            assert.deepEqual(a.inputs.alarmActions, ["arn:aws-cn:sns:cn-north-1:123456789012:watch-alarms"]);
            assert.match(a.inputs.alarmDescription, /What to do: /);
        }
        assert.deepEqual(Object.fromEntries(alarms.map((a) => [a.name, a.inputs.metricName])), {
            "watch-expiry-www.example.cn": "ExpiryOk",
            "watch-icp-wildcard.shop.example.cn": "IcpApproved",
            "watch-icp-www.example.cn": "IcpApproved",
            "watch-probe-www.example.cn": "ProbeOk",
        });
        assert.equal(alarms.find((a) => a.name === "watch-icp-wildcard.shop.example.cn")?.inputs.dimensions.Alias, "*.shop.example.cn");
    });

    it("several sites (cloudfront-china:sites): one watch checks every distribution; each alias is alarmed and drawn with its own distribution", async () => {
        const { mocks } = await runProgram({
            ...base,
            "cloudfront-china:sites": [{ name: "blog", domains: ["blog.example.cn"] }],
            [KEY]: { emails: ["ops@example.cn"] },
        });
        const [first, blog] = ["site-cdn", "site-blog-cdn"].map((n) => mocks.find("aws:cloudfront/distribution:Distribution", n)[0]);
        const fn = mocks.find("aws:lambda/function:Function", "watch-function")[0];
        assert.equal(fn.inputs.environment.variables.DISTRIBUTION_ID, first.id);
        assert.equal(fn.inputs.environment.variables.MORE_DISTRIBUTION_IDS, blog.id);
        const policy = JSON.parse(mocks.find("aws:iam/rolePolicy:RolePolicy", "watch-policy")[0].inputs.policy) as {
            Statement: Array<{ Action: string[]; Resource: string | string[] }>;
        };
        assert.deepEqual(policy.Statement[0], {
            Effect: "Allow",
            Action: ["cloudfront:GetDistribution"],
            Resource: [first.state.arn, blog.state.arn],
        });
        const alarms = mocks.find("aws:cloudwatch/metricAlarm:MetricAlarm");
        const blogAlarms = alarms.filter((a) => a.inputs.dimensions.Alias === "blog.example.cn");
        assert.deepEqual(
            blogAlarms.map((a) => [a.name, a.inputs.dimensions.DistributionId]),
            alarms
                .filter((a) => a.inputs.dimensions.Alias === "www.example.cn")
                .map((a) => [a.name.replace("www.example.cn", "blog.example.cn"), blog.id]),
            "the same alarms as the first site's aliases, on the blog's distribution",
        );
        assert.ok(blogAlarms.length >= 3);
        const widgets = (
            JSON.parse(mocks.find("aws:cloudwatch/dashboard:Dashboard", "watch-dashboard")[0].inputs.dashboardBody) as {
                widgets: Array<{ type: string; y: number; properties: { markdown?: string; metrics?: string[][] } }>;
            }
        ).widgets;
        assert.deepEqual(
            widgets.filter((w) => w.type === "text").map((w) => [w.properties.markdown, w.y]),
            [
                ["### www.example.cn", 0],
                ["### *.shop.example.cn", 7],
                ["### blog.example.cn", 14],
            ],
        );
        const blogMetrics = widgets.flatMap((w) => w.properties.metrics ?? []).filter((m) => m.includes("blog.example.cn"));
        assert.ok(blogMetrics.length > 0 && blogMetrics.every((m) => m[3] === blog.id));
    });

    it("a dashboard past CloudWatch's 500 widgets draws what fits and names the aliases left out (their alarms still run)", () => {
        const aliases = Array.from({ length: 130 }, (_, i) => `a${i}.example.cn`);
        const body = dashboardBody({
            region: "cn-north-1",
            namespace: "CloudFrontChina/Site/cfcn-0123456789",
            distributionId: "E1FIRST",
            aliases: aliases.slice(0, 100),
            moreSites: [{ distributionId: "E2BLOG", aliases: aliases.slice(100) }],
        });
        assert.ok(body.widgets.length <= DASHBOARD_MAX_WIDGETS, String(body.widgets.length));
        const texts = (body.widgets as Array<{ type: string; properties: { markdown?: string } }>)
            .filter((w) => w.type === "text")
            .map((w) => w.properties.markdown ?? "");
        assert.equal(texts.length, 125, "124 aliases drawn, then the note");
        assert.match(
            texts[124],
            /^6 more alias\(es\) not drawn \(a dashboard holds 500 widgets\): a124\.example\.cn, .*a129\.example\.cn\./,
        );
        assert.equal(
            dashboardBody({
                region: "cn-north-1",
                namespace: "CloudFrontChina/Site/cfcn-0123456789",
                distributionId: "E1",
                aliases: aliases.slice(0, 124),
            }).widgets.length,
            496,
        );
    });

    it("a dashboard with the per-alias picture: days left as a gauge and a line with the alarm mark, probe and ICP; a wildcard its ICP only", async () => {
        const { mocks, outputs } = await runProgram({ ...base, [KEY]: { emails: ["ops@example.cn"], warnDays: 10 } });
        const [dashboard] = mocks.find("aws:cloudwatch/dashboard:Dashboard", "watch-dashboard");
        assert.equal(dashboard.inputs.dashboardName, `${stackId(pulumi.getProject(), pulumi.getStack())}-watch-dashboard`);
        const distributionId = mocks.find("aws:cloudfront/distribution:Distribution", "site-cdn")[0].id;
        interface Widget {
            type: string;
            properties: {
                markdown?: string;
                view?: string;
                region?: string;
                metrics: string[][];
                annotations: { horizontal: Array<{ value: number }> };
            };
        }
        const widgets = (JSON.parse(dashboard.inputs.dashboardBody) as { widgets: Widget[] }).widgets;
        assert.deepEqual(
            widgets.filter((w) => w.type === "text").map((w) => w.properties.markdown),
            ["### www.example.cn", "### *.shop.example.cn"],
        );
        const ofAlias = (alias: string) =>
            widgets.filter((w) => w.type === "metric" && w.properties.metrics.some((m) => m.includes(alias)));
        const www = ofAlias("www.example.cn");
        assert.deepEqual(
            www.map((w) => w.properties.view),
            ["gauge", "timeSeries", "singleValue"],
        );
        for (const w of www.slice(0, 2)) {
            assert.deepEqual(w.properties.metrics, [
                [ownNamespace(), "DaysToExpiry", "DistributionId", distributionId, "Alias", "www.example.cn"],
            ]);
            assert.equal(w.properties.annotations.horizontal[0].value, 10, "the alarm threshold is marked");
            assert.equal(w.properties.region, "cn-north-1");
        }
        assert.deepEqual(
            www[2].properties.metrics.map((m) => m[1]),
            ["ProbeOk", "IcpApproved"],
        );
        const wildcard = ofAlias("*.shop.example.cn");
        assert.deepEqual(
            wildcard.map((w) => [w.properties.view, w.properties.metrics.map((m) => m[1])]),
            [["singleValue", ["IcpApproved"]]],
            "no handshake for a wildcard, so no days left or probe",
        );
        assert.match(
            String(outputs.watchDashboardUrl),
            /^https:\/\/console\.amazonaws\.cn\/cloudwatch\/home\?region=cn-north-1#dashboards:name=cfcn-[0-9a-f]{10}-watch-dashboard$/,
        );
    });

    it("depends on the distribution, never on the certificate resource (it must keep watching when renewal is broken)", async () => {
        const { mocks, dependencies } = await runProgram({ ...base, [KEY]: { emails: ["ops@example.cn"] } });
        const watchResources = mocks.registrations.filter((r) => r.name.startsWith("watch-")).map((r) => r.name);
        assert.ok(watchResources.length >= 10, watchResources.join(", "));
        for (const name of watchResources) {
            for (const dep of dependencies[name] ?? []) {
                assert.ok(!["certificate", "acme-account"].includes(dep), `${name} depends on ${dep}`);
            }
        }
        assert.ok(
            watchResources.some((n) => (dependencies[n] ?? []).includes("site-cdn")),
            "the distribution id and ARN are its inputs",
        );
    });
});
