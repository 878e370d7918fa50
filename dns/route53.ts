/**
 * Route 53 as a DNS host (./host.ts), with the stack's AWS identity. The calls are ../aws/route53.ts.
 */
import type { AwsTarget } from "../core/awsIdentity";
import { zoneFor } from "../core/certificate";
import { authoritativeResolvers, changeChallengeRecords, waitForChanges, zoneLookup } from "../aws/route53";
import type { DnsHost } from "./host";

/**
 * Route 53 in the account of `aws`. `hostedZones` (name → zone id, the certificate's input) answers
 * first; the account's zones are listed once, on the first name it does not cover.
 */
export function route53Host(aws: AwsTarget, hostedZones?: Record<string, string>): DnsHost {
    return {
        name: "route53",
        title: "Route 53",
        zoneOf: zoneLookup(aws, hostedZones, zoneFor),
        changeTxt: (records, action, log) => changeChallengeRecords(aws, records, action, log),
        waitInSync: (changes, timeoutMs, pollMs, log) => waitForChanges(aws, changes, timeoutMs, pollMs, log),
        nameServers: (zoneIds) => authoritativeResolvers(aws, zoneIds),
    };
}
