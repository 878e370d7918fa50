/**
 * A deterministic renewal simulator: two simulated years of scheduled `pulumi up` runs against a
 * fake clock, driving the provider's real renewal decision (`iamAcmeCertificateProvider.diff`, with
 * `Date.now` pinned to the simulated instant, and `renewAfter` computed as `create` computes it) and
 * the engine's create-before-delete sequence:
 *
 *   diff says replace -> order B (fails while the CA is out) -> upload B to IAM
 *   -> update the distribution to B (CloudFront deploys for `deployMinutes`; A stays attached until then)
 *   -> delete A (DeleteConflict while a deploy still holds it, retried up to the 20-minute bound;
 *      past it, A stays in the stack and the next run deletes it).
 *
 * With `ari`, `diff` re-reads each certificate's window at every run, as it does against a real CA:
 * the simulated CA answers `fetch` (stubbed during the call) with the window it currently holds, and
 * can move every window into the past at once (`caMovesWindowsAt`, as ahead of a mass revocation).
 *
 * It measures what users care about: seconds without a valid attached certificate, issuances per
 * year, the most IAM certificates alive at once (quota), and the most orders for the same names in
 * any 7 days (Let's Encrypt allows 5 duplicate certificates per week).
 */
import { AriWindow, renewAfter, stableFraction } from "../../core/certificate";
import { iamAcmeCertificateProvider } from "../../providers/iamAcmeCertificate";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface Scenario {
    name: string;
    lifetimeMs: number;
    /** The lifetime of a certificate issued at `t` (ms), when it changes over the run: LETS_ENCRYPT_LIFETIMES. */
    lifetimeAt?: (t: number) => number;
    /** Where the CA's ARI window sits, as the share of the lifetime left at its middle. Defaults to a third. */
    ariShareLeft?: number;
    /** "daily": once a day at a random minute; "weekly": once a week at a random minute. */
    schedule: "daily" | "weekly";
    /** The CA offers ARI: a window around 2/3 of the lifetime, ±1/90 of the lifetime (±1 day for 90-day certificates). */
    ari: boolean;
    /**
     * A CA outage of `durationMs` that begins, at the worst moment, when the first renewal after
     * `afterMs` (from the simulation start) becomes due.
     */
    caOutage?: { afterMs: number; durationMs: number; which?: "first" | "both" };
    /**
     * A second CA configured (`cloudfront-china:issuers`): while the first is out, orders go to it
     * (unless the outage is of both); every renewal starts at the first again.
     */
    fallbackCa?: boolean;
    /** The CA moves every existing certificate's window to "now" at this instant (ms from the start): replace all. */
    caMovesWindowsAt?: number;
    /** CloudFront deployment time after UpdateDistribution. */
    deployMinutes: number;
    /** How long after the deploy IAM still answers DeleteConflict for the old certificate. */
    extraConflictMinutes: number;
    seed: number;
}

export interface Result {
    scenario: string;
    runs: number;
    failedRuns: number;
    gapSeconds: number;
    issuancesPerYear: number;
    maxIamCertificates: number;
    maxOrdersPer7Days: number;
    /** With `caMovesWindowsAt`: hours from the move until the certificate it covered was replaced. */
    replacedAfterMoveHours?: number;
    /** The least lifetime the served certificate had left at any moment (hours): the margin that was never used. */
    minRemainingHours: number;
    /** Certificates the second CA issued (with `fallbackCa`). */
    fromFallback: number;
    /** Orders whose names the CA validated afresh (a DNS challenge solved), per year. */
    validationsPerYear: number;
    /** Orders the CA let reuse the names' earlier, still valid authorizations (no challenge). */
    reusedAuthorizations: number;
    /**
     * The longest time between two fresh validations (days), from a validation before 2027-02-10 and
     * from one on or after it: how long a broken DNS setup can go unnoticed under each reuse period.
     */
    maxDaysBetweenValidations: { before: number; after: number };
}

/**
 * Let's Encrypt's classic lifetimes by issuance date ("Decreasing Certificate Lifetimes to 45 Days", letsencrypt.org, 2025-12-02): 90 days, 64 days from
 * 2027-02-10, 45 days from 2028-02-16.
 */
export function letsEncryptLifetime(t: number): number {
    if (t >= Date.parse("2028-02-16T00:00:00Z")) {
        return 45 * DAY;
    }
    return t >= Date.parse("2027-02-10T00:00:00Z") ? 64 * DAY : 90 * DAY;
}

/**
 * How long Let's Encrypt lets an account reuse a validated authorization under the classic profile,
 * by the date it was validated ("Decreasing Certificate Lifetimes to 45 Days", letsencrypt.org,
 * 2025-12-02): 30 days, 10 days from 2027-02-10, 7 hours from 2028-02-16 (staging about a month
 * earlier). An order inside that time needs no challenge.
 */
export function letsEncryptAuthorizationReuse(t: number): number {
    if (t >= Date.parse("2028-02-16T00:00:00Z")) {
        return 7 * HOUR;
    }
    return t >= Date.parse("2027-02-10T00:00:00Z") ? 10 * DAY : 30 * DAY;
}

interface Certificate {
    serial: number;
    notBefore: number;
    notAfter: number;
    renewAfter: string;
    /** The window the simulated CA gives (ARI). */
    window?: AriWindow;
}

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/**
 * The real diff, asked at simulated time `now`; `ari` answers the renewal-information GETs it makes
 * (a stubbed `fetch`: no network), undefined when the CA has no ARI.
 */
async function diffAt(
    now: number,
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
    ari?: (url: string) => AriWindow | undefined,
): Promise<boolean> {
    const realNow = Date.now;
    const realFetch = globalThis.fetch;
    const realLog = console.log;
    Date.now = () => now;
    globalThis.fetch = (async (url: string | URL) => {
        const window = ari?.(String(url));
        return new Response(JSON.stringify(window ? { suggestedWindow: window } : {}), { status: window ? 200 : 404 });
    }) as typeof fetch;
    console.log = () => undefined; // the provider's one-line notes, thousands of times
    try {
        const result = await iamAcmeCertificateProvider.diff!("certificate", olds, news);
        return (result.replaces ?? []).length > 0;
    } finally {
        Date.now = realNow;
        globalThis.fetch = realFetch;
        console.log = realLog;
    }
}

export async function simulate(s: Scenario, years = 2): Promise<Result> {
    const random = prng(s.seed);
    const start = Date.parse("2027-01-01T00:00:00Z");
    const end = start + years * 365 * DAY;
    const inputs = {
        domains: ["www.example.cn"],
        keyType: "rsa-2048",
        acmeDirectoryUrl: "https://ca",
        accountUrl: "acct",
        path: "/cloudfront/p/c/",
        region: "cn-north-1",
    };
    let serial = 0;
    const orders: number[] = [];
    let outageStart: number | undefined;
    const caUp = (t: number) => outageStart === undefined || t < outageStart || t >= outageStart + (s.caOutage?.durationMs ?? 0);
    // The second CA, when there is one: out only in an outage of both.
    const secondUp = (t: number) => s.fallbackCa === true && (s.caOutage?.which !== "both" || caUp(t));
    const fromSecond = new Set<number>();

    // Each CA's authorization of the one name: validated at, and reusable until (the second CA's own).
    const authorization = new Map<"first" | "second", { validUntil: number }>();
    const validations: number[] = [];
    let reused = 0;
    const authorize = (t: number, ca: "first" | "second") => {
        const held = authorization.get(ca);
        if (held && t < held.validUntil) {
            reused++;
            return;
        }
        validations.push(t);
        authorization.set(ca, { validUntil: t + letsEncryptAuthorizationReuse(t) });
    };

    const issue = (t: number, ca: "first" | "second" = "first"): Certificate => {
        orders.push(t);
        authorize(t, ca);
        const lifetime = s.lifetimeAt ? s.lifetimeAt(t) : s.lifetimeMs;
        const notBefore = t;
        const notAfter = t + lifetime;
        const ideal = notAfter - lifetime * (s.ariShareLeft ?? 1 / 3);
        const halfWindow = lifetime / 90;
        const ari: AriWindow | undefined = s.ari
            ? {
                  start: new Date(Math.max(notBefore, ideal - halfWindow)).toISOString(),
                  end: new Date(Math.min(notAfter, ideal + halfWindow)).toISOString(),
              }
            : undefined;
        const times = { notBefore: new Date(notBefore).toISOString(), notAfter: new Date(notAfter).toISOString() };
        const id = ++serial;
        // The instant create stores: the same stable point of the window that diff computes.
        return {
            serial: id,
            notBefore,
            notAfter,
            renewAfter: renewAfter(times, { ari, random: stableFraction(id.toString(16)) }),
            window: ari,
        };
    };
    const issued = new Map<number, Certificate>();
    let replacedAfterMove: number | undefined;
    /** The window the CA answers now for `<...>/ari/<serial>`. */
    const caWindow = (url: string, t: number): AriWindow | undefined => {
        const cert = issued.get(Number(/\/ari\/(\d+)$/.exec(url)?.[1]));
        if (!cert || !(fromSecond.has(cert.serial) ? secondUp(t) : caUp(t))) {
            return undefined;
        }
        if (s.caMovesWindowsAt !== undefined && t >= start + s.caMovesWindowsAt && cert.notBefore < start + s.caMovesWindowsAt) {
            const at = start + s.caMovesWindowsAt;
            return { start: new Date(at - HOUR).toISOString(), end: new Date(at - HOUR + 1000).toISOString() };
        }
        return cert.window;
    };

    // Timeline of what the distribution serves, and which certificates IAM holds.
    let current = issue(start);
    issued.set(current.serial, current);
    let attached: Array<{ from: number; cert: Certificate }> = [{ from: start, cert: current }];
    const iam = new Map<number, { cert: Certificate; deletableFrom: number }>([[current.serial, { cert: current, deletableFrom: start }]]);
    let maxIam = 1;
    let runs = 0;
    let failedRuns = 0;

    const interval = s.schedule === "daily" ? DAY : 7 * DAY;
    for (let period = start; period < end; period += interval) {
        const t = period + Math.floor(random() * interval); // a random minute inside each period
        runs++;
        // Deletions left over from an earlier run (DeleteConflict past the bound) go first.
        for (const [id, entry] of iam) {
            if (id !== current.serial && t >= entry.deletableFrom) {
                iam.delete(id);
            }
        }
        const olds = {
            ...inputs,
            name: `c${current.serial}`,
            serialNumber: current.serial.toString(16),
            notBefore: new Date(current.notBefore).toISOString(),
            notAfter: new Date(current.notAfter).toISOString(),
            renewAfter: current.renewAfter,
            renewalInfoUrl: s.ari ? `https://ca/ari/${current.serial}` : undefined,
        };
        if (!(await diffAt(t, olds, inputs, (url) => caWindow(url, t)))) {
            continue;
        }
        if (s.caOutage && outageStart === undefined && t >= start + s.caOutage.afterMs) {
            outageStart = Date.parse(current.renewAfter);
        }
        const fallback = !caUp(t) && secondUp(t);
        if (!caUp(t) && !fallback) {
            failedRuns++; // the order fails; A stays attached and in IAM, the next run tries again
            continue;
        }
        const next = issue(t + 2 * MINUTE, fallback ? "second" : "first");
        if (fallback) {
            fromSecond.add(next.serial);
        }
        issued.set(next.serial, next);
        if (s.caMovesWindowsAt !== undefined && replacedAfterMove === undefined && t >= start + s.caMovesWindowsAt) {
            replacedAfterMove = t - (start + s.caMovesWindowsAt);
        }
        iam.set(next.serial, { cert: next, deletableFrom: 0 });
        maxIam = Math.max(maxIam, iam.size);
        const deployed = t + 2 * MINUTE + s.deployMinutes * MINUTE;
        attached.push({ from: deployed, cert: next });
        // delete(A) starts right after the update returns (pulumi-aws waits for Deployed) and retries
        // DeleteConflict for up to 20 minutes; past the bound the next run deletes it.
        const releasedAt = deployed + s.extraConflictMinutes * MINUTE;
        const previous = current;
        iam.set(previous.serial, { cert: previous, deletableFrom: releasedAt });
        if (releasedAt > deployed + 20 * MINUTE) {
            failedRuns++; // the delete step fails after its bound; the certificate is deleted by a later run
        }
        current = next;
    }

    // Seconds without a valid attached certificate, and the least lifetime left: walk the attachment timeline.
    attached = attached.sort((a, b) => a.from - b.from);
    let gap = 0;
    let minRemaining = Infinity;
    for (let i = 0; i < attached.length; i++) {
        const to = i + 1 < attached.length ? attached[i + 1].from : end;
        const validUntil = Math.min(to, attached[i].cert.notAfter);
        if (validUntil < to) {
            gap += to - validUntil;
        }
        if (i + 1 < attached.length) {
            minRemaining = Math.min(minRemaining, attached[i].cert.notAfter - to); // just before the next one serves
        }
    }

    let maxOrders = 0;
    for (const o of orders) {
        maxOrders = Math.max(maxOrders, orders.filter((x) => x >= o && x < o + 7 * DAY).length);
    }
    return {
        scenario: s.name,
        runs,
        failedRuns,
        gapSeconds: Math.round(gap / 1000),
        issuancesPerYear: Math.round(((orders.length - 1) / years) * 10) / 10,
        maxIamCertificates: maxIam,
        maxOrdersPer7Days: maxOrders,
        replacedAfterMoveHours: replacedAfterMove === undefined ? undefined : Math.round((replacedAfterMove / HOUR) * 10) / 10,
        minRemainingHours: Math.round((minRemaining / HOUR) * 10) / 10,
        fromFallback: fromSecond.size,
        validationsPerYear: Math.round(((validations.length - 1) / years) * 10) / 10,
        reusedAuthorizations: reused,
        maxDaysBetweenValidations: (() => {
            const change = Date.parse("2027-02-10T00:00:00Z");
            const gaps = validations.slice(1).map((v, i) => ({ from: validations[i], days: (v - validations[i]) / DAY }));
            const longest = (after: boolean) =>
                Math.round(Math.max(0, ...gaps.filter((g) => g.from >= change === after).map((g) => g.days)) * 10) / 10;
            return { before: longest(false), after: longest(true) };
        })(),
    };
}

export const LIFETIMES: Array<[string, number]> = [
    ["90d", 90 * DAY],
    ["64d", 64 * DAY],
    ["45d", 45 * DAY],
    ["160h", 160 * HOUR],
];

/** Every combination the issue asks for: lifetimes x schedules x ARI x (none | 4-day CA outage | slow deploys with conflicts). */
export function scenarios(): Scenario[] {
    const list: Scenario[] = [];
    let seed = 1;
    for (const [label, lifetimeMs] of LIFETIMES) {
        for (const schedule of ["daily", "weekly"] as const) {
            for (const ari of [false, true]) {
                const base = { lifetimeMs, schedule, ari, deployMinutes: 10, extraConflictMinutes: 0 };
                list.push({ ...base, name: `${label} ${schedule}${ari ? " ARI" : ""}`, seed: seed++ });
                list.push({
                    ...base,
                    name: `${label} ${schedule}${ari ? " ARI" : ""} + 4-day CA outage`,
                    caOutage: { afterMs: 200 * DAY, durationMs: 4 * DAY },
                    seed: seed++,
                });
                list.push({
                    ...base,
                    name: `${label} ${schedule}${ari ? " ARI" : ""} + slow deploys, conflicts`,
                    deployMinutes: 45,
                    extraConflictMinutes: 30,
                    seed: seed++,
                });
            }
        }
    }
    // The CA moves every window to "now" on a day of its choosing (here day 137, mid-lifetime for all).
    for (const [label, lifetimeMs] of LIFETIMES) {
        list.push({
            name: `${label} daily ARI + CA moves every window to now`,
            lifetimeMs,
            schedule: "daily",
            ari: true,
            caMovesWindowsAt: 137 * DAY + 5 * HOUR,
            deployMinutes: 10,
            extraConflictMinutes: 0,
            seed: seed++,
        });
    }
    // Across the real dates: 90 days, then 64 (2027-02-10), then 45 (2028-02-16), daily, with ARI.
    const dated = {
        lifetimeMs: 90 * DAY,
        lifetimeAt: letsEncryptLifetime,
        schedule: "daily" as const,
        ari: true,
        deployMinutes: 10,
        extraConflictMinutes: 0,
    };
    list.push({ ...dated, name: "LE dates daily ARI", seed: seed++ });
    list.push({
        ...dated,
        name: "LE dates daily ARI + 3-day CA outage",
        caOutage: { afterMs: 420 * DAY, durationMs: 3 * DAY },
        seed: seed++,
    });
    list.push({
        ...dated,
        name: "LE dates daily ARI + 2-day CA outage",
        caOutage: { afterMs: 600 * DAY, durationMs: 2 * DAY },
        seed: seed++,
    });
    // Two CAs (issue 26): an outage of the first costs nothing; an outage of both eats its length of the margin.
    const daily160 = { ...dated, lifetimeMs: 160 * HOUR, lifetimeAt: undefined };
    for (const [label, base] of [
        ["LE dates daily ARI", dated],
        ["160h daily ARI", daily160],
    ] as const) {
        list.push({
            ...base,
            name: `${label}, 2 CAs + 3-day outage of the first`,
            fallbackCa: true,
            caOutage: { afterMs: 420 * DAY, durationMs: 3 * DAY, which: "first" },
            seed: seed++,
        });
        list.push({
            ...base,
            name: `${label}, 2 CAs + 2-day outage of both`,
            fallbackCa: true,
            caOutage: { afterMs: 600 * DAY, durationMs: 2 * DAY, which: "both" },
            seed: seed++,
        });
    }
    // A CA whose windows sit at a twentieth of the lifetime left: the floor renews at a quarter instead.
    list.push({ ...dated, name: "LE dates daily, CA windows at 1/20 left", ariShareLeft: 1 / 20, seed: seed++ });
    list.push({
        ...dated,
        name: "LE dates daily, 1/20 windows + 3-day outage",
        ariShareLeft: 1 / 20,
        caOutage: { afterMs: 420 * DAY, durationMs: 3 * DAY },
        seed: seed++,
    });
    return list;
}

export function formatTable(results: readonly Result[]): string {
    const header = [
        "scenario",
        "runs",
        "failed runs",
        "gap (s)",
        "issuances/yr",
        "max IAM certs",
        "max orders/7d",
        "replaced after move (h)",
        "min left (h)",
        "from 2nd CA",
        "validations/yr",
        "authz reused",
        "max days unvalidated (before/after 2027-02-10)",
    ];
    const rows = results.map((r) =>
        [
            r.scenario,
            r.runs,
            r.failedRuns,
            r.gapSeconds,
            r.issuancesPerYear,
            r.maxIamCertificates,
            r.maxOrdersPer7Days,
            r.replacedAfterMoveHours ?? "-",
            r.minRemainingHours,
            r.fromFallback,
            r.validationsPerYear,
            r.reusedAuthorizations,
            `${r.maxDaysBetweenValidations.before}/${r.maxDaysBetweenValidations.after}`,
        ].map(String),
    );
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
    return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
