/**
 * Validators for user input: pure functions, no Pulumi, no network. Each returns the problems it
 * finds as messages that name the setting and say how to fix it; callers collect them and throw one
 * `InputError` (../config/inputError.ts) before anything is registered.
 */
import * as fs from "node:fs";
import { domainToASCII, domainToUnicode } from "node:url";
import { CHINA_REGIONS } from "./chinaRules";

/** CloudFront allows 100 aliases per distribution by default; Let's Encrypt 100 names per certificate. */
export const MAX_DOMAINS = 100;

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** An alias as CloudFront compares them: lower case, no trailing dot (the names are ASCII, punycode for IDNs). */
export const aliasKey = (name: string) => name.toLowerCase().replace(/\.$/, "");

/**
 * Problems with one host name, as used for an alias and a certificate name. `setting` is how the
 * caller names the input in messages (`cloudfront-china:domains[0]`, `domains[2]`).
 */
export function hostNameProblems(name: unknown, setting: string): string[] {
    if (typeof name !== "string" || name.length === 0) {
        return [`\`${setting}\` must be a non-empty host name such as "www.example.cn" (got ${JSON.stringify(name)})`];
    }
    if (/[^ -~]/.test(name)) {
        const ascii = domainToASCII(name);
        const hint = ascii ? `write it as "${ascii}"` : "write it in its punycode (xn--) form";
        return [`\`${setting}\` "${name}" is an internationalized name: CloudFront aliases and certificates take the ASCII form; ${hint}`];
    }
    if (name !== name.toLowerCase()) {
        return [`\`${setting}\` "${name}" has upper-case letters: write it as "${name.toLowerCase()}"`];
    }
    if (name.endsWith(".")) {
        return [`\`${setting}\` "${name}" ends with a dot: write it without the trailing dot`];
    }
    if (/^[0-9.]+$/.test(name) || name.includes(":")) {
        return [`\`${setting}\` "${name}" is an IP address: CloudFront aliases and certificates need DNS names`];
    }
    if (name.length > 253) {
        return [`\`${setting}\` "${name}" is ${name.length} characters long: DNS names are at most 253`];
    }
    const labels = name.split(".");
    if (labels.length < 2) {
        return [`\`${setting}\` "${name}" is a single label: use a fully qualified name such as "www.example.cn"`];
    }
    const problems: string[] = [];
    labels.forEach((label, i) => {
        if (label === "*") {
            if (i !== 0) {
                problems.push(`\`${setting}\` "${name}" has a wildcard that is not the leftmost label: only "*.example.cn" is allowed`);
            } else if (labels.length < 3) {
                problems.push(`\`${setting}\` "${name}" is a wildcard over a top-level domain: use "*.example.cn"`);
            }
        } else if (label.includes("*")) {
            problems.push(`\`${setting}\` "${name}" has a partial wildcard label "${label}": only a whole leftmost "*" label is allowed`);
        } else if (!LABEL.test(label)) {
            problems.push(
                `\`${setting}\` "${name}" has an invalid label "${label}": labels are 1-63 of a-z, 0-9 and "-", not starting or ending with "-"`,
            );
        }
    });
    return problems;
}

/**
 * An "xn--" label that decodes to Unicode and encodes back to itself (IDNA2008, RFC 5891 §5.4). Node 20
 * answers "" for a label that does not decode, Node 24 (WHATWG URL, lenient) the label unchanged: both
 * mean it is no A-label.
 */
function isPunycodeLabel(label: string): boolean {
    const unicode = domainToUnicode(label);
    return unicode !== "" && unicode !== label && !unicode.startsWith("xn--") && domainToASCII(unicode) === label;
}

/** Boulder (Let's Encrypt's CA) refuses names with more labels than this (policy/pa.go, `maxLabels`). */
export const CA_MAX_LABELS = 10;

/**
 * Names on a certificate that Let's Encrypt's CA software (Boulder, policy/pa.go and ra/ra.go, the
 * public identifier policy other ACME CAs share in substance) refuses, which the DNS syntax alone
 * allows: each reason names the CA's rule, so the order is never sent. Only for names that go on an
 * issued certificate (CloudFront aliases with a certificate of one's own are not checked here).
 */
export function caNameProblems(domains: readonly unknown[], setting: string): string[] {
    const problems: string[] = [];
    const names = new Set(domains.filter((d): d is string => typeof d === "string"));
    domains.forEach((name, i) => {
        if (typeof name !== "string" || name === "") {
            return;
        }
        const at = `\`${setting}[${i}]\` "${name}"`;
        const labels = name.split(".");
        const rldh = labels.find((l) => l.slice(2, 4) === "--" && !l.startsWith("xn--"));
        if (rldh) {
            problems.push(
                `${at} has the label "${rldh}" with "--" in its third and fourth characters, a form reserved for IDNs (R-LDH, RFC 5891 §4.2.3.1): ` +
                    "Let's Encrypt refuses it (rejectedIdentifier); rename the host",
            );
        } else if (labels.some((l) => l.startsWith("xn--") && !isPunycodeLabel(l))) {
            problems.push(
                `${at} has an "xn--" label that is not valid punycode (IDNA2008): the CA refuses it as malformed; write the name from its Unicode form`,
            );
        }
        if (/^[0-9]+$/.test(labels[labels.length - 1])) {
            problems.push(
                `${at} ends in an all-numeric label: that is no public suffix, and the CA refuses it (Boulder: "does not end with a valid public suffix")`,
            );
        }
        if (labels.length > CA_MAX_LABELS) {
            problems.push(`${at} has ${labels.length} labels: Let's Encrypt takes at most ${CA_MAX_LABELS}`);
        }
        if (!name.startsWith("*.") && names.has(["*", ...labels.slice(1)].join("."))) {
            problems.push(
                `${at} is covered by "${["*", ...labels.slice(1)].join(".")}" in the same list: Let's Encrypt refuses the order as redundant; ` +
                    "remove it from the certificate's names (the wildcard serves it)",
            );
        }
    });
    return problems;
}

/** Problems with the list of domains: each name, duplicates, count. */
/** The command that removes a stack key: `--path` for a field inside one (`cloudfront-china:sites[0].domains`). */
export const configRmCommand = (setting: string) => `pulumi config rm ${setting.includes("[") ? `--path '${setting}'` : setting}`;

export function domainsProblems(domains: unknown, setting: string): string[] {
    if (typeof domains === "string" && domains !== "") {
        // `pulumi config set cloudfront-china:domains www.example.cn` stores a string, not a list.
        return [
            `\`${setting}\` must be a list of host names, not the string "${domains}": ` +
                `run \`${configRmCommand(setting)}\`, then \`pulumi config set --path '${setting}[0]' ${domains}\``,
        ];
    }
    if (!Array.isArray(domains) || domains.length === 0) {
        return [
            `\`${setting}\` must list at least one host name: CloudFront in China cannot serve content on its *.cloudfront.cn name, ` +
                `only on ICP-approved aliases; run \`pulumi config set --path '${setting}[0]' www.example.cn\``,
        ];
    }
    const problems = domains.flatMap((d, i) => hostNameProblems(d, `${setting}[${i}]`));
    const seen = new Set<string>();
    for (const d of domains) {
        if (typeof d === "string" && seen.has(d)) {
            problems.push(`\`${setting}\` lists "${d}" more than once: remove the duplicate`);
        }
        seen.add(d as string);
    }
    if (domains.length > MAX_DOMAINS) {
        problems.push(
            `\`${setting}\` lists ${domains.length} names: a distribution and a certificate take at most ${MAX_DOMAINS}; split the site`,
        );
    }
    return problems;
}

/** True when `name` (or the wildcard's base) lies in the DNS zone `zone`. */
export function isInZone(name: string, zone: string): boolean {
    const z = zone.replace(/\.$/, "").toLowerCase();
    return name === z || name.endsWith(`.${z}`);
}

/** Aliases that a Route 53 alias record cannot be written for, because they are outside the zone. */
export function zoneCoverageProblems(domains: readonly string[], zoneName: string, zoneSetting: string): string[] {
    return domains
        .filter((d) => !isInZone(d, zoneName))
        .map(
            (d) =>
                `"${d}" is not inside the hosted zone "${zoneName.replace(/\.$/, "")}" given by \`${zoneSetting}\`: ` +
                `use the zone that holds it, or leave \`${zoneSetting}\` unset and create the DNS records yourself`,
        );
}

export function regionProblems(region: unknown, setting: string): string[] {
    if (typeof region === "string" && (CHINA_REGIONS as readonly string[]).includes(region)) {
        return [];
    }
    const got = region === undefined ? "it is not set" : `got ${JSON.stringify(region)}`;
    return [
        `\`${setting}\` must be ${CHINA_REGIONS.map((r) => `"${r}"`).join(" or ")} (${got}): this program targets the aws-cn partition ` +
            `(CloudFront in the AWS China regions); run \`pulumi config set aws:region cn-north-1\``,
    ];
}

/** An IAM ServerCertificateId: "ASCA" followed by upper-case letters and digits. */
const SERVER_CERTIFICATE_ID = /^ASCA[A-Z0-9]{8,124}$/;

export function iamCertificateIdProblems(id: unknown, setting: string): string[] {
    if (typeof id === "string" && SERVER_CERTIFICATE_ID.test(id)) {
        return [];
    }
    const what = typeof id === "string" && id.startsWith("arn:") ? "an ARN" : `${JSON.stringify(id)}`;
    return [
        `\`${setting}\` must be the IAM ServerCertificateId ("ASCA…"), not a name or ARN (got ${what}): ` +
            "find it with `aws iam get-server-certificate --server-certificate-name NAME " +
            "--query ServerCertificate.ServerCertificateMetadata.ServerCertificateId`",
    ];
}

export function contentDirProblems(dir: unknown, setting: string): string[] {
    if (typeof dir !== "string" || dir.length === 0) {
        return [`\`${setting}\` must be a folder path (got ${JSON.stringify(dir)})`];
    }
    let stat: fs.Stats;
    try {
        stat = fs.statSync(dir);
    } catch {
        return [
            `\`${setting}\` "${dir}" does not exist: build the site first, or fix the path (relative paths start at the project folder)`,
        ];
    }
    return stat.isDirectory() ? [] : [`\`${setting}\` "${dir}" is a file, not a folder: give the folder that holds index.html`];
}

/**
 * AWS tag limits (most services): key 1-128, value 0-256, no "aws:" prefix, 50 tags. One of the 50 is
 * the program's own on the resources it marks (the distribution's stack tag, the certificate's
 * issuing account), and its `cloudfront-china:` keys are its alone.
 */
export function tagsProblems(tags: unknown, setting: string): string[] {
    if (tags === undefined) {
        return [];
    }
    if (tags === null || typeof tags !== "object" || Array.isArray(tags)) {
        return [`\`${setting}\` must be an object of string keys and values, e.g. {"team": "web"}`];
    }
    const entries = Object.entries(tags as Record<string, unknown>);
    const problems: string[] = [];
    if (entries.length > 49) {
        problems.push(
            `\`${setting}\` has ${entries.length} tags: AWS allows at most 50, and the program adds one of its own (cloudfront-china:…): keep at most 49`,
        );
    }
    for (const [k, v] of entries) {
        if (k.length < 1 || k.length > 128) {
            problems.push(`\`${setting}\` key "${k}" must be 1-128 characters`);
        }
        if (k.toLowerCase().startsWith("aws:")) {
            problems.push(`\`${setting}\` key "${k}" uses the reserved "aws:" prefix: rename it`);
        } else if (k.toLowerCase().startsWith("cloudfront-china:")) {
            problems.push(
                `\`${setting}\` key "${k}" uses the program's own "cloudfront-china:" prefix (the stack and issuer marks): rename it`,
            );
        }
        if (typeof v !== "string" || v.length > 256) {
            problems.push(`\`${setting}\` value of "${k}" must be a string of at most 256 characters`);
        }
    }
    return problems;
}

/** An e-mail address as the CA (ACME `mailto:` contact) and SNS (email subscriptions) take one. */
export function isEmailAddress(value: unknown): boolean {
    // RFC 5322's dot-atom local part and a host name: `["ops@example.cn"]` (a list set where one address
    // goes) or `"a b"@x` are not taken for an address.
    return (
        typeof value === "string" &&
        /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/.test(
            value,
        )
    );
}

/** S3 lifecycle expiration takes whole days; 100 years is the bound we accept. `fix` ends the message. */
export function logRetentionProblems(days: unknown, setting: string, fix = ", e.g. 90"): string[] {
    return days === undefined || (Number.isInteger(days) && (days as number) >= 1 && (days as number) <= 36500)
        ? []
        : [`\`${setting}\` must be a whole number of days from 1 to 36500 (got ${JSON.stringify(days)})${fix}`];
}

/** CloudFront's DefaultRootObject is an object name, not a path. */
export function defaultRootObjectProblems(value: unknown, setting: string): string[] {
    return typeof value === "string" && value.startsWith("/")
        ? [`\`${setting}\` "${value}" must not start with "/": write "${value.replace(/^\/+/, "")}"`]
        : [];
}
