/**
 * The suite never depends on the machine it runs on: `npm test` gives it its own Pulumi home and AWS
 * files (tests/run.sh). A `pulumi login file://…` or an `AWS_PROFILE` on the machine once changed
 * what the program decided (the deployments check reads the current backend).
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { currentBackendUrl } from "../config/deployments";

const tools = path.resolve(__dirname, "..", ".tools");

describe("hermetic test environment", () => {
    it("the Pulumi home and AWS files are the suite's own, and no backend or profile leaks in", () => {
        assert.equal(process.env.PULUMI_HOME, path.join(tools, "pulumi-home"), "run the tests with `npm test`");
        assert.equal(process.env.AWS_SHARED_CREDENTIALS_FILE, path.join(tools, "aws", "credentials"));
        assert.equal(process.env.AWS_CONFIG_FILE, path.join(tools, "aws", "config"));
        assert.equal(process.env.PULUMI_BACKEND_URL, undefined);
        assert.equal(process.env.AWS_PROFILE, undefined);
        assert.equal(currentBackendUrl(), undefined, "no login in the suite's Pulumi home");
    });
});
