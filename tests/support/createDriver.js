// Loads a serialized dynamic provider as the engine's host does and runs check -> create once.
// Prints one JSON line with the id and the certificate name. Usage: node createDriver.js provider.js inputs.json
"use strict";
const fs = require("node:fs");
const requireFromString = require("require-from-string");

(async () => {
    const [providerFile, inputsFile] = process.argv.slice(2);
    const provider = requireFromString(fs.readFileSync(providerFile, "utf8")).handler();
    const inputs = JSON.parse(fs.readFileSync(inputsFile, "utf8"));
    const check = await provider.check({}, inputs);
    const created = await provider.create(check.inputs);
    console.log(JSON.stringify({ id: created.id, serialNumber: created.outs.serialNumber }));
    process.exit(0);
})().catch((e) => {
    console.error(e && e.stack ? e.stack : e);
    process.exit(1);
});
