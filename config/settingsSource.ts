/**
 * Where settings come from: the stack's `cloudfront-china:` keys, or a ChinaSite's args, behind one
 * interface (SettingsSource), so that one reader gives the same errors for both. How a stack value
 * is read (the text of a string key as written, the declared "unset" defaults), how a key is named in
 * messages, and whether it is held encrypted.
 */
import * as pulumi from "@pulumi/pulumi";
import { isSecretInStackFile } from "./stackFile";
import { CONFIG_KEYS, PROJECT } from "./configKeys";
import { LETS_ENCRYPT_PRODUCTION } from "../core/certificate";

/** Defaults, as declared in Pulumi.yaml. */
export const CONFIG_DEFAULTS = {
    spa: false,
    logging: false,
    forwardQueryString: false,
    versioning: false,
    destroyBuckets: false,
    waitForInvalidation: false,
    logRetentionDays: 90,
    defaultRootObject: "index.html",
    acmeDirectoryUrl: LETS_ENCRYPT_PRODUCTION,
    keyType: "rsa-2048",
    challenge: "auto",
    acmeAccountKeyRotation: 0,
    acmeDeactivateAccountOnDelete: true,
} as const;

/** The site's settings, by the names of the stack keys (a ChinaSite's args use the same names). */
export type SiteSettingName = Exclude<(typeof CONFIG_KEYS)[number], "deployments" | "watch" | "sites">;

/**
 * Where a site's settings come from. The program reads the stack config; the ChinaSite component
 * reads its args. One reader validates both, so both give the same errors for the same mistakes.
 */
export interface SettingsSource {
    /** A setting's value (parsed JSON for stack config), undefined when unset. */
    value(name: SiteSettingName): unknown;
    /** Whether the value (or its field at `field`, e.g. [1, "eabHmacKey"]) is held encrypted (a secret stack value, or a secret Output). */
    isSecret(name: SiteSettingName, field?: ReadonlyArray<string | number>): boolean;
    /** How messages name the setting: `cloudfront-china:spa`, or `spa` of a component. */
    label(name: SiteSettingName): string;
    /** The command that sets it, for messages (stack config only). */
    setCommand?(name: SiteSettingName, example: string, secret?: boolean): string;
}

export const key = (name: string) => `${PROJECT}:${name}`;

/** Whether a key holds encrypted values (`pulumi config set --secret`); the SDK's check is internal API (runtime/config.ts), stable since 3.x. */
export const isConfigSecret = (fullKey: string) =>
    (pulumi.runtime as unknown as { isConfigSecret(k: string): boolean }).isConfigSecret(fullKey);

/**
 * The empty defaults Pulumi.yaml declares for optional keys: the CLI refuses a stack that lacks a
 * declared key without a default (it treats it as required) and passes the default to the program,
 * so these values mean "not set". Strings use "" (always unset).
 */
export const UNSET_DEFAULTS: Readonly<Record<string, unknown>> = {
    tags: {},
    renewBeforeDays: 0,
    dnsResolvers: [],
    challengeDelegations: {},
    deployments: {},
    watch: {},
    issuers: [],
    sites: [],
};

/**
 * The settings Pulumi.yaml declares `type: string`: their text is the value, as written. Parsing it
 * as JSON first made `contentDir: "2024"` or `acmeEabKeyId: "12345"` numbers, then refused them as
 * "must be a string" (tests/config.test.ts keeps this list and Pulumi.yaml in step).
 */
export const STRING_SETTINGS: readonly string[] = [
    "hostedZoneId",
    "iamCertificateId",
    "adoptDistributionId",
    "contentDir",
    "hashedNamePattern",
    "defaultRootObject",
    "acmeDirectoryUrl",
    "acmeEmail",
    "acmeEabKeyId",
    "acmeEabHmacKey",
    "acmeProfile",
    "dnsPersistUntil",
    "dnsPersistDraft",
    "keyType",
    "challenge",
];

/** Reads a value without throwing on a wrong type, so every problem can be reported at once. */
export function raw(config: pulumi.Config, name: string): unknown {
    const text = config.get(name);
    if (text === undefined || text === "") {
        return undefined;
    }
    if (STRING_SETTINGS.includes(name)) {
        return text;
    }
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch {
        return text;
    }
    return name in UNSET_DEFAULTS && JSON.stringify(value) === JSON.stringify(UNSET_DEFAULTS[name]) ? undefined : value;
}

/** The stack's `cloudfront-china:` keys as a settings source. */
export function stackConfigSource(config: pulumi.Config): SettingsSource {
    return {
        value: (name) => raw(config, name),
        // Field by field where the stack file tells (a key with one secret field is secret as a whole).
        isSecret: (name, field) => (field ? isSecretInStackFile(key(name), field) : undefined) ?? isConfigSecret(key(name)),
        label: key,
        setCommand: (name, example, secret) => `pulumi config set${secret ? " --secret" : ""} ${key(name)} ${example}`,
    };
}

/** The settings of CONFIG_DEFAULTS that are true or false. */
type BooleanSetting = {
    [K in keyof typeof CONFIG_DEFAULTS]: (typeof CONFIG_DEFAULTS)[K] extends boolean ? K : never;
}[keyof typeof CONFIG_DEFAULTS];

/**
 * Typed reads of `source` that add a problem (naming the setting, with the command that fixes it)
 * instead of throwing, so that every problem of a stack is reported at once.
 */
export function settingReader(source: SettingsSource, problems: string[]) {
    /** `: run \`pulumi config set …\``, for stack config; "" for a component's args. */
    const fix = (name: SiteSettingName, example: string, secret?: boolean) =>
        source.setCommand ? `: run \`${source.setCommand(name, example, secret)}\`` : "";
    return {
        fix,
        bool(name: BooleanSetting): boolean {
            const v = source.value(name);
            if (v === undefined) {
                return CONFIG_DEFAULTS[name];
            }
            if (typeof v !== "boolean") {
                problems.push(`\`${source.label(name)}\` must be true or false (got ${JSON.stringify(v)})${fix(name, "true")}`);
                return CONFIG_DEFAULTS[name];
            }
            return v;
        },
        string(name: SiteSettingName): string | undefined {
            const v = source.value(name);
            if (v === undefined) {
                return undefined;
            }
            if (typeof v !== "string") {
                problems.push(`\`${source.label(name)}\` must be a string (got ${JSON.stringify(v)})`);
                return undefined;
            }
            return v;
        },
    };
}
