#!/usr/bin/env node
/**
 * `npx cloudfront-china-plan --stack <name>`: the offline plan for the Pulumi program in the current
 * folder (a consumer's program that uses this package, or this repository's): evaluated under the
 * same strict aws-cn mocks, with the resources, outputs and the China compatibility report.
 * TypeScript programs are loaded with ts-node (transpile only), as `pulumi` does.
 *
 * Exit codes: 0 compatible; 1 a China rule is violated; 2 bad configuration or usage.
 */

/* eslint-disable @typescript-eslint/no-require-imports -- ts-node is found at run time, from the program's folder */
import * as fs from "node:fs";
import { EXIT, plan, projectOf } from "./plan";

function registerTypeScript(projectDir: string, entry: string): void {
    const typescript = [entry, `${entry}.ts`].some((f) => f.endsWith(".ts") && fs.existsSync(f));
    if (!typescript || require.extensions[".ts"]) {
        return;
    }
    // The program's own ts-node (a Pulumi TypeScript project has it through @pulumi/pulumi), else ours.
    const tsNode = require.resolve("ts-node", { paths: [projectDir, __dirname] });
    (require(tsNode) as { register(o: object): void }).register({ transpileOnly: true, compilerOptions: { module: "commonjs" } });
}

const projectDir = process.cwd();
try {
    registerTypeScript(projectDir, projectOf(projectDir).entry);
} catch (e) {
    console.error(`plan: ${(e as Error).message}`);
    process.exit(EXIT.badInput);
}
plan(process.argv.slice(2), projectDir, (line) => console.log(line))
    .then((code) => process.exit(code))
    .catch((e) => {
        console.error(e instanceof Error ? e.stack : e);
        process.exit(EXIT.badInput);
    });
