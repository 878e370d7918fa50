/**
 * `npm pack` hooks of the policy pack: `prepack` copies core/chinaRules.ts (which imports
 * nothing) over ./chinaRules.ts, so the tarball `pulumi policy publish` uploads holds every file it
 * needs; `postpack` (`--restore`) puts the one-line re-export back, so the repository keeps one copy.
 */
const fs = require("node:fs");
const path = require("node:path");

const target = path.join(__dirname, "chinaRules.ts");
const source = path.join(__dirname, "..", "core", "chinaRules.ts");
const REEXPORT = fs.readFileSync(target, "utf8");

if (process.argv.includes("--restore")) {
    const saved = path.join(__dirname, ".chinaRules.reexport");
    fs.writeFileSync(target, fs.readFileSync(saved, "utf8"));
    fs.rmSync(saved);
} else {
    const text = fs.readFileSync(source, "utf8");
    if (/^\s*import\s|require\(/m.test(text)) {
        throw new Error("core/chinaRules.ts imports something: the pack would not be self-contained");
    }
    fs.writeFileSync(path.join(__dirname, ".chinaRules.reexport"), REEXPORT);
    fs.writeFileSync(target, `// Copied from cloudfront-china core/chinaRules.ts when this pack was packed.\n${text}`);
}
