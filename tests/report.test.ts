/**
 * The HTML report (scripts/htmlReport.ts) opened in a real browser: Debian's headless Chromium
 * (tests/peers/install.sh) driven by puppeteer-core. The bars are measured as laid out, not matched
 * as strings: a bar that renders at the wrong place or not at all fails here.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Browser } from "puppeteer-core";
import { htmlReport } from "../scripts/htmlReport";
import { formatFleet } from "../scripts/status";
import type { AliasReport, CheckReport, StackStatus } from "../watch/liveCheck";
import { tempDir } from "./support/peers";

const DAY = 86_400_000;
const NOW = Date.parse("2026-12-02T06:00:00Z");
const iso = (days: number) => new Date(NOW + days * DAY).toISOString();

function alias(name: string, o: { from: number; to: number; renew: number; icp: string; verdict: "ok" | "warn" | "fail" }): AliasReport {
    return {
        alias: name,
        probed: true,
        icp: o.icp,
        served: {
            serialNumber: "01",
            notBefore: iso(o.from),
            notAfter: iso(o.to),
            issuer: "Pebble Intermediate CA",
            subjectAltName: `DNS:${name}`,
            coversAlias: true,
            chainVerified: true,
        },
        daysLeft: o.to,
        renewAfter: iso(o.renew),
        verdict: o.verdict,
        reasons: o.verdict === "ok" ? [] : [`${name}: ICP recordal ${o.icp}`],
    };
}

const report = (aliases: AliasReport[]): CheckReport => ({
    checkedAt: new Date(NOW).toISOString(),
    distribution: { id: "E2QWRUHAPOMQZL", status: "Deployed" },
    aliases,
    reasons: [],
    verdict: aliases.some((a) => a.verdict === "fail") ? "fail" : "ok",
});

/** Three stacks: one healthy (before its window), one inside its window with its ICP suspended, one not checked. */
const FLEET: StackStatus[] = [
    { stack: "prod", report: report([alias("www.example.cn", { from: -30, to: 60, renew: 30, icp: "APPROVED", verdict: "ok" })]) },
    { stack: "shop", report: report([alias("shop.example.cn", { from: -80, to: 10, renew: -20, icp: "SUSPENDED", verdict: "fail" })]) },
    { stack: "staging", reason: "no outputs: the stack was never deployed" },
];

function chromiumPath(): string {
    const found = execFileSync("sh", ["-c", "command -v chromium || true"], { encoding: "utf8" }).trim();
    if (!found) {
        throw new Error("no chromium on PATH: run `bash tests/peers/install.sh` (npm test does)");
    }
    return found;
}

describe("the HTML report in headless Chromium", function () {
    this.timeout(120_000);
    let browser: Browser;
    let file: string;

    before(async () => {
        const dir = tempDir("cfcn-report-");
        file = path.join(dir, "report.html");
        fs.writeFileSync(file, htmlReport(FLEET, NOW));
        const puppeteer = await import("puppeteer-core");
        browser = await puppeteer.launch({
            executablePath: chromiumPath(),
            headless: true,
            // Its own profile in the test's folder, never the machine's; no sandbox as root in a container.
            userDataDir: path.join(dir, "profile"),
            args: ["--no-sandbox", "--disable-gpu"],
        });
    });
    after(async () => {
        await browser?.close();
    });

    it("draws each served certificate's lifetime, renewal window and now on one axis, measured as laid out", async () => {
        const page = await browser.newPage();
        await page.setViewport({ width: 1280, height: 800 });
        const requests: string[] = [];
        page.on("request", (r) => requests.push(r.url()));
        const errors: string[] = [];
        page.on("pageerror", (e) => errors.push(String(e)));
        await page.goto(`file://${file}`, { waitUntil: "load" });

        const rows = await page.$$eval("tbody tr", (trs) =>
            trs.map((tr) => {
                const rect = (kind: string) => {
                    const el = tr.querySelector(`[data-kind="${kind}"]`);
                    if (!el) {
                        return undefined;
                    }
                    const r = el.getBoundingClientRect();
                    return { left: r.left, right: r.right, width: r.width, height: r.height };
                };
                const badge = (kind: string) => {
                    const el = tr.querySelector(`[data-kind="${kind}"]`);
                    return el
                        ? { text: el.textContent, background: el.ownerDocument.defaultView!.getComputedStyle(el).backgroundColor }
                        : undefined;
                };
                const track = tr.querySelector(".track")!.getBoundingClientRect();
                return {
                    stack: tr.getAttribute("data-stack"),
                    alias: tr.getAttribute("data-alias"),
                    track: { left: track.left, right: track.right },
                    lifetime: rect("lifetime"),
                    window: rect("window"),
                    now: rect("now"),
                    icp: badge("icp"),
                    verdict: badge("verdict"),
                };
            }),
        );
        assert.deepEqual(
            rows.map((r) => [r.stack, r.alias]),
            [
                ["prod", "www.example.cn"],
                ["shop", "shop.example.cn"],
                ["staging", "-"],
            ],
        );
        const [prod, shop, staging] = rows;
        const x = (r: { left: number; width: number }) => r.left + r.width / 2;
        // One axis for every row: the track spans it, and a time maps to the same x in every row.
        const axis = { from: NOW - 80 * DAY - DAY, to: NOW + 60 * DAY + DAY };
        const at = (t: number, track: { left: number; right: number }) =>
            track.left + ((t - axis.from) / (axis.to - axis.from)) * (track.right - track.left);
        for (const r of [prod, shop]) {
            assert.ok(r.lifetime && r.window && r.now, `${r.alias}: every bar is drawn`);
            assert.ok(r.lifetime.height > 5 && r.lifetime.width > 20, `${r.alias}: the lifetime bar is visible`);
            assert.ok(Math.abs(r.window.right - r.lifetime.right) <= 1, `${r.alias}: the renewal window ends with the lifetime`);
            assert.ok(Math.abs(x(r.now) - at(NOW, r.track)) <= 1.5, `${r.alias}: now at its place on the axis`);
        }
        assert.ok(Math.abs(prod.lifetime!.left - at(NOW - 30 * DAY, prod.track)) <= 1.5, "prod's certificate starts 30 days ago");
        assert.ok(Math.abs(prod.window!.left - at(NOW + 30 * DAY, prod.track)) <= 1.5, "prod renews from 30 days on");
        assert.ok(Math.abs(shop.lifetime!.left - at(NOW - 80 * DAY, shop.track)) <= 1.5);
        assert.ok(x(prod.now!) < prod.window!.left, "prod: now is before its renewal window");
        assert.ok(x(shop.now!) > shop.window!.left && x(shop.now!) < shop.window!.right, "shop: now is inside its renewal window");
        assert.equal(Math.round(x(prod.now!)), Math.round(x(shop.now!)), "now is one line down the page");
        assert.equal(staging.lifetime, undefined, "a stack not checked has no bar");

        // The badges read at a glance: green for APPROVED/OK, red for SUSPENDED/FAIL, grey for unchecked.
        const rgb = (c: string) => (c.match(/\d+/g) ?? []).slice(0, 3).map(Number);
        const [pr, pg] = rgb(prod.icp!.background);
        const [sr, sg] = rgb(shop.icp!.background);
        assert.equal(prod.icp!.text, "APPROVED");
        assert.equal(shop.icp!.text, "SUSPENDED");
        assert.ok(pg > pr, `APPROVED is green (${prod.icp!.background})`);
        assert.ok(sr > sg, `SUSPENDED is red (${shop.icp!.background})`);
        assert.equal(staging.verdict!.text, "UNCHECKED");

        // Every badge on one line at 1280 px ("UNCHECKED" and "SUSPENDED" used to break inside the word).
        const badgeLines = await page.$$eval(".badge", (els) =>
            els.map((el) => [el.textContent, el.getClientRects().length, el.getBoundingClientRect().height]),
        );
        for (const [label, boxes, height] of badgeLines) {
            assert.ok(boxes === 1 && Number(height) < 24, `badge ${label} on one line (${boxes} box(es), ${height} px high)`);
        }
        // Dates on the axis, each drawn where its day falls in every row.
        const ticks = await page.$$eval('[data-kind="tick"]', (els) =>
            els.map((el) => {
                const r = el.getBoundingClientRect();
                return { time: Number(el.getAttribute("data-time")), label: el.textContent, x: r.left + r.width / 2 };
            }),
        );
        assert.ok(ticks.length >= 3 && ticks.length <= 8, `${ticks.length} dates on the axis`);
        for (const t of ticks) {
            assert.equal(t.label, new Date(t.time).toISOString().slice(5, 10));
            assert.ok(Math.abs(t.x - at(t.time, prod.track)) <= 1.5, `${t.label} at its place on the axis`);
        }

        // The same summary as the terminal's (scripts/status.ts), which counts stacks or sites, then the aliases.
        const text = await page.$eval("body", (b) => b.innerText);
        assert.ok(text.includes(`${formatFleet(FLEET).at(-1)}; 2 alias(es).`), text.split("\n").slice(0, 3).join("\n"));
        assert.match(text, /3 stack\(s\): 1 ok, 0 warn, 1 fail, 1 could not be checked/);
        assert.match(text, /staging: could not check: no outputs: the stack was never deployed/);
        assert.match(text, /Pebble Intermediate CA/);
        const fits = await page.$eval("html", (html) => html.scrollWidth <= html.ownerDocument.defaultView!.innerWidth);
        assert.ok(fits, "no sideways scrolling at 1280 px");
        assert.deepEqual(
            requests.filter((u) => !u.startsWith("file://")),
            [],
            "self-contained: no request leaves the page",
        );
        assert.deepEqual(errors, []);
        const png = await page.screenshot({ path: path.join(path.dirname(file), "report.png"), fullPage: true });
        assert.ok(png.length > 1000);
    });

    it("escapes what it shows: a reason with markup is text, not markup", async () => {
        const page = await browser.newPage();
        const hostile = path.join(path.dirname(file), "hostile.html");
        fs.writeFileSync(hostile, htmlReport([{ stack: "x<b>y", reason: '<img src="http://127.0.0.1:9/x">' }], NOW));
        const requests: string[] = [];
        page.on("request", (r) => requests.push(r.url()));
        await page.goto(`file://${hostile}`, { waitUntil: "load" });
        assert.equal(await page.$$eval("img, b", (els) => els.length), 0);
        assert.match(await page.$eval("body", (b) => b.innerText), /x<b>y: could not check: <img src=/);
        assert.deepEqual(
            requests.filter((u) => !u.startsWith("file://")),
            [],
        );
    });
});
