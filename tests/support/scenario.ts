/**
 * A describe whose tests are the steps of one scenario on one stack: each step starts from the state
 * the one before left. After a failed step the next one fails at once, naming it, instead of failing
 * later for the same reason (mocha's own `bail` would also skip suites after any failure elsewhere).
 */
export function stepsOfOneScenario(): void {
    let failed: string | undefined;
    afterEach(function () {
        if (this.currentTest?.state === "failed") {
            failed ??= this.currentTest.title;
        }
    });
    beforeEach(function () {
        if (failed !== undefined) {
            throw new Error(`not run: the step "${failed}" failed, and this step starts from the state it leaves`);
        }
    });
}
