/**
 * The keys of the stack configuration: every `cloudfront-china:` key the program reads (Pulumi.yaml
 * declares the same; tests/config.test.ts checks), and the refusal of any other key, with the name
 * a typo meant, in this program's namespace, pulumi-aws's, or a misspelt one of the two.
 */

export const PROJECT = "cloudfront-china";

/** The settings that only matter when the program issues the certificate (not with iamCertificateId). */
export const ISSUANCE_SETTINGS = [
    "acmeDirectoryUrl",
    "acmeEmail",
    "acmeProfile",
    "acmeEabKeyId",
    "acmeEabHmacKey",
    "keyType",
    "renewBeforeDays",
    "dnsResolvers",
    "challenge",
    "challengeDelegations",
    "dnsPersistUntil",
    "dnsPersistDraft",
    "acmeAccountKeyRotation",
    "acmeDeactivateAccountOnDelete",
    "issuers",
] as const;

/** Every `cloudfront-china:` key the program reads (Pulumi.yaml declares the same; tests/config.test.ts checks). */
export const CONFIG_KEYS = [
    "domains",
    "hostedZoneId",
    "iamCertificateId",
    "adoptDistributionId",
    "contentDir",
    "waitForInvalidation",
    "hashedNamePattern",
    "defaultRootObject",
    "spa",
    "logging",
    "forwardQueryString",
    "versioning",
    "destroyBuckets",
    "logRetentionDays",
    "tags",
    ...ISSUANCE_SETTINGS,
    "sites",
    "deployments",
    "watch",
] as const;

/** Edit distance (Levenshtein, case-insensitive), to name the key a typo meant. */
function editDistance(a: string, b: string): number {
    const [x, y] = [a.toLowerCase(), b.toLowerCase()];
    let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
    for (let i = 1; i <= x.length; i++) {
        const current = [i];
        for (let j = 1; j <= y.length; j++) {
            current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
        }
        previous = current;
    }
    return previous[y.length];
}

/** The known name nearest to a misspelt one. */
export function nearestName(name: string, known: readonly string[]): string {
    return [...known].sort((a, b) => editDistance(name, a) - editDistance(name, b))[0];
}

/**
 * Keys under `cloudfront-china:` that the program does not read: a typo (`acmeEmial`) or a provider
 * argument set as config (`deleteConflictTimeoutSeconds`) would otherwise be ignored in silence.
 */
export function unknownKeyProblems(keys: readonly string[]): string[] {
    const problems: string[] = [];
    const awsKeys = awsConfigKeys();
    for (const k of keys) {
        const colon = k.indexOf(":");
        const [namespace, name] = [k.slice(0, colon), k.slice(colon + 1)];
        if (namespace === PROJECT) {
            if (!(CONFIG_KEYS as readonly string[]).includes(name)) {
                problems.push(
                    `\`${k}\` is not a setting of this program: did you mean \`${PROJECT}:${nearestName(name, CONFIG_KEYS)}\`? ` +
                        `Remove it with \`pulumi config rm ${k}\` (the settings are listed in Pulumi.yaml and the README)`,
                );
            }
        } else if (namespace === "aws") {
            // pulumi-aws ignores a key it does not declare: `aws:regoin` would leave the region unset in silence.
            if (awsKeys.length > 0 && !awsKeys.includes(name)) {
                problems.push(
                    `\`${k}\` is not a setting of pulumi-aws: did you mean \`aws:${nearestName(name, awsKeys)}\`? Remove it with \`pulumi config rm ${k}\``,
                );
            }
        } else if (misspeltNamespace(namespace)) {
            const meant = misspeltNamespace(namespace) as string;
            const known: readonly string[] = meant === PROJECT ? CONFIG_KEYS : awsKeys;
            const suggestion = known.includes(name) ? name : nearestName(name, known);
            problems.push(
                `\`${k}\` is in the namespace "${namespace}", which nothing reads: did you mean \`${meant}:${suggestion}\`? ` +
                    `Move it with \`pulumi config rm ${k}\` and \`pulumi config set ${meant}:${suggestion} …\``,
            );
        }
    }
    return problems;
}

/** The keys pulumi-aws declares (its config/vars module, as installed), [] when it cannot be loaded. */
function awsConfigKeys(): string[] {
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- the installed provider's own list, read once per run
        return Object.keys(require("@pulumi/aws/config/vars") as object);
    } catch {
        return [];
    }
}

/**
 * The namespace a misspelt one meant (`cloudfront-chian` → this program's, `asw` → `aws`), or
 * undefined for a namespace of its own (another provider's, `pulumi:`): close to ours by at most 3
 * edits, or `aws` with one edit or its letters swapped.
 */
function misspeltNamespace(namespace: string): string | undefined {
    // Namespaces of their own that are near ours or aws's.
    if (["awsx", "pulumi"].includes(namespace)) {
        return undefined;
    }
    if (editDistance(namespace, PROJECT) <= 3) {
        return PROJECT;
    }
    const aws = namespace.length >= 2 && (editDistance(namespace, "aws") === 1 || [...namespace].sort().join("") === "asw");
    return aws && namespace !== "aws" ? "aws" : undefined;
}
