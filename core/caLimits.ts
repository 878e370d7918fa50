/**
 * What one `pulumi up` asks of the CA and of IAM across every site of the stack, against their
 * limits. Each certificate is checked alone elsewhere (names, quota slot before its order); these are
 * the limits a stack of many sites meets as a whole, part-way through a run:
 *
 * - Let's Encrypt (production) issues at most 50 new certificates per registered domain in 7 days
 *   and takes at most 300 new orders per account in 3 hours ("Rate Limits", letsencrypt.org). A
 *   renewal placed inside its ARI window with `replaces` is exempt (RFC 9773 §5; docs/how-it-works.md),
 *   so it is the first deploy of many sites, or many sites added at once, that meets them.
 * - IAM holds 20 server certificates per account by default ("IAM and AWS STS quotas"), every tool
 *   and stack counting; a first deploy uploads one per issuing site, and a renewal needs a free slot
 *   per certificate while the one it replaces stays (create before delete).
 *
 * The registered domain is the Public Suffix List's (the list Let's Encrypt counts by): `example.com.cn`
 * under `com.cn`, `example.cn` under `cn`. Pure: no network.
 */
import { getDomain } from "tldts";
import { baseName } from "./challenges";
import { LETS_ENCRYPT_PRODUCTION, canonicalDirectoryUrl } from "./certificate";

export const LETS_ENCRYPT_RATE_LIMITS = {
    /** New certificates per registered domain per 7 days. */
    certificatesPerRegisteredDomain: 50,
    /** New orders per account per 3 hours. */
    ordersPerAccount: 300,
} as const;

/** IAM's default server-certificate quota per account. */
export const IAM_SERVER_CERTIFICATES_DEFAULT_QUOTA = 20;

/** The registered domain of a name, as the Public Suffix List draws it (a name on no listed suffix: its last two labels). */
export function registeredDomain(name: string): string {
    const host = baseName(name.toLowerCase()).replace(/\.$/, "");
    return getDomain(host, { allowPrivateDomains: false }) ?? host.split(".").slice(-2).join(".");
}

/** One certificate a first `pulumi up` orders: its names. */
export interface PlannedOrder {
    domains: readonly string[];
}

/** How many of the orders' certificates name each registered domain (one with names under two counts against both). */
function certificatesPerRegisteredDomain(orders: readonly PlannedOrder[]): Map<string, number> {
    const perDomain = new Map<string, number>();
    for (const order of orders) {
        for (const domain of new Set(order.domains.map(registeredDomain))) {
            perDomain.set(domain, (perDomain.get(domain) ?? 0) + 1);
        }
    }
    return perDomain;
}

/** The counts a first `pulumi up` of these orders reaches, for the plan's report. */
export interface OrderCounts {
    orders: number;
    /** The registered domain with the most certificates, and how many name it. */
    busiest?: { domain: string; certificates: number };
}

export function orderCounts(orders: readonly PlannedOrder[]): OrderCounts {
    const [domain, certificates] =
        [...certificatesPerRegisteredDomain(orders)].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0] ?? [];
    return { orders: orders.length, busiest: domain === undefined ? undefined : { domain, certificates: certificates! } };
}

/**
 * Why a first `pulumi up` of these orders would stop part-way, one line each with the numbers and the
 * way forward; [] when it fits. The rate limits are Let's Encrypt production's, when it is the first
 * CA and there is no other to fall back to (a rate-limited order goes to the next CA, docs/issuers.md;
 * another CA's limits are not known here). IAM's quota is its default: the account's own is read
 * before each order.
 */
export function firstDeployLimitProblems(orders: readonly PlannedOrder[], ca: { directoryUrl: string; fallbacks: boolean }): string[] {
    const problems: string[] = [];
    if (!ca.fallbacks && canonicalDirectoryUrl(ca.directoryUrl) === canonicalDirectoryUrl(LETS_ENCRYPT_PRODUCTION)) {
        for (const [domain, certificates] of certificatesPerRegisteredDomain(orders)) {
            if (certificates > LETS_ENCRYPT_RATE_LIMITS.certificatesPerRegisteredDomain) {
                problems.push(
                    `${certificates} sites issue certificates with names under ${domain}: Let's Encrypt issues at most ` +
                        `${LETS_ENCRYPT_RATE_LIMITS.certificatesPerRegisteredDomain} new certificates per registered domain in 7 days, so a first ` +
                        `\`pulumi up\` of all of them stops at the ${LETS_ENCRYPT_RATE_LIMITS.certificatesPerRegisteredDomain + 1}st. ` +
                        `Add them to \`sites\` at most ${LETS_ENCRYPT_RATE_LIMITS.certificatesPerRegisteredDomain} a week, put several names on one site, ` +
                        "or ask Let's Encrypt for a rate-limit adjustment (renewals inside their window are exempt)",
                );
            }
        }
        if (orders.length > LETS_ENCRYPT_RATE_LIMITS.ordersPerAccount) {
            problems.push(
                `${orders.length} sites issue certificates with one ACME account: Let's Encrypt takes at most ` +
                    `${LETS_ENCRYPT_RATE_LIMITS.ordersPerAccount} new orders per account in 3 hours, so a first \`pulumi up\` of all of them ` +
                    `stops at the ${LETS_ENCRYPT_RATE_LIMITS.ordersPerAccount + 1}st. Add them to \`sites\` in batches of at most ` +
                    `${LETS_ENCRYPT_RATE_LIMITS.ordersPerAccount}, 3 hours apart, or split them across stacks`,
            );
        }
    }
    if (orders.length > IAM_SERVER_CERTIFICATES_DEFAULT_QUOTA) {
        problems.push(
            `${orders.length} sites issue certificates: a first \`pulumi up\` uploads ${orders.length} server certificates to IAM, whose quota is ` +
                `${IAM_SERVER_CERTIFICATES_DEFAULT_QUOTA} per account by default (every stack and tool counting), and each renewal needs a free slot more. ` +
                'Ask AWS for a higher "Server certificates per account" quota (IAM) before the first `pulumi up`',
        );
    }
    return problems;
}
