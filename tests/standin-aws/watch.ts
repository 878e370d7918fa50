/**
 * The resource types of the in-account watch (components/certificateWatch.ts): an SNS topic and its
 * subscriptions, the Lambda's role, inline policy, function, log group and invoke permission, the
 * EventBridge schedule and target, and the CloudWatch alarms. One create/update/delete per type
 * with the calls terraform-provider-aws makes (internal/service/{sns,iam,lambda,events,logs,cloudwatch}).
 */
/* eslint-disable @typescript-eslint/no-require-imports -- SDK loaded on first use */
import type * as CW from "@aws-sdk/client-cloudwatch";
import type * as Logs from "@aws-sdk/client-cloudwatch-logs";
import type * as Events from "@aws-sdk/client-eventbridge";
import type * as IAM from "@aws-sdk/client-iam";
import type * as Lambda from "@aws-sdk/client-lambda";
import type * as SNS from "@aws-sdk/client-sns";
import * as zlib from "node:zlib";
import { Context, FunctionHandler, Props, ResourceHandler, errorCode } from "./context";

const tags = (v: unknown) => Object.entries((v as Record<string, string> | undefined) ?? {});
const ignoreMissing =
    (...codes: string[]) =>
    (e: unknown) => {
        if (!codes.includes(errorCode(e))) {
            throw e;
        }
    };

const sns = (ctx: Context) => ctx.client((require("@aws-sdk/client-sns") as typeof SNS).SNSClient);
const snsSdk = () => require("@aws-sdk/client-sns") as typeof SNS;

const topic: ResourceHandler = {
    replaceOn: ["name", "namePrefix", "fifoTopic"],
    autoName: { property: "name", maxLength: 256 },
    async create(inputs, ctx) {
        const out = await sns(ctx).send(
            new (snsSdk().CreateTopicCommand)({
                Name: inputs.name as string,
                Tags: tags(inputs.tags).map(([Key, Value]) => ({ Key, Value })),
            }),
        );
        return { id: out.TopicArn!, outs: { ...inputs, arn: out.TopicArn, owner: await ctx.accountId(), tagsAll: inputs.tags ?? {} } };
    },
    async update(id, olds, news, ctx) {
        if (tags(news.tags).length > 0) {
            await sns(ctx).send(
                new (snsSdk().TagResourceCommand)({ ResourceArn: id, Tags: tags(news.tags).map(([Key, Value]) => ({ Key, Value })) }),
            );
        }
        return { ...olds, ...news, tagsAll: news.tags ?? {} };
    },
    async delete(id, _state, ctx) {
        await sns(ctx)
            .send(new (snsSdk().DeleteTopicCommand)({ TopicArn: id }))
            .catch(ignoreMissing("NotFound", "NotFoundException"));
    },
};

const topicSubscription: ResourceHandler = {
    replaceOn: ["topic", "protocol", "endpoint"],
    async create(inputs, ctx) {
        const out = await sns(ctx).send(
            new (snsSdk().SubscribeCommand)({
                TopicArn: inputs.topic as string,
                Protocol: inputs.protocol as string,
                Endpoint: inputs.endpoint as string,
                ReturnSubscriptionArn: true,
            }),
        );
        return { id: out.SubscriptionArn!, outs: { ...inputs, arn: out.SubscriptionArn, ownerId: await ctx.accountId() } };
    },
    async delete(id, _state, ctx) {
        await sns(ctx)
            .send(new (snsSdk().UnsubscribeCommand)({ SubscriptionArn: id }))
            .catch(ignoreMissing("NotFound", "NotFoundException"));
    },
};

const iamSdk = () => require("@aws-sdk/client-iam") as typeof IAM;
const iam = (ctx: Context) => ctx.client(iamSdk().IAMClient);

const role: ResourceHandler = {
    replaceOn: ["name", "namePrefix", "path"],
    autoName: { property: "name", maxLength: 64 },
    async create(inputs, ctx) {
        const out = await iam(ctx).send(
            new (iamSdk().CreateRoleCommand)({
                RoleName: inputs.name as string,
                Path: (inputs.path as string | undefined) ?? "/",
                AssumeRolePolicyDocument: inputs.assumeRolePolicy as string,
                PermissionsBoundary: (inputs.permissionsBoundary as string | undefined) || undefined,
                Tags: tags(inputs.tags).map(([Key, Value]) => ({ Key, Value })),
            }),
        );
        const r = out.Role!;
        return {
            id: r.RoleName!,
            outs: {
                ...inputs,
                arn: r.Arn,
                uniqueId: r.RoleId,
                createDate: r.CreateDate?.toISOString(),
                path: r.Path,
                tagsAll: inputs.tags ?? {},
            },
        };
    },
    async update(id, olds, news, ctx) {
        if (news.assumeRolePolicy !== olds.assumeRolePolicy) {
            await iam(ctx).send(
                new (iamSdk().UpdateAssumeRolePolicyCommand)({ RoleName: id, PolicyDocument: news.assumeRolePolicy as string }),
            );
        }
        // As pulumi-aws: the boundary is put on (or taken off) in place.
        if (news.permissionsBoundary !== olds.permissionsBoundary) {
            if (news.permissionsBoundary) {
                await iam(ctx).send(
                    new (iamSdk().PutRolePermissionsBoundaryCommand)({
                        RoleName: id,
                        PermissionsBoundary: news.permissionsBoundary as string,
                    }),
                );
            } else {
                await iam(ctx).send(new (iamSdk().DeleteRolePermissionsBoundaryCommand)({ RoleName: id }));
            }
        }
        if (tags(news.tags).length > 0) {
            await iam(ctx).send(
                new (iamSdk().TagRoleCommand)({ RoleName: id, Tags: tags(news.tags).map(([Key, Value]) => ({ Key, Value })) }),
            );
        }
        return { ...olds, ...news, tagsAll: news.tags ?? {} };
    },
    async delete(id, _state, ctx) {
        // The real provider removes inline policies before DeleteRole (DeleteConflict otherwise).
        const inline = await iam(ctx).send(new (iamSdk().ListRolePoliciesCommand)({ RoleName: id }));
        for (const name of inline.PolicyNames ?? []) {
            await iam(ctx).send(new (iamSdk().DeleteRolePolicyCommand)({ RoleName: id, PolicyName: name }));
        }
        await iam(ctx)
            .send(new (iamSdk().DeleteRoleCommand)({ RoleName: id }))
            .catch(ignoreMissing("NoSuchEntity"));
    },
};

const rolePolicy: ResourceHandler = {
    replaceOn: ["role", "name", "namePrefix"],
    autoName: { property: "name", maxLength: 128 },
    async create(inputs, ctx) {
        await iam(ctx).send(
            new (iamSdk().PutRolePolicyCommand)({
                RoleName: inputs.role as string,
                PolicyName: inputs.name as string,
                PolicyDocument: inputs.policy as string,
            }),
        );
        return { id: `${inputs.role as string}:${inputs.name as string}`, outs: inputs };
    },
    async update(_id, _olds, news, ctx) {
        await rolePolicy.create(news, ctx);
        return news;
    },
    async delete(_id, state, ctx) {
        await iam(ctx)
            .send(new (iamSdk().DeleteRolePolicyCommand)({ RoleName: state.role as string, PolicyName: state.name as string }))
            .catch(ignoreMissing("NoSuchEntity"));
    },
};

/** An archive as the engine sends it: `assets` by path, each with `text` (a StringAsset) or `path`. */
function zipArchive(archive: Props): Buffer {
    const assets = (archive.assets as Record<string, Props> | undefined) ?? {};
    const local: Buffer[] = [];
    const central: Buffer[] = [];
    let offset = 0;
    for (const [name, asset] of Object.entries(assets)) {
        if (typeof asset.text !== "string") {
            throw new Error(`the stand-in zips only StringAssets (got ${Object.keys(asset).join(", ")} for ${name})`);
        }
        const data = Buffer.from(asset.text);
        const packed = zlib.deflateRawSync(data);
        const fileName = Buffer.from(name);
        const crc = zlib.crc32(data);
        const header = Buffer.alloc(30);
        header.writeUInt32LE(0x04034b50, 0);
        header.writeUInt16LE(20, 4);
        header.writeUInt16LE(8, 8); // deflate
        header.writeUInt32LE(crc, 14);
        header.writeUInt32LE(packed.length, 18);
        header.writeUInt32LE(data.length, 22);
        header.writeUInt16LE(fileName.length, 26);
        const entry = Buffer.alloc(46);
        entry.writeUInt32LE(0x02014b50, 0);
        entry.writeUInt16LE(20, 4);
        entry.writeUInt16LE(20, 6);
        entry.writeUInt16LE(8, 10);
        entry.writeUInt32LE(crc, 16);
        entry.writeUInt32LE(packed.length, 20);
        entry.writeUInt32LE(data.length, 24);
        entry.writeUInt16LE(fileName.length, 28);
        entry.writeUInt32LE(offset, 42);
        local.push(header, fileName, packed);
        central.push(entry, fileName);
        offset += header.length + fileName.length + packed.length;
    }
    const centralSize = central.reduce((n, b) => n + b.length, 0);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(Object.keys(assets).length, 8);
    end.writeUInt16LE(Object.keys(assets).length, 10);
    end.writeUInt32LE(centralSize, 12);
    end.writeUInt32LE(offset, 16);
    return Buffer.concat([...local, ...central, end]);
}

const lambdaSdk = () => require("@aws-sdk/client-lambda") as typeof Lambda;
const lambda = (ctx: Context) => ctx.client(lambdaSdk().LambdaClient);

/** Runtimes Lambda no longer lets anyone create or update functions with (docs/watch.md, "Sources"). */
const BLOCKED_RUNTIMES = /^nodejs(1\d|20)\.x$/;

function functionOutputs(inputs: Props, f: Lambda.FunctionConfiguration, ctx: Context): Props {
    return {
        ...inputs,
        arn: f.FunctionArn,
        invokeArn: `arn:${ctx.partition}:apigateway:${ctx.region}:lambda:path/2015-03-31/functions/${f.FunctionArn}/invocations`,
        qualifiedArn: `${f.FunctionArn}:${f.Version}`,
        version: f.Version,
        lastModified: f.LastModified,
        sourceCodeHash: f.CodeSha256,
        sourceCodeSize: f.CodeSize,
        tagsAll: inputs.tags ?? {},
    };
}

const lambdaFunction: ResourceHandler = {
    replaceOn: ["name", "packageType"],
    autoName: { property: "name", maxLength: 64 },
    check(inputs) {
        return typeof inputs.runtime === "string" && BLOCKED_RUNTIMES.test(inputs.runtime)
            ? [
                  {
                      property: "runtime",
                      reason: `InvalidParameterValueException: The runtime parameter of ${inputs.runtime} is no longer supported for creating or updating AWS Lambda functions`,
                  },
              ]
            : [];
    },
    async create(inputs, ctx) {
        const env = inputs.environment as Props | undefined;
        const out = await lambda(ctx).send(
            new (lambdaSdk().CreateFunctionCommand)({
                FunctionName: inputs.name as string,
                Runtime: inputs.runtime as Lambda.Runtime,
                Handler: inputs.handler as string,
                Role: inputs.role as string,
                Code: { ZipFile: zipArchive(inputs.code as Props) },
                MemorySize: inputs.memorySize as number | undefined,
                Timeout: inputs.timeout as number | undefined,
                Environment: env ? { Variables: env.variables as Record<string, string> } : undefined,
                Tags: Object.fromEntries(tags(inputs.tags)),
            }),
        );
        return { id: inputs.name as string, outs: functionOutputs(inputs, out, ctx) };
    },
    async update(id, olds, news, ctx) {
        const { UpdateFunctionCodeCommand, UpdateFunctionConfigurationCommand } = lambdaSdk();
        if (JSON.stringify(olds.code) !== JSON.stringify(news.code)) {
            await lambda(ctx).send(new UpdateFunctionCodeCommand({ FunctionName: id, ZipFile: zipArchive(news.code as Props) }));
        }
        const env = news.environment as Props | undefined;
        const out = await lambda(ctx).send(
            new UpdateFunctionConfigurationCommand({
                FunctionName: id,
                Runtime: news.runtime as Lambda.Runtime,
                Handler: news.handler as string,
                Role: news.role as string,
                MemorySize: news.memorySize as number | undefined,
                Timeout: news.timeout as number | undefined,
                Environment: { Variables: (env?.variables as Record<string, string> | undefined) ?? {} },
            }),
        );
        return functionOutputs(news, out, ctx);
    },
    async delete(id, _state, ctx) {
        await lambda(ctx)
            .send(new (lambdaSdk().DeleteFunctionCommand)({ FunctionName: id }))
            .catch(ignoreMissing("ResourceNotFoundException"));
    },
};

const permission: ResourceHandler = {
    replaceOn: ["action", "function", "principal", "sourceArn", "sourceAccount", "statementId", "qualifier", "eventSourceToken"],
    autoName: { property: "statementId", maxLength: 100 },
    async create(inputs, ctx) {
        await lambda(ctx).send(
            new (lambdaSdk().AddPermissionCommand)({
                FunctionName: inputs.function as string,
                StatementId: inputs.statementId as string,
                Action: inputs.action as string,
                Principal: inputs.principal as string,
                SourceArn: inputs.sourceArn as string | undefined,
            }),
        );
        return { id: inputs.statementId as string, outs: inputs };
    },
    async delete(id, state, ctx) {
        await lambda(ctx)
            .send(new (lambdaSdk().RemovePermissionCommand)({ FunctionName: state.function as string, StatementId: id }))
            .catch(ignoreMissing("ResourceNotFoundException"));
    },
};

const eventsSdk = () => require("@aws-sdk/client-eventbridge") as typeof Events;
const events = (ctx: Context) => ctx.client(eventsSdk().EventBridgeClient);

const eventRule: ResourceHandler = {
    replaceOn: ["name", "namePrefix", "eventBusName"],
    autoName: { property: "name", maxLength: 64 },
    async create(inputs, ctx) {
        const out = await events(ctx).send(
            new (eventsSdk().PutRuleCommand)({
                Name: inputs.name as string,
                ScheduleExpression: inputs.scheduleExpression as string | undefined,
                EventPattern: inputs.eventPattern as string | undefined,
                State: inputs.state === "DISABLED" ? "DISABLED" : "ENABLED",
                Tags: tags(inputs.tags).map(([Key, Value]) => ({ Key, Value })),
            }),
        );
        return { id: inputs.name as string, outs: { ...inputs, arn: out.RuleArn, tagsAll: inputs.tags ?? {} } };
    },
    async update(_id, olds, news, ctx) {
        const { outs } = await eventRule.create(news, ctx);
        return { ...olds, ...outs };
    },
    async delete(id, _state, ctx) {
        await events(ctx)
            .send(new (eventsSdk().DeleteRuleCommand)({ Name: id }))
            .catch(ignoreMissing("ResourceNotFoundException"));
    },
};

const eventTarget: ResourceHandler = {
    replaceOn: ["rule", "targetId", "eventBusName"],
    autoName: { property: "targetId", maxLength: 64 },
    async create(inputs, ctx) {
        await events(ctx).send(
            new (eventsSdk().PutTargetsCommand)({
                Rule: inputs.rule as string,
                Targets: [{ Id: inputs.targetId as string, Arn: inputs.arn as string }],
            }),
        );
        return { id: `${inputs.rule as string}-${inputs.targetId as string}`, outs: inputs };
    },
    async update(_id, _olds, news, ctx) {
        await eventTarget.create(news, ctx);
        return news;
    },
    async delete(_id, state, ctx) {
        await events(ctx)
            .send(new (eventsSdk().RemoveTargetsCommand)({ Rule: state.rule as string, Ids: [state.targetId as string] }))
            .catch(ignoreMissing("ResourceNotFoundException"));
    },
};

const logsSdk = () => require("@aws-sdk/client-cloudwatch-logs") as typeof Logs;
const logs = (ctx: Context) => ctx.client(logsSdk().CloudWatchLogsClient);

const logGroup: ResourceHandler = {
    replaceOn: ["name", "namePrefix", "kmsKeyId", "logGroupClass"],
    autoName: { property: "name", maxLength: 512 },
    async create(inputs, ctx) {
        const name = inputs.name as string;
        await logs(ctx).send(new (logsSdk().CreateLogGroupCommand)({ logGroupName: name, tags: Object.fromEntries(tags(inputs.tags)) }));
        if (inputs.retentionInDays) {
            await logs(ctx).send(
                new (logsSdk().PutRetentionPolicyCommand)({ logGroupName: name, retentionInDays: inputs.retentionInDays as number }),
            );
        }
        return {
            id: name,
            outs: {
                ...inputs,
                arn: ctx.arn("logs", `log-group:${name}`, { region: true, account: await ctx.accountId() }),
                tagsAll: inputs.tags ?? {},
            },
        };
    },
    async update(id, olds, news, ctx) {
        await logs(ctx).send(
            new (logsSdk().PutRetentionPolicyCommand)({ logGroupName: id, retentionInDays: news.retentionInDays as number }),
        );
        return { ...olds, ...news };
    },
    async delete(id, _state, ctx) {
        await logs(ctx)
            .send(new (logsSdk().DeleteLogGroupCommand)({ logGroupName: id }))
            .catch(ignoreMissing("ResourceNotFoundException"));
    },
};

const cwSdk = () => require("@aws-sdk/client-cloudwatch") as typeof CW;
const cloudwatch = (ctx: Context) => ctx.client(cwSdk().CloudWatchClient);

const metricAlarm: ResourceHandler = {
    replaceOn: ["name"],
    autoName: { property: "name", maxLength: 255 },
    async create(inputs, ctx) {
        await cloudwatch(ctx).send(
            new (cwSdk().PutMetricAlarmCommand)({
                AlarmName: inputs.name as string,
                Namespace: inputs.namespace as string,
                MetricName: inputs.metricName as string,
                Dimensions: Object.entries((inputs.dimensions as Record<string, string> | undefined) ?? {}).map(([Name, Value]) => ({
                    Name,
                    Value,
                })),
                Statistic: inputs.statistic as CW.Statistic,
                Period: inputs.period as number,
                EvaluationPeriods: inputs.evaluationPeriods as number,
                DatapointsToAlarm: inputs.datapointsToAlarm as number | undefined,
                Threshold: inputs.threshold as number,
                ComparisonOperator: inputs.comparisonOperator as CW.ComparisonOperator,
                TreatMissingData: inputs.treatMissingData as string | undefined,
                AlarmDescription: inputs.alarmDescription as string | undefined,
                AlarmActions: inputs.alarmActions as string[] | undefined,
                OKActions: inputs.okActions as string[] | undefined,
                Tags: tags(inputs.tags).map(([Key, Value]) => ({ Key, Value })),
            }),
        );
        const name = inputs.name as string;
        return {
            id: name,
            outs: {
                ...inputs,
                arn: ctx.arn("cloudwatch", `alarm:${name}`, { region: true, account: await ctx.accountId() }),
                tagsAll: inputs.tags ?? {},
            },
        };
    },
    async update(_id, olds, news, ctx) {
        const { outs } = await metricAlarm.create(news, ctx);
        return { ...olds, ...outs };
    },
    async delete(id, _state, ctx) {
        await cloudwatch(ctx).send(new (cwSdk().DeleteAlarmsCommand)({ AlarmNames: [id] }));
    },
};

/** aws_cloudwatch_dashboard (internal/service/cloudwatch/dashboard.go): PutDashboard, GetDashboard, DeleteDashboards. */
const dashboard: ResourceHandler = {
    replaceOn: ["dashboardName"],
    async create(inputs, ctx) {
        const name = inputs.dashboardName as string;
        const out = await cloudwatch(ctx).send(
            new (cwSdk().PutDashboardCommand)({ DashboardName: name, DashboardBody: inputs.dashboardBody as string }),
        );
        if ((out.DashboardValidationMessages ?? []).length > 0) {
            throw new Error(`putting CloudWatch Dashboard (${name}): ${JSON.stringify(out.DashboardValidationMessages)}`);
        }
        return {
            id: name,
            outs: { ...inputs, dashboardArn: ctx.arn("cloudwatch", `dashboard/${name}`, { account: await ctx.accountId() }) },
        };
    },
    async read(id, state, ctx) {
        try {
            const got = await cloudwatch(ctx).send(new (cwSdk().GetDashboardCommand)({ DashboardName: id }));
            return { ...state, dashboardName: id, dashboardBody: got.DashboardBody, dashboardArn: got.DashboardArn };
        } catch (e) {
            if (errorCode(e) === "ResourceNotFound" || errorCode(e) === "ResourceNotFoundException") {
                return undefined;
            }
            throw e;
        }
    },
    async update(_id, olds, news, ctx) {
        const { outs } = await dashboard.create(news, ctx);
        return { ...olds, ...outs };
    },
    async delete(id, _state, ctx) {
        await cloudwatch(ctx).send(new (cwSdk().DeleteDashboardsCommand)({ DashboardNames: [id] }));
    },
};

/** The aws.iam.getPolicy data source by ARN (GetPolicy, then the default version's document), as pulumi-aws reads it. */
export const getPolicy: FunctionHandler = async (args, ctx) => {
    const arn = args.arn as string;
    const { Policy: p } = await iam(ctx).send(new (iamSdk().GetPolicyCommand)({ PolicyArn: arn }));
    const version = await iam(ctx).send(new (iamSdk().GetPolicyVersionCommand)({ PolicyArn: arn, VersionId: p!.DefaultVersionId! }));
    return {
        id: arn,
        arn,
        name: p!.PolicyName,
        path: p!.Path,
        policyId: p!.PolicyId,
        description: p!.Description ?? "",
        attachmentCount: p!.AttachmentCount ?? 0,
        policy: decodeURIComponent(version.PolicyVersion?.Document ?? ""),
        tags: Object.fromEntries((p!.Tags ?? []).map((t) => [t.Key!, t.Value!])),
    };
};

export const RESOURCES: Record<string, ResourceHandler> = {
    "aws:sns/topic:Topic": topic,
    "aws:sns/topicSubscription:TopicSubscription": topicSubscription,
    "aws:iam/role:Role": role,
    "aws:iam/rolePolicy:RolePolicy": rolePolicy,
    "aws:lambda/function:Function": lambdaFunction,
    "aws:lambda/permission:Permission": permission,
    "aws:cloudwatch/eventRule:EventRule": eventRule,
    "aws:cloudwatch/eventTarget:EventTarget": eventTarget,
    "aws:cloudwatch/logGroup:LogGroup": logGroup,
    "aws:cloudwatch/metricAlarm:MetricAlarm": metricAlarm,
    "aws:cloudwatch/dashboard:Dashboard": dashboard,
};
