/**
 * The issuer fallback rules (core/issuers.ts), pure: which failures move to the next CA, and what
 * CAA (RFC 8659) allows.
 */
import * as assert from "node:assert/strict";
import { caaForbids, issuerFailureOf, retryAfterSeconds } from "../core/issuers";

const problem = (type: string, status = 400) => ({ acmeProblem: { type: `urn:ietf:params:acme:error:${type}`, status } });

describe("issuer fallback rules", () => {
    it("moves on for what another CA may not share: unreachable, 5xx, rate limits, CAA, refused names, the account, the profile", () => {
        assert.equal(issuerFailureOf({ issuerFailure: "unreachable" }), "unreachable");
        assert.equal(issuerFailureOf({ cause: { code: "ECONNREFUSED" } }), "unreachable");
        assert.equal(issuerFailureOf({ code: "ETIMEDOUT" }), "unreachable");
        assert.equal(issuerFailureOf({ acmeProblem: { status: 502 } }), "serverError");
        assert.equal(issuerFailureOf(problem("serverInternal", 500)), "serverError");
        assert.equal(issuerFailureOf(problem("rateLimited", 429)), "rateLimited");
        assert.equal(issuerFailureOf(problem("caa", 403)), "caa");
        assert.equal(issuerFailureOf(problem("rejectedIdentifier")), "rejectedIdentifier");
        assert.equal(issuerFailureOf(problem("accountDoesNotExist")), "account");
        assert.equal(issuerFailureOf(problem("externalAccountRequired")), "account");
        assert.equal(issuerFailureOf(problem("invalidProfile")), "profile");
    });

    it("stops for what every CA would see alike: a refused challenge (the DNS answer), a bad CSR, our own errors", () => {
        assert.equal(issuerFailureOf({ validationFailed: true, ...problem("dns") }), undefined);
        assert.equal(issuerFailureOf({ validationFailed: true }), undefined);
        assert.equal(issuerFailureOf(problem("badCSR")), undefined);
        assert.equal(issuerFailureOf(problem("malformed")), undefined);
        assert.equal(issuerFailureOf(new Error("no dns-01 route for www.example.cn")), undefined);
        assert.equal(issuerFailureOf(undefined), undefined);
    });

    it("reads Retry-After as seconds or an HTTP date", () => {
        const now = Date.parse("2026-12-02T00:00:00Z");
        assert.equal(retryAfterSeconds("120", now), 120);
        assert.equal(retryAfterSeconds("Wed, 02 Dec 2026 01:00:00 GMT", now), 3600);
        assert.equal(retryAfterSeconds("Tue, 01 Dec 2026 23:00:00 GMT", now), 0);
        assert.equal(retryAfterSeconds("soon", now), undefined);
        assert.equal(retryAfterSeconds(undefined, now), undefined);
    });

    describe("CAA (RFC 8659)", () => {
        const le = ["letsencrypt.org"];
        const issue = (value: string, critical = 0) => ({ critical, tag: "issue", value });
        it("no records, no issue property, or a CA without identities: allowed", () => {
            assert.equal(caaForbids("www.example.cn", [], le), undefined);
            assert.equal(caaForbids("www.example.cn", [{ critical: 0, tag: "iodef", value: "mailto:x@example.cn" }], le), undefined);
            assert.equal(caaForbids("www.example.cn", [issue("sectigo.com")], []), undefined);
        });
        it("an issue property naming the CA (parameters after `;`, any case) allows it; another CA's does not", () => {
            assert.equal(caaForbids("www.example.cn", [issue("LetsEncrypt.org; validationmethods=dns-01")], le), undefined);
            assert.equal(caaForbids("www.example.cn", [issue("sectigo.com"), issue("letsencrypt.org")], le), undefined);
            assert.match(
                caaForbids("www.example.cn", [issue("sectigo.com")], le) ?? "",
                /its CAA issue record allows "sectigo.com", and this CA is "letsencrypt.org"/,
            );
            assert.match(caaForbids("www.example.cn", [issue(";")], le) ?? "", /allows no CA/);
        });
        it("wildcards follow issuewild when present, else issue", () => {
            const records = [issue("letsencrypt.org"), { critical: 0, tag: "issuewild", value: "pki.goog" }];
            assert.equal(caaForbids("www.example.cn", records, le), undefined);
            assert.match(caaForbids("*.example.cn", records, le) ?? "", /CAA issuewild record allows "pki.goog"/);
            assert.equal(caaForbids("*.example.cn", [issue("letsencrypt.org")], le), undefined);
        });
        it("an unknown property with the critical flag forbids every CA", () => {
            assert.match(
                caaForbids("www.example.cn", [issue("letsencrypt.org"), { critical: 128, tag: "futuretag", value: "x" }], le) ?? "",
                /critical property "futuretag"/,
            );
        });
    });
});
