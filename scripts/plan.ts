/**
 * Offline plan: evaluates the real program with a stack's configuration under Pulumi's runtime
 * mocks (no AWS credentials, no Pulumi CLI, no network), prints the resources it would create
 * with their China-relevant settings, then a China-compatibility report.
 *
 *   npm run plan -- --stack cn-north-1 [--config-file path] [--hosted-zone-name example.cn] [--organization acme]
 *   npm run plan -- --help
 *
 * Exit codes: 0 compatible; 1 a China rule is violated; 2 bad configuration or usage.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import * as pulumi from "@pulumi/pulumi";
import { CHINA_RULES, Violation, checkBucketPolicy, checkDistribution, checkPublicAccessBlock } from "../core/chinaRules";
import { PROJECT } from "../config/configKeys";
import { OFFLINE_SECRET } from "../config/deployments";
import { checkInputs, zoneFor } from "../core/certificate";
import { acmeChallengeName, baseName, persistRecordName } from "../core/challenges";
import { InputError } from "../config/inputError";
import { siteObjects } from "../core/content";
import {
    IAM_SERVER_CERTIFICATES_DEFAULT_QUOTA,
    LETS_ENCRYPT_RATE_LIMITS,
    firstDeployLimitProblems,
    orderCounts,
    registeredDomain,
} from "../core/caLimits";
import { configRmCommand } from "../core/validation";
import { OfflineAwsChina, Registration } from "./offlineMocks";
import { evaluateStackFile } from "../config/stackFile";

export const EXIT = { ok: 0, violation: 1, badInput: 2 } as const;

interface PlanArgs {
    stack: string;
    configFile: string;
    projectDir: string;
    hostedZoneName?: string;
    /** Pulumi Cloud organization (the default renewal schedule derives from it). */
    organization: string;
}

class UsageError extends Error {}

export const USAGE = [
    "usage: npm run plan -- [--stack NAME] [--config-file PATH] [--hosted-zone-name NAME] [--organization ORG]",
    "",
    "Evaluates the program with the stack's configuration under Pulumi's runtime mocks (no AWS",
    "credentials, no Pulumi CLI, no network), prints every resource with its China-relevant settings,",
    "then a China-compatibility report.",
    "",
    "  --stack NAME              the stack (Pulumi.NAME.yaml); optional when the folder has one stack file",
    "  --config-file PATH        read the stack configuration from another file",
    "  --hosted-zone-name NAME   the name of the zone behind hostedZoneId (default: the primary domain's registrable domain)",
    "  --organization ORG        the Pulumi Cloud organization (the default renewal schedule derives from it)",
    "",
    "Exit codes: 0 compatible, 1 a China rule is violated, 2 bad configuration or usage.",
];

/**
 * The names a stack file serves, each with the key that lists it: `domains`, then each further
 * site's (`sites[0].domains`, docs/sites.md). Not validated here: the program's reader does that.
 */
export function servedNames(config: Record<string, unknown>, projectName: string): Array<{ name: string; setting: string }> {
    const parse = (v: unknown) => {
        try {
            return typeof v === "string" ? (JSON.parse(v) as unknown) : v;
        } catch {
            return undefined;
        }
    };
    const names = (v: unknown, setting: string) =>
        (Array.isArray(v) ? v : []).filter((d): d is string => typeof d === "string").map((name) => ({ name, setting }));
    const sites = parse(config[`${projectName}:sites`]);
    return [
        ...names(parse(config[`${projectName}:domains`]), `${projectName}:domains`),
        ...(Array.isArray(sites) ? sites : []).flatMap((s: unknown, i) =>
            names((s as { domains?: unknown } | null)?.domains, `${projectName}:sites[${i}].domains`),
        ),
    ];
}

/**
 * Names of this stack that another stack file of the project also serves: two distributions cannot
 * share an alias (CloudFront answers CNAMEAlreadyExists), so the second `pulumi up` would fail.
 * `domains`: this stack's names (plain strings are its top-level `domains`).
 */
export function sharedAliasProblems(
    projectDir: string,
    configFile: string,
    projectName: string,
    domains: ReadonlyArray<string | { name: string; setting: string }>,
): string[] {
    const problems: string[] = [];
    if (path.dirname(path.resolve(configFile)) !== path.resolve(projectDir) || !/^Pulumi\..+\.yaml$/.test(path.basename(configFile))) {
        return problems; // not one of the project's stack files (--config-file elsewhere): no neighbours to compare
    }
    for (const file of fs
        .readdirSync(projectDir)
        .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
        .sort()) {
        if (path.resolve(projectDir, file) === path.resolve(configFile)) {
            continue;
        }
        let other: string[];
        try {
            const config = ((yaml.load(fs.readFileSync(path.join(projectDir, file), "utf8")) ?? {}) as { config?: Record<string, unknown> })
                .config;
            other = servedNames(config ?? {}, projectName).map((n) => n.name);
        } catch {
            continue; // a broken neighbour is that stack's problem, reported when it is planned
        }
        for (const d of domains) {
            const { name, setting } = typeof d === "string" ? { name: d, setting: `${projectName}:domains` } : d;
            if (!other.includes(name)) {
                continue;
            }
            problems.push(
                `\`${setting}\`: ${name} is also served by stack ${file.slice(7, -5)} (${file}): two distributions cannot ` +
                    `share an alias (CloudFront answers CNAMEAlreadyExists). Give this stack its own names: ` +
                    `\`${configRmCommand(setting)}\`, then \`pulumi config set --path '${setting}[0]' <name>\``,
            );
        }
    }
    return problems;
}

export function parseArgs(argv: readonly string[], projectDir: string): PlanArgs {
    const get = (flag: string) => {
        const i = argv.indexOf(flag);
        if (i >= 0 && (i + 1 >= argv.length || argv[i + 1].startsWith("--"))) {
            throw new UsageError(`${flag} needs a value`);
        }
        return i >= 0 ? argv[i + 1] : undefined;
    };
    const unknown = argv.filter(
        (a, i) =>
            a.startsWith("--") && !["--stack", "--config-file", "--hosted-zone-name", "--organization"].includes(a) && argv[i - 1] !== a,
    );
    if (unknown.length > 0) {
        throw new UsageError(`unknown option ${unknown[0]}`);
    }
    let stack = get("--stack");
    if (stack === undefined) {
        const stacks = fs
            .readdirSync(projectDir)
            .filter((f) => /^Pulumi\..+\.yaml$/.test(f))
            .map((f) => f.slice(7, -5));
        if (stacks.length !== 1) {
            throw new UsageError(`--stack is required (stacks here: ${stacks.join(", ") || "none"})`);
        }
        stack = stacks[0];
    }
    return {
        stack,
        configFile: get("--config-file") ?? path.join(projectDir, `Pulumi.${stack}.yaml`),
        projectDir,
        hostedZoneName: get("--hosted-zone-name"),
        organization: get("--organization") ?? "organization",
    };
}

/** The project's name (its config namespace) and program entry, from Pulumi.yaml and package.json. */
export function projectOf(projectDir: string): { name: string; entry: string } {
    const project = (yaml.load(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) ?? {}) as { name?: string; main?: string };
    const pkgFile = path.join(projectDir, "package.json");
    const pkg = fs.existsSync(pkgFile) ? (JSON.parse(fs.readFileSync(pkgFile, "utf8")) as { main?: string }) : {};
    return { name: project.name ?? PROJECT, entry: path.resolve(projectDir, project.main ?? pkg.main ?? "index") };
}

/**
 * The program as a function returning its outputs: this repository's `export =` function, or a
 * consumer's module whose exports are the outputs (Pulumi accepts both).
 */
function loadProgram(entry: string): () => Promise<Record<string, pulumi.Input<unknown>>> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(entry) as unknown;
    if (typeof mod === "function") {
        return mod as () => Promise<Record<string, pulumi.Input<unknown>>>;
    }
    const exported = (mod ?? {}) as Record<string, unknown>;
    return async () =>
        Object.fromEntries(Object.entries(exported).filter(([k]) => k !== "__esModule")) as Record<string, pulumi.Input<unknown>>;
}

/**
 * The configuration the CLI would hand the program: Pulumi.yaml defaults for this project's keys,
 * overlaid with the stack file. Values are strings (objects and arrays as JSON), as the CLI passes
 * them. Encrypted values cannot be read offline and become "[secret]".
 */
export function loadStackConfig(projectDir: string, configFile: string): { config: Record<string, string>; secretKeys: string[] } {
    const projectName = projectOf(projectDir).name;
    const project = yaml.load(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as {
        config?: Record<string, { default?: unknown }>;
    };
    if (!fs.existsSync(configFile)) {
        throw new UsageError(`no stack configuration at ${configFile}: create it with \`pulumi stack init\` and \`pulumi config set\``);
    }
    const stackFile = (yaml.load(fs.readFileSync(configFile, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const asText = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
    for (const [k, decl] of Object.entries(project.config ?? {})) {
        const fullKey = k.includes(":") ? k : `${projectName}:${k}`;
        if (decl && typeof decl === "object" && decl.default !== undefined) {
            config[fullKey] = asText(decl.default);
        }
    }
    // `{secure: …}` at any depth (`pulumi config set --secret --path k.field`): the key is a secret.
    let secure = false;
    const hideSecure = (v: unknown): unknown => {
        if (v && typeof v === "object" && !Array.isArray(v) && "secure" in (v as object)) {
            secure = true;
            return OFFLINE_SECRET;
        }
        if (Array.isArray(v)) {
            return v.map(hideSecure);
        }
        return v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, hideSecure(x)])) : v;
    };
    for (const [k, v] of Object.entries(stackFile.config ?? {})) {
        const fullKey = k.includes(":") ? k : `${projectName}:${k}`;
        secure = false;
        const shown = hideSecure(v);
        config[fullKey] = asText(shown);
        if (secure) {
            secretKeys.push(fullKey);
        }
    }
    return { config, secretKeys };
}

/** A guess at the zone that holds a name, for offline runs: its registered domain by the Public Suffix List (example.cn, example.com.cn). */
export const registrableDomain = registeredDomain;

async function promiseOf<T>(o: pulumi.Input<T>): Promise<T> {
    return new Promise((resolve) => pulumi.output(o).apply((v) => resolve(v as T)));
}

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** The value inside a secret wrapper (to list its keys, never to print its values). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- inputs are untyped on the wire
function revealShape(v: any): any {
    return v && typeof v === "object" && Object.values(v).includes(SECRET_SIG) ? v.value : v;
}

function describe(r: Registration): string[] {
    const i = r.inputs;
    switch (r.type) {
        case "aws:cloudfront/distribution:Distribution": {
            const origin = (i.origins ?? [])[0] ?? {};
            const vc = i.viewerCertificate ?? {};
            const b = i.defaultCacheBehavior ?? {};
            return [
                `aliases: ${(i.aliases ?? []).join(", ")}`,
                `origin: ${origin.domainName} via ${origin.s3OriginConfig?.originAccessIdentity ?? "no OAI"}`,
                `viewerCertificate: iamCertificateId=${vc.iamCertificateId}, ${vc.sslSupportMethod}, ${vc.minimumProtocolVersion}`,
                `isIpv6Enabled=${i.isIpv6Enabled} httpVersion=${i.httpVersion} priceClass=${i.priceClass} defaultRootObject=${i.defaultRootObject}`,
                `defaultCacheBehavior: ${b.viewerProtocolPolicy}, compress=${b.compress}, forwardedValues.queryString=${b.forwardedValues?.queryString}, TTL ${b.minTtl}/${b.defaultTtl}/${b.maxTtl}`,
                ...(i.customErrorResponses ?? []).map(
                    (e: { errorCode: number; responseCode: number; responsePagePath: string }) =>
                        `customErrorResponse: ${e.errorCode} -> ${e.responseCode} ${e.responsePagePath}`,
                ),
                ...(i.loggingConfig ? [`logging: ${i.loggingConfig.bucket}/${i.loggingConfig.prefix ?? ""}`] : []),
            ];
        }
        case "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":
            return [
                `blockPublicAcls=${i.blockPublicAcls} blockPublicPolicy=${i.blockPublicPolicy} ignorePublicAcls=${i.ignorePublicAcls} restrictPublicBuckets=${i.restrictPublicBuckets}`,
            ];
        case "aws:s3/bucketOwnershipControls:BucketOwnershipControls":
            return [`objectOwnership=${i.rule?.objectOwnership}`];
        case "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
            return [`sse=${i.rules?.[0]?.applyServerSideEncryptionByDefault?.sseAlgorithm}`];
        case "aws:s3/bucketPolicy:BucketPolicy":
            return JSON.parse(i.policy).Statement.map(
                (s: Record<string, unknown>) =>
                    `${s.Effect} ${s.Action} ${JSON.stringify(s.Principal)}${s.Condition ? " " + JSON.stringify(s.Condition) : ""}`,
            );
        case "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration":
            return (i.rules ?? []).map(
                (r: { id: string; filter?: { prefix?: string }; expiration?: { days?: number } }) =>
                    `${r.id}: objects under ${r.filter?.prefix ?? "/"} expire after ${r.expiration?.days} days`,
            );
        case "aws:route53/record:Record":
            return i.aliases
                ? [`${i.type} ${i.name} -> alias ${i.aliases?.[0]?.name} (zone ${i.aliases?.[0]?.zoneId})`]
                : [`${i.type} ${i.name} "${(i.records ?? []).join('" "')}" (zone ${i.zoneId}, TTL ${i.ttl})`];
        case "pulumi-nodejs:dynamic/cloudfront-china:SiteContent": {
            // Keys and headers only: the program already hashed the folder into the digest.
            const objects = siteObjects(i.dir);
            return [
                `${path.relative(process.cwd(), i.dir) || "."} -> s3://${i.bucket}: ${objects.length} object(s), digest ${String(i.digest).slice(0, 12)}`,
                `changed paths invalidated on distribution ${i.distributionId}${i.waitForInvalidation ? " (waits for it)" : ""}`,
                ...objects.slice(0, 20).map((o) => `${o.key}: ${o.contentType}; ${o.cacheControl}`),
                ...(objects.length > 20 ? [`… and ${objects.length - 20} more`] : []),
            ];
        }
        case "pulumiservice:index:DeploymentSettings": {
            // Secret inputs arrive wrapped ({<sig>: <secret sig>, value}); the env values stay hidden.
            const ctx = revealShape(i.operationContext);
            return [
                `git ${i.sourceContext?.git?.repoUrl} ${i.sourceContext?.git?.branch}${i.sourceContext?.git?.repoDir ? ` dir ${i.sourceContext.git.repoDir}` : ""}`,
                `pre-run: ${(ctx?.preRunCommands ?? []).join("; ")}; env: ${Object.keys(ctx?.environmentVariables ?? {}).join(", ")} (secret)`,
            ];
        }
        case "aws:lambda/function:Function":
            return [`runtime ${i.runtime}, ${i.memorySize} MB, handler ${i.handler}`];
        case "aws:cloudwatch/eventRule:EventRule":
            return [`schedule ${i.scheduleExpression}`];
        case "aws:cloudwatch/metricAlarm:MetricAlarm":
            return [`${i.metricName} < ${i.threshold} for ${i.evaluationPeriods} x ${i.period} s, missing data ${i.treatMissingData}`];
        case "aws:sns/topicSubscription:TopicSubscription":
            return [`${i.protocol} ${i.endpoint}`];
        case "pulumiservice:index:DeploymentSchedule":
            return [`${i.pulumiOperation} at cron "${i.scheduleCron}" (UTC)`];
        case "pulumiservice:index:DriftSchedule":
            return [`drift detection at cron "${i.scheduleCron}", autoRemediate=${i.autoRemediate}`];
        case "pulumiservice:index:Webhook":
            return [`${i.format} webhook on ${(i.filters ?? []).join(", ")}`];
        default:
            if (r.type.endsWith(":IamAcmeCertificate")) {
                return [
                    `domains: ${(i.domains ?? []).join(", ")}; path ${i.path}; directory ${i.acmeDirectoryUrl}; keyType ${i.keyType}`,
                    ...challengeLines(i),
                    "issued by the ACME CA at `pulumi up` (offline: not issued)",
                ];
            }
            return [];
    }
}

/**
 * Which mechanism each name will use, as far as the configuration decides it offline (CNAME
 * lookups and standing-record checks happen at `pulumi up`, read-only, before anything is ordered).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- registration inputs are untyped
function challengeLines(i: any): string[] {
    const mode: string = i.challenge ?? "auto";
    const zones: Record<string, string> = i.hostedZones ?? {};
    const delegations: Record<string, string> = i.challengeDelegations ?? {};
    return [
        `challenge ${mode}:`,
        ...(i.domains ?? []).map((d: string) => {
            const base = baseName(d);
            const delegated = delegations[base] ?? delegations[`*.${base}`];
            const zone = zoneFor(d, zones);
            const persist = `dns-persist-01 (TXT ${persistRecordName(base)}, in dnsChallengeRecords)`;
            const dns01 = delegated
                ? `dns-01 via CNAME ${acmeChallengeName(base)} -> ${delegated} (add it once at the DNS host)`
                : zone
                  ? `dns-01 in Route 53 zone ${zone}`
                  : "dns-01 in the account's Route 53 zone of the name, or through the CNAME found at _acme-challenge";
            const how =
                mode === "dns-01"
                    ? dns01
                    : mode === "dns-persist-01"
                      ? zone
                          ? `dns-persist-01 (TXT ${persistRecordName(base)} written by this program in zone ${zone})`
                          : persist
                      : zone
                        ? `${dns01}, or ${persist} once added`
                        : `${persist} when in place, else ${dns01}`;
            return `  ${d}: ${how}`;
        }),
    ];
}

/** Runs the China rules on what the program registered. */
export function compatibilityReport(mocks: OfflineAwsChina): { lines: string[]; violations: Violation[] } {
    const violations: Violation[] = [];
    const lines: string[] = [];
    const distributions = mocks.find("aws:cloudfront/distribution:Distribution");
    if (distributions.length === 0) {
        violations.push({ rule: "distribution-present", setting: "program", message: "the program registered no CloudFront distribution" });
    }
    for (const d of distributions) {
        const found = checkDistribution(d.inputs);
        violations.push(...found);
        for (const rule of CHINA_RULES) {
            const bad = found.filter((v) => v.rule === rule.id);
            lines.push(
                `  ${bad.length === 0 ? "PASS" : "FAIL"}  ${rule.id.padEnd(26)} ${rule.title}${rule.kind === "unverified" ? " (unverified in China: kept off)" : ""}`,
            );
            bad.forEach((v) => lines.push(`        ${v.message}`));
        }
    }
    for (const c of mocks.registrations.filter((r) => r.type.endsWith(":IamAcmeCertificate"))) {
        // The provider's own `check`, run offline on the inputs the program registered.
        const found = checkInputs(c.inputs).map((f) => ({
            rule: "certificate-inputs",
            setting: `${c.name}.${f.property}`,
            message: f.reason,
        }));
        violations.push(...found);
        lines.push(
            `  ${found.length === 0 ? "PASS" : "FAIL"}  ${"certificate-inputs".padEnd(26)} ${c.name}: names, IAM path under /cloudfront/, key type, window, directory`,
        );
        found.forEach((v) => lines.push(`        ${v.message}`));
    }
    // What a first `up` of every issuing site asks of the CA and IAM at once (core/caLimits.ts): a
    // warning, not a violation (a stack whose sites exist renews them exempt, a few at a time).
    const certificates = mocks.registrations.filter((r) => r.type.endsWith(":IamAcmeCertificate"));
    if (certificates.length > 0) {
        const orders = certificates.map((c) => ({ domains: (c.inputs.domains ?? []) as string[] }));
        const counts = orderCounts(orders);
        const over = firstDeployLimitProblems(orders, {
            directoryUrl: String(certificates[0].inputs.acmeDirectoryUrl ?? ""),
            fallbacks: certificates.some((c) => Array.isArray(c.inputs.fallbackIssuers) && c.inputs.fallbackIssuers.length > 0),
        });
        lines.push(
            `  ${over.length === 0 ? "PASS" : "WARN"}  ${"ca-and-iam-limits".padEnd(26)} a first up orders ${counts.orders} certificate(s)` +
                `${counts.busiest ? `, ${counts.busiest.certificates} under ${counts.busiest.domain}` : ""}: Let's Encrypt allows ` +
                `${LETS_ENCRYPT_RATE_LIMITS.certificatesPerRegisteredDomain} per registered domain per 7 days and ${LETS_ENCRYPT_RATE_LIMITS.ordersPerAccount} orders ` +
                `per account per 3 hours; IAM ${IAM_SERVER_CERTIFICATES_DEFAULT_QUOTA} certificates per account by default`,
        );
        over.forEach((w) => lines.push(`        ${w}`));
    }
    for (const p of mocks.find("aws:s3/bucketPolicy:BucketPolicy")) {
        const found = checkBucketPolicy(p.inputs.policy);
        violations.push(...found);
        lines.push(
            `  ${found.length === 0 ? "PASS" : "FAIL"}  ${"bucket-policy".padEnd(26)} ${p.name}: aws-cn ARNs, only the OAI reads, TLS required`,
        );
        found.forEach((v) => lines.push(`        ${v.message}`));
    }
    for (const b of mocks.find("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")) {
        const found = checkPublicAccessBlock(b.inputs, b.name);
        violations.push(...found);
        lines.push(`  ${found.length === 0 ? "PASS" : "FAIL"}  ${"public-access-blocked".padEnd(26)} ${b.name}`);
        found.forEach((v) => lines.push(`        ${v.message}`));
    }
    return { lines, violations };
}

export async function plan(argv: readonly string[], projectDir: string, out: (line: string) => void): Promise<number> {
    try {
        return await planStack(argv, projectDir, out);
    } finally {
        evaluateStackFile(undefined); // the file read for this plan only (tests run several in one process)
    }
}

async function planStack(argv: readonly string[], projectDir: string, out: (line: string) => void): Promise<number> {
    let args: PlanArgs;
    let config: Record<string, string>;
    let secretKeys: string[];
    if (argv.includes("--help") || argv.includes("-h")) {
        USAGE.forEach(out);
        return EXIT.ok;
    }
    try {
        args = parseArgs(argv, projectDir);
        ({ config, secretKeys } = loadStackConfig(projectDir, args.configFile));
    } catch (e) {
        if (e instanceof UsageError || e instanceof yaml.YAMLException) {
            out(`plan: ${e.message}`);
            return EXIT.badInput;
        }
        throw e;
    }
    const region = config["aws:region"] ?? "";
    const { name: projectName, entry } = projectOf(projectDir);
    const domains = (() => {
        try {
            return JSON.parse(config[`${projectName}:domains`] ?? "[]") as string[];
        } catch {
            return [];
        }
    })();
    const shared = sharedAliasProblems(projectDir, args.configFile, projectName, servedNames(config, projectName));
    if (shared.length > 0) {
        out("Configuration errors (nothing would be created):");
        shared.forEach((p) => out(`  - ${p}`));
        return EXIT.badInput;
    }
    const zoneName =
        args.hostedZoneName ?? (Array.isArray(domains) && typeof domains[0] === "string" ? registrableDomain(domains[0]) : undefined);

    pulumi.runtime.setAllConfig(config, secretKeys);
    evaluateStackFile(args.configFile);
    const mocks = new OfflineAwsChina({ region, zoneName });
    await pulumi.runtime.setMocks(mocks, projectName, args.stack, false, args.organization);

    out(
        `cloudfront-china offline plan: ${projectName === PROJECT ? "" : `project ${projectName}, `}stack ${args.stack} (${path.relative(projectDir, args.configFile) || args.configFile}), aws:region ${region || "(unset)"}`,
    );
    out("Evaluated under Pulumi runtime mocks: no AWS credentials, no Pulumi CLI, no network.");
    if (config[`${projectName}:deployments`] && !argv.includes("--organization")) {
        out(`Assumed Pulumi organization "${args.organization}" for the default renewal schedule (pass --organization to use yours).`);
    }
    if (config[`${projectName}:hostedZoneId`] && args.hostedZoneName === undefined) {
        out(`Assumed hosted zone name "${zoneName}" for cloudfront-china:hostedZoneId (pass --hosted-zone-name to check another).`);
    }
    let outputs: Record<string, unknown>;
    try {
        const result = await loadProgram(entry)();
        outputs = Object.fromEntries(await Promise.all(Object.entries(result).map(async ([k, v]) => [k, await promiseOf(v)])));
        // Let the mock monitor finish registrations still in flight (Pulumi fails the exit on pending ones).
        await new Promise((resolve) => setTimeout(resolve, 100));
    } catch (e) {
        if (e instanceof InputError) {
            out("");
            out("Configuration errors (nothing would be created):");
            e.problems.forEach((p) => out(`  - ${p}`));
            return EXIT.badInput;
        }
        throw e;
    }

    out("");
    out(`Resources (${mocks.registrations.length}):`);
    for (const r of mocks.registrations) {
        out(`  + ${r.type.padEnd(58)} ${r.name}`);
        describe(r).forEach((line) => out(`        ${line}`));
    }
    out("");
    out("Outputs:");
    for (const [k, v] of Object.entries(outputs)) {
        out(`  ${k}: ${JSON.stringify(v)}`);
    }
    out("");
    out("China compatibility report:");
    const { lines, violations } = compatibilityReport(mocks);
    lines.forEach(out);
    out("");
    out(
        violations.length === 0
            ? "Result: compatible with CloudFront in the AWS China regions."
            : `Result: ${violations.length} violation(s).`,
    );
    return violations.length === 0 ? EXIT.ok : EXIT.violation;
}

if (require.main === module) {
    plan(process.argv.slice(2), path.resolve(__dirname, ".."), (line) => console.log(line))
        .then((code) => process.exit(code))
        .catch((e) => {
            console.error(e instanceof Error ? e.stack : e);
            process.exit(EXIT.badInput);
        });
}
