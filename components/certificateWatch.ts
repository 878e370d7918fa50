/**
 * CertificateWatch: an in-account watch of the site (opt-in stack config `cloudfront-china:watch`).
 * A Lambda runs the live check (watch/liveCheck.ts, closure-serialized with watch/handler.ts) on an
 * EventBridge schedule and publishes per-alias metrics; CloudWatch alarms mail an SNS topic when a
 * certificate nears expiry, a probe fails, an ICP recordal is not APPROVED, or data stops coming.
 *
 * It depends on the distribution only, never on the certificate resource: it must keep watching
 * when renewal is broken. China specifics (docs/watch.md, "Sources"): runtime nodejs22.x
 * (new functions on the Node 20 runtime are blocked), service principals `lambda.amazonaws.com` and
 * `events.amazonaws.com` (not .com.cn), every ARN from the partition.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { METRICS, handler } from "../watch/handler";
import { WATCH_DEFAULTS, boundaryArn, rateSeconds } from "../config/watch";
import { InputError } from "../config/inputError";
import { PERSIST_WARN_DAYS } from "../core/challenges";
import { stackId } from "../core/sites";
import { WATCH_NAMESPACE, WATCH_STACK_TAG } from "../core/iamPolicy";

/** The stack's own metric namespace. */
export const watchNamespace = (stack: string) => `${WATCH_NAMESPACE}/${stack}`;
/**
 * The newest Node.js runtime Lambda offers in the China regions (docs/watch.md, "Sources"). Lambda
 * deprecates it on WATCH_RUNTIME_DEPRECATION: from then no new function can be made with it and
 * updates are blocked later, so the preview warns ahead (runtimeDeprecationWarning).
 */
export const WATCH_RUNTIME = "nodejs22.x";
export const WATCH_RUNTIME_DEPRECATION = "2027-04-30";
/** How long before the deprecation the preview starts to warn. */
const RUNTIME_WARN_DAYS = 90;

/** The warning a preview prints when the watch's runtime is deprecated or soon will be; undefined before that. */
export function runtimeDeprecationWarning(now: number): string | undefined {
    const days = Math.ceil((Date.parse(`${WATCH_RUNTIME_DEPRECATION}T00:00:00Z`) - now) / 86_400_000);
    if (days > RUNTIME_WARN_DAYS) {
        return undefined;
    }
    return (
        `the watch's Lambda runtime ${WATCH_RUNTIME} ${days > 0 ? `is deprecated in ${days} day(s), on` : "was deprecated on"} ${WATCH_RUNTIME_DEPRECATION} ` +
        "(AWS Lambda runtimes): upgrade cloudfront-china to a release with the next Node.js runtime Lambda offers in China; " +
        "the function keeps running, but Lambda blocks creating, then updating, functions on a deprecated runtime"
    );
}

/**
 * The Lambda's whole code: the handler and the live check, closure-serialized into one file that
 * exports `handler` and requires only the runtime's AWS SDK v3 and Node built-ins.
 */
export async function lambdaCode(): Promise<string> {
    return (await pulumi.runtime.serializeFunction(handler)).text;
}

/** A distribution the watch checks, with its aliases. */
export interface WatchedSite {
    readonly distributionId: pulumi.Input<string>;
    readonly distributionArn: pulumi.Input<string>;
    readonly aliases: readonly string[];
}

export interface CertificateWatchArgs {
    /** The distribution to watch. */
    readonly distributionId: pulumi.Input<string>;
    readonly distributionArn: pulumi.Input<string>;
    /** Served host names; an alarm set per name (wildcards: the ICP alarm only). Changing them replaces those alarms. */
    readonly aliases: readonly string[];
    /** The stack's further sites (docs/sites.md): each distribution checked by the same function, its aliases alarmed the same way. */
    readonly moreSites?: ReadonlyArray<WatchedSite>;
    /** IAM path whose certificates are counted (the stack's "/cloudfront/<stack>/"). */
    readonly iamPathPrefix: string;
    /** Addresses subscribed to the alarm topic (each confirms by email). */
    readonly emails: readonly string[];
    /** EventBridge rate. Defaults to "rate(1 hour)". */
    readonly schedule?: string;
    /** Days left that alarm. Defaults to a quarter of each certificate's lifetime (watch/liveCheck.ts). */
    readonly warnDays?: number;
    /**
     * ARN of the managed policy the watch role carries as its permissions boundary. Defaults to
     * "cloudfront-china-watch-boundary" in the caller's account (`npm run policy -- --watch-boundary`
     * prints it; an account admin creates it once, docs/watch.md).
     */
    readonly permissionsBoundary?: pulumi.Input<string>;
    /** The end (Unix seconds) of the stack's dns-persist-01 records: an alarm from PERSIST_WARN_DAYS before it. */
    readonly persistUntil?: number;
    readonly tags?: Record<string, string>;
}

/**
 * The watch role's boundary as an ARN, checked to exist before anything is created: without it IAM
 * refuses the role half-way through the first `pulumi up` (NoSuchEntity), and the deploy policy
 * refuses a role without it (AccessDenied). `setting` names the stack key in the error.
 */
export async function resolveWatchBoundary(nameOrArn: string, setting: string): Promise<string> {
    const partition = (await aws.getPartition()).partition;
    const account = (await aws.getCallerIdentity()).accountId;
    const arn = boundaryArn(nameOrArn, partition, account);
    let document: string;
    try {
        document = (await aws.iam.getPolicy({ arn })).policy;
    } catch (e) {
        throw new InputError([
            `\`${setting}\`: the watch role's permissions boundary ${arn} cannot be read (${(e as Error).message.split("\n")[0]}). ` +
                `An account admin creates it once: \`npm run --silent policy -- --watch-boundary --account ${account} > boundary.json\` then ` +
                `\`aws iam create-policy --policy-name ${arn.split("/").pop()} --policy-document file://boundary.json\` (docs/watch.md); ` +
                `or name an existing boundary policy in \`${setting}\``,
        ]);
    }
    const outdated = outdatedBoundaryWarning(document, arn, account, setting);
    if (outdated) {
        // A warning, not an error: renewal must never wait on the watch.
        void pulumi.log.warn(outdated);
    }
    return arn;
}

/**
 * The warning for a boundary created before each stack's metrics had a namespace of their own
 * (WATCH_STACK_TAG): it lets the watch publish to the shared namespace only, so its alarms would go
 * to missing data, then alarm. Undefined for a current boundary. `document` as IAM returns it
 * (URL-encoded or not).
 */
export function outdatedBoundaryWarning(document: string, arn: string, account: string, setting: string): string | undefined {
    let text = document;
    try {
        text = decodeURIComponent(document);
    } catch {
        // not URL-encoded
    }
    if (text.includes(`aws:PrincipalTag/${WATCH_STACK_TAG}`)) {
        return undefined;
    }
    return (
        `\`${setting}\`: the watch role's permissions boundary ${arn} predates per-stack metric namespaces ` +
        `(${WATCH_NAMESPACE}/<stack id>): until an account admin updates it, the watch cannot publish and its alarms fire. ` +
        `\`npm run --silent policy -- --watch-boundary --account ${account} > boundary.json\` then ` +
        `\`aws iam create-policy-version --policy-arn ${arn} --policy-document file://boundary.json --set-as-default\` (docs/watch.md)`
    );
}

/** Why each alarm fires and what to do: the alarm description people read in the email. */
const ALARMS = [
    {
        id: "expiry",
        metric: METRICS.expiryOk,
        probed: true,
        what: "the certificate served for this alias is close to expiry (or expired) and has not been renewed",
        todo: "run `pulumi up` for the stack and read its output; check that the renewal schedule runs",
    },
    {
        id: "probe",
        metric: METRICS.probeOk,
        probed: true,
        what: "no valid TLS handshake for this alias (refused, timed out, untrusted chain, or the name is not covered)",
        todo: "run `npm run status -- --stack <stack>` for the reason",
    },
    {
        id: "icp",
        metric: METRICS.icpApproved,
        probed: false,
        what: "the alias's ICP recordal is not APPROVED: SUSPENDED means CloudFront does not serve it, PENDING that its status is unknown",
        todo: "check the recordal with your ICP provider (MIIT) and the CloudFront console",
    },
];

/** CloudWatch's widgets per dashboard (CloudWatch service quotas, "Dashboards"). */
export const DASHBOARD_MAX_WIDGETS = 500;

/**
 * The watch's dashboard body (CloudWatch dashboard body structure): per alias, days of lifetime left
 * on the served certificate as a gauge from 0 to the longest lifetime, the alarm threshold (the
 * renewal is overdue from there) and the last weeks as a line with the same mark, beside the probe and
 * ICP status. Wildcard aliases have no probe: their ICP status only.
 */
export function dashboardBody(opts: {
    region: string;
    /** The stack's metric namespace (watchNamespace). */
    namespace: string;
    distributionId: string;
    aliases: readonly string[];
    /** The stack's further sites: their aliases follow, each row naming its own distribution. */
    moreSites?: ReadonlyArray<{ distributionId: string; aliases: readonly string[] }>;
    /** Days left that alarm; undefined: a quarter of each certificate's lifetime (the gauge marks 30 days, a 90-day certificate's). */
    warnDays?: number;
}): { widgets: object[] } {
    const rows = [opts, ...(opts.moreSites ?? [])].flatMap((site) =>
        site.aliases.map((alias) => ({ alias, distributionId: site.distributionId })),
    );
    const warn = opts.warnDays ?? 30;
    const overdue = { value: warn, label: `alarm (${warn} days left)`, color: "#d62728" };
    const widgets: object[] = [];
    // CloudWatch draws at most 500 widgets per dashboard (CloudWatch service quotas): a probed alias
    // takes 4, a wildcard 2, and the last one is kept for the note of the aliases left out.
    const widgetsOf = (alias: string) => (alias.startsWith("*.") ? 2 : 4);
    let drawn = 0;
    for (let used = 0; drawn < rows.length && used + widgetsOf(rows[drawn].alias) <= DASHBOARD_MAX_WIDGETS - 1; drawn++) {
        used += widgetsOf(rows[drawn].alias);
    }
    rows.slice(0, drawn).forEach(({ alias, distributionId }, row) => {
        const metric = (metricName: string, name: string) => [opts.namespace, metricName, "DistributionId", distributionId, "Alias", name];
        const y = row * 7;
        const probed = !alias.startsWith("*.");
        widgets.push({
            type: "text",
            x: 0,
            y,
            width: 24,
            height: 1,
            properties: { markdown: `### ${alias}` },
        });
        if (probed) {
            widgets.push(
                {
                    type: "metric",
                    x: 0,
                    y: y + 1,
                    width: 6,
                    height: 6,
                    properties: {
                        title: "Days left on the served certificate",
                        view: "gauge",
                        region: opts.region,
                        stat: "Minimum",
                        period: 3600,
                        metrics: [metric(METRICS.daysToExpiry, alias)],
                        yAxis: { left: { min: 0, max: 90 } },
                        annotations: { horizontal: [overdue] },
                    },
                },
                {
                    type: "metric",
                    x: 6,
                    y: y + 1,
                    width: 12,
                    height: 6,
                    properties: {
                        title: "Days left, over time (each renewal is a jump up)",
                        view: "timeSeries",
                        region: opts.region,
                        stat: "Minimum",
                        period: 3600,
                        metrics: [metric(METRICS.daysToExpiry, alias)],
                        yAxis: { left: { min: 0 } },
                        annotations: { horizontal: [overdue] },
                    },
                },
            );
        }
        widgets.push({
            type: "metric",
            x: probed ? 18 : 0,
            y: y + 1,
            width: 6,
            height: 6,
            properties: {
                title: probed ? "TLS probe, ICP recordal (1 = good)" : "ICP recordal (1 = APPROVED)",
                view: "singleValue",
                region: opts.region,
                stat: "Minimum",
                period: 3600,
                metrics: [...(probed ? [metric(METRICS.probeOk, alias)] : []), metric(METRICS.icpApproved, alias)],
            },
        });
    });
    if (drawn < rows.length) {
        widgets.push({
            type: "text",
            x: 0,
            y: drawn * 7,
            width: 24,
            height: 2,
            properties: {
                markdown:
                    `${rows.length - drawn} more alias(es) not drawn (a dashboard holds ${DASHBOARD_MAX_WIDGETS} widgets): ` +
                    `${rows
                        .slice(drawn)
                        .map((r) => r.alias)
                        .join(", ")}. Their alarms run as the others'; \`npm run status\` lists them all.`,
            },
        });
    }
    return { widgets };
}

export class CertificateWatch extends pulumi.ComponentResource {
    public readonly topicArn: pulumi.Output<string>;
    public readonly functionName: pulumi.Output<string>;
    /** The CloudWatch dashboard with the per-alias picture. */
    public readonly dashboardName: pulumi.Output<string>;

    constructor(name: string, args: CertificateWatchArgs, opts?: pulumi.ComponentResourceOptions) {
        super("cloudfront-china:index:CertificateWatch", name, {}, opts);
        const deprecated = runtimeDeprecationWarning(Date.now());
        if (deprecated) {
            void pulumi.log.warn(deprecated, this);
        }
        const schedule = args.schedule ?? WATCH_DEFAULTS.schedule;
        const period = rateSeconds(schedule);
        if (period === undefined) {
            throw new Error(
                `CertificateWatch ${name}: \`schedule\` ${JSON.stringify(schedule)} must be an EventBridge rate such as "rate(1 hour)"`,
            );
        }
        const partition = aws.getPartitionOutput({}, { parent: this }).partition;
        const region = aws.getRegionOutput({}, { parent: this }).name;
        const account = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        const tags = args.tags;
        const moreSites = args.moreSites ?? [];

        // Every name carries the stack (stackId: project and stack), so that a stack's policy names its
        // own watch and no other's (docs/iam-policy.md). A watch made before keeps its names:
        // ignoreChanges keeps what it was created with, so nothing is replaced.
        const stack = stackId(pulumi.getProject(), pulumi.getStack());
        const id = `${stack}-${name}`;
        const namespace = watchNamespace(stack);
        const keepName = (property: string) => ({ parent: this, ignoreChanges: [property] });
        const topic = new aws.sns.Topic(`${name}-alarms`, { name: `${id}-alarms`, tags }, keepName("name"));
        args.emails.forEach(
            (email, i) =>
                new aws.sns.TopicSubscription(
                    `${name}-email-${i}`,
                    { topic: topic.arn, protocol: "email", endpoint: email },
                    { parent: this },
                ),
        );

        const role = new aws.iam.Role(
            `${name}-role`,
            {
                // What the role can ever do is capped by the admin's boundary, whatever its inline
                // policy says: the deploy identity that writes the inline policy cannot mint a
                // stronger role (docs/iam-policy.md, "The watch role").
                // The stack's own IAM path: the deploy policy reaches role/<stack id>/* only.
                path: `/${stack}/`,
                permissionsBoundary:
                    args.permissionsBoundary ??
                    pulumi.interpolate`arn:${partition}:iam::${account}:policy/${WATCH_DEFAULTS.permissionsBoundary}`,
                // Service principals are the same in aws-cn (docs/watch.md): never built from the DNS suffix.
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
                }),
                // The namespace its boundary lets it publish to (WATCH_STACK_TAG).
                tags: { ...tags, [WATCH_STACK_TAG]: stack },
            },
            keepName("path"),
        );
        const code = pulumi
            .output(lambdaCode())
            .apply((text) => new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(text) }));
        const fn = new aws.lambda.Function(
            `${name}-function`,
            {
                name: id,
                runtime: WATCH_RUNTIME,
                handler: "index.handler",
                code,
                role: role.arn,
                memorySize: 128,
                timeout: 60,
                environment: {
                    variables: {
                        DISTRIBUTION_ID: args.distributionId,
                        // Set only with further sites, so that a one-site stack's function is unchanged.
                        ...(moreSites.length > 0
                            ? { MORE_DISTRIBUTION_IDS: pulumi.all(moreSites.map((m) => m.distributionId)).apply((ids) => ids.join(",")) }
                            : {}),
                        METRIC_NAMESPACE: namespace,
                        IAM_PATH_PREFIX: args.iamPathPrefix,
                        ...(args.warnDays !== undefined ? { WARN_DAYS: String(args.warnDays) } : {}),
                        ...(args.persistUntil !== undefined ? { PERSIST_UNTIL: String(args.persistUntil) } : {}),
                    },
                },
                tags,
            },
            keepName("name"),
        );
        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-logs`,
            { name: pulumi.interpolate`/aws/lambda/${fn.name}`, retentionInDays: 30, tags },
            { parent: this },
        );
        new aws.iam.RolePolicy(
            `${name}-policy`,
            {
                role: role.id,
                policy: pulumi.jsonStringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Effect: "Allow",
                            Action: ["cloudfront:GetDistribution"],
                            Resource:
                                moreSites.length > 0
                                    ? [args.distributionArn, ...moreSites.map((m) => m.distributionArn)]
                                    : args.distributionArn,
                        },
                        { Effect: "Allow", Action: ["iam:ListServerCertificates"], Resource: "*" },
                        {
                            Effect: "Allow",
                            Action: ["iam:GetServerCertificate"],
                            Resource: pulumi.interpolate`arn:${partition}:iam::${account}:server-certificate/cloudfront/*`,
                        },
                        {
                            Effect: "Allow",
                            Action: ["cloudwatch:PutMetricData"],
                            Resource: "*",
                            Condition: { StringEquals: { "cloudwatch:namespace": namespace } },
                        },
                        {
                            Effect: "Allow",
                            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                            Resource: pulumi.interpolate`arn:${partition}:logs:${region}:${account}:log-group:${logGroup.name}:*`,
                        },
                    ],
                }),
            },
            { parent: this },
        );

        const rule = new aws.cloudwatch.EventRule(
            `${name}-schedule`,
            { name: `${id}-schedule`, scheduleExpression: schedule, tags },
            keepName("name"),
        );
        new aws.lambda.Permission(
            `${name}-invoke`,
            { action: "lambda:InvokeFunction", function: fn.name, principal: "events.amazonaws.com", sourceArn: rule.arn },
            { parent: this },
        );
        new aws.cloudwatch.EventTarget(`${name}-target`, { rule: rule.name, arn: fn.arn }, { parent: this, dependsOn: [logGroup] });

        // Every alarm: the check's 0/1 metric below 1 for two runs in a row (one late run is not an
        // alarm), missing data breaching (a dead watch, Lambda failing or schedule stopped, alarms too).
        const alarmBelowOne = (
            alarmName: string,
            metricName: string,
            dimensions: Record<string, pulumi.Input<string>>,
            description: string,
        ) =>
            new aws.cloudwatch.MetricAlarm(
                alarmName,
                {
                    name: `${id}${alarmName.slice(name.length)}`,
                    namespace,
                    metricName,
                    dimensions,
                    statistic: "Minimum",
                    period,
                    evaluationPeriods: 2,
                    datapointsToAlarm: 2,
                    threshold: 1,
                    comparisonOperator: "LessThanThreshold",
                    treatMissingData: "breaching",
                    alarmDescription: description,
                    alarmActions: [topic.arn],
                    okActions: [topic.arn],
                    tags,
                },
                keepName("name"),
            );
        // Aliases are unique across the stack's sites (config/siteConfig.ts refuses one on two), so are these names.
        for (const site of [args, ...moreSites]) {
            for (const alias of site.aliases) {
                const wildcard = alias.startsWith("*.");
                for (const alarm of ALARMS.filter((a) => !(wildcard && a.probed))) {
                    alarmBelowOne(
                        `${name}-${alarm.id}-${alias.replace(/^\*\./, "wildcard.")}`,
                        alarm.metric,
                        { DistributionId: site.distributionId, Alias: alias },
                        `${alias}: ${alarm.what}. What to do: ${alarm.todo}.`,
                    );
                }
            }
        }
        if (args.persistUntil !== undefined) {
            const until = new Date(args.persistUntil * 1000).toISOString().slice(0, 10);
            alarmBelowOne(
                `${name}-persist-records`,
                METRICS.persistRecordsOk,
                { DistributionId: args.distributionId },
                `The dns-persist-01 records end on ${until} (persistUntil), in ${PERSIST_WARN_DAYS} days or less: after it the CA ` +
                    `refuses them and renewal stops. What to do: set cloudfront-china:dnsPersistUntil to a later date, run \`pulumi up\`, ` +
                    `and update the records it lists (output dnsChallengeRecords) at your DNS host.`,
            );
        }
        const dashboard = new aws.cloudwatch.Dashboard(
            `${name}-dashboard`,
            {
                dashboardName: `${id}-dashboard`,
                dashboardBody: pulumi
                    .all([region, args.distributionId, pulumi.all(moreSites.map((m) => m.distributionId))])
                    .apply(([r, distributionId, moreIds]) =>
                        JSON.stringify(
                            dashboardBody({
                                region: r,
                                namespace,
                                distributionId,
                                aliases: args.aliases,
                                moreSites: moreSites.map((m, i) => ({ distributionId: moreIds[i], aliases: m.aliases })),
                                warnDays: args.warnDays,
                            }),
                        ),
                    ),
            },
            keepName("dashboardName"),
        );
        this.topicArn = topic.arn;
        this.functionName = fn.name;
        this.dashboardName = dashboard.dashboardName;
        this.registerOutputs({ topicArn: this.topicArn, functionName: this.functionName, dashboardName: this.dashboardName });
    }
}
