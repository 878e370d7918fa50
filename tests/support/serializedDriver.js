// Loads a serialized dynamic provider exactly as @pulumi/pulumi/cmd/dynamic-provider does
// (require-from-string, then `.handler()`), and runs check -> create -> diff -> delete -> read.
// Prints one JSON line of results last. Usage: node serializedDriver.js provider.js inputs.json
"use strict";
const fs = require("node:fs");
const requireFromString = require("require-from-string");

(async () => {
    const [providerFile, inputsFile] = process.argv.slice(2);
    const provider = requireFromString(fs.readFileSync(providerFile, "utf8")).handler();
    const inputs = JSON.parse(fs.readFileSync(inputsFile, "utf8"));
    const check = await provider.check({}, inputs);
    const created = await provider.create(check.inputs);
    const diff = await provider.diff(created.id, created.outs, check.inputs);
    await provider.delete(created.id, created.outs);
    const readAfterDelete = await provider.read(created.id, created.outs);
    const { privateKeyPem: _omitted, ...outs } = created.outs;
    console.log(JSON.stringify({ check: { failures: check.failures }, created: { id: created.id, outs }, diff, readAfterDelete }));
    process.exit(0); // kept-alive AWS SDK sockets would hold the process open
})().catch((e) => {
    console.error(e && e.stack ? e.stack : e);
    process.exit(1);
});
