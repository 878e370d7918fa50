/**
 * The deploy identity's least-privilege policy, generated from docs/iam-actions.json (every API call
 * pulumi-aws and this program's providers make, per resource type and operation, and the IAM action
 * each needs) for one stack's configuration: only the types its options register, each action on the
 * ARNs of that stack's resources, for one of two holders (PolicyPhase: the person's bootstrap, every
 * later run's steady state). docs/iam-policy.md explains the statements; docs/iam-policy/ is this
 * generator's output for "any stack", cut to IAM's quota (core/iamQuotas.ts).
 *
 * Condition keys used (IAM and Route 53 docs, both published for aws-cn):
 * - `iam:PermissionsBoundary` on the watch role's writes: a role can only be created or changed with
 *   the admin's boundary attached, so the deploy identity cannot mint a role stronger than it.
 * - `iam:PassedToService`: the watch role is passed to Lambda only.
 * - `aws:RequestTag/cloudfront-china:stack` on the bootstrap policy's create only. No statement reads
 *   `aws:ResourceTag`: the identity could set that tag itself (IAM User Guide, "Controlling access
 *   during AWS requests").
 * - `route53:ChangeResourceRecordSetsNormalizedRecordNames` / `...RecordTypes`: record writes limited
 *   to the stack's challenge and alias names (Route 53 developer guide, "Using IAM policy conditions
 *   for fine-grained access control", which docs.amazonaws.cn publishes for the China Regions).
 */
import { acmeChallengeName, baseName } from "./challenges";
import { stackCertificatePath } from "./certificate";

/** The features of a stack that decide which resource types it registers. */
export const DEPLOY_OPTIONS = [
    "issuing",
    "route53Challenge",
    "hostedZone",
    "content",
    "logging",
    "versioning",
    /** Versioning on any bucket: the site's (versioning) or the log bucket (always versioned, logging). */
    "bucketVersioning",
    "destroyBuckets",
    "watch",
] as const;
export type DeployOption = (typeof DEPLOY_OPTIONS)[number];

/** [API call, IAM action, resource ARN when not the entry's own (null: the entry's), options the row needs]. */
export type ActionRow = [call: string, action: string, resource?: string | null, when?: DeployOption[] | null];
export interface ActionEntry {
    arn?: string;
    when?: DeployOption[];
    create?: ActionRow[];
    read?: ActionRow[];
    update?: ActionRow[];
    delete?: ActionRow[];
}
export interface ActionTable {
    resources: Record<string, ActionEntry>;
    functions: Record<string, ActionEntry>;
    providers: Record<string, ActionEntry | string>;
}

export interface Statement {
    Sid: string;
    Effect: "Allow" | "Deny";
    Action: string[];
    Resource: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}
export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: Statement[];
}

/**
 * Who holds the policy. `bootstrap`: the person who runs a stack's first `pulumi up` (or adds a
 * site): it may create distributions (with the stack tag in the request) and buckets (by name
 * pattern), and reads the distributions it waits on, but updates and deletes only those known by id.
 * `steady`: every later run (the schedule, Deployments, CI): every distribution by id and every bucket
 * by name, nothing created by pattern, nothing granted by a tag (docs/iam-policy.md).
 */
export type PolicyPhase = "bootstrap" | "steady";

/** What the policy is scoped to. `"*"` and unset fields widen it to every stack / zone / bucket. */
export interface PolicyScope {
    /** The account id, or "*". */
    account: string;
    /** The stack name, or "*". */
    stack: string;
    /** The project: the stack's certificates live under /cloudfront/<project>/<stack>/ (stackCertificatePath). Unused with stack "*". */
    project: string;
    /**
     * Certificates of the stack outside its path: those earlier versions uploaded under
     * /cloudfront/<stack>/<resource>/, until the next `pulumi up` moves them under the stack's path
     * (docs/migrate.md, "Certificate paths"). Each by path and name (`/cloudfront/cn-north-1/certificate/www…`),
     * or by its resource's path (`/cloudfront/cn-north-1/certificate/`) when outputs written before
     * `certificateArn` do not name it.
     */
    formerCertificates?: readonly string[];
    options: ReadonlySet<DeployOption>;
    /** The managed policy every watch role must carry as its boundary. */
    watchBoundaryArn: string;
    /** Hosted zone ids the stack writes (alias records, dns-01 records); unset: every zone. */
    zoneIds?: readonly string[];
    /** Record names the stack writes, as the user writes them (`*.example.cn`); unset: no name condition. */
    recordNames?: readonly string[];
    /**
     * Each site's bucket and log bucket: their names once known (outputs), else the program's name
     * patterns (`site-bucket-*`, `site-blog-bucket-*`: siteBucketPatterns). Unset: a one-site stack's
     * patterns, or with stack "*" every site's.
     */
    buckets?: ReadonlyArray<SiteBuckets>;
    /**
     * The ids of the stack's Origin Access Identities once every site's is known (outputs), for a
     * policy that creates none (steady state); unset: every OAI (a bootstrap policy creates them).
     */
    originAccessIdentityIds?: readonly string[];
    /** The ids of the stack's distributions once known (outputs, adoptions); unset: none known. */
    distributionIds?: readonly string[];
    /** Whether some site's distribution is not made yet (or not known): only a bootstrap policy creates it. */
    distributionsToCome?: boolean;
    /**
     * Record names one change batch writes together (a certificate's challenge names: one batch per
     * zone, aws/route53.ts): when the record statement is cut to fit IAM's quota, a group stays whole.
     */
    recordNameGroups?: ReadonlyArray<readonly string[]>;
    /** Defaults to `bootstrap` while a distribution is to come, else `steady`. */
    phase?: PolicyPhase;
    /**
     * The stack's identity in names (core/sites.ts, stackId: `cfcn-<10 hex>`): the watch's role path
     * and names. Unset: the names a watch had before they carried the stack (`watch-role-*`, …).
     */
    stackId?: string;
    /** The stack tag's value a created distribution must carry (stackTagValue); unset: the stack name. */
    stackTag?: string;
    /** A watch made before its names carried the stack (kept, not replaced): its names are granted too. */
    legacyWatch?: boolean;
}

/** A site's two buckets, by name or by name pattern. */
export interface SiteBuckets {
    site: string;
    logs: string;
}

/**
 * The bucket name patterns of a site: its ChinaCdn's name (`site`, or `site-<name>` for a further
 * site, core/sites.ts) followed by pulumi's random suffix. `"*"`: every further site's.
 */
export function siteBucketPatterns(cdnName: string): SiteBuckets {
    return { site: `${cdnName}-bucket-*`, logs: `${cdnName}-logs-*` };
}

/** A one-site stack's patterns, and every further site's too for "any stack" (core/sites.ts forbids the names that would overlap). */
const defaultBuckets = (stack: string): SiteBuckets[] => [
    siteBucketPatterns("site"),
    // Every stack's buckets: named before they carried the stack, and since (core/sites.ts, stackBucketBase).
    ...(stack === "*" ? [siteBucketPatterns("site-*"), siteBucketPatterns("cfcn-*")] : []),
];

const OPERATIONS = ["create", "read", "update", "delete"] as const;

/** A scope that would put a wildcard or a separator into an ARN (IAM reads `*` and `?` anywhere in one). */
export class PolicyScopeError extends Error {}

/** The syntax of each string that reaches an ARN, with what it names. */
export const ARN_PART_SYNTAX = {
    account: { re: /^\d{12}$/, what: "a 12-digit account id" },
    // Pulumi's stack names (pulumi stack init): letters, digits, "-", "_", "." (no "*", "?", "/").
    stack: { re: /^[A-Za-z0-9_.-]{1,100}$/, what: 'a stack name (letters, digits, "-", "_", ".")' },
    // Pulumi's project names (Pulumi.yaml `name`): the same alphabet.
    project: { re: /^[A-Za-z0-9_.-]{1,100}$/, what: 'a project name (letters, digits, "-", "_", ".")' },
    // An IAM server certificate's path and name under /cloudfront/ (IAM's alphabet, no wildcard).
    certificate: { re: /^\/cloudfront(\/[\w+=,.@-]+)+\/?$/, what: "an IAM server certificate's path and name under /cloudfront/" },
    zoneId: { re: /^Z[A-Z0-9]{1,31}$/, what: "a Route 53 hosted zone id (Z…)" },
    distributionId: { re: /^E[A-Z0-9]{1,31}$/, what: "a CloudFront distribution id (E…)" },
    originAccessIdentityId: { re: /^E[A-Z0-9]{1,31}$/, what: "a CloudFront Origin Access Identity id (E…)" },
    // S3 bucket naming rules (S3 User Guide, "General purpose bucket naming rules").
    bucket: { re: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, what: "an S3 bucket name" },
    // A name pattern of the program's own (site-bucket-*) is the one place a "*" is meant.
    bucketPattern: { re: /^[a-z0-9][a-z0-9.-]{1,61}-\*$/, what: "a bucket name pattern of the program" },
    stackId: { re: /^cfcn-[0-9a-f]{10}$/, what: "a stack id (cfcn- and 10 hex)" },
} as const;

/** Why `value` cannot stand in an ARN as `kind`, or undefined. */
export function arnPartProblem(kind: keyof typeof ARN_PART_SYNTAX, value: string, setting: string): string | undefined {
    const { re, what } = ARN_PART_SYNTAX[kind];
    return re.test(value) ? undefined : `${setting} ${JSON.stringify(value)} is not ${what}: refused, it would go into an ARN as it is`;
}

/** Every string of a (non-"any stack") scope that would reach an ARN unchecked. */
export function scopeProblems(scope: PolicyScope): string[] {
    if (scope.stack === "*") {
        return [];
    }
    const problems = [
        scope.account === "*" ? undefined : arnPartProblem("account", scope.account, "the account"),
        arnPartProblem("stack", scope.stack, "the stack"),
        arnPartProblem("project", scope.project, "the project"),
        ...(scope.formerCertificates ?? []).map((c) => arnPartProblem("certificate", c, "the certificate")),
        ...(scope.zoneIds ?? []).map((z) => arnPartProblem("zoneId", z, "the hosted zone")),
        scope.stackId === undefined ? undefined : arnPartProblem("stackId", scope.stackId, "the stack id"),
        ...(scope.distributionIds ?? []).map((d) => arnPartProblem("distributionId", d, "the distribution")),
        ...(scope.originAccessIdentityIds ?? []).map((d) => arnPartProblem("originAccessIdentityId", d, "the Origin Access Identity")),
        ...(scope.buckets ?? []).flatMap((b) =>
            [b.site, b.logs].map((name) =>
                name.endsWith("-*")
                    ? arnPartProblem("bucketPattern", name, "the bucket pattern")
                    : arnPartProblem("bucket", name, "the bucket"),
            ),
        ),
    ];
    return problems.filter((p): p is string => p !== undefined);
}

/**
 * The tag ChinaCdn puts on its distribution, naming the stack: the bootstrap policy creates a
 * distribution only with it in the request (`aws:RequestTag`), and adoption tells a distribution of
 * another stack by it. It grants nothing after the create.
 */
export const STACK_TAG = "cloudfront-china:stack";

/**
 * The watch role's tag naming its stack (core/sites.ts stackId). The admin's boundary lets a role
 * publish metrics only under the namespace this tag names (`${aws:PrincipalTag/…}`), and the deploy
 * policy creates a role only with its own stack's value and never changes the tag: one stack's watch
 * cannot write another's metrics (docs/iam-policy.md, "The watch role").
 */
export const WATCH_STACK_TAG = "cloudfront-china:stack-id";

/** The base of every watch's metric namespace: a stack's is `<base>/<stack id>` (components/certificateWatch.ts). */
export const WATCH_NAMESPACE = "CloudFrontChina/Site";

/**
 * The stack tag's value: project and stack (`cloudfront-china/cn-north-1`), so that two projects'
 * stacks of one name never take each other's distribution for their own. Distributions tagged before
 * carry the bare stack name until their stack's next `pulumi up` rewrites the tag (in place).
 */
export const stackTagValue = (project: string, stack: string) => `${project}/${stack}`;

/** Actions that create a distribution: `*` resource, allowed only with the stack tag in the request. */
const DISTRIBUTION_CREATE = new Set(["cloudfront:CreateDistribution", "cloudfront:TagResource"]);

/** The distribution actions that only read: a bootstrap policy grants them on distributions still to come. */
const DISTRIBUTION_READ = /^cloudfront:(Get|List)/;

/**
 * The characters of record names one record statement holds before it is cut in two: a managed
 * policy holds 6,144 (core/iamQuotas.ts), and the statement shares it with others.
 */
const RECORD_NAMES_PER_STATEMENT = 4000;

/** The actions the watch role's writes must carry the boundary for (IAM: `iam:PermissionsBoundary` keys). */
const BOUNDARY_GATED = new Set(["iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:PutRolePermissionsBoundary"]);

/**
 * Route 53's normalized record name (Route 53 developer guide, "Normalize Route 53 condition key
 * values"): lower case, no trailing dot, characters other than a-z 0-9 - _ . as `\` + three octal digits.
 */
export function normalizedRecordName(name: string): string {
    return name
        .toLowerCase()
        .replace(/\.$/, "")
        .replace(/[^a-z0-9\-_.]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`);
}

/** The records a stack writes in Route 53: the alias records (hostedZoneId) and the dns-01 TXT records. */
export function stackRecordNames(
    domains: readonly string[],
    opts: { aliases: boolean; challenges: boolean; delegations?: Record<string, string> },
) {
    const names = new Set<string>();
    for (const d of domains) {
        if (opts.aliases) {
            names.add(d);
        }
        if (opts.challenges) {
            names.add(opts.delegations?.[baseName(d)] ?? opts.delegations?.[d] ?? acmeChallengeName(d));
        }
    }
    return [...names];
}

/** The kind of resource an example ARN names, which decides how the stack's scope narrows it. */
function kindOf(arn: string): string {
    const rules: Array<[RegExp, string]> = [
        [/^\*$/, "none"],
        [/^arn:aws-cn:s3:::site-bucket-[^/]*$/, "siteBucket"],
        [/^arn:aws-cn:s3:::site-logs-[^/]*$/, "logBucket"],
        [/^arn:aws-cn:s3:::site-bucket-[^/]*\/.+$/, "siteObject"],
        [/^arn:aws-cn:cloudfront::\d+:distribution\//, "distribution"],
        [/^arn:aws-cn:cloudfront::\d+:origin-access-identity\//, "oai"],
        [/^arn:aws-cn:route53:::hostedzone\//, "zone"],
        [/^arn:aws-cn:route53:::change\//, "change"],
        [/^arn:aws-cn:iam::\d+:server-certificate\//, "certificate"],
        [/^arn:aws-cn:iam::\d+:role\/watch-role-/, "watchRole"],
        [/^arn:aws-cn:iam::\d+:policy\//, "watchBoundary"],
        [/^arn:aws-cn:sns:[^:]+:\d+:watch-alarms-[^:]+$/, "watchTopic"],
        [/^arn:aws-cn:sns:[^:]+:\d+:watch-alarms-[^:]+:.+$/, "watchSubscription"],
        [/^arn:aws-cn:lambda:[^:]+:\d+:function:watch-function-/, "watchFunction"],
        [/^arn:aws-cn:logs:[^:]+:\d+:log-group:\/aws\/lambda\/watch-function-/, "watchLogGroup"],
        [/^arn:aws-cn:events:[^:]+:\d+:rule\/watch-schedule-/, "watchRule"],
        [/^arn:aws-cn:cloudwatch:[^:]+:\d+:alarm:watch-/, "watchAlarm"],
        [/^arn:aws-cn:cloudwatch::\d+:dashboard\/watch-dashboard-/, "watchDashboard"],
    ];
    const hit = rules.find(([re]) => re.test(arn));
    if (!hit) {
        throw new Error(`docs/iam-actions.json: no scope rule for the ARN ${arn}`);
    }
    return hit[1];
}

/**
 * A watch resource's names for the scope: its stack's own (`named(stackId)`), and the shared names a
 * watch had before names carried the stack (`legacy`) where the stack still has one (or for any stack).
 */
function watchNames(s: PolicyScope, named: (id: string) => string, legacy: string): string[] {
    if (s.stack === "*") {
        return [named("cfcn-*"), legacy];
    }
    return [...(s.stackId !== undefined ? [named(s.stackId)] : []), ...(s.legacyWatch || s.stackId === undefined ? [legacy] : [])];
}

/** Statement name, and the ARNs, of each kind for a scope. */
function resourcesOf(kind: string, s: PolicyScope, objectsOfEveryBucket: boolean): { sid: string; resources: string[] } {
    const acct = s.account;
    const sites = s.buckets ?? defaultBuckets(s.stack);
    const logging = s.options.has("logging");
    const buckets = sites.flatMap((b) => [b.site, ...(logging ? [b.logs] : [])]);
    const s3 = (names: string[], suffix = "") => names.map((b) => `arn:aws-cn:s3:::${b}${suffix}`);
    const watch = (service: string, resource: string) => `arn:aws-cn:${service}:*:${acct}:${resource}`;
    switch (kind) {
        case "none":
            return { sid: "NoResourceLevelPermissions", resources: ["*"] };
        case "siteBucket":
            return { sid: "Buckets", resources: s3(buckets) };
        case "logBucket":
            return { sid: "LogBucket", resources: s3(sites.map((b) => b.logs)) };
        case "siteObject":
            return objectsOfEveryBucket
                ? { sid: "EmptyBucketsOnDestroy", resources: s3(buckets, "/*") }
                : {
                      sid: "SiteObjects",
                      resources: s3(
                          sites.map((b) => b.site),
                          "/*",
                      ),
                  };
        case "distribution":
            return {
                sid: "Distribution",
                resources: (s.distributionIds?.length ? s.distributionIds : ["*"]).map(
                    (id) => `arn:aws-cn:cloudfront::${acct}:distribution/${id}`,
                ),
            };
        case "oai":
            return {
                sid: "OriginAccessIdentity",
                resources: (s.originAccessIdentityIds?.length ? s.originAccessIdentityIds : ["*"]).map(
                    (id) => `arn:aws-cn:cloudfront::${acct}:origin-access-identity/${id}`,
                ),
            };
        case "zone":
            return { sid: "HostedZones", resources: (s.zoneIds ?? ["*"]).map((z) => `arn:aws-cn:route53:::hostedzone/${z}`) };
        case "change":
            return { sid: "Route53ChangeStatus", resources: ["arn:aws-cn:route53:::change/*"] };
        case "certificate":
            return {
                sid: "CertificatesUnderTheStackPath",
                resources: [
                    `arn:aws-cn:iam::${acct}:server-certificate${s.stack === "*" ? "/cloudfront/*" : `${stackCertificatePath(s.project, s.stack)}*`}`,
                    ...(s.stack === "*"
                        ? []
                        : (s.formerCertificates ?? []).map(
                              (c) => `arn:aws-cn:iam::${acct}:server-certificate${c}${c.endsWith("/") ? "*" : ""}`,
                          )),
                ],
            };
        case "watchRole":
            return {
                sid: "WatchRole",
                resources: watchNames(s, (id) => `role/${id}/*`, "role/watch-role-*").map((r) => `arn:aws-cn:iam::${acct}:${r}`),
            };
        case "watchBoundary":
            return { sid: "WatchBoundaryRead", resources: [s.watchBoundaryArn] };
        case "watchTopic":
            return {
                sid: "WatchAlarmTopic",
                resources: watchNames(s, (id) => `${id}-watch-alarms`, "watch-alarms-*").map((r) => watch("sns", r)),
            };
        case "watchSubscription":
            // Unsubscribe and the subscription attribute calls take no resource (SNS's actions table).
            return { sid: "WatchAlarmSubscriptions", resources: ["*"] };
        case "watchFunction":
            return {
                sid: "WatchFunction",
                resources: watchNames(s, (id) => `function:${id}-watch`, "function:watch-function-*").map((r) => watch("lambda", r)),
            };
        case "watchLogGroup":
            return {
                sid: "WatchLogs",
                resources: watchNames(s, (id) => `log-group:/aws/lambda/${id}-watch`, "log-group:/aws/lambda/watch-function-*").map((r) =>
                    watch("logs", r),
                ),
            };
        case "watchRule":
            return {
                sid: "WatchSchedule",
                resources: watchNames(s, (id) => `rule/${id}-watch-schedule`, "rule/watch-schedule-*").map((r) => watch("events", r)),
            };
        case "watchAlarm":
            return {
                sid: "WatchAlarms",
                resources: watchNames(s, (id) => `alarm:${id}-watch-*`, "alarm:watch-*").map((r) => watch("cloudwatch", r)),
            };
        case "watchDashboard":
            // Dashboards are global: no region in their ARN (CloudWatch's actions table).
            return {
                sid: "WatchDashboard",
                resources: watchNames(
                    s,
                    (id) => `dashboard/${id}-watch-dashboard`,
                    `dashboard/watch-dashboard-${s.stack === "*" ? "*" : s.stack.replace(/[^A-Za-z0-9_-]/g, "-")}`,
                ).map((r) => `arn:aws-cn:cloudwatch::${acct}:${r}`),
            };
        default:
            throw new Error(`no scope for ${kind}`);
    }
}

const enabled = (options: ReadonlySet<DeployOption>, when?: readonly DeployOption[] | null) => (when ?? []).every((o) => options.has(o));

/** The resource types, data sources and providers of the table that a stack with `options` uses. */
export function typesInUse(table: ActionTable, options: ReadonlySet<DeployOption>): Array<[string, ActionEntry]> {
    return [
        ...Object.entries(table.resources),
        ...Object.entries(table.functions),
        ...Object.entries(table.providers).filter((e): e is [string, ActionEntry] => typeof e[1] !== "string"),
    ].filter(([, e]) => enabled(options, e.when));
}

/** Every (action, resource kind) the scope's options need, with the type it comes from. */
function neededRows(table: ActionTable, options: ReadonlySet<DeployOption>) {
    const on = (when?: readonly DeployOption[] | null) => enabled(options, when);
    return typesInUse(table, options)
        .flatMap(([type, e]) =>
            OPERATIONS.flatMap((op) =>
                (e[op] ?? [])
                    .filter((row) => on(row[3]))
                    .map(([call, action, resource]) => ({ type, call, action, arn: resource ?? e.arn ?? "*" })),
            ),
        )
        .filter((r) => r.action !== "sts:GetCallerIdentity"); // needs no permission (STS docs)
}

/**
 * The stack's record names (normalized) in lists of at most RECORD_NAMES_PER_STATEMENT characters,
 * one record statement each; a group one change batch writes together stays in one list. Unset: no
 * name condition.
 */
function recordNameChunks(scope: PolicyScope): string[][] | undefined {
    if (scope.recordNames === undefined) {
        return undefined;
    }
    const grouped = new Set((scope.recordNameGroups ?? []).flat().map(normalizedRecordName));
    const units = [
        ...(scope.recordNameGroups ?? []).map((g) => [...new Set(g.map(normalizedRecordName))].sort()),
        ...[...new Set(scope.recordNames.map(normalizedRecordName))].filter((n) => !grouped.has(n)).map((n) => [n]),
    ].filter((u) => u.length > 0);
    const size = (names: string[]) => JSON.stringify(names).length;
    if (size(units.flat()) <= RECORD_NAMES_PER_STATEMENT) {
        return [[...new Set(units.flat())].sort()];
    }
    const chunks: string[][] = [];
    for (const unit of units) {
        const last = chunks[chunks.length - 1];
        if (last !== undefined && size([...last, ...unit]) <= RECORD_NAMES_PER_STATEMENT) {
            last.push(...unit);
        } else {
            chunks.push([...unit]);
        }
    }
    return chunks.map((c) => [...new Set(c)].sort());
}

const oneOrMany = (list: string[]) => (list.length === 1 ? list[0] : list);

const logObjectArns = (scope: PolicyScope) => resourcesOf("logBucket", scope, false).resources.map((arn) => `${arn}/*`);

/** The deploy identity's policy for `scope`, from the calls in `table`. */
export function deployPolicy(table: ActionTable, scope: PolicyScope): PolicyDocument {
    const problems = scopeProblems(scope);
    if (problems.length > 0) {
        throw new PolicyScopeError(problems.join("; "));
    }
    const phase = scope.phase ?? (scope.distributionsToCome || !scope.distributionIds?.length ? "bootstrap" : "steady");
    const statements = new Map<string, { sid: string; actions: Set<string>; resources: string[]; condition?: Statement["Condition"] }>();
    const add = (sid: string, action: string, resources: string[], condition?: Statement["Condition"]) => {
        const s = statements.get(sid) ?? { sid, actions: new Set<string>(), resources, condition };
        s.actions.add(action);
        statements.set(sid, s);
    };
    const recordStatements = recordNameChunks(scope);
    for (const row of neededRows(table, scope.options)) {
        const kind = kindOf(row.arn);
        // Emptying buckets on destroy reaches every bucket of the stack; content writes only the site's.
        const { sid, resources } = resourcesOf(kind, scope, row.type === "aws:s3/bucket:Bucket");
        if (row.type === "aws:cloudfront/distribution:Distribution" && row.arn === "*" && DISTRIBUTION_CREATE.has(row.action)) {
            // Only a bootstrap policy creates: a steady one never holds TagResource beyond its own ids,
            // so no tag it could set on another distribution is worth anything (no grant reads tags).
            if (phase === "bootstrap") {
                add(
                    "DistributionCreatedWithTheStackTag",
                    row.action,
                    ["*"],
                    scope.stack === "*"
                        ? { Null: { [`aws:RequestTag/${STACK_TAG}`]: "false" } }
                        : { StringEquals: { [`aws:RequestTag/${STACK_TAG}`]: scope.stackTag ?? scope.stack } },
                );
            }
        } else if (kind === "distribution" && scope.stack !== "*") {
            // Known distributions by id. A distribution still to come is only read (its create waits
            // for Deployed): no update or delete is granted by a tag the identity could set itself.
            if (scope.distributionIds?.length) {
                add(sid, row.action, resources);
            }
            if (phase === "bootstrap" && scope.distributionsToCome !== false && DISTRIBUTION_READ.test(row.action)) {
                add("ReadDistributionsToCome", row.action, [`arn:aws-cn:cloudfront::${scope.account}:distribution/*`]);
            }
        } else if (kind === "siteObject" && sid === "EmptyBucketsOnDestroy") {
            // The same grant as one statement on every bucket's objects, written on the two statements
            // that already name them: each bucket ARN once less, which keeps a stack of many sites
            // within IAM's policy quotas (core/iamQuotas.ts).
            add("SiteObjects", row.action, resourcesOf("siteObject", scope, false).resources);
            if (scope.options.has("logging")) {
                add("LogObjects", row.action, logObjectArns(scope));
            }
        } else if (row.action === "iam:PassRole") {
            add("WatchRolePassedToLambdaOnly", row.action, resources, { StringEquals: { "iam:PassedToService": "lambda.amazonaws.com" } });
        } else if (kind === "watchRole" && (row.action === "iam:CreateRole" || row.action === "iam:TagRole")) {
            // The role's stack tag decides which metric namespace the boundary lets it publish to
            // (WATCH_STACK_TAG): created only with the stack's own id, and never tagged with another.
            const tag = `aws:RequestTag/${WATCH_STACK_TAG}`;
            const own: [string, Record<string, string>] =
                scope.stackId === undefined ? ["StringLike", { [tag]: "cfcn-*" }] : ["StringEquals", { [tag]: scope.stackId }];
            if (row.action === "iam:CreateRole") {
                add("WatchRoleCreatedWithTheBoundaryAndItsStack", row.action, resources, {
                    ArnLike: { "iam:PermissionsBoundary": scope.watchBoundaryArn },
                    [own[0]]: own[1],
                });
            } else {
                add("WatchRoleTaggedWithItsStackOnly", row.action, resources, { [`${own[0]}IfExists`]: own[1] });
            }
        } else if (BOUNDARY_GATED.has(row.action)) {
            add("WatchRoleOnlyWithTheBoundary", row.action, resources, {
                ArnLike: { "iam:PermissionsBoundary": scope.watchBoundaryArn },
            });
        } else if (row.action === "route53:ChangeResourceRecordSets" && recordStatements !== undefined) {
            recordStatements.forEach((names, i) =>
                add(`RecordsOfTheStackOnly${i === 0 ? "" : i + 1}`, row.action, resources, {
                    "ForAllValues:StringEquals": {
                        "route53:ChangeResourceRecordSetsNormalizedRecordNames": names,
                        "route53:ChangeResourceRecordSetsRecordTypes": ["A", "TXT"],
                    },
                    // ForAllValues holds for a request without the key at all: fail closed instead
                    // (IAM User Guide, "Single-valued vs. multivalued context keys").
                    Null: {
                        "route53:ChangeResourceRecordSetsNormalizedRecordNames": "false",
                        "route53:ChangeResourceRecordSetsRecordTypes": "false",
                    },
                }),
            );
        } else {
            add(sid, row.action, resources);
        }
    }
    // Objects reachable through a bucket setting the identity may write anyway (its policy, its ACL,
    // its lifecycle) are granted openly, so that the grant says what the identity can do (parliament:
    // RESOURCE_POLICY_PRIVILEGE_ESCALATION). The site's objects are public content. The access logs
    // are protected by versioning instead: a delete only adds a delete marker, and erasing a version
    // is denied outright unless the stack destroys its buckets (an explicit Deny no bucket policy overrides).
    const siteObjects = resourcesOf("siteObject", scope, false).resources;
    add("SiteObjects", "s3:GetObject", siteObjects);
    const logObjects = logObjectArns(scope);
    if (scope.options.has("logging")) {
        ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"].forEach((a) => add("LogObjects", a, logObjects));
    }
    const allow: Statement[] = [...statements.values()].map((s) => ({
        Sid: s.sid,
        Effect: "Allow",
        Action: [...s.actions].sort(),
        Resource: s.resources.length === 1 ? s.resources[0] : s.resources,
        ...(s.condition ? { Condition: s.condition } : {}),
    }));
    // Explicit denies, so that no other grant of the identity can loosen the boundary or take it off.
    const keepLogs: Statement[] =
        scope.options.has("logging") && !scope.options.has("destroyBuckets")
            ? [
                  {
                      Sid: "AccessLogsAreNeverErased",
                      Effect: "Deny",
                      Action: ["s3:DeleteObjectVersion"],
                      Resource: logObjects.length === 1 ? logObjects[0] : logObjects,
                  },
              ]
            : [];
    const deny: Statement[] = scope.options.has("watch")
        ? [
              {
                  Sid: "TheBoundaryStaysAsTheAdminWroteIt",
                  Effect: "Deny",
                  Action: ["iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion"],
                  Resource: scope.watchBoundaryArn,
              },
              {
                  Sid: "TheBoundaryStaysOnTheWatchRole",
                  Effect: "Deny",
                  Action: ["iam:DeleteRolePermissionsBoundary"],
                  Resource: oneOrMany(resourcesOf("watchRole", scope, false).resources),
              },
          ]
        : [];
    return { Version: "2012-10-17", Statement: [...allow.sort((a, b) => a.Sid.localeCompare(b.Sid)), ...keepLogs, ...deny] };
}

/**
 * The watch role's permissions boundary: what any watch Lambda may ever do (the union of the inline
 * policies components/certificateWatch.ts gives its role). An account admin creates it once; docs/watch.md.
 */
export function watchBoundaryPolicy(account: string, namespace: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ReadTheDistribution",
                Effect: "Allow",
                Action: ["cloudfront:GetDistribution"],
                Resource: `arn:aws-cn:cloudfront::${account}:distribution/*`,
            },
            { Sid: "ListCertificates", Effect: "Allow", Action: ["iam:ListServerCertificates"], Resource: "*" },
            {
                Sid: "ReadCertificates",
                Effect: "Allow",
                Action: ["iam:GetServerCertificate"],
                Resource: `arn:aws-cn:iam::${account}:server-certificate/cloudfront/*`,
            },
            {
                Sid: "PublishItsMetrics",
                Effect: "Allow",
                Action: ["cloudwatch:PutMetricData"],
                Resource: "*",
                // Its own stack's namespace only: the role's stack tag, which the deploy policy sets
                // at CreateRole to the stack's id and may not change (IAM User Guide, "IAM policy
                // elements: Variables and tags"; a role without the tag matches nothing).
                Condition: { StringEquals: { "cloudwatch:namespace": `${namespace}/\${aws:PrincipalTag/${WATCH_STACK_TAG}}` } },
            },
            {
                Sid: "WriteItsLogs",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                // The watch functions' log groups: named after the stack (cfcn-<hash>-watch), or as before.
                Resource: [
                    `arn:aws-cn:logs:*:${account}:log-group:/aws/lambda/cfcn-*-watch:*`,
                    `arn:aws-cn:logs:*:${account}:log-group:/aws/lambda/watch-function-*:*`,
                ],
            },
        ],
    };
}
