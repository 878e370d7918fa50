/**
 * `npm run status -- --stack <name>`: is the site healthy right now? Reads the stack's outputs (the
 * Automation API, i.e. the installed `pulumi`, or `--outputs-file` with the JSON of
 * `pulumi stack output --json`), then runs the live check (watch/liveCheck.ts) with the stack's AWS
 * identity (the same `aws:` settings the program uses), and prints one row per alias.
 *
 *   npm run status -- --stack cn-north-1 [--outputs-file outputs.json] [--json] [--warn-days N]
 *                     [--dir <project dir>] [--iam-quota N] [--aws-timeout-seconds 20] [--connect alias=host:port …]
 *   npm run status -- --stack a --stack b …  |  --all-stacks      a fleet: one table, a stack column
 *   … --html report.html                                        also the page with a timeline per alias (scripts/htmlReport.ts)
 *
 * Exit codes: 0 ok, 1 warn, 2 fail, 3 could not check (with the reason); for a fleet, the worst stack's.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { credentialsFor } from "../aws/identity";
import { identityFromStackConfig, stackAwsConfig } from "../core/awsIdentity";
import { CheckReport, StackStatus, Verdict, runCheck, verdictSummary } from "../watch/liveCheck";
import { loadStackConfig, projectOf } from "./plan";
import { stackCertificatePath } from "../core/certificate";
import { htmlReport } from "./htmlReport";

export const STATUS_EXIT: Record<Verdict | "unchecked", number> = { ok: 0, warn: 1, fail: 2, unchecked: 3 };

interface StatusArgs {
    stack: string;
    /** Every `--stack` given (a fleet when more than one), or every stack of the project with `--all-stacks`. */
    stacks: string[];
    allStacks: boolean;
    dir: string;
    outputsFile?: string;
    json: boolean;
    /** Also write the HTML report there. */
    html?: string;
    warnDays?: number;
    iamQuota?: number;
    /** Bound of the AWS reads together, seconds (AWS_READ_TIMEOUT_MS by default). */
    awsTimeoutSeconds?: number;
    connect: Record<string, string>;
}

/** A problem that stops the check before it starts: exit 3 with this message. */
export class CannotCheck extends Error {}

/** Where the stack keeps its certificates: /cloudfront/<project>/<stack>/ (the project named by Pulumi.yaml in --dir). */
export const stackCertificatePathOf = (args: Pick<StackRef, "dir" | "stack">) => stackCertificatePath(projectOf(args.dir).name, args.stack);

/** Which stack, where its project is, and where its outputs come from (shared with `npm run cleanup`). */
export type StackRef = Pick<StatusArgs, "stack" | "dir" | "outputsFile">;

/**
 * Walks the command line's flags (shared with `npm run cleanup`): `value()` takes the next word as
 * the flag's value, refusing a missing one; `positive(message, max)` that value as a number above 0 and at most max.
 */
export function forEachFlag(
    argv: readonly string[],
    handle: (flag: string, value: () => string, positive: (message: string, max: number) => number) => void,
): void {
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        const value = () => {
            const v = argv[++i];
            if (v === undefined || v.startsWith("--")) {
                throw new CannotCheck(`${flag} needs a value`);
            }
            return v;
        };
        // Digits only, above 0 and at most `max`: an unset shell variable (""), "1e309" (Infinity) or a
        // timeout past Node's timer limit (2^31-1 ms, which fires at once) is refused, naming the flag.
        const positive = (message: string, max: number) => {
            const given = value();
            const n = Number(given);
            if (!/^\d+(\.\d+)?$/.test(given) || !(n > 0) || n > max) {
                throw new CannotCheck(`${message}, at most ${max} (got ${JSON.stringify(given)})`);
            }
            return n;
        };
        handle(flag, value, positive);
    }
}

/** Node's timers hold at most 2^31-1 ms; a longer one fires at once (Node docs, setTimeout). */
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** A file the report can be written to, checked before any AWS call: its folder exists, it is not a folder, both writable. */
function writableFile(file: string, flag: string): string {
    const dir = path.dirname(file);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
        throw new CannotCheck(`${flag} ${file}: the folder ${dir} does not exist`);
    }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
        throw new CannotCheck(`${flag} ${file} is a folder: give a file name, e.g. ${path.join(file, "fleet.html")}`);
    }
    try {
        fs.accessSync(fs.existsSync(file) ? file : dir, fs.constants.W_OK);
    } catch {
        throw new CannotCheck(`${flag} ${file} cannot be written (permission denied)`);
    }
    return file;
}

export function parseStatusArgs(argv: readonly string[], projectDir: string): StatusArgs {
    const args: StatusArgs = { stack: "", stacks: [], allStacks: false, dir: projectDir, json: false, connect: {} };
    forEachFlag(argv, (flag, value, positive) => {
        switch (flag) {
            case "--stack":
                args.stack = value();
                args.stacks.push(args.stack);
                break;
            case "--all-stacks":
                args.allStacks = true;
                break;
            case "--dir":
                args.dir = path.resolve(value());
                break;
            case "--outputs-file":
                args.outputsFile = value();
                break;
            case "--json":
                args.json = true;
                break;
            case "--html":
                args.html = writableFile(path.resolve(value()), "--html");
                break;
            case "--warn-days":
                args.warnDays = positive("--warn-days must be a positive number of days", 3650);
                break;
            case "--iam-quota": {
                const quotaMessage = "--iam-quota must be the account's server-certificate quota, e.g. 20";
                args.iamQuota = positive(quotaMessage, 100_000);
                if (!Number.isInteger(args.iamQuota)) {
                    throw new CannotCheck(quotaMessage);
                }
                break;
            }
            case "--aws-timeout-seconds":
                args.awsTimeoutSeconds = positive("--aws-timeout-seconds must be a positive number of seconds", MAX_TIMER_SECONDS);
                break;
            case "--connect": {
                const [alias, address] = value().split("=");
                if (!alias || !/^[^:]+:\d+$/.test(address ?? "")) {
                    throw new CannotCheck("--connect takes alias=host:port");
                }
                args.connect[alias] = address;
                break;
            }
            default:
                throw new CannotCheck(`unknown option ${flag}`);
        }
    });
    if (!args.stack && !args.allStacks) {
        throw new CannotCheck("--stack is required (repeat it for several stacks, or --all-stacks)");
    }
    if ((args.stacks.length > 1 || args.allStacks) && args.outputsFile) {
        throw new CannotCheck("--outputs-file holds one stack's outputs: give one --stack with it");
    }
    return args;
}

/** Every stack of the project in its backend (the Automation API, the installed `pulumi`). */
async function projectStacks(dir: string): Promise<string[]> {
    const { LocalWorkspace } = await import("@pulumi/pulumi/automation");
    try {
        const workspace = await LocalWorkspace.create({ workDir: dir });
        return (await workspace.listStacks()).map((s) => s.name).sort();
    } catch (e) {
        throw new CannotCheck(
            `cannot list the project's stacks with the pulumi CLI (${(e as Error).message.split("\n")[0]}): log in to its backend`,
        );
    }
}

/** The stack outputs as plain values (`pulumi stack output --json` shape). */
export async function stackOutputs(args: StackRef): Promise<Record<string, unknown>> {
    if (args.outputsFile) {
        try {
            return JSON.parse(fs.readFileSync(args.outputsFile, "utf8")) as Record<string, unknown>;
        } catch (e) {
            throw new CannotCheck(`cannot read --outputs-file ${args.outputsFile}: ${(e as Error).message}`);
        }
    }
    return withSelectedStack(
        args,
        "read the outputs of",
        async (stack) => Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value])),
        "log in to its backend, or pass --outputs-file with the JSON of `pulumi stack output --json`",
    );
}

/** `read` on the stack through the pulumi CLI (Automation API); a failure is one CannotCheck line with `fix`. */
export async function withSelectedStack<T>(
    args: StackRef,
    what: string,
    read: (stack: import("@pulumi/pulumi/automation").Stack) => Promise<T>,
    fix: string,
): Promise<T> {
    const { LocalWorkspace } = await import("@pulumi/pulumi/automation");
    try {
        return await read(await LocalWorkspace.selectStack({ stackName: args.stack, workDir: args.dir }));
    } catch (e) {
        throw new CannotCheck(`cannot ${what} stack ${args.stack} with the pulumi CLI (${(e as Error).message.split("\n")[0]}): ${fix}`);
    }
}

/** Region and identity from the stack file, as the program reads them; else the environment. */
export function awsTarget(args: StackRef) {
    const file = path.join(args.dir, `Pulumi.${args.stack}.yaml`);
    const config = fs.existsSync(file) ? loadStackConfig(args.dir, file).config : {};
    const region = config["aws:region"] ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!region) {
        throw new CannotCheck(`no aws:region in ${file} and no AWS_REGION: set one of them`);
    }
    const { identity, problems } = identityFromStackConfig(stackAwsConfig((k) => config[`aws:${k}`]));
    if (problems.length > 0) {
        throw new CannotCheck(problems.join("; "));
    }
    return { region, identity };
}

const pad = (rows: string[][]) => {
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    return rows.map((r) =>
        r
            .map((c, i) => c.padEnd(widths[i]))
            .join("  ")
            .trimEnd(),
    );
};

export function formatReport(report: CheckReport, stack = "<stack>"): string[] {
    const rows = [["alias", "ICP", "served serial", "issuer", "attached?", "days left", "renews from", "verdict"]];
    for (const a of report.aliases) {
        rows.push([
            a.alias,
            a.icp ?? "-",
            a.served?.serialNumber.slice(0, 16) ?? "-",
            a.served?.issuer || "-",
            a.servesAttached === undefined ? "-" : a.servesAttached ? "yes" : "NO",
            a.daysLeft === undefined ? "-" : a.daysLeft.toFixed(1),
            a.renewAfter ?? "-",
            a.verdict.toUpperCase(),
        ]);
    }
    const lines = pad(rows);
    for (const a of report.aliases) {
        a.reasons.forEach((r) => lines.push(`  ${a.alias}: ${r}`));
    }
    report.reasons.forEach((r) => lines.push(`  ${r}`));
    const attached = report.attached ? `${report.attached.name} (${report.attached.id}, valid until ${report.attached.notAfter})` : "none";
    lines.push(
        `${report.verdict.toUpperCase()}: distribution ${report.distribution.id} ${report.distribution.status}, certificate ${attached}, ` +
            `${report.certificatesUnderPath ?? "?"} IAM certificate(s) under the stack's path (${report.certificatesInAccount ?? "?"} in the account), ` +
            `${report.aliases.length} alias(es) checked at ${report.checkedAt}`,
    );
    const unserved = report.unservedUnderPath ?? [];
    if (unserved.length > 0) {
        lines.push(
            `${unserved.length} certificate(s) under the stack's path that this distribution does not serve, each holding a quota slot: ` +
                unserved.map((c) => `${c.name} (${c.id}${c.expiration ? `, until ${c.expiration}` : ""})`).join(", "),
            `  \`npm run cleanup -- --stack ${stack}\` lists those no distribution serves; with --yes it deletes them (not while \`pulumi up\` runs)`,
        );
    }
    return lines;
}

/**
 * The sites of a stack as its outputs list them (docs/sites.md): the first from the top-level
 * outputs, each further one from `sites.<name>`, labelled `<stack>/<name>`.
 */
function sitesOf(stack: string, outputs: Record<string, unknown>): Array<{ label: string; outputs: Record<string, unknown> }> {
    const further =
        outputs.sites !== null && typeof outputs.sites === "object" ? (outputs.sites as Record<string, Record<string, unknown>>) : {};
    return [{ label: stack, outputs }, ...Object.entries(further).map(([name, o]) => ({ label: `${stack}/${name}`, outputs: o }))];
}

/** One report per site of the stack; throws CannotCheck when the stack cannot be checked. */
async function checkStack(args: StatusArgs): Promise<Array<{ stack: string; report: CheckReport }>> {
    const outputs = await stackOutputs(args);
    if (typeof outputs.distributionId !== "string") {
        throw new CannotCheck(`stack ${args.stack} has no distributionId output: has it been deployed (\`pulumi up\`)?`);
    }
    const target = awsTarget(args);
    const sites = sitesOf(args.stack, outputs);
    const text = (v: unknown) => (typeof v === "string" ? v : undefined);
    const certificateIds = sites.map((s) => text(s.outputs.certificateId));
    const reports: Array<{ stack: string; report: CheckReport }> = [];
    for (const [i, site] of sites.entries()) {
        const report = await runCheck({
            distributionId: text(site.outputs.distributionId) ?? "",
            region: target.region,
            credentials: credentialsFor(target),
            expectedCertificateId: certificateIds[i],
            renewAfter: text(site.outputs.certificateRenewAfter),
            iamPathPrefix: stackCertificatePathOf(args),
            servedByOtherSites: certificateIds.filter((id, j): id is string => j !== i && id !== undefined),
            warnDays: args.warnDays,
            iamCertificateQuota: args.iamQuota,
            awsTimeoutMs: args.awsTimeoutSeconds === undefined ? undefined : args.awsTimeoutSeconds * 1000,
            connect: args.connect,
        }).catch((e: Error) => {
            throw new CannotCheck(`cannot read the distribution or IAM (${e.name}: ${e.message}): check the AWS identity and region`);
        });
        // The stack's leftovers are the same for every site: listed once, with the first.
        reports.push({ stack: site.label, report: i === 0 ? report : { ...report, unservedUnderPath: [] } });
    }
    return reports;
}

/** A fleet as one table: the stack first, then each alias's row; the stacks that could not be checked say why. */
export function formatFleet(statuses: readonly StackStatus[]): string[] {
    const rows = [["stack", "alias", "ICP", "issuer", "days left", "renews from", "verdict"]];
    const notes: string[] = [];
    for (const s of statuses) {
        if ("reason" in s) {
            rows.push([s.stack, "-", "-", "-", "-", "-", "UNCHECKED"]);
            notes.push(`  ${s.stack}: COULD NOT CHECK: ${s.reason}`);
            continue;
        }
        for (const a of s.report.aliases) {
            rows.push([
                s.stack,
                a.alias,
                a.icp ?? "-",
                a.served?.issuer || "-",
                a.daysLeft === undefined ? "-" : a.daysLeft.toFixed(1),
                a.renewAfter ?? "-",
                a.verdict.toUpperCase(),
            ]);
            a.reasons.forEach((r) => notes.push(`  ${s.stack} ${a.alias}: ${r}`));
        }
        s.report.reasons.forEach((r) => notes.push(`  ${s.stack}: ${r}`));
        const unserved = s.report.unservedUnderPath ?? [];
        if (unserved.length > 0) {
            notes.push(`  ${s.stack}: ${unserved.length} certificate(s) nothing here serves: \`npm run cleanup -- --stack ${s.stack}\``);
        }
    }
    return [...pad(rows), ...notes, verdictSummary(statuses)];
}

export async function status(argv: readonly string[], projectDir: string, out: (line: string) => void): Promise<number> {
    let json = argv.includes("--json");
    try {
        const args = parseStatusArgs(argv, projectDir);
        json = args.json;
        const stacks = args.allStacks ? await projectStacks(args.dir) : args.stacks;
        const page = (statuses: readonly StackStatus[]) => {
            if (args.html !== undefined) {
                fs.writeFileSync(args.html, htmlReport(statuses, Date.now()));
                if (!json) {
                    out(`report: ${args.html}`);
                }
            }
        };
        if (stacks.length === 1 && !args.allStacks) {
            const sites = await checkStack(args);
            if (sites.length === 1) {
                const { report } = sites[0];
                (json ? [JSON.stringify(report, null, 2)] : formatReport(report, args.stack)).forEach((l) => out(l));
                page(sites);
                return STATUS_EXIT[report.verdict];
            }
            // Several sites: one row per alias of each, as for a fleet.
            (json ? [JSON.stringify(sites, null, 2)] : formatFleet(sites)).forEach((l) => out(l));
            page(sites);
            return Math.max(...sites.map((s) => STATUS_EXIT[s.report.verdict]));
        }
        if (stacks.length === 0) {
            throw new CannotCheck(`no stacks in the project at ${args.dir}`);
        }
        // One stack after another: each reads its own outputs and identity, and a stack that cannot
        // be checked is a row with its reason, not the end of the fleet's report.
        const statuses: StackStatus[] = [];
        for (const stack of stacks) {
            try {
                statuses.push(...(await checkStack({ ...args, stack })));
            } catch (e) {
                if (!(e instanceof CannotCheck)) {
                    throw e;
                }
                statuses.push({ stack, reason: e.message });
            }
        }
        (json ? [JSON.stringify(statuses, null, 2)] : formatFleet(statuses)).forEach((l) => out(l));
        page(statuses);
        return Math.max(...statuses.map((s) => ("reason" in s ? STATUS_EXIT.unchecked : STATUS_EXIT[s.report.verdict])));
    } catch (e) {
        if (!(e instanceof CannotCheck)) {
            throw e;
        }
        out(json ? JSON.stringify({ verdict: "unchecked", reason: e.message }) : `COULD NOT CHECK: ${e.message}`);
        return STATUS_EXIT.unchecked;
    }
}

if (require.main === module) {
    status(process.argv.slice(2), path.resolve(__dirname, ".."), (line) => console.log(line))
        .then((code) => process.exit(code))
        .catch((e) => {
            console.error(e instanceof Error ? e.stack : e);
            process.exit(STATUS_EXIT.unchecked);
        });
}
