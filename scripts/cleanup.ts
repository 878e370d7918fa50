/**
 * `npm run cleanup -- --stack <name>`: the stack's IAM server certificates that nothing serves
 * (leftovers of a delete that failed long ago), which hold slots of the account's quota (20 by
 * default) that every rotation needs one of. Lists them; deletes them only with `--yes`.
 *
 *   npm run cleanup -- --stack cn-north-1 [--yes] [--min-age-hours 1] [--outputs-file outputs.json
 *                      --state-file state.json] [--dir <project dir>]
 *
 * A certificate is a leftover when it is under the stack's IAM path (/cloudfront/<project>/<stack>/), no
 * distribution of the account serves it (ListDistributions), no site of the stack names it (the
 * `certificateId` output and each `sites.<name>.certificateId`), the stack's state holds no resource
 * with it and no interrupted upload under its path (`pulumi stack export`: a pending create of a
 * certificate), and it was uploaded more than `--min-age-hours` ago (default 1: a `pulumi up` may be
 * between the upload of a new certificate and the distribution's move to it). Deleting (`--yes`)
 * needs the state: read with the pulumi CLI, or `--state-file` beside `--outputs-file`. Nothing else
 * is ever deleted: certificates under the path of earlier versions (/cloudfront/<stack>/<resource>/,
 * which every project's stack of that name shares) are listed, never deleted (docs/migrate.md).
 *
 * Exit codes: 0 done (or nothing to do), 1 a delete failed (named), 3 could not check (with the reason).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { certificatesServedInAccount } from "../aws/cloudfront";
import { ListedCertificate, deleteServerCertificate, listServerCertificates } from "../aws/iam";
import { CannotCheck, StackRef, awsTarget, forEachFlag, stackCertificatePathOf, stackOutputs, withSelectedStack } from "./status";
import { legacyStackCertificatePath } from "../core/certificate";

/** A rotation moves the distribution within minutes of the upload; younger certificates are kept. */
export const CLEANUP_MIN_AGE_HOURS = 1;

interface CleanupArgs extends StackRef {
    yes: boolean;
    minAgeHours: number;
    stateFile?: string;
}

/** What the stack's own records name: every site's certificate, and the state's certificates and interrupted uploads. */
export interface StackReferences {
    /** ServerCertificateIds the outputs (every site) or the state name. */
    ids: ReadonlySet<string>;
    /** Certificate names the state names. */
    names: ReadonlySet<string>;
    /** IAM paths of certificates whose create the state records as interrupted (pending operations). */
    pendingPaths: readonly string[];
}

const CERTIFICATE_TYPE = "pulumi-nodejs:dynamic/cloudfront-china:IamAcmeCertificate";

/** The certificates a stack references, from its outputs (`pulumi stack output --json`) and its state (`pulumi stack export`). */
export function stackReferences(outputs: Record<string, unknown>, state: unknown): StackReferences {
    const ids = new Set<string>();
    const names = new Set<string>();
    const pendingPaths: string[] = [];
    const idOf = (o: unknown) => (o && typeof o === "object" ? (o as Record<string, unknown>).certificateId : undefined);
    for (const id of [idOf(outputs), ...Object.values((outputs.sites as Record<string, unknown> | undefined) ?? {}).map(idOf)]) {
        if (typeof id === "string") {
            ids.add(id);
        }
    }
    const deployment = ((state as { deployment?: unknown } | undefined)?.deployment ?? {}) as {
        resources?: Array<{ type?: string; id?: string; outputs?: Record<string, unknown> }>;
        pending_operations?: Array<{ type?: string; resource?: { type?: string; inputs?: Record<string, unknown> } }>;
    };
    for (const r of deployment.resources ?? []) {
        if (r.type === CERTIFICATE_TYPE) {
            if (typeof r.id === "string" && r.id) {
                names.add(r.id);
            }
            if (typeof r.outputs?.serverCertificateId === "string") {
                ids.add(r.outputs.serverCertificateId);
            }
        }
    }
    for (const op of deployment.pending_operations ?? []) {
        if (op.resource?.type === CERTIFICATE_TYPE && typeof op.resource.inputs?.path === "string") {
            pendingPaths.push(op.resource.inputs.path);
        }
    }
    return { ids, names, pendingPaths };
}

function parseCleanupArgs(argv: readonly string[], projectDir: string): CleanupArgs {
    const args: CleanupArgs = { stack: "", dir: projectDir, yes: false, minAgeHours: CLEANUP_MIN_AGE_HOURS };
    forEachFlag(argv, (flag, value) => {
        if (flag === "--stack") {
            args.stack = value();
        } else if (flag === "--dir") {
            args.dir = path.resolve(value());
        } else if (flag === "--outputs-file") {
            args.outputsFile = value();
        } else if (flag === "--state-file") {
            args.stateFile = value();
        } else if (flag === "--yes") {
            args.yes = true;
        } else if (flag === "--min-age-hours") {
            // Digits only: an unset shell variable (""), "1e309" or "-1" must not become 0 or Infinity.
            const given = value();
            if (!/^\d{1,6}(\.\d+)?$/.test(given)) {
                throw new CannotCheck(`--min-age-hours takes a number of hours, 0 to 999999 (got ${JSON.stringify(given)})`);
            }
            args.minAgeHours = Number(given);
        } else {
            throw new CannotCheck(`unknown option ${flag} (--stack, --yes, --min-age-hours, --outputs-file, --state-file, --dir)`);
        }
    });
    if (!args.stack) {
        throw new CannotCheck("--stack is required");
    }
    if (args.yes && args.outputsFile !== undefined && args.stateFile === undefined) {
        throw new CannotCheck(
            "--yes deletes only what the stack's state does not reference: pass --state-file (`pulumi stack export`) beside --outputs-file",
        );
    }
    return args;
}

/** The stack's state: `--state-file`, else the pulumi CLI's `pulumi stack export` (undefined with --outputs-file alone: listing only). */
async function stackState(args: CleanupArgs): Promise<unknown> {
    if (args.stateFile !== undefined) {
        try {
            return JSON.parse(fs.readFileSync(args.stateFile, "utf8")) as unknown;
        } catch (e) {
            throw new CannotCheck(`cannot read --state-file ${args.stateFile}: ${(e as Error).message}`);
        }
    }
    if (args.outputsFile !== undefined) {
        return undefined;
    }
    return withSelectedStack(
        args,
        "export the state of",
        (stack) => stack.exportStack(),
        "log in to its backend, or pass --state-file with the JSON of `pulumi stack export`",
    );
}

/** Why a certificate under the stack's path is kept, or undefined for a leftover. */
export function keptBecause(
    c: ListedCertificate,
    served: ReadonlySet<string>,
    stack: StackReferences,
    now: number,
    minAgeHours = CLEANUP_MIN_AGE_HOURS,
): string | undefined {
    if (c.id !== undefined && served.has(c.id)) {
        return "served by a distribution";
    }
    if ((c.id !== undefined && stack.ids.has(c.id)) || stack.names.has(c.name)) {
        return "a certificate of the stack (its outputs or state)";
    }
    if (c.path !== undefined && stack.pendingPaths.includes(c.path)) {
        return "an upload of an interrupted `pulumi up` (the state's pending operations): run `pulumi refresh` or `pulumi up` first";
    }
    if (c.uploaded === undefined || now - Date.parse(c.uploaded) < minAgeHours * 3_600_000) {
        return `uploaded less than ${minAgeHours} hour(s) ago (a rotation may be under way; --min-age-hours)`;
    }
    return undefined;
}

export async function cleanup(argv: readonly string[], projectDir: string, out: (line: string) => void): Promise<number> {
    try {
        const args = parseCleanupArgs(argv, projectDir);
        const outputs = await stackOutputs(args);
        const references = stackReferences(outputs, await stackState(args));
        const target = awsTarget(args);
        const prefix = stackCertificatePathOf(args);
        const formerPrefix = legacyStackCertificatePath(args.stack);
        const [underPath, underFormerPath, served] = await Promise.all([
            listServerCertificates(target, prefix),
            listServerCertificates(target, formerPrefix),
            certificatesServedInAccount(target),
        ]).catch((e: Error) => {
            throw new CannotCheck(
                `cannot list IAM certificates or distributions (${e.name}: ${e.message}): check the AWS identity and region`,
            );
        });
        const now = Date.now();
        // Earlier versions' path holds <stack>/<resource>/ only; deeper paths there are another project's (/cloudfront/<project>/<stack>/).
        const former = underFormerPath.filter((c) => c.path?.split("/").length === 5);
        const judged = [
            ...underPath.map((c) => ({ c, why: keptBecause(c, served, references, now, args.minAgeHours) })),
            ...former.map((c) => ({
                c,
                why:
                    keptBecause(c, served, references, now, args.minAgeHours) ??
                    `under ${c.path}, the path of earlier versions that every project's stack ${args.stack} shares: if it is this stack's, delete it by hand (docs/migrate.md)`,
            })),
        ];
        const leftovers = judged.filter((j) => j.why === undefined).map((j) => j.c);
        for (const { c, why } of judged) {
            out(
                `${why ? "keep  " : args.yes ? "delete" : "unused"}  ${c.name}  ${c.id ?? "-"}  ${c.expiration ?? "-"}${why ? `  (${why})` : ""}`,
            );
        }
        if (leftovers.length === 0) {
            out(`nothing to clean up: ${underPath.length} certificate(s) under ${prefix}, all in use`);
            return 0;
        }
        if (!args.yes) {
            out(`${leftovers.length} certificate(s) under ${prefix} that nothing serves: run again with --yes to delete them`);
            return 0;
        }
        let failed = 0;
        for (const c of leftovers) {
            // No wait for DeleteConflict: a certificate something still holds is reported and kept.
            await deleteServerCertificate(target, c.name, 0, out).catch((e: Error) => {
                failed++;
                out(`could not delete ${c.name}: ${e.message}`);
            });
        }
        out(`${leftovers.length - failed} of ${leftovers.length} deleted`);
        return failed > 0 ? 1 : 0;
    } catch (e) {
        if (!(e instanceof CannotCheck)) {
            throw e;
        }
        out(`COULD NOT CLEAN UP: ${e.message}`);
        return 3;
    }
}

if (require.main === module) {
    cleanup(process.argv.slice(2), path.resolve(__dirname, ".."), (line) => console.log(line))
        .then((code) => process.exit(code))
        .catch((e) => {
            console.error(e instanceof Error ? e.stack : e);
            process.exit(3);
        });
}
