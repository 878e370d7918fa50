/**
 * Several sites in one stack (`cloudfront-china:sites`, docs/sites.md): the rules that hold between
 * them, and how a further site's resources are named. Pure: no Pulumi, no network.
 *
 * The stack's top-level keys stay its first site, with the resource names a one-site stack has
 * always had (`site`, `certificate`), so adding `sites` to an existing stack replaces nothing. A
 * further site's resources are named after it: `site-<name>` (its buckets `cfcn-<hash>-site-<name>-bucket-…`,
 * `…-logs-…`) and `site-<name>-certificate` (IAM path `/cloudfront/<project>/<stack>/site-<name>-certificate/`).
 */
import { createHash } from "node:crypto";
import { persistRecordName } from "./challenges";
import { aliasKey } from "./validation";

/** A site's name: lower-case letters, digits and "-", as S3 bucket names allow, short enough for them. */
export const SITE_NAME = /^[a-z](?:[a-z0-9-]{0,22}[a-z0-9])?$/;

/**
 * Words a further site's name cannot hold: the deploy policy grants each site's buckets by prefix
 * (`site-bucket-*`, `site-blog-logs-*`, docs/iam-policy.md), and a site named "bucket" or "blog-logs"
 * would have buckets that another site's prefix matches.
 */
const RESERVED_WORDS = ["bucket", "logs"];

/**
 * The start of a ChinaCdn's bucket names, carrying the stack: `cfcn-<10 hex of sha256(project/stack)>-<cdn
 * name>` (e.g. `cfcn-3f9a0c21b7-site`), then `-bucket-` or `-logs-` and S3's unique suffix. Every bucket
 * of one stack starts with its own `cfcn-<hash>-`, so a stack's bootstrap policy grants its buckets to
 * come by a pattern no other stack's (or project's) bucket matches (docs/iam-policy.md). The whole
 * prefix stays within the 37 characters pulumi-aws allows a `bucketPrefix` (63 less its 26-character
 * unique suffix): a long CDN name is cut and a hash of it kept.
 */
export function stackBucketBase(project: string, stack: string, cdnName: string): string {
    const label = cdnName.toLowerCase().replace(/[^a-z0-9-]/g, "-");
    const fitted = label.length <= 13 ? label : `${label.slice(0, 7)}-${createHash("sha256").update(label).digest("hex").slice(0, 5)}`;
    return `${stackId(project, stack)}-${fitted}`;
}

/**
 * A stack's identity in resource names and IAM paths: `cfcn-` and 10 hex of sha256(project/stack),
 * so that two projects' `cn-north-1` stacks never meet, and a policy can name every resource of one
 * stack (its buckets, the watch's role path and names) by a pattern no other stack's matches.
 */
export function stackId(project: string, stack: string): string {
    return `cfcn-${createHash("sha256").update(`${project}/${stack}`).digest("hex").slice(0, 10)}`;
}

/** Every bucket name of a stack starts with this (stackBucketBase). */
export const stackBucketStart = (project: string, stack: string) => stackBucketBase(project, stack, "x").slice(0, -1);

/** The name of a further site's ChinaCdn, and the prefix of its certificate's resources. */
export const siteResourceName = (name: string) => `site-${name}`;

/** Why `name` cannot name a further site, or undefined. `taken`: the names of the sites before it. */
export function siteNameProblem(name: unknown, setting: string, taken: readonly string[]): string | undefined {
    if (typeof name !== "string" || name === "") {
        return `\`${setting}\` is required: a short name for the site (e.g. "blog"), which names its resources (site-blog-bucket-…)`;
    }
    if (!SITE_NAME.test(name)) {
        return (
            `\`${setting}\` "${name}" must be 1 to 24 lower-case letters, digits and "-", starting with a letter and not ending in "-" ` +
            `(it names the site's buckets, site-${name.toLowerCase().replace(/[^a-z0-9-]/g, "-")}-bucket-…)`
        );
    }
    const reserved = RESERVED_WORDS.find((word) => name.split("-").includes(word));
    if (reserved !== undefined) {
        return (
            `\`${setting}\` "${name}" cannot have "${reserved}" as a word: its buckets (site-${name}-bucket-…, site-${name}-logs-…) ` +
            "would match another site's bucket names, which the deploy policy grants by prefix; choose another name"
        );
    }
    if (taken.includes(name)) {
        return `\`${setting}\` "${name}" names two sites: give each site its own name (renaming one replaces its resources)`;
    }
    return undefined;
}

/** One site as the cross-site rules see it. */
export interface SiteNames {
    /** How messages name the site's `domains` setting, e.g. `cloudfront-china:sites[0].domains`. */
    domainsSetting: string;
    domains: readonly string[];
    /** Whether the program issues its certificate (no iamCertificateId). */
    issuing: boolean;
    /** Whether the program writes the site's standing dns-persist-01 records into Route 53 (mode dns-persist-01 with its zone). */
    writesStandingRecords?: boolean;
    /** The distribution it takes over, if any, and the setting that names it. */
    adoptDistributionId?: string;
    adoptSetting?: string;
}

/**
 * What cannot hold between the sites of one stack:
 * - one alias on two sites: CloudFront refuses an alias another distribution holds (CNAMEAlreadyExists);
 * - two issuing sites that both write the standing dns-persist-01 record of one base name
 *   (`*.example.cn` and `example.cn` share `_validation-persist.example.cn`): two Route 53 record
 *   resources for one record set. With dns-01 the two are fine: both prove control at
 *   `_acme-challenge.example.cn`, RFC 8555 §8.4 lets several TXT values stand there, and the writes
 *   are compare-and-swap, each keeping the other's value (aws/route53.ts), so both renew in one `up`;
 * - one distribution adopted twice.
 */
export function crossSiteProblems(sites: readonly SiteNames[]): string[] {
    const problems: string[] = [];
    const aliasOwner = new Map<string, SiteNames>();
    const challengeOwner = new Map<string, { site: SiteNames; domain: string }>();
    const adopted = new Map<string, SiteNames>();
    for (const site of sites) {
        for (const domain of site.domains) {
            const alias = aliasKey(domain);
            const owner = aliasOwner.get(alias);
            if (owner !== undefined && owner !== site) {
                problems.push(
                    `"${domain}" is in both \`${owner.domainsSetting}\` and \`${site.domainsSetting}\`: an alias can be on one distribution only ` +
                        "(CloudFront refuses the second, CNAMEAlreadyExists); keep it on one site",
                );
                continue;
            }
            aliasOwner.set(alias, site);
            if (!site.issuing) {
                continue;
            }
            if (!site.writesStandingRecords) {
                continue;
            }
            const standing = persistRecordName(alias);
            const other = challengeOwner.get(standing);
            if (other !== undefined && other.site !== site) {
                problems.push(
                    `"${other.domain}" (\`${other.site.domainsSetting}\`) and "${domain}" (\`${site.domainsSetting}\`) share the standing dns-persist-01 record ` +
                        `${standing}, which both sites would write to Route 53. Put both names on one site, or use challenge dns-01 ` +
                        "(with it, the two prove control side by side)",
                );
            } else {
                challengeOwner.set(standing, { site, domain });
            }
        }
        if (site.adoptDistributionId !== undefined) {
            const first = adopted.get(site.adoptDistributionId);
            if (first !== undefined) {
                problems.push(
                    `\`${first.adoptSetting}\` and \`${site.adoptSetting}\` both take over ${site.adoptDistributionId}: a distribution belongs to one site`,
                );
            }
            adopted.set(site.adoptDistributionId, site);
        }
    }
    return problems;
}
