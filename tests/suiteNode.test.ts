/**
 * The whole suite runs on Node 22, which `npm test` installs from the npm registry (AWS SDK releases
 * after January 2027 need it), and so do the programs and providers the Pulumi CLI starts. The unit
 * tier runs on 20 and 24 as well (tests/run.sh).
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

describe("the suite's Node", () => {
    it("is the one `npm test` installed for it, for the tests and for every `node` the CLI starts", () => {
        assert.ok(process.env.CFCN_SUITE_NODE, "run the whole suite with `npm test` (tests/run.sh picks its Node)");
        assert.equal(process.version.split(".")[0], `v${process.env.CFCN_SUITE_NODE}`);
        const onPath = spawnSync("node", ["--version"], { encoding: "utf8" }).stdout.trim();
        assert.equal(onPath, process.version, "`node` on PATH (the Pulumi language host's and the plugins') is the suite's");
    });
});
