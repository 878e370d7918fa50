import * as assert from "node:assert/strict";
import { Result, formatTable, scenarios, simulate } from "./simulator/renewalSimulator";

/**
 * Two simulated years of scheduled runs per scenario (see tests/simulator/renewalSimulator.ts).
 * Where the schedule cannot keep a certificate attached, the bound is the documented one:
 *   - a run interval longer than the renewal lead (160-hour certificates renewed with 80 hours left
 *     need runs at least every 80 hours: daily works, weekly cannot);
 *   - a CA outage longer than the lead minus one run interval (160-hour certificates cannot ride out
 *     a 4-day outage; 45-day and longer ones can).
 */
describe("renewal simulation: two years of scheduled runs", function () {
    this.timeout(120_000);
    const results = new Map<string, Result>();

    before(async () => {
        for (const s of scenarios()) {
            results.set(s.name, await simulate(s));
        }
        console.log(
            formatTable([...results.values()])
                .split("\n")
                .map((l) => `      ${l}`)
                .join("\n"),
        );
    });

    const unavoidable = (name: string) =>
        name.startsWith("160h weekly") || (name.startsWith("160h") && (name.includes("CA outage") || name.includes("outage of both")));

    it("no second without a valid attached certificate wherever the run interval and outage allow it", () => {
        for (const [name, r] of results) {
            if (!unavoidable(name)) {
                assert.equal(r.gapSeconds, 0, `${name}: ${r.gapSeconds} s without a valid certificate`);
            }
        }
    });

    it("reports the gaps it cannot avoid (weekly runs or a 4-day outage on 160-hour certificates)", () => {
        assert.ok(results.get("160h weekly")!.gapSeconds > 0);
        assert.ok(results.get("160h daily + 4-day CA outage")!.gapSeconds > 0);
    });

    it("issues about as often as the lifetime requires, never more than 5 orders for the same names in 7 days", () => {
        for (const [name, r] of results) {
            assert.ok(r.maxOrdersPer7Days <= 5, `${name}: ${r.maxOrdersPer7Days} orders in 7 days`);
        }
        // Renewed with a third (half under 10 days) of the lifetime left, on the first run after that:
        // 90 days -> about every 60 days, 45 -> 30, 160 hours -> 80 hours plus the wait for a run.
        const perYear = (name: string) => results.get(name)!.issuancesPerYear;
        assert.ok(perYear("90d daily") >= 5.5 && perYear("90d daily") <= 6.2, `${perYear("90d daily")}`);
        assert.ok(perYear("45d daily") >= 11 && perYear("45d daily") <= 12.2, `${perYear("45d daily")}`);
        assert.ok(perYear("160h daily") >= 80 && perYear("160h daily") <= 110, `${perYear("160h daily")}`);
    });

    it("across Let's Encrypt's dates (90, then 64, then 45 days), daily: never a gap, and a margin left even through outages", () => {
        for (const [name, r] of results) {
            if (name.startsWith("LE dates")) {
                assert.equal(r.gapSeconds, 0, name);
            }
        }
        // Renewed at about a third left (the window ±1/90 of the lifetime, then up to one run interval):
        // at least 13.5 of a 45-day certificate's days were never needed.
        const margin = (45 / 3 - 45 / 90 - 1) * 24;
        assert.ok(
            results.get("LE dates daily ARI")!.minRemainingHours >= margin,
            `${results.get("LE dates daily ARI")!.minRemainingHours}`,
        );
        // An outage eats its own length of that margin, no more.
        const three = results.get("LE dates daily ARI + 3-day CA outage")!.minRemainingHours;
        assert.ok(three >= margin - 3 * 24, `${three}`);
        const two = results.get("LE dates daily ARI + 2-day CA outage")!.minRemainingHours;
        assert.ok(two >= margin - 2 * 24 && two < margin, `${two}: the 2-day outage falls in the 45-day era and shows`);
    });

    it("authorization reuse (30 days, 10 from 2027-02-10, 7 hours from 2028-02-16): every renewal of a 90/64/45-day certificate validates afresh; a 160-hour one reuses, and its DNS is proven at least every 10 days", () => {
        // The renewal interval (about two thirds of the lifetime: 60, 43, 30 days) is past the reuse
        // period on both sides of the date: each renewal solves its challenge, so a broken DNS setup
        // shows at the next renewal, never later.
        for (const name of ["LE dates daily ARI", "LE dates daily ARI + 3-day CA outage", "LE dates daily, CA windows at 1/20 left"]) {
            const r = results.get(name)!;
            assert.equal(r.reusedAuthorizations, 0, name);
            assert.equal(r.validationsPerYear, r.issuancesPerYear, name);
        }
        // 6-day certificates renew every 4 days or so: inside the reuse period, the order needs no
        // challenge (the order code takes authorizations already valid, tests with Pebble's
        // PEBBLE_AUTHZREUSE); a fresh validation at most 10 days apart once the reuse is 10 days,
        // and at every order once it is 7 hours (the simulation runs 2027-2028).
        const short = results.get("160h daily ARI")!;
        assert.ok(short.reusedAuthorizations > 0, `${short.reusedAuthorizations}`);
        assert.ok(short.validationsPerYear < short.issuancesPerYear, `${short.validationsPerYear} < ${short.issuancesPerYear}`);
        // A reuse period, then up to one renewal interval (about 4.4 days) and the spread of two daily
        // runs at random minutes (up to 2 days) before the next order validates.
        const { before, after } = short.maxDaysBetweenValidations;
        assert.ok(before > 10 + 6.5 && before <= 30 + 6.5, `${before} days before the date`);
        assert.ok(after <= 10 + 6.5, `${after} days after the date`);
        const fallback = results.get("160h daily ARI, 2 CAs + 3-day outage of the first")!;
        assert.equal(fallback.gapSeconds, 0, "the second CA validates on its own account, no reuse from the first");
    });

    it("the floor: a CA whose windows sit at a twentieth of the lifetime left is renewed at a quarter left instead", () => {
        // Without the floor, a 45-day certificate would be renewed with 2.25 days left; with it, 11.25 (less one run interval).
        const late = results.get("LE dates daily, CA windows at 1/20 left")!;
        assert.ok(late.minRemainingHours >= 11.25 * 24 - 24, `${late.minRemainingHours}`);
        const lateOutage = results.get("LE dates daily, 1/20 windows + 3-day outage")!;
        assert.equal(lateOutage.gapSeconds, 0);
        assert.ok(lateOutage.minRemainingHours >= 11.25 * 24 - 24 - 3 * 24, `${lateOutage.minRemainingHours}`);
    });

    it("never holds more than two IAM certificates at once (one free quota slot per renewing certificate)", () => {
        for (const [name, r] of results) {
            assert.ok(r.maxIamCertificates <= 2, `${name}: ${r.maxIamCertificates}`);
        }
    });

    it("the CA moving every window to now: each certificate is replaced at the next daily run, no gap, within the weekly limit", () => {
        const moved = [...results.values()].filter((r) => r.scenario.includes("CA moves every window"));
        assert.equal(moved.length, 4);
        for (const r of moved) {
            assert.ok(
                r.replacedAfterMoveHours !== undefined && r.replacedAfterMoveHours <= 24,
                `${r.scenario}: ${r.replacedAfterMoveHours} h`,
            );
            assert.equal(r.gapSeconds, 0, r.scenario);
            assert.ok(r.maxOrdersPer7Days <= 5, r.scenario);
        }
    });

    it("a CA outage makes runs fail and retry, and renewal resumes afterwards", () => {
        const r = results.get("45d daily + 4-day CA outage")!;
        assert.ok(r.failedRuns >= 3, `only ${r.failedRuns} failed runs`);
        assert.equal(r.gapSeconds, 0);
    });

    it("two CAs: an outage of the first costs no margin (the second issues on time); an outage of both eats its length", () => {
        const get = (name: string) => results.get(name)!;
        const alone = get("LE dates daily ARI").minRemainingHours;
        const first = get("LE dates daily ARI, 2 CAs + 3-day outage of the first");
        assert.equal(first.gapSeconds, 0);
        assert.ok(first.fromFallback >= 1, "the second CA issued while the first was out");
        assert.equal(first.failedRuns, 0, "no run failed: the fallback answered");
        assert.ok(first.minRemainingHours >= alone - 24, `${first.minRemainingHours} vs ${alone} with one CA and no outage`);
        // With one CA the same 3 days are 3 failed runs (the test above); with two, none.
        assert.equal(get("LE dates daily ARI + 3-day CA outage").failedRuns, 3);
        const both = get("LE dates daily ARI, 2 CAs + 2-day outage of both");
        assert.equal(both.gapSeconds, 0);
        assert.ok(both.minRemainingHours >= alone - 24 - 2 * 24 && both.minRemainingHours < alone, `${both.minRemainingHours}`);
        // 160 hours: a 4-day outage of the only CA leaves a gap (above); of the first of two, none.
        const short = get("160h daily ARI, 2 CAs + 3-day outage of the first");
        assert.equal(short.gapSeconds, 0);
        assert.ok(short.fromFallback >= 1);
    });
});
