/**
 * The stack's settings file as written (`Pulumi.<stack>.yaml`), read only to tell which fields of a
 * structured value are encrypted: the engine passes the program every value decrypted and marks a
 * key secret when any field under it is (`pulumi config set --secret --path`), so a key with one
 * secret field and one plaintext secret would pass a whole-key check.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import * as pulumi from "@pulumi/pulumi";

/** The stack file the offline tools evaluate (`npm run plan --config-file`), in place of the one beside Pulumi.yaml. */
let evaluatedStackFile: string | undefined;

/**
 * Reads `file` as the stack's settings file from now on in this process: the offline plan and the
 * policy generator evaluate the program on a file that may live anywhere (`--config-file`), and the
 * per-field secret check must read that one, or a plaintext token beside an encrypted field passes.
 */
export function evaluateStackFile(file: string | undefined): void {
    evaluatedStackFile = file;
}

/** The stack file's `config:` map, or undefined when there is none to read (another config dir that is gone, ESC only, a test). */
function stackFileConfig(): Record<string, unknown> | undefined {
    try {
        if (evaluatedStackFile !== undefined) {
            return (
                (yaml.load(fs.readFileSync(evaluatedStackFile, "utf8")) as { config?: Record<string, unknown> } | undefined)?.config ?? {}
            );
        }
        let dir = process.cwd();
        while (!fs.existsSync(path.join(dir, "Pulumi.yaml")) && path.dirname(dir) !== dir) {
            dir = path.dirname(dir);
        }
        const project = yaml.load(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")) as { stackConfigDir?: string } | undefined;
        const file = path.join(dir, project?.stackConfigDir ?? "", `Pulumi.${pulumi.getStack()}.yaml`);
        const stack = yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | undefined;
        return stack?.config ?? {};
    } catch {
        return undefined;
    }
}

/**
 * Whether the field at `fieldPath` under the config key `fullKey` is encrypted (`secure:`) in the
 * stack file; undefined when the file cannot tell (no file, or the key is not written there, e.g.
 * it comes from an ESC environment). Callers fall back to the whole-key check then.
 */
export function isSecretInStackFile(fullKey: string, fieldPath: ReadonlyArray<string | number>): boolean | undefined {
    const config = stackFileConfig();
    if (config === undefined || !(fullKey in config)) {
        return undefined;
    }
    let node: unknown = config[fullKey];
    for (const step of fieldPath) {
        if (node === null || typeof node !== "object") {
            return undefined;
        }
        node = (node as Record<string | number, unknown>)[step];
    }
    if (node === undefined) {
        return undefined;
    }
    return node !== null && typeof node === "object" && "secure" in node;
}
