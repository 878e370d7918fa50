/**
 * The stack's whole configuration: the first site (the top-level keys), each further site of
 * `cloudfront-china:sites` (docs/sites.md) with the checks across sites, the deployments and the
 * watch, read together so that every problem is reported once, before anything is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { AwsIdentity } from "../core/awsIdentity";
import { regionProblems } from "../core/validation";
import { crossSiteProblems, siteNameProblem, siteResourceName } from "../core/sites";
import { baseName } from "../core/challenges";
import { firstDeployLimitProblems } from "../core/caLimits";
import { stackAwsTarget } from "./stackAws";
import { readWatchConfig } from "./watch";
import { currentBackendUrl, readDeploymentsConfig } from "./deployments";
import { throwIfProblems } from "./inputError";
import { isSecretInStackFile } from "./stackFile";
import { CONFIG_KEYS, ISSUANCE_SETTINGS, PROJECT, nearestName, unknownKeyProblems } from "./configKeys";
import { NamedSite, SITE_FIELDS, SiteConfig, SiteSettings, readSiteSettings } from "./siteConfig";
import { SettingsSource, isConfigSecret, key, raw, stackConfigSource } from "./settingsSource";

/** One site of the stack: the first (the top-level keys) or one of `sites`. */
export interface StackSite {
    /** Its name in `sites`; undefined for the first site. */
    name?: string;
    settings: SiteSettings;
    /** Its ChinaCdn's name, which prefixes its resources: "site", or `site-<name>` (core/sites.ts). */
    cdnName: string;
    /** How messages name one of its settings: `cloudfront-china:hostedZoneId`, `cloudfront-china:sites[0].hostedZoneId`. */
    label(field: string): string;
}

/**
 * Every site of the stack, the first first (docs/sites.md): what the program builds, the deploy
 * policy scopes and the settings reader checks across sites.
 */
export function stackSites(config: Pick<SiteConfig, "sites"> & SiteSettings): StackSite[] {
    return [
        { settings: config, cdnName: "site", label: key },
        ...config.sites.map((s) => ({
            name: s.name,
            settings: s.settings,
            cdnName: siteResourceName(s.name),
            label: (field: string) => `${s.setting}.${field}`,
        })),
    ];
}

/**
 * The `challengeDelegations` entries for names on `domains`: with several sites, each certificate
 * gets the delegations of its own names. The value as given when it is not an object (its problem
 * is reported where it is read).
 */
function delegationsOf(value: unknown, domains: unknown): unknown {
    if (value === null || typeof value !== "object" || Array.isArray(value) || !Array.isArray(domains)) {
        return value;
    }
    const bases = domains.filter((d): d is string => typeof d === "string").map(baseName);
    const own = Object.entries(value).filter(([name]) => bases.includes(baseName(name)));
    return own.length > 0 ? Object.fromEntries(own) : undefined;
}

const isSiteField = (name: string) => (SITE_FIELDS as readonly string[]).includes(name);

/** A further site's settings source: its own fields from its `sites` entry, every other setting the stack's. */
function siteEntrySource(stack: SettingsSource, entry: Record<string, unknown>, setting: string): SettingsSource {
    const ownCertificate = entry.iamCertificateId !== undefined && entry.iamCertificateId !== "";
    return {
        value: (name) => {
            if (isSiteField(name)) {
                return entry[name] === "" ? undefined : entry[name];
            }
            // A site serving a certificate of its own uses no issuance setting: they are the other sites'.
            if (ownCertificate && (ISSUANCE_SETTINGS as readonly string[]).includes(name)) {
                return undefined;
            }
            return name === "challengeDelegations" ? delegationsOf(stack.value(name), entry.domains) : stack.value(name);
        },
        isSecret: (name, field) => !isSiteField(name) && stack.isSecret(name, field),
        label: (name) => (isSiteField(name) ? `${setting}.${name}` : stack.label(name)),
        setCommand: (name, example, secret) =>
            isSiteField(name) || !stack.setCommand
                ? `pulumi config set --path '${setting}.${name}' ${example}`
                : stack.setCommand(name, example, secret),
    };
}

/**
 * `sites`: the stack's further sites (docs/sites.md), each read by the same reader as the first
 * (its own fields named by its entry, `cloudfront-china:sites[0].domains`). A shared setting's
 * problem is reported once, by the first site's read (`first`).
 */
function readSites(
    value: unknown,
    stack: SettingsSource,
    target: { region?: string; awsIdentity?: AwsIdentity },
    first: { problems: readonly string[]; warnings: readonly string[] },
): { sites: NamedSite[]; problems: string[]; warnings: string[] } {
    const label = key("sites");
    const problems = new Set<string>();
    const warnings = new Set<string>();
    const sites: NamedSite[] = [];
    const example = { name: "blog", domains: ["blog.example.cn"], contentDir: "./blog/public" };
    if (value !== undefined && !Array.isArray(value)) {
        problems.add(`\`${label}\` must be a list of the stack's further sites, e.g. [${JSON.stringify(example)}]`);
    }
    (Array.isArray(value) ? value : []).forEach((entry: unknown, i) => {
        const setting = `${label}[${i}]`;
        if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
            problems.add(`\`${setting}\` must be an object with at least name and domains, e.g. ${JSON.stringify(example)}`);
            return;
        }
        const e = entry as Record<string, unknown>;
        for (const field of Object.keys(e).filter((k) => !isSiteField(k))) {
            problems.add(
                (CONFIG_KEYS as readonly string[]).includes(field)
                    ? `\`${setting}.${field}\`: ${field} is the stack's, shared by every site: set it once as \`${key(field)}\` ` +
                          `(a site's own fields: ${SITE_FIELDS.join(", ")})`
                    : `\`${setting}.${field}\` is not a field of a site: did you mean \`${nearestName(field, SITE_FIELDS)}\`?`,
            );
        }
        const nameProblem = siteNameProblem(
            e.name,
            `${setting}.name`,
            sites.map((s) => s.name),
        );
        if (nameProblem) {
            problems.add(nameProblem);
        }
        const read = readSiteSettings(siteEntrySource(stack, e, setting), target);
        read.problems.filter((p) => !first.problems.includes(p)).forEach((p) => problems.add(p));
        read.warnings.filter((w) => !first.warnings.includes(w)).forEach((w) => warnings.add(w));
        if (nameProblem === undefined) {
            sites.push({ name: e.name as string, setting, settings: read.settings });
        }
    });
    return { sites, problems: [...problems], warnings: [...warnings] };
}

/** Delegations naming no site's domain (with one site, the certificate's own check reports them). */
function unclaimedDelegationProblems(delegations: unknown, domainLists: ReadonlyArray<readonly string[]>): string[] {
    if (delegations === null || typeof delegations !== "object" || Array.isArray(delegations)) {
        return [];
    }
    const bases = domainLists.flat().map(baseName);
    return Object.keys(delegations)
        .filter((name) => !bases.includes(baseName(name)))
        .map(
            (name) =>
                `\`${key("challengeDelegations")}\` names "${name}", which no site of the stack serves (domains: ${[...new Set(bases)].join(", ")}): ` +
                "remove it or fix the name",
        );
}

/**
 * Reads and validates the stack configuration. Throws one InputError listing every problem
 * (naming the key and the fix) before the program registers anything.
 */
export function readSiteConfig(): SiteConfig {
    const config = new pulumi.Config(PROJECT);
    const problems: string[] = [];
    problems.push(...unknownKeyProblems(Object.keys(pulumi.runtime.allConfig())));
    const target = stackAwsTarget();
    problems.push(...regionProblems(target.region, "aws:region"), ...target.identityProblems);
    const stackSource = stackConfigSource(config);
    const sitesValue = raw(config, "sites");
    const furtherSites = Array.isArray(sitesValue) && sitesValue.length > 0;
    // With further sites, the first site's certificate gets the delegations of its own names.
    const firstSource: SettingsSource = furtherSites
        ? {
              ...stackSource,
              value: (name) =>
                  name === "challengeDelegations"
                      ? delegationsOf(stackSource.value(name), stackSource.value("domains"))
                      : stackSource.value(name),
          }
        : stackSource;
    const site = readSiteSettings(firstSource, target);
    problems.push(...site.problems);
    site.warnings.forEach((w) => void pulumi.log.warn(w));
    const further = readSites(sitesValue, stackSource, target, site);
    problems.push(...further.problems);
    further.warnings.forEach((w) => void pulumi.log.warn(w));
    if (furtherSites) {
        const sites = stackSites({ ...site.settings, sites: further.sites });
        problems.push(
            ...unclaimedDelegationProblems(
                stackSource.value("challengeDelegations"),
                sites.map((s) => s.settings.domains),
            ),
            ...crossSiteProblems(
                sites.map((s) => ({
                    domainsSetting: s.label("domains"),
                    domains: s.settings.domains,
                    issuing: s.settings.iamCertificateId === undefined,
                    writesStandingRecords: s.settings.acme.challenge === "dns-persist-01" && s.settings.hostedZoneId !== undefined,
                    adoptDistributionId: s.settings.adoptDistributionId,
                    adoptSetting: s.label("adoptDistributionId"),
                })),
            ),
        );
        // What a first `up` of every site asks of the CA and IAM at once (core/caLimits.ts): a warning,
        // as a stack whose sites exist already renews them exempt, a few at a time.
        firstDeployLimitProblems(
            sites.filter((s) => s.settings.iamCertificateId === undefined).map((s) => ({ domains: s.settings.domains })),
            { directoryUrl: site.settings.acme.directoryUrl, fallbacks: site.settings.acme.fallbackIssuers.length > 0 },
        ).forEach((w) => void pulumi.log.warn(w));
    }

    // Whether the key holds encrypted values (`pulumi config set --secret --path …`): credentials in
    // it are refused otherwise.
    const deployments = readDeploymentsConfig(raw(config, "deployments"), key("deployments"), {
        isSecret: (field) => isSecretInStackFile(key("deployments"), field.split(".")) ?? isConfigSecret(key("deployments")),
        backendUrl: currentBackendUrl(),
        awsProfileSet: target.awsIdentity?.profile !== undefined || target.awsIdentity?.sharedCredentialsFiles !== undefined,
    });
    problems.push(...deployments.problems);
    const watch = readWatchConfig(raw(config, "watch"), key("watch"));
    problems.push(...watch.problems);

    throwIfProblems(problems);
    return { ...site.settings, sites: further.sites, deployments: deployments.deployments, watch: watch.watch };
}
