#!/usr/bin/env node
/**
 * `npm run policy -- --stack <name>`: prints the least-privilege IAM policy of the identity that runs
 * `pulumi up` for that stack, from its stack file (core/iamPolicy.ts over docs/iam-actions.json).
 *
 *   npm run policy -- --stack cn-north-1 --bootstrap [--account 123456789012]     # the first up, a person's
 *   npm run policy -- --stack cn-north-1 --outputs-file outputs.json [--account N]  # every later run's
 *                     [--zone-id Z…] [--record-name _acme-challenge.example.cn] [--config-file PATH]
 *                     [--out-dir DIR [--user NAME | --role NAME]]   # as managed policies, with the commands
 *   npm run policy -- --any-stack        # every stack, every option (a person's reference, docs/iam-policy.md)
 *   npm run policy -- --watch-boundary [--account N]   # the boundary an admin creates once
 *
 * A policy over IAM's 6,144 characters for one managed policy (core/iamQuotas.ts) is written with
 * `--out-dir` as several, each within it, with the `aws iam` commands that create and attach them;
 * without `--out-dir` it is refused (printed, `aws iam create-policy` would fail with LimitExceeded).
 *
 * From the package: `npx cloudfront-china-policy` (same arguments). `--stack` reads this program's
 * stack keys (`cloudfront-china:*`, the template's too); a program of one's own composes
 * `deployPolicy` (exported) with its own scope.
 *
 * Exit codes: 0 printed; 2 bad configuration or usage (the reason is printed).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
    ActionTable,
    DEPLOY_OPTIONS,
    DeployOption,
    PolicyDocument,
    PolicyScope,
    PolicyScopeError,
    arnPartProblem,
    stackTagValue,
    deployPolicy,
    siteBucketPatterns,
    stackRecordNames,
    watchBoundaryPolicy,
} from "../core/iamPolicy";
import { IAM_QUOTAS, PolicyTooLargeError, asManagedPolicies, policyCharacters } from "../core/iamQuotas";
import { SiteConfig } from "../config/siteConfig";
import { readSiteConfig, stackSites } from "../config/stackConfig";
import { stackBucketBase, stackId } from "../core/sites";
import { legacyIamPath, stackCertificatePath } from "../core/certificate";
import { WATCH_DEFAULTS, boundaryArn } from "../config/watch";
import { WATCH_NAMESPACE } from "../core/iamPolicy";
import { InputError } from "../config/inputError";
import { OfflineAwsChina } from "./offlineMocks";
import { evaluateStackFile } from "../config/stackFile";
import { loadStackConfig, projectOf } from "./plan";

export const POLICY_EXIT = { ok: 0, badInput: 2 } as const;

export const POLICY_USAGE = [
    "usage: npm run policy -- --stack NAME (--bootstrap | --outputs-file FILE) [--account ID] [--zone-id ID …] [--record-name NAME …]",
    "                         [--out-dir DIR [--user NAME | --role NAME]]",
    "       npm run policy -- --any-stack | --watch-boundary [--account ID]",
    "",
    "Prints the least-privilege IAM policy for the identity that deploys the stack (Pulumi.NAME.yaml):",
    "only what its options use, on the ARNs of its resources.",
    "",
    "  --bootstrap           the policy of the person who runs the stack's first `pulumi up` (or adds a site):",
    "                        creates distributions and buckets; updates and deletes only what is known by id",
    "  --outputs-file FILE   `pulumi stack output --json` of the deployed stack: the steady-state policy of every",
    "                        later run (schedule, Deployments, CI), every distribution by id and bucket by name",
    "  --out-dir DIR         write the policy as IAM managed policies (each within IAM's 6,144 characters) and",
    "                        print the `aws iam` commands that create and attach them",
    "  --user NAME, --role NAME   the identity the printed commands attach the policies to",
    "  --account ID          the account id (default: aws:allowedAccountIds when it names one, else *)",
    "  --zone-id ID          a hosted zone the dns-01 records are written to besides hostedZoneId (repeatable)",
    "  --record-name NAME    a record the stack writes that the config does not name, e.g. a CNAME target (repeatable)",
    "  --config-file PATH    read the stack configuration from another file",
    "  --any-stack           every stack and option, a person's reference, never automation's (docs/iam-policy/);",
    "                        with --no-route53, for DNS outside Route 53; needs --out-dir (over one managed policy)",
    "  --watch-boundary      the watch role's permissions boundary (docs/iam-watch-boundary.json)",
];

class UsageError extends Error {}

interface PolicyArgs {
    mode: "stack" | "anyStack" | "watchBoundary";
    stack: string;
    bootstrap: boolean;
    outDir?: string;
    attachTo?: { kind: "user" | "role"; name: string };
    configFile?: string;
    account?: string;
    outputsFile?: string;
    zoneIds: string[];
    recordNames: string[];
}

export function parsePolicyArgs(argv: readonly string[]): PolicyArgs {
    const args: PolicyArgs = { mode: "stack", stack: "", bootstrap: false, zoneIds: [], recordNames: [] };
    for (let i = 0; i < argv.length; i++) {
        const value = () => {
            const v = argv[++i];
            if (v === undefined || v.startsWith("--")) {
                throw new UsageError(`${argv[i - 1]} needs a value`);
            }
            return v;
        };
        switch (argv[i]) {
            case "--stack":
                args.stack = value();
                checked(arnPartProblem("stack", args.stack, "--stack"));
                break;
            case "--bootstrap":
                args.bootstrap = true;
                break;
            case "--out-dir":
                args.outDir = value();
                break;
            case "--user":
            case "--role": {
                const kind = argv[i] === "--user" ? "user" : "role";
                const name = value();
                // IAM user and role names: letters, digits and +=,.@_- (IAM API reference, CreateUser/CreateRole).
                if (!/^[\w+=,.@-]{1,64}$/.test(name)) {
                    throw new UsageError(`--${kind} ${JSON.stringify(name)} is not an IAM ${kind} name (letters, digits and +=,.@_-)`);
                }
                args.attachTo = { kind, name };
                break;
            }
            case "--config-file":
                args.configFile = value();
                break;
            case "--account":
                args.account = value();
                if (!/^\d{12}$/.test(args.account)) {
                    throw new UsageError(`--account takes a 12-digit account id (got ${args.account})`);
                }
                break;
            case "--outputs-file":
                args.outputsFile = value();
                break;
            case "--zone-id":
                args.zoneIds.push(value().replace(/^\/?hostedzone\//, ""));
                checked(arnPartProblem("zoneId", args.zoneIds[args.zoneIds.length - 1], "--zone-id"));
                break;
            case "--record-name": {
                const name = value();
                // A DNS name (RFC 1035 letters, digits, "-", "_" for the challenge labels, a leading "*."),
                // so that nothing but a name goes into the record condition.
                if (!/^(\*\.)?([A-Za-z0-9_-]{1,63}\.)*[A-Za-z0-9_-]{1,63}\.?$/.test(name)) {
                    throw new UsageError(`--record-name ${JSON.stringify(name)} is not a DNS name`);
                }
                args.recordNames.push(name);
                break;
            }
            case "--any-stack":
                args.mode = "anyStack";
                break;
            case "--no-route53":
                break; // read with --any-stack
            case "--watch-boundary":
                args.mode = "watchBoundary";
                break;
            default:
                throw new UsageError(`unknown argument ${argv[i]}`);
        }
    }
    if (args.mode === "stack" && !args.stack) {
        throw new UsageError("--stack NAME is required (or --any-stack, --watch-boundary)");
    }
    if (args.attachTo !== undefined && args.outDir === undefined) {
        throw new UsageError(`--${args.attachTo.kind} goes with --out-dir (the commands it prints attach the written policies)`);
    }
    return args;
}

function checked(problem: string | undefined): void {
    if (problem !== undefined) {
        throw new UsageError(problem);
    }
}

/**
 * `pulumi stack output --json` as the policy reads it: one line per problem (the file is whoever
 * ran `pulumi up`'s, and every value goes into an ARN).
 */
export function readOutputsFile(file: string): Record<string, unknown> {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new UsageError(
            `--outputs-file ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`,
        );
    }
    let outputs: unknown;
    try {
        outputs = JSON.parse(text);
    } catch (e) {
        throw new UsageError(
            `--outputs-file ${file}: not JSON (${(e as Error).message}); write it with \`pulumi stack output --json > ${file}\``,
        );
    }
    if (typeof outputs !== "object" || outputs === null || Array.isArray(outputs)) {
        throw new UsageError(
            `--outputs-file ${file}: not the outputs of a stack (an object expected); write it with \`pulumi stack output --json\``,
        );
    }
    const problems: string[] = [];
    const check = (where: Record<string, unknown>, label: string) => {
        for (const [key, kind] of [
            ["bucketName", "bucket"],
            ["logBucketName", "bucket"],
            ["distributionId", "distributionId"],
        ] as const) {
            const v = where[key];
            if (v === undefined || v === null) {
                continue;
            }
            const problem = typeof v === "string" ? arnPartProblem(kind, v, `${label}${key}`) : `${label}${key} is not a string`;
            if (problem !== undefined) {
                problems.push(problem);
            }
        }
    };
    const o = outputs as Record<string, unknown>;
    check(o, "");
    if (o.sites !== undefined) {
        if (typeof o.sites !== "object" || o.sites === null || Array.isArray(o.sites)) {
            problems.push("sites is not an object of sites by name");
        } else {
            for (const [name, site] of Object.entries(o.sites as Record<string, unknown>)) {
                if (typeof site === "object" && site !== null) {
                    check(site as Record<string, unknown>, `sites.${name}.`);
                } else {
                    problems.push(`sites.${name} is not an object`);
                }
            }
        }
    }
    if (problems.length > 0) {
        throw new UsageError(`--outputs-file ${file}: ${problems.join("; ")}`);
    }
    return o;
}

/** docs/iam-actions.json, from the repository or from the installed package (dist/scripts/ → docs/). */
export function loadActionTable(): ActionTable {
    const candidates = [path.join(__dirname, "..", "docs"), path.join(__dirname, "..", "..", "docs")].map((d) =>
        path.join(d, "iam-actions.json"),
    );
    const file = candidates.find((f) => fs.existsSync(f));
    if (!file) {
        throw new Error(`docs/iam-actions.json not found (looked in ${candidates.join(", ")})`);
    }
    return JSON.parse(fs.readFileSync(file, "utf8")) as ActionTable;
}

/**
 * The certificates a deployed stack serves from the path of earlier versions (/cloudfront/<stack>/<resource>/),
 * from its outputs: by path and name from `certificateArn`, or, in outputs written before it, by that
 * resource path. The next `pulumi up` moves them under the stack's path (docs/migrate.md).
 */
function formerCertificates(
    project: string,
    stack: string,
    sites: ReadonlyArray<{ cdnName: string; outputs: Record<string, unknown> }>,
): string[] {
    const own = stackCertificatePath(project, stack);
    return sites.flatMap((s) => {
        const arn = s.outputs.certificateArn;
        if (typeof arn === "string") {
            const at = arn.replace(/^arn:[^:]+:iam::[^:]*:server-certificate/, "");
            return at.startsWith(own) ? [] : [at];
        }
        // No ARN: outputs of earlier versions (a certificate the stack keeps has a renewal instant), or one given by id.
        const resource = s.cdnName === "site" ? "certificate" : `${s.cdnName}-certificate`;
        return typeof s.outputs.certificateRenewAfter === "string" ? [legacyIamPath(stack, resource)] : [];
    });
}

/**
 * The policy for every stack and option, or for every stack whose DNS is not in Route 53 (`route53:
 * false`): docs/iam-policy/, written with --out-dir.
 */
export function anyStackPolicy(table: ActionTable, route53 = true): PolicyDocument {
    const options = new Set(DEPLOY_OPTIONS.filter((o) => route53 || !["route53Challenge", "hostedZone"].includes(o)));
    return deployPolicy(table, {
        account: "*",
        stack: "*",
        project: "*",
        options,
        watchBoundaryArn: boundaryArn(WATCH_DEFAULTS.permissionsBoundary, "aws-cn", "*"),
    });
}

/** The features of a stack's configuration that decide what its deploy identity needs. */
export function deployOptions(settings: SiteConfig): Set<DeployOption> {
    // Every site's own settings count; the others are the stack's (docs/sites.md).
    const sites = stackSites(settings).map((s) => s.settings);
    const issuing = sites.some((s) => s.iamCertificateId === undefined);
    const on: Record<DeployOption, boolean> = {
        issuing,
        route53Challenge: issuing && settings.acme.challenge !== "dns-persist-01",
        hostedZone: sites.some((s) => s.hostedZoneId !== undefined),
        content: sites.some((s) => s.contentDir !== undefined),
        logging: settings.logging,
        versioning: settings.versioning,
        bucketVersioning: settings.versioning || settings.logging,
        destroyBuckets: settings.destroyBuckets,
        watch: settings.watch !== undefined,
    };
    return new Set(DEPLOY_OPTIONS.filter((o) => on[o]));
}

/** The scope of one stack, from its configuration (read by the program's own reader) and its outputs. */
async function stackScope(args: PolicyArgs, projectDir: string): Promise<{ scope: PolicyScope; notes: string[]; project: string }> {
    try {
        return await evaluatedScope(args, projectDir);
    } finally {
        evaluateStackFile(undefined); // the file read for this evaluation only
    }
}

async function evaluatedScope(args: PolicyArgs, projectDir: string): Promise<{ scope: PolicyScope; notes: string[]; project: string }> {
    const configFile = args.configFile ?? path.join(projectDir, `Pulumi.${args.stack}.yaml`);
    if (!fs.existsSync(configFile)) {
        throw new UsageError(
            `no stack file ${path.relative(projectDir, configFile) || configFile}: pass --stack of an existing stack or --config-file`,
        );
    }
    const { config, secretKeys } = loadStackConfig(projectDir, configFile);
    pulumi.runtime.setAllConfig(config, secretKeys);
    evaluateStackFile(configFile);
    const project = projectOf(projectDir).name;
    await pulumi.runtime.setMocks(new OfflineAwsChina({ region: config["aws:region"] ?? "" }), project, args.stack, false);
    const settings = readSiteConfig();

    const allowed = (() => {
        try {
            return JSON.parse(config["aws:allowedAccountIds"] ?? "[]") as string[];
        } catch {
            return [];
        }
    })();
    const account = args.account ?? (allowed.length === 1 ? allowed[0] : "*");
    const outputs = args.outputsFile ? readOutputsFile(args.outputsFile) : {};
    const options = deployOptions(settings);
    const route53Challenge = options.has("route53Challenge");
    const notes: string[] = [];
    // Each site with its outputs: the top-level ones for the first, `sites.<name>` for the others.
    const sites = stackSites(settings).map((s) => ({
        ...s,
        outputs:
            s.name === undefined
                ? outputs
                : (((outputs.sites as Record<string, Record<string, unknown>> | undefined)?.[s.name] ?? {}) as Record<string, unknown>),
    }));
    const zoneIds = [...new Set([...sites.flatMap((s) => (s.settings.hostedZoneId ? [s.settings.hostedZoneId] : [])), ...args.zoneIds])];
    const zonesKnown = !route53Challenge || zoneIds.length > 0;
    if (!zonesKnown) {
        notes.push("the dns-01 records' zone is found at run time: every zone of the account (pass --zone-id to narrow it)");
    }
    // A delegation found by a CNAME lookup at run time is not in the config: --record-name adds it.
    const recordNames = [
        ...sites.flatMap((s) =>
            stackRecordNames(s.settings.domains, {
                aliases: s.settings.hostedZoneId !== undefined,
                challenges: route53Challenge && s.settings.iamCertificateId === undefined,
                delegations: s.settings.acme.challengeDelegations,
            }),
        ),
        ...args.recordNames,
    ];
    // A certificate's challenge names are written in one batch per zone: kept in one record statement.
    const recordNameGroups = route53Challenge
        ? sites
              .filter((s) => s.settings.iamCertificateId === undefined)
              .map((s) =>
                  stackRecordNames(s.settings.domains, {
                      aliases: false,
                      challenges: true,
                      delegations: s.settings.acme.challengeDelegations,
                  }),
              )
        : undefined;
    const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);
    // Known once the stack has run (--outputs-file), or adopted: by id; the rest only in a bootstrap policy.
    const distributionIds = sites.map((s) => str(s.outputs.distributionId) ?? s.settings.adoptDistributionId);
    const known = distributionIds.filter((id): id is string => id !== undefined);
    const oaiIds = sites.map((s) => str(s.outputs.originAccessIdentityId));
    const scope: PolicyScope = {
        account,
        stack: args.stack,
        project,
        formerCertificates: formerCertificates(project, args.stack, sites),
        options,
        watchBoundaryArn: boundaryArn(settings.watch?.permissionsBoundary ?? WATCH_DEFAULTS.permissionsBoundary, "aws-cn", account),
        zoneIds: zonesKnown && zoneIds.length > 0 ? zoneIds : undefined,
        recordNames: options.has("hostedZone") || route53Challenge ? recordNames : undefined,
        recordNameGroups,
        buckets: sites.map((s) => {
            // Buckets to come carry the stack in their names (stackBucketBase); made ones are named.
            const patterns = siteBucketPatterns(stackBucketBase(project, args.stack, s.cdnName));
            return { site: str(s.outputs.bucketName) ?? patterns.site, logs: str(s.outputs.logBucketName) ?? patterns.logs };
        }),
        // An adopted distribution is known by its id before the first `pulumi up` (docs/migrate.md).
        distributionIds: known.length > 0 ? known : undefined,
        distributionsToCome: known.length < sites.length,
        // Each site's OAI by id once the outputs name them all (outputs of earlier versions do not: every OAI).
        originAccessIdentityIds: !args.bootstrap && oaiIds.every((id) => id !== undefined) ? (oaiIds as string[]) : undefined,
        phase: args.bootstrap ? "bootstrap" : "steady",
        stackId: stackId(project, args.stack),
        stackTag: stackTagValue(project, args.stack),
        // A watch made before its names carried the stack keeps them (its topic is `watch-alarms-…`).
        legacyWatch: /:watch-alarms-[^:]*$/.test(str(outputs.watchTopicArn) ?? ""),
    };
    if (scope.legacyWatch) {
        notes.push(
            "the watch was made before its names carried the stack: its role, function, topic, schedule and alarms are granted by the shared " +
                "watch-* names too, which every such stack's watch has; unset and set cloudfront-china:watch to remake it with the stack's own names",
        );
    }
    if (!args.bootstrap) {
        // The steady-state policy grants nothing by pattern or tag: every site must be known by id and name.
        const unknown = sites.filter((s, i) => distributionIds[i] === undefined || str(s.outputs.bucketName) === undefined);
        if (unknown.length > 0) {
            throw new UsageError(
                `the steady-state policy names each site's distribution and buckets, and ${unknown.map((s) => (s.name === undefined ? "the first site" : `site ${s.name}`)).join(", ")} ` +
                    `${unknown.length === 1 ? "has" : "have"} none known: pass --outputs-file FILE (\`pulumi stack output --json\` after the first \`pulumi up\`), ` +
                    "or --bootstrap for the person who runs that first `pulumi up` (docs/iam-policy.md)",
            );
        }
    }
    if (sites.some((s) => s.settings.adoptDistributionId !== undefined && !str(s.outputs.bucketName))) {
        notes.push(
            "adopting: the first `pulumi up` also needs the adopted bucket (by its own name) and iam:GetServerCertificate and " +
                "iam:UpdateServerCertificate on the certificate it serves (docs/migrate.md, permissions); pass --outputs-file after it for the bucket",
        );
    }
    if (account === "*") {
        notes.push("account: any (pass --account or set aws:allowedAccountIds)");
    }
    if (args.bootstrap) {
        notes.push(
            "bootstrap: for the person who runs the first `pulumi up` (or adds a site): creates distributions (with the stack tag) and buckets " +
                "(by name pattern); then give every later run the steady-state policy (--outputs-file)",
        );
    }
    return { scope, notes, project };
}

/**
 * The policy on stdout when it fits one managed policy; with --out-dir, as managed policies
 * `<dir>/<name>-<n>.json` and the `aws iam` commands that create and attach them.
 */
function writePolicy(
    doc: PolicyDocument,
    target: Pick<PolicyArgs, "outDir" | "attachTo"> & { name: string; account: string },
    out: (line: string) => void,
    err: (line: string) => void,
): number {
    const parts = asManagedPolicies(doc);
    if (target.outDir === undefined) {
        if (parts.length > 1) {
            throw new UsageError(
                `the policy is ${policyCharacters(doc)} characters, over IAM's ${IAM_QUOTAS.managedPolicyCharacters} for one managed policy: ` +
                    `pass --out-dir DIR to write it as ${parts.length} managed policies, with the commands that create and attach them`,
            );
        }
        out(JSON.stringify(doc, null, 4));
        return POLICY_EXIT.ok;
    }
    if (parts.length > IAM_QUOTAS.managedPoliciesPerIdentityRaised) {
        throw new UsageError(
            `the policy needs ${parts.length} managed policies, over the ${IAM_QUOTAS.managedPoliciesPerIdentityRaised} IAM lets one identity hold: ` +
                "split the stack's sites into two stacks (docs/sites.md)",
        );
    }
    if (parts.length > IAM_QUOTAS.managedPoliciesPerIdentity) {
        err(
            `policy: ${parts.length} managed policies, over the ${IAM_QUOTAS.managedPoliciesPerIdentity} an identity holds by default: ` +
                `raise the quota "Managed policies per role" (or per user) in Service Quotas (up to ${IAM_QUOTAS.managedPoliciesPerIdentityRaised}) first`,
        );
    }
    fs.mkdirSync(target.outDir, { recursive: true });
    const account = target.account === "*" ? "<ACCOUNT>" : target.account;
    const attach = target.attachTo ?? { kind: "role" as const, name: "<ROLE>" };
    parts.forEach((part, i) => {
        const policyName = parts.length === 1 ? target.name : `${target.name}-${i + 1}`;
        const file = path.join(target.outDir!, `${policyName}.json`);
        fs.writeFileSync(file, JSON.stringify(part, null, 4) + "\n");
        out(`aws iam create-policy --policy-name ${policyName} --policy-document file://${file}`);
        out(
            `aws iam attach-${attach.kind}-policy --${attach.kind}-name ${attach.name} ` +
                `--policy-arn arn:aws-cn:iam::${account}:policy/${policyName}`,
        );
    });
    err(
        `policy: ${parts.length} managed ${parts.length === 1 ? "policy" : "policies"} in ${target.outDir} ` +
            `(${parts.map((p) => policyCharacters(p)).join(", ")} of ${IAM_QUOTAS.managedPolicyCharacters} characters)`,
    );
    return POLICY_EXIT.ok;
}

export async function policy(
    argv: readonly string[],
    projectDir: string,
    out: (line: string) => void,
    err: (line: string) => void,
): Promise<number> {
    if (argv.includes("--help") || argv.includes("-h")) {
        POLICY_USAGE.forEach(out);
        return POLICY_EXIT.ok;
    }
    try {
        const args = parsePolicyArgs(argv);
        const table = loadActionTable();
        if (args.mode === "watchBoundary") {
            out(JSON.stringify(watchBoundaryPolicy(args.account ?? "*", WATCH_NAMESPACE), null, 4));
            return POLICY_EXIT.ok;
        }
        if (args.mode === "anyStack") {
            const route53 = !argv.includes("--no-route53");
            const name = `cloudfront-china-any-stack${route53 ? "" : "-dns-persist"}`;
            return writePolicy(anyStackPolicy(table, route53), { ...args, name, account: args.account ?? "*" }, out, err);
        }
        const { scope, notes, project } = await stackScope(args, projectDir);
        notes.forEach((n) => err(`policy: ${n}`));
        const doc = deployPolicy(table, scope);
        const name = `cloudfront-china-${project}-${args.stack}-${scope.phase === "bootstrap" ? "bootstrap" : "deploy"}`;
        return writePolicy(doc, { ...args, name, account: scope.account }, out, err);
    } catch (e) {
        if (e instanceof UsageError || e instanceof InputError || e instanceof PolicyScopeError || e instanceof PolicyTooLargeError) {
            err(`policy: ${e.message}`);
            return POLICY_EXIT.badInput;
        }
        throw e;
    }
}

if (require.main === module) {
    policy(process.argv.slice(2), process.cwd(), console.log, console.error).then(
        (code) => process.exit(code),
        (e) => {
            console.error(`policy: ${(e as Error).stack ?? e}`);
            process.exit(POLICY_EXIT.badInput);
        },
    );
}
