#!/usr/bin/env node
/**
 * `npm run policy -- --stack <name>`: prints the least-privilege IAM policy of the identity that runs
 * `pulumi up` for that stack, from its stack file (core/iamPolicy.ts over docs/iam-actions.json).
 *
 *   npm run policy -- --stack cn-north-1 [--account 123456789012] [--outputs-file outputs.json]
 *                     [--zone-id Z…] [--record-name _acme-challenge.example.cn] [--config-file PATH]
 *   npm run policy -- --any-stack        # the static docs/iam-policy.json
 *   npm run policy -- --watch-boundary [--account N]   # the boundary an admin creates once
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
    deployPolicy,
    siteBucketPatterns,
    stackRecordNames,
    watchBoundaryPolicy,
} from "../core/iamPolicy";
import { PROJECT, SiteConfig, readSiteConfig, stackSites } from "../config/siteConfig";
import { WATCH_DEFAULTS, boundaryArn } from "../config/watch";
import { WATCH_NAMESPACE } from "../components/certificateWatch";
import { InputError } from "../config/inputError";
import { OfflineAwsChina } from "./offlineMocks";
import { loadStackConfig } from "./plan";

export const POLICY_EXIT = { ok: 0, badInput: 2 } as const;

export const POLICY_USAGE = [
    "usage: npm run policy -- --stack NAME [--account ID] [--outputs-file FILE] [--zone-id ID …] [--record-name NAME …]",
    "       npm run policy -- --any-stack | --watch-boundary [--account ID]",
    "",
    "Prints the least-privilege IAM policy for the identity that deploys the stack (Pulumi.NAME.yaml):",
    "only what its options use, on the ARNs of its resources.",
    "",
    "  --account ID          the account id (default: aws:allowedAccountIds when it names one, else *)",
    "  --outputs-file FILE   `pulumi stack output --json` of the deployed stack: scopes to its buckets and distribution",
    "  --zone-id ID          a hosted zone the dns-01 records are written to besides hostedZoneId (repeatable)",
    "  --record-name NAME    a record the stack writes that the config does not name, e.g. a CNAME target (repeatable)",
    "  --config-file PATH    read the stack configuration from another file",
    "  --any-stack           the policy for every stack and option (docs/iam-policy.json);",
    "                        with --no-route53, for DNS outside Route 53 (docs/iam-policy-dns-persist.json)",
    "  --watch-boundary      the watch role's permissions boundary (docs/iam-watch-boundary.json)",
];

class UsageError extends Error {}

interface PolicyArgs {
    mode: "stack" | "anyStack" | "watchBoundary";
    stack: string;
    configFile?: string;
    account?: string;
    outputsFile?: string;
    zoneIds: string[];
    recordNames: string[];
}

export function parsePolicyArgs(argv: readonly string[]): PolicyArgs {
    const args: PolicyArgs = { mode: "stack", stack: "", zoneIds: [], recordNames: [] };
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
                break;
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
                break;
            case "--record-name":
                args.recordNames.push(value());
                break;
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
    return args;
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
 * The policy for every stack and option (docs/iam-policy.json), or for every stack whose DNS is not in
 * Route 53 (`route53: false`: docs/iam-policy-dns-persist.json).
 */
export function anyStackPolicy(table: ActionTable, route53 = true): PolicyDocument {
    const options = new Set(DEPLOY_OPTIONS.filter((o) => route53 || !["route53Challenge", "hostedZone"].includes(o)));
    return deployPolicy(table, {
        account: "*",
        stack: "*",
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
async function stackScope(args: PolicyArgs, projectDir: string): Promise<{ scope: PolicyScope; notes: string[] }> {
    const configFile = args.configFile ?? path.join(projectDir, `Pulumi.${args.stack}.yaml`);
    if (!fs.existsSync(configFile)) {
        throw new UsageError(
            `no stack file ${path.relative(projectDir, configFile) || configFile}: pass --stack of an existing stack or --config-file`,
        );
    }
    const { config, secretKeys } = loadStackConfig(projectDir, configFile);
    pulumi.runtime.setAllConfig(config, secretKeys);
    await pulumi.runtime.setMocks(new OfflineAwsChina({ region: config["aws:region"] ?? "" }), PROJECT, args.stack, false);
    const settings = readSiteConfig();

    const allowed = (() => {
        try {
            return JSON.parse(config["aws:allowedAccountIds"] ?? "[]") as string[];
        } catch {
            return [];
        }
    })();
    const account = args.account ?? (allowed.length === 1 ? allowed[0] : "*");
    const outputs = args.outputsFile ? (JSON.parse(fs.readFileSync(args.outputsFile, "utf8")) as Record<string, unknown>) : {};
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
    const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);
    // Known once the stack has run (--outputs-file), or adopted: by id; the rest by the stack tag.
    const distributionIds = sites.map((s) => str(s.outputs.distributionId) ?? s.settings.adoptDistributionId);
    const known = distributionIds.filter((id): id is string => id !== undefined);
    const scope: PolicyScope = {
        account,
        stack: args.stack,
        options,
        watchBoundaryArn: boundaryArn(settings.watch?.permissionsBoundary ?? WATCH_DEFAULTS.permissionsBoundary, "aws-cn", account),
        zoneIds: zonesKnown && zoneIds.length > 0 ? zoneIds : undefined,
        recordNames: options.has("hostedZone") || route53Challenge ? recordNames : undefined,
        buckets: sites.map((s) => {
            const patterns = siteBucketPatterns(s.cdnName);
            return { site: str(s.outputs.bucketName) ?? patterns.site, logs: str(s.outputs.logBucketName) ?? patterns.logs };
        }),
        // An adopted distribution is known by its id before the first `pulumi up` (docs/migrate.md).
        distributionIds: known.length > 0 ? known : undefined,
        distributionsToCome: known.length < sites.length,
    };
    if (sites.some((s) => s.settings.adoptDistributionId !== undefined && !str(s.outputs.bucketName))) {
        notes.push(
            "adopting: the first `pulumi up` also needs the adopted bucket (by its own name) and iam:UpdateServerCertificate " +
                "on the certificate it serves (docs/migrate.md, permissions); pass --outputs-file after it for the bucket",
        );
    }
    if (account === "*") {
        notes.push("account: any (pass --account or set aws:allowedAccountIds)");
    }
    if (scope.distributionsToCome) {
        notes.push(
            "distributions and buckets: by the stack tag and name pattern until the stack exists; pass --outputs-file after the first `pulumi up`",
        );
    }
    return { scope, notes };
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
            out(JSON.stringify(anyStackPolicy(table, !argv.includes("--no-route53")), null, 4));
            return POLICY_EXIT.ok;
        }
        const { scope, notes } = await stackScope(args, projectDir);
        notes.forEach((n) => err(`policy: ${n}`));
        out(JSON.stringify(deployPolicy(table, scope), null, 4));
        return POLICY_EXIT.ok;
    } catch (e) {
        if (e instanceof UsageError || e instanceof InputError) {
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
