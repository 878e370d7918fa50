// Mocha's spec reporter plus one closing line in the plain form CI reads: "mocha: N passed, N failed, N skipped".
"use strict";
const Mocha = require("mocha");
const { Spec } = Mocha.reporters;

class SpecWithSummary extends Spec {
    constructor(runner, options) {
        super(runner, options);
        runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
            const s = runner.stats;
            process.stdout.write(`\nmocha: ${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`);
        });
    }
}
module.exports = SpecWithSummary;
