/**
 * Adopting a site made outside the stack (docs/migrate.md): what the stack takes over from an
 * existing distribution (its bucket, its Origin Access Identity, the certificate it serves), what
 * refuses the takeover, and what the first `pulumi up` changes. Pure: the distribution comes in as
 * settings in pulumi-aws's shape (aws/cloudfront.ts, existingDistribution).
 */
import { CHINA_REGIONS, checkDistribution } from "./chinaRules";
import { STACK_TAG } from "./iamPolicy";

/** CloudFront's ids: "E" and upper-case letters and digits (distributions and OAIs alike). */
const CLOUDFRONT_ID = /^E[A-Z0-9]{7,20}$/;

/** Why `id` is not a distribution id, or undefined. */
export function distributionIdProblem(id: unknown, setting: string): string | undefined {
    if (id === undefined || id === "") {
        return undefined;
    }
    if (typeof id !== "string" || !CLOUDFRONT_ID.test(id)) {
        return (
            `\`${setting}\` ${JSON.stringify(id)} is not a CloudFront distribution id (E and 7-20 upper-case letters or digits, e.g. E2QWRUHAPOMQZL): ` +
            "give the Id from `aws cloudfront list-distributions`, not its domain name or ARN"
        );
    }
    return undefined;
}

/** What the stack takes over. */
export interface Adoption {
    distributionId: string;
    /** The bucket its one origin reads. */
    bucketName: string;
    /** The Origin Access Identity the origin uses; undefined when it uses none (the stack makes one). */
    originAccessIdentityId?: string;
    /** The IAM ServerCertificateId it serves; undefined when it serves none from IAM (the stack orders one). */
    certificateId?: string;
    /** What the first `pulumi up` changes beyond the engine's own diff, one line each. */
    changes: string[];
}

type Settings = Record<string, unknown>;
const list = (v: unknown): Settings[] => (Array.isArray(v) ? (v as Settings[]) : []);
const object = (v: unknown): Settings => (v && typeof v === "object" ? (v as Settings) : {});

/** `<bucket>.s3.<region>.amazonaws.com.cn` (or the older `<bucket>.s3.amazonaws.com.cn`): the bucket and its region. */
function s3Origin(domain: string): { bucket: string; region?: string } | undefined {
    const m = /^(.+)\.s3(?:[.-]([a-z]{2}-[a-z]+-\d))?\.amazonaws\.com\.cn$/.exec(domain);
    return m ? { bucket: m[1], region: m[2] } : undefined;
}

/** The Origin Access Identity an S3 origin reads with (`origin-access-identity/cloudfront/<id>`), if any. */
function originIds(origin: Settings): { originAccessIdentityId?: string } {
    const oaiPath = String(object(origin.s3OriginConfig).originAccessIdentity ?? "");
    const id = /^origin-access-identity\/cloudfront\/(E[A-Z0-9]+)$/.exec(oaiPath)?.[1];
    return id === undefined ? {} : { originAccessIdentityId: id };
}

/**
 * Whether the stack took the distribution over at an earlier `pulumi up`: it carries the stack's tag
 * (`stack`: the tag's value, project/stack; before, the bare stack name, which its next `up` rewrites).
 */
export function adoptedBefore(tags: Readonly<Record<string, string>>, stack: string): boolean {
    const value = tags[STACK_TAG];
    return value !== undefined && (value === stack || (!value.includes("/") && value === stack.split("/").pop()));
}

/**
 * What adopting the distribution means for a stack serving `domains` from `region`, or the problems
 * that refuse it (each names the fix). The stack serves one private bucket through an OAI on the
 * aliases `domains` lists: anything that would take traffic away (an alias dropped, another origin,
 * a path behaviour) refuses the takeover rather than disappearing in an update. A distribution the
 * stack already tagged was taken over before: only its ids are returned.
 */
export function planAdoption(
    existing: { id: string; settings: Settings; tags: Readonly<Record<string, string>> },
    want: { region: string; domains: readonly string[]; stack: string },
    setting: string,
): { adoption?: Adoption; problems: string[] } {
    const d = existing.settings;
    if (adoptedBefore(existing.tags, want.stack)) {
        // Taken over at an earlier `pulumi up` (the stack tags it): the stack's settings are its
        // own now, only the ids are needed (the same import ids, so nothing is ever replaced).
        const origin = list(d.origins)[0] ?? {};
        const bucket = s3Origin(String(origin.domainName ?? ""));
        if (bucket) {
            return {
                problems: [],
                adoption: { distributionId: existing.id, bucketName: bucket.bucket, ...originIds(origin), changes: [] },
            };
        }
    }
    const at = `\`${setting}\` ${existing.id}`;
    const owner = existing.tags[STACK_TAG];
    if (owner !== undefined && !adoptedBefore(existing.tags, want.stack)) {
        // Another stack's distribution: taking it over would leave two stacks updating one site.
        return {
            problems: [
                `${at} carries the tag ${STACK_TAG}=${owner}: stack ${owner} deploys it, and adopting it here would take it from that stack. ` +
                    `Give it up there first (\`pulumi stack rm --force\` in stack ${owner} leaves the site as it is), remove the tag, then adopt it here`,
            ],
        };
    }
    const problems: string[] = [];
    const aliases = (Array.isArray(d.aliases) ? d.aliases : []) as string[];
    const dropped = aliases.filter((a) => !want.domains.includes(a));
    if (dropped.length > 0) {
        problems.push(
            `${at} serves ${dropped.join(", ")}, which \`cloudfront-china:domains\` does not list: the first \`pulumi up\` would take ${dropped.length === 1 ? "it" : "them"} off the distribution. ` +
                `Set \`cloudfront-china:domains\` to every alias it serves (${aliases.join(", ")}); remove one later, on purpose`,
        );
    }
    const origins = list(d.origins);
    const behaviours = list(d.orderedCacheBehaviors).map((b) => String(b.pathPattern));
    if (origins.length !== 1 || behaviours.length > 0 || d.originGroups !== undefined) {
        problems.push(
            `${at} has ${origins.length} origin(s) (${origins.map((o) => o.domainName).join(", ")})` +
                `${behaviours.length > 0 ? ` and path behaviours ${behaviours.join(", ")}` : ""}${d.originGroups !== undefined ? " and origin groups" : ""}: ` +
                "the stack serves one private bucket, so adopting would remove the rest. Adopt a distribution with one S3 origin, or move the other paths first",
        );
    }
    const origin = origins[0] ?? {};
    const domainName = String(origin.domainName ?? "");
    const bucket = s3Origin(domainName);
    if (origins.length === 1 && (!bucket || origin.s3OriginConfig === undefined)) {
        problems.push(
            `${at} reads from ${domainName}, which is not an S3 bucket's REST endpoint (a custom origin or a website endpoint): ` +
                "the stack serves a private bucket through an Origin Access Identity. Adopt a distribution whose origin is <bucket>.s3.<region>.amazonaws.com.cn",
        );
    }
    if (bucket?.region !== undefined && bucket.region !== want.region && CHINA_REGIONS.includes(bucket.region as never)) {
        problems.push(
            `${at} reads bucket ${bucket.bucket} in ${bucket.region}, but the stack deploys to ${want.region}: set \`aws:region\` to ${bucket.region}`,
        );
    }
    if (problems.length > 0 || !bucket) {
        return { problems };
    }
    const { originAccessIdentityId } = originIds(origin);
    const certificateId = object(d.viewerCertificate).iamCertificateId as string | undefined;
    const changes = [
        ...checkDistribution(d).map((v) => `[${v.rule}] today: ${v.message}`),
        ...(bucket.region === undefined
            ? [`the origin becomes the bucket's regional domain ${bucket.bucket}.s3.${want.region}.amazonaws.com.cn`]
            : []),
        ...(originAccessIdentityId === undefined
            ? ["the origin uses no Origin Access Identity today: the stack makes one, and the bucket policy lets only it read"]
            : []),
        ...(certificateId === undefined ? ["it serves no IAM certificate today: the stack orders one from the CA"] : []),
        ...want.domains
            .filter((x) => !aliases.includes(x))
            .map((x) => `alias ${x} is added (it must be ICP-approved and held by no other distribution)`),
        "the bucket policy becomes the stack's: only the Origin Access Identity reads, and only over TLS",
    ];
    return {
        problems: [],
        adoption: { distributionId: existing.id, bucketName: bucket.bucket, originAccessIdentityId, certificateId, changes },
    };
}

/** A distribution of the account holding some of the stack's aliases, as ListDistributions and its tags show it. */
export interface AliasHolding {
    id: string;
    /** The stack's aliases it holds (lower case, no trailing dot). */
    aliases: readonly string[];
    comment: string;
    /** Its tags; undefined where the identity may not read them (a steady-state policy reads only the stack's own). */
    tags?: Readonly<Record<string, string>>;
}

/**
 * Whether `holding` is one of the stack's own distributions: adopted by one of its sites, or tagged
 * for the stack (adoptedBefore). An unreadable one is another's: the stack's policy always reads its
 * own. A distribution made before the stack tag existed (2026-12-01) carries none until its next
 * `up`: one with no stack tag and this program's comment (components/chinaCdn.ts) counts as the
 * stack's, so such a stack's update is never refused here; CloudFront still checks its aliases.
 */
function stacksOwn(holding: AliasHolding, stack: string, adoptedIds: ReadonlySet<string>): boolean {
    if (adoptedIds.has(holding.id)) {
        return true;
    }
    if (holding.tags === undefined) {
        return false;
    }
    return holding.tags[STACK_TAG] === undefined ? holding.comment.startsWith("cloudfront-china") : adoptedBefore(holding.tags, stack);
}

/**
 * CloudFront gives an alias to one distribution and refuses a second with CNAMEAlreadyExists
 * (CloudFront Developer Guide, "Using custom URLs by adding alternate domain names"): one problem per
 * alias another distribution holds, naming the setting (`settingOf(alias)`) and the fixes.
 */
export function aliasesHeldElsewhere(
    holdings: readonly AliasHolding[],
    stack: string,
    adoptedIds: ReadonlySet<string>,
    settingOf: (alias: string) => { domains: string; adoptDistributionId: string },
): string[] {
    return holdings
        .filter((h) => !stacksOwn(h, stack, adoptedIds))
        .flatMap((h) =>
            h.aliases.map((alias) => {
                const setting = settingOf(alias);
                return (
                    `\`${setting.domains}\`: ${alias} is an alias of distribution ${h.id}, which is not this stack's, and CloudFront ` +
                    "gives an alias to one distribution (CNAMEAlreadyExists). Remove it from that distribution, take that distribution " +
                    `over (\`${setting.adoptDistributionId}\`, docs/migrate.md), or serve another name. Nothing was ordered or created`
                );
            }),
        );
}
