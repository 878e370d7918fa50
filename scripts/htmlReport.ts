/**
 * The fleet's status as one HTML page people read at a glance (`npm run status -- --html FILE`):
 * per stack and alias, the served certificate's lifetime as a bar on one time axis shared by every
 * row, its renewal window hatched at the bar's end, a line at now, the issuer, the ICP status and the
 * verdict. Self-contained: no script, no font, no request anywhere (the page may be opened offline
 * or mailed). tests/report.test.ts opens it in headless Chromium and measures the bars.
 */
import { type StackStatus, verdictSummary } from "../watch/liveCheck";

const DAY_MS = 86_400_000;

const escape = (s: string) =>
    s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

/** A row's times, in ms; undefined where the check could not read them. */
interface Times {
    notBefore?: number;
    notAfter?: number;
    renewAfter?: number;
}

const parsed = (iso: string | undefined) => (iso === undefined || Number.isNaN(Date.parse(iso)) ? undefined : Date.parse(iso));

/** The time axis every bar shares: from the earliest start to the latest end, now included, with a day's margin. */
function axis(rows: Times[], now: number): { from: number; to: number } {
    const times = rows.flatMap((r) => [r.notBefore, r.notAfter, r.renewAfter]).filter((t): t is number => t !== undefined);
    return { from: Math.min(now, ...times) - DAY_MS, to: Math.max(now, ...times) + DAY_MS };
}

const percent = (t: number, a: { from: number; to: number }) => `${(((t - a.from) / (a.to - a.from)) * 100).toFixed(3)}%`;
const day = (t: number) => new Date(t).toISOString().slice(0, 10);

/** Dates on the axis: about five, at midnight UTC, spread over it. */
function ticks(a: { from: number; to: number }): number[] {
    const step = Math.max(1, Math.round((a.to - a.from) / DAY_MS / 5)) * DAY_MS;
    const first = Math.ceil(a.from / DAY_MS) * DAY_MS;
    const out: number[] = [];
    for (let t = first; t <= a.to; t += step) {
        out.push(t);
    }
    return out;
}

/** The axis's dates, above the bars (in the column's header) and as faint lines through every track. */
function tickLabels(a: { from: number; to: number }): string {
    return ticks(a)
        .map((t) => `<span class="tick" data-kind="tick" data-time="${t}" style="left:${percent(t, a)}">${escape(day(t).slice(5))}</span>`)
        .join("");
}

function timeline(t: Times, a: { from: number; to: number }, now: number): string {
    const parts: string[] = [];
    if (t.notBefore !== undefined && t.notAfter !== undefined) {
        parts.push(
            `<div class="lifetime" data-kind="lifetime" style="left:${percent(t.notBefore, a)};width:calc(${percent(t.notAfter, a)} - ${percent(t.notBefore, a)})" ` +
                `title="valid ${day(t.notBefore)} to ${day(t.notAfter)}"></div>`,
        );
        if (t.renewAfter !== undefined && t.renewAfter < t.notAfter) {
            parts.push(
                `<div class="window" data-kind="window" style="left:${percent(t.renewAfter, a)};width:calc(${percent(t.notAfter, a)} - ${percent(t.renewAfter, a)})" ` +
                    `title="renewal window from ${day(t.renewAfter)}"></div>`,
            );
        }
    }
    parts.push(...ticks(a).map((tick) => `<div class="gridline" style="left:${percent(tick, a)}"></div>`));
    parts.push(`<div class="now" data-kind="now" style="left:${percent(now, a)}" title="now"></div>`);
    return `<div class="track">${parts.join("")}</div>`;
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1b1b1b; }
h1 { font-size: 20px; margin: 0 0 4px; }
.summary { margin: 0 0 16px; color: #444; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #ddd; vertical-align: middle; overflow-wrap: anywhere; }
th { font-size: 12px; color: #555; text-transform: uppercase; letter-spacing: .04em; }
col.stack { width: 9%; } col.alias { width: 16%; } col.icp { width: 10%; } col.issuer { width: 14%; }
col.days { width: 7%; } col.verdict { width: 10%; } col.timeline { width: 34%; }
.axis { position: relative; height: 16px; margin-top: 4px; text-transform: none; letter-spacing: 0; }
.tick { position: absolute; transform: translateX(-50%); font-weight: 400; color: #666; white-space: nowrap; }
.gridline { position: absolute; top: 0; width: 1px; height: 18px; background: #d6d6d6; }
.track { position: relative; height: 18px; background: #f1f1f1; border-radius: 3px; }
.lifetime { position: absolute; top: 3px; height: 12px; background: #4c9a5f; border-radius: 2px; }
.window { position: absolute; top: 3px; height: 12px; border-radius: 2px;
  background: repeating-linear-gradient(135deg, #e0a526 0 4px, #f4d48a 4px 8px); }
.now { position: absolute; top: 0; width: 2px; height: 18px; margin-left: -1px; background: #1b1b1b; }
/* A badge is one word: never broken inside it, whatever the column's width. */
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600;
  white-space: nowrap; overflow-wrap: normal; }
.good { background: #d8f0dd; color: #1e6a31; } .warn { background: #fbeccb; color: #7a5200; }
.bad { background: #f8d4d2; color: #8c1d18; } .none { background: #e6e6e6; color: #444; }
.notes { margin-top: 16px; color: #444; } .notes li { margin: 2px 0; }
.legend span { display: inline-block; width: 14px; height: 10px; margin: 0 4px 0 12px; vertical-align: middle; }
`;

function badge(text: string, tone: "good" | "warn" | "bad" | "none", kind: string): string {
    return `<span class="badge ${tone}" data-kind="${kind}">${escape(text)}</span>`;
}

const icpTone = (icp: string | undefined) =>
    icp === "APPROVED" ? "good" : icp === "SUSPENDED" ? "bad" : icp === "PENDING" ? "warn" : "none";
const verdictTone = (v: string) => (v === "ok" ? "good" : v === "warn" ? "warn" : v === "fail" ? "bad" : "none");

/** The page for `statuses`, checked at `now` (ms). */
export function htmlReport(statuses: readonly StackStatus[], now: number): string {
    const rows: Array<{
        stack: string;
        alias: string;
        icp?: string;
        issuer: string;
        days: string;
        verdict: string;
        times: Times;
        note?: string;
    }> = [];
    const notes: string[] = [];
    for (const s of statuses) {
        if ("reason" in s) {
            rows.push({ stack: s.stack, alias: "-", issuer: "-", days: "-", verdict: "unchecked", times: {} });
            notes.push(`${s.stack}: could not check: ${s.reason}`);
            continue;
        }
        for (const a of s.report.aliases) {
            rows.push({
                stack: s.stack,
                alias: a.alias,
                icp: a.icp,
                issuer: a.served?.issuer || "-",
                days: a.daysLeft === undefined ? "-" : a.daysLeft.toFixed(1),
                verdict: a.verdict,
                times: { notBefore: parsed(a.served?.notBefore), notAfter: parsed(a.served?.notAfter), renewAfter: parsed(a.renewAfter) },
            });
            a.reasons.forEach((r) => notes.push(`${s.stack} ${a.alias}: ${r}`));
        }
        s.report.reasons.forEach((r) => notes.push(`${s.stack}: ${r}`));
    }
    const a = axis(
        rows.map((r) => r.times),
        now,
    );
    const body = rows
        .map(
            (r) =>
                `<tr data-stack="${escape(r.stack)}" data-alias="${escape(r.alias)}">` +
                `<td>${escape(r.stack)}</td><td>${escape(r.alias)}</td>` +
                `<td>${badge(r.icp ?? "none", icpTone(r.icp), "icp")}</td>` +
                `<td>${escape(r.issuer)}</td><td>${escape(r.days)}</td>` +
                `<td>${badge(r.verdict.toUpperCase(), verdictTone(r.verdict), "verdict")}</td>` +
                `<td>${timeline(r.times, a, now)}</td></tr>`,
        )
        .join("\n");
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>cloudfront-china status ${escape(day(now))}</title><style>${STYLE}</style></head>
<body>
<h1>cloudfront-china: certificates served, ${escape(new Date(now).toISOString().slice(0, 16).replace("T", " "))} UTC</h1>
<p class="summary">${escape(verdictSummary(statuses))}; ${rows.filter((r) => r.alias !== "-").length} alias(es).
<span class="legend"><span class="lifetime" style="position:static;display:inline-block"></span>valid<span class="window" style="position:static;display:inline-block"></span>renewal window<span class="now" style="position:static;display:inline-block;height:10px"></span>now (axis ${escape(day(a.from))} to ${escape(day(a.to))})</span></p>
<table><colgroup><col class="stack"><col class="alias"><col class="icp"><col class="issuer"><col class="days"><col class="verdict"><col class="timeline"></colgroup>
<thead><tr><th>stack</th><th>alias</th><th>ICP</th><th>issuer</th><th>days left</th><th>verdict</th><th>lifetime, renewal window, now<div class="axis">${tickLabels(a)}</div></th></tr></thead>
<tbody>
${body}
</tbody></table>
${notes.length > 0 ? `<ul class="notes">${notes.map((n) => `<li>${escape(n)}</li>`).join("")}</ul>` : ""}
</body></html>
`;
}
