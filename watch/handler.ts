/**
 * The watch's Lambda: runs the live check (./liveCheck.ts) for the distribution named in its
 * environment and publishes one set of metrics per alias. Alarms treat missing data as breaching, so
 * a check that throws (and publishes nothing), a Lambda that stops, or a schedule that stops all
 * alarm too. Closure-serialized into the function's code (components/certificateWatch.ts): modules
 * are `require`d inside, and only the runtime's AWS SDK v3 is needed.
 *
 * Environment: DISTRIBUTION_ID, MORE_DISTRIBUTION_IDS (optional, comma-separated: the stack's further
 * sites, docs/sites.md), METRIC_NAMESPACE, IAM_PATH_PREFIX, WARN_DAYS (optional),
 * PROBE_ADDRESSES (optional JSON {alias: "host:port"}: tests and private network paths),
 * PERSIST_UNTIL (optional, Unix seconds: the end of the stack's dns-persist-01 records),
 * AWS_REGION (set by Lambda).
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside functions on purpose (serialization) */
import type * as CW from "@aws-sdk/client-cloudwatch";
import { CheckReport, runCheck } from "./liveCheck";
import { PERSIST_WARN_DAYS } from "../core/challenges";

/** Metric names, one value per alias and check. */
export const METRICS = {
    daysToExpiry: "DaysToExpiry",
    expiryOk: "ExpiryOk",
    probeOk: "ProbeOk",
    icpApproved: "IcpApproved",
    /** Per distribution: 1 while the dns-persist-01 records' persistUntil is more than PERSIST_WARN_DAYS away. */
    persistRecordsOk: "PersistRecordsOk",
    persistRecordsDaysLeft: "PersistRecordsDaysLeft",
} as const;

/** The data points of the dns-persist-01 records' end, when the stack gives them one. */
export function persistMetricData(distributionId: string, persistUntil: number, now: Date): CW.MetricDatum[] {
    const daysLeft = (persistUntil * 1000 - now.getTime()) / 86400_000;
    const dimensions = [{ Name: "DistributionId", Value: distributionId }];
    return [
        { MetricName: METRICS.persistRecordsDaysLeft, Dimensions: dimensions, Value: daysLeft, Unit: "Count", Timestamp: now },
        {
            MetricName: METRICS.persistRecordsOk,
            Dimensions: dimensions,
            Value: daysLeft > PERSIST_WARN_DAYS ? 1 : 0,
            Unit: "None",
            Timestamp: now,
        },
    ];
}

/** The data points of a report: every alias IcpApproved; probed aliases ProbeOk, ExpiryOk, and DaysToExpiry when a certificate was read. */
export function metricData(report: CheckReport): CW.MetricDatum[] {
    const at = new Date(report.checkedAt);
    const data: CW.MetricDatum[] = [];
    for (const a of report.aliases) {
        const dimensions = [
            { Name: "DistributionId", Value: report.distribution.id },
            { Name: "Alias", Value: a.alias },
        ];
        const point = (name: string, value: number, unit: CW.StandardUnit = "None") =>
            data.push({ MetricName: name, Dimensions: dimensions, Value: value, Unit: unit, Timestamp: at });
        point(METRICS.icpApproved, a.icp === "APPROVED" ? 1 : 0);
        if (!a.probed) {
            continue; // a wildcard alias: no handshake, so no probe or expiry data
        }
        point(METRICS.probeOk, a.probeError === undefined ? 1 : 0);
        // The check's own judgement of the served certificate's remaining days (scaled threshold).
        point(METRICS.expiryOk, a.served !== undefined && !a.expiring ? 1 : 0);
        if (a.daysLeft !== undefined) {
            point(METRICS.daysToExpiry, a.daysLeft, "Count");
        }
    }
    return data;
}

export async function handler(): Promise<{
    verdict: string;
    aliases: Array<{ alias: string; verdict: string; issuer?: string; reasons: string[] }>;
}> {
    const { CloudWatchClient, PutMetricDataCommand } = require("@aws-sdk/client-cloudwatch") as typeof CW;
    const env = process.env;
    const region = env.AWS_REGION ?? "cn-north-1";
    // The first site's distribution, then the stack's further sites', one check each (docs/sites.md).
    const distributionIds = [env.DISTRIBUTION_ID ?? "", ...(env.MORE_DISTRIBUTION_IDS ? env.MORE_DISTRIBUTION_IDS.split(",") : [])];
    // Concurrently: the function's 60 s bound is for one check's worst case (AWS reads 20 s, probes 10 s), not for one per site.
    const reports: CheckReport[] = await Promise.all(
        distributionIds.map((distributionId) =>
            runCheck({
                distributionId,
                region,
                iamPathPrefix: env.IAM_PATH_PREFIX,
                warnDays: env.WARN_DAYS ? Number(env.WARN_DAYS) : undefined,
                connect: env.PROBE_ADDRESSES ? (JSON.parse(env.PROBE_ADDRESSES) as Record<string, string>) : undefined,
            }),
        ),
    );
    const data = [
        ...reports.flatMap(metricData),
        ...(env.PERSIST_UNTIL
            ? persistMetricData(reports[0].distribution.id, Number(env.PERSIST_UNTIL), new Date(reports[0].checkedAt))
            : []),
    ];
    const cloudwatch = new CloudWatchClient({ region });
    // PutMetricData takes at most 1000 data points per call.
    for (let i = 0; i < data.length; i += 1000) {
        await cloudwatch.send(new PutMetricDataCommand({ Namespace: env.METRIC_NAMESPACE, MetricData: data.slice(i, i + 1000) }));
    }
    const verdicts = reports.map((r) => r.verdict);
    const summary = {
        verdict: verdicts.includes("fail") ? "fail" : verdicts.includes("warn") ? "warn" : "ok",
        // The account-wide reasons (the quota) are the same in every report: once each.
        reasons: [...new Set(reports.flatMap((r) => r.reasons))],
        // The served certificate's issuer per alias: which CA of the list signed what is served now.
        aliases: reports.flatMap((r) =>
            r.aliases.map((a) => ({ alias: a.alias, verdict: a.verdict, issuer: a.served?.issuer, reasons: a.reasons })),
        ),
    };
    console.log(JSON.stringify(summary));
    return summary;
}
