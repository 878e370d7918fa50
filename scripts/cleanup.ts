/**
 * `npm run cleanup -- --stack <name>`: the stack's IAM server certificates that nothing serves
 * (leftovers of a delete that failed long ago), which hold slots of the account's quota (20 by
 * default) that every rotation needs one of. Lists them; deletes them only with `--yes`.
 *
 *   npm run cleanup -- --stack cn-north-1 [--yes] [--min-age-hours 1] [--outputs-file outputs.json] [--dir <project dir>]
 *
 * A certificate is a leftover when it is under the stack's IAM path (/cloudfront/<stack>/), no
 * distribution of the account serves it (ListDistributions), it is not the stack's `certificateId`
 * output, and it was uploaded more than `--min-age-hours` ago (default 1: a `pulumi up` may be between
 * the upload of a new certificate and the distribution's move to it). Nothing else is ever deleted.
 *
 * Exit codes: 0 done (or nothing to do), 1 a delete failed (named), 3 could not check (with the reason).
 */
import * as path from "node:path";
import { certificatesServedInAccount } from "../aws/cloudfront";
import { ListedCertificate, deleteServerCertificate, listServerCertificates } from "../aws/iam";
import { CannotCheck, StackRef, awsTarget, forEachFlag, stackOutputs } from "./status";

/** A rotation moves the distribution within minutes of the upload; younger certificates are kept. */
export const CLEANUP_MIN_AGE_HOURS = 1;

interface CleanupArgs extends StackRef {
    yes: boolean;
    minAgeHours: number;
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
        } else if (flag === "--yes") {
            args.yes = true;
        } else if (flag === "--min-age-hours") {
            args.minAgeHours = Number(value());
            if (!(args.minAgeHours >= 0)) {
                throw new CannotCheck("--min-age-hours must be a number of hours, 0 or more");
            }
        } else {
            throw new CannotCheck(`unknown option ${flag} (--stack, --yes, --min-age-hours, --outputs-file, --dir)`);
        }
    });
    if (!args.stack) {
        throw new CannotCheck("--stack is required");
    }
    return args;
}

/** Why a certificate under the stack's path is kept, or undefined for a leftover. */
export function keptBecause(
    c: ListedCertificate,
    served: ReadonlySet<string>,
    stackCertificateId: unknown,
    now: number,
    minAgeHours = CLEANUP_MIN_AGE_HOURS,
): string | undefined {
    if (c.id !== undefined && served.has(c.id)) {
        return "served by a distribution";
    }
    if (c.id !== undefined && c.id === stackCertificateId) {
        return "the stack's certificate";
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
        const target = awsTarget(args);
        const prefix = `/cloudfront/${args.stack}/`;
        const [underPath, served] = await Promise.all([listServerCertificates(target, prefix), certificatesServedInAccount(target)]).catch(
            (e: Error) => {
                throw new CannotCheck(
                    `cannot list IAM certificates or distributions (${e.name}: ${e.message}): check the AWS identity and region`,
                );
            },
        );
        const now = Date.now();
        const judged = underPath.map((c) => ({ c, why: keptBecause(c, served, outputs.certificateId, now, args.minAgeHours) }));
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
