// Loads a serialized dynamic provider exactly as @pulumi/pulumi/cmd/dynamic-provider does
// (require-from-string, then `.handler()`) and drives it in this fresh process.
//   node serializedDriver.js lifecycle provider.js inputs.json   check -> create -> diff -> delete -> read
//   node serializedDriver.js create provider.js inputs.json      check -> create (id, serial, peak RSS)
//   node serializedDriver.js delete provider.js state.json       delete({id, outs}) as the engine runs it: stored code, stored outputs
// Prints one JSON line of results last (never the private key).
"use strict";
const fs = require("node:fs");
const requireFromString = require("require-from-string");

(async () => {
    const [mode, providerFile, inputsFile] = process.argv.slice(2);
    const provider = requireFromString(fs.readFileSync(providerFile, "utf8")).handler();
    const inputs = JSON.parse(fs.readFileSync(inputsFile, "utf8"));
    if (mode === "delete") {
        await provider.delete(inputs.id, inputs.outs);
        console.log(JSON.stringify({ deleted: inputs.id }));
        process.exit(0);
    }
    const check = await provider.check({}, inputs);
    const created = await provider.create(check.inputs);
    if (mode === "create") {
        const peakRssMb = process.resourceUsage().maxRSS / 1024;
        console.log(JSON.stringify({ id: created.id, serialNumber: created.outs.serialNumber, peakRssMb }));
    } else {
        const diff = await provider.diff(created.id, created.outs, check.inputs);
        await provider.delete(created.id, created.outs);
        const readAfterDelete = await provider.read(created.id, created.outs);
        const { privateKeyPem: _omitted, ...outs } = created.outs;
        console.log(JSON.stringify({ check: { failures: check.failures }, created: { id: created.id, outs }, diff, readAfterDelete }));
    }
    process.exit(0); // kept-alive AWS SDK sockets would hold the process open
})().catch((e) => {
    console.error(e && e.stack ? e.stack : e);
    process.exit(1);
});
