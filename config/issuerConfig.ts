/**
 * The ACME CAs of a site's settings and the account at each, read and checked in one place. The
 * single-CA keys (acmeDirectoryUrl, acmeEmail, acmeEab*, acmeProfile, keyType, dnsPersistDraft) and
 * each entry of `issuers` are the same fields of one CA (CA_FIELDS), checked by one reader (readCa):
 * each field's type, check and fix message is written once, and named where it was given
 * (`cloudfront-china:acmeEmail`, `cloudfront-china:issuers[1].email`). docs/issuers.md.
 */
import {
    KeyType,
    LETS_ENCRYPT_PRODUCTION,
    canonicalDirectoryUrl,
    directoryUrlProblem,
    isStagingDirectory,
    keyTypeProblem,
    profileProblem,
} from "../core/certificate";
import { PersistDraft, persistDraftProblem } from "../core/persistAccount";
import { isEmailAddress } from "../core/validation";
import { OFFLINE_SECRET } from "./deployments";
import { nearestName } from "./configKeys";
import { CONFIG_DEFAULTS, SettingsSource, SiteSettingName, settingReader } from "./settingsSource";

/** One CA of `cloudfront-china:issuers`: its directory and an account there (one per CA). */
export interface IssuerSettings {
    directoryUrl: string;
    email?: string;
    eab?: { keyId: string; hmacKey: string };
    /** The profile to ask this CA for; `acmeProfile` when unset. */
    profile?: string;
    /** The key type of certificates from this CA; `keyType` when unset. */
    keyType?: KeyType;
    /** Which dns-persist-01 draft this CA validates; "auto" when unset (each CA its own, not inherited). */
    dnsPersistDraft?: PersistDraft;
}

/** The CAs and the account settings of a site. */
export interface AcmeSettings {
    /** The first CA: the single-CA keys, or the first entry of `issuers` (which then wins). */
    directoryUrl: string;
    email?: string;
    profile?: string;
    keyType: KeyType;
    dnsPersistDraft?: PersistDraft;
    eab?: { keyId: string; hmacKey: string };
    /** Change it (add 1) to roll the account keys over (RFC 8555 key change): same accounts, no new certificate. */
    accountKeyRotation: number;
    /** Deactivate the ACME accounts at their CAs when they are replaced or the stack destroyed. */
    deactivateAccountOnDelete: boolean;
    /** The CAs after the first, tried in order when it cannot issue; [] with one CA. */
    fallbackIssuers: IssuerSettings[];
}

/** The fields of one CA, and the stack key each has in the single-CA form. */
const CA_FIELDS = {
    directoryUrl: "acmeDirectoryUrl",
    email: "acmeEmail",
    eabKeyId: "acmeEabKeyId",
    eabHmacKey: "acmeEabHmacKey",
    profile: "acmeProfile",
    keyType: "keyType",
    dnsPersistDraft: "dnsPersistDraft",
} as const satisfies Record<string, SiteSettingName>;
type CaField = keyof typeof CA_FIELDS;
const ISSUER_FIELDS = Object.keys(CA_FIELDS) as CaField[];

/** One CA's fields wherever they are written: the single-CA keys, or an `issuers` entry. */
interface CaEntry {
    value(field: CaField): unknown;
    /** How messages name the field. */
    label(field: CaField): string;
    hmacKeyIsSecret(): boolean;
    /** How to encrypt the HMAC key, for the message when it is in plain text. */
    encryptHmacKey: string;
}

/** Reads and checks one CA's fields: every problem is added to `problems`, named by the entry's labels. */
function readCa(entry: CaEntry, problems: string[]): Partial<IssuerSettings> {
    const text = (field: CaField): string | undefined => {
        const v = entry.value(field);
        if (v === undefined || v === "") {
            return undefined;
        }
        // `pulumi config set --path '…eabKeyId' 12345` stores a number: a key id that looks like one is still its text.
        if (field === "eabKeyId" && typeof v === "number" && Number.isSafeInteger(v)) {
            return String(v);
        }
        if (typeof v !== "string") {
            problems.push(`\`${entry.label(field)}\` must be a string (got ${JSON.stringify(v)})`);
            return undefined;
        }
        return v;
    };
    const checked = (field: CaField, problem: (v: string, label: string) => string | undefined): string | undefined => {
        const v = text(field);
        const found = v === undefined ? undefined : problem(v, entry.label(field));
        if (found) {
            problems.push(found);
        }
        return v;
    };
    const directoryUrl = checked("directoryUrl", directoryUrlProblem);
    const email = checked("email", (v, label) =>
        isEmailAddress(v) ? undefined : `\`${label}\` "${v}" is not an email address: use e.g. ops@example.cn, or leave it out`,
    );
    const profile = checked("profile", profileProblem);
    const keyType = checked("keyType", keyTypeProblem) as KeyType | undefined;
    const dnsPersistDraft = checked("dnsPersistDraft", persistDraftProblem) as PersistDraft | undefined;
    const keyId = text("eabKeyId");
    const hmacKey = text("eabHmacKey");
    if ((keyId === undefined) !== (hmacKey === undefined)) {
        problems.push(
            `External Account Binding needs both \`${entry.label("eabKeyId")}\` and \`${entry.label("eabHmacKey")}\` ` +
                "(from the CA's account page, e.g. ZeroSSL's or Google Trust Services' EAB credentials)",
        );
    } else if (hmacKey !== undefined && !entry.hmacKeyIsSecret()) {
        problems.push(`\`${entry.label("eabHmacKey")}\` is stored in plaintext: ${entry.encryptHmacKey}`);
    } else if (hmacKey !== undefined && hmacKey !== OFFLINE_SECRET && !/^[A-Za-z0-9_-]+={0,2}$/.test(hmacKey)) {
        problems.push(`\`${entry.label("eabHmacKey")}\` must be the base64url HMAC key your CA gives (letters, digits, "-" and "_")`);
    }
    return withoutUndefinedFields({
        directoryUrl,
        email,
        eab: keyId !== undefined && hmacKey !== undefined ? { keyId, hmacKey } : undefined,
        profile,
        keyType,
        dnsPersistDraft,
    });
}

const withoutUndefinedFields = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/**
 * `issuers`: the ordered list of ACME CAs (docs/issuers.md), each checked field by field and named
 * by its place (`cloudfront-china:issuers[1].eabHmacKey`); [] when unset.
 */
function readIssuers(source: SettingsSource, problems: string[]): IssuerSettings[] {
    const value = source.value("issuers");
    const label = source.label("issuers");
    if (value === undefined) {
        return [];
    }
    const example =
        '[{"directoryUrl": "https://acme-v02.api.letsencrypt.org/directory"}, {"directoryUrl": "https://acme.zerossl.com/v2/DV90", "eabKeyId": "…"}]';
    if (!Array.isArray(value) || value.length === 0) {
        problems.push(`\`${label}\` must be a list of ACME CAs in the order to try them, e.g. ${example}`);
        return [];
    }
    const issuers: IssuerSettings[] = [];
    value.forEach((entry: unknown, i) => {
        const at = (field?: string) => `${label}[${i}]${field ? `.${field}` : ""}`;
        if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
            problems.push(`\`${at()}\` must be an object with at least directoryUrl, e.g. {"directoryUrl": "${LETS_ENCRYPT_PRODUCTION}"}`);
            return;
        }
        const e = entry as Record<string, unknown>;
        for (const k of Object.keys(e).filter((k) => !(ISSUER_FIELDS as readonly string[]).includes(k))) {
            problems.push(`\`${at(k)}\` is not a field of an issuer: did you mean \`${nearestName(k, ISSUER_FIELDS)}\`?`);
        }
        const ca = readCa(
            {
                value: (field) => e[field],
                label: at,
                hmacKeyIsSecret: () => source.isSecret("issuers", [i, "eabHmacKey"]),
                encryptHmacKey: source.setCommand
                    ? `set it with \`pulumi config set --secret --path '${at("eabHmacKey")}' <HMAC key>\` so that it is encrypted in the stack file`
                    : "pass it as a secret so that it is encrypted in the state",
            },
            problems,
        );
        const directoryUrl = ca.directoryUrl;
        if (directoryUrl === undefined) {
            problems.push(`\`${at("directoryUrl")}\` is required: the CA's ACME directory URL, e.g. ${LETS_ENCRYPT_PRODUCTION}`);
            return;
        }
        if (directoryUrlProblem(directoryUrl, "") !== undefined) {
            return; // reported by readCa
        }
        if (issuers.some((x) => canonicalDirectoryUrl(x.directoryUrl) === canonicalDirectoryUrl(directoryUrl))) {
            // One CA in two spellings would be its own fallback, with two accounts (RFC 3986 §6.2).
            problems.push(
                `\`${at("directoryUrl")}\` ${canonicalDirectoryUrl(directoryUrl)} is listed twice: give each CA once (one account each)`,
            );
        }
        issuers.push({ ...ca, directoryUrl });
    });
    const staging = issuers.filter((x) => isStagingDirectory(x.directoryUrl));
    if (staging.length > 0 && staging.length < issuers.length) {
        problems.push(
            `\`${label}\` mixes a staging CA (${staging.map((x) => canonicalDirectoryUrl(x.directoryUrl)).join(", ")}) with production ones: ` +
                "an outage of one would serve a certificate of the other kind (a staging one no browser trusts). List only staging CAs for a dry run, or only production ones",
        );
    }
    return issuers;
}

/**
 * The CAs and the account settings: the single-CA keys, or `issuers` (its first entry is the first
 * CA; the single-CA keys are its one-entry form, and naming another first CA there is refused).
 */
export function readAcmeSettings(source: SettingsSource, problems: string[]): AcmeSettings {
    const read = settingReader(source, problems);
    const single = readCa(
        {
            value: (field) => source.value(CA_FIELDS[field]),
            label: (field) => source.label(CA_FIELDS[field]),
            hmacKeyIsSecret: () => source.isSecret("acmeEabHmacKey"),
            encryptHmacKey: source.setCommand
                ? `set it with \`${source.setCommand("acmeEabHmacKey", "<HMAC key>", true)}\` so that it is encrypted in the stack file`
                : "pass it as a secret (pulumi.secret(…), or read it from secret config) so that it is encrypted in the state",
        },
        problems,
    );
    const rotation = source.value("acmeAccountKeyRotation") ?? CONFIG_DEFAULTS.acmeAccountKeyRotation;
    if (!(typeof rotation === "number" && Number.isInteger(rotation) && rotation >= 0)) {
        problems.push(
            `\`${source.label("acmeAccountKeyRotation")}\` must be a whole number, 0 or more (got ${JSON.stringify(rotation)}): ` +
                `add 1 to roll the ACME account key over${read.fix("acmeAccountKeyRotation", "1")}`,
        );
    }
    const deactivate = read.bool("acmeDeactivateAccountOnDelete");
    const settings: AcmeSettings = {
        directoryUrl: single.directoryUrl ?? CONFIG_DEFAULTS.acmeDirectoryUrl,
        email: single.email,
        profile: single.profile,
        keyType: single.keyType ?? CONFIG_DEFAULTS.keyType,
        dnsPersistDraft: single.dnsPersistDraft,
        eab: single.eab,
        accountKeyRotation: typeof rotation === "number" ? rotation : 0,
        deactivateAccountOnDelete: deactivate,
        fallbackIssuers: [],
    };
    const issuers = readIssuers(source, problems);
    if (issuers.length === 0) {
        return settings;
    }
    const [first, ...rest] = issuers;
    const given = single.directoryUrl;
    if (
        given !== undefined &&
        given !== CONFIG_DEFAULTS.acmeDirectoryUrl &&
        canonicalDirectoryUrl(given) !== canonicalDirectoryUrl(first.directoryUrl)
    ) {
        problems.push(
            `\`${source.label("acmeDirectoryUrl")}\` (${given}) and \`${source.label("issuers")}\` both name the first CA: ` +
                `move it into \`${source.label("issuers")}\` as its first entry and remove \`${source.label("acmeDirectoryUrl")}\``,
        );
    }
    if (single.eab !== undefined) {
        problems.push(
            `\`${source.label("acmeEabKeyId")}\` and \`${source.label("acmeEabHmacKey")}\` with \`${source.label("issuers")}\`: give eabKeyId and eabHmacKey in the entry of the CA that needs them, and remove the two keys`,
        );
    }
    const email = first.email ?? settings.email;
    return {
        ...settings,
        directoryUrl: first.directoryUrl,
        email,
        profile: first.profile ?? settings.profile,
        keyType: first.keyType ?? settings.keyType,
        dnsPersistDraft: first.dnsPersistDraft ?? settings.dnsPersistDraft,
        eab: first.eab,
        fallbackIssuers: rest.map((i) => withoutUndefinedFields({ ...i, email: i.email ?? email })),
    };
}
