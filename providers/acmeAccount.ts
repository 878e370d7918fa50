/**
 * AcmeAccount: one ACME account, created once and reused by every certificate and every renewal
 * (Let's Encrypt allows 10 new accounts per IP per 3 hours, and ARI `replaces` needs the same
 * account). The account key is generated here and kept in the state as a secret.
 *
 *   create: generate the key, register the account (terms agreed, optional contact, optional EAB);
 *           keep the CA's issuer domain names (directory `meta.issuerDomainNames`, else
 *           `meta.caaIdentities`), which dns-persist-01 records name next to the account, and what
 *           draft-02 hashes the account with (`meta.accountHashPrefix`, the key's RFC 7638 thumbprint;
 *           ../core/persistAccount.ts).
 *   diff:   a new directory or EAB key id needs a new account (replace); a new email or a new
 *           `keyRotation` is an update, and so is state written before issuer names or the key
 *           thumbprint were kept.
 *   update: updates the contact; with a new `keyRotation`, rolls the account key over (RFC 8555
 *           §7.3.5 key change): same account URL, so no certificate is replaced or re-ordered, and
 *           the old key (say, in a leaked state file) can no longer act for the account; reads the
 *           issuer names again.
 *   registerLater: with other CAs to fall back to, a CA unreachable at the first `pulumi up` leaves the
 *           account unregistered (accountUrl "", its key kept) instead of failing the run: the
 *           certificates are ordered from the next CA, and a later `up` registers it (diff, update).
 *   delete: deactivates the account at the CA (RFC 8555 §7.3.6), when it is replaced or the stack is
 *           destroyed, so a key left in an old state file or backup cannot order for the stack's
 *           names any more; certificates already issued stay valid. `deactivateOnDelete: false`
 *           keeps it (an account shared with another tool). A CA that cannot be reached is a
 *           warning, not a failed destroy.
 *
 * Methods `require` npm modules inside (serialized with the resource; see iamAcmeCertificate.ts).
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside methods on purpose (serialization) */
import * as pulumi from "@pulumi/pulumi";
import type * as Acme from "acme-client";
import { AcmeDirectory, acmeClient, assertCaReachable, withNonceRetries } from "../acme/client";
import { jwkThumbprint, persistIssuerNames } from "../core/persistAccount";
import { LETS_ENCRYPT_PRODUCTION } from "../core/certificate";
import { withoutUndefined } from "../core/runtime";
import { CachedDynamicResource } from "./dynamicResource";
import { isEmailAddress } from "../core/validation";

export interface AcmeAccountArgs {
    /** ACME directory. Defaults to Let's Encrypt production; use LETS_ENCRYPT_STAGING for dry runs. Changing it creates a new account. */
    readonly directoryUrl?: pulumi.Input<string>;
    /** Contact email (expiry notices, CA announcements). Defaults to none. Changing it updates the account. */
    readonly email?: pulumi.Input<string | undefined>;
    /** External Account Binding key id, for CAs that need one (ZeroSSL, Google). Changing it creates a new account. */
    readonly eabKeyId?: pulumi.Input<string | undefined>;
    /** External Account Binding HMAC key (base64url). Kept secret. */
    readonly eabHmacKey?: pulumi.Input<string | undefined>;
    /** A number to change (e.g. add 1) to roll the account key over: same account, no new certificate. Defaults to 0. */
    readonly keyRotation?: pulumi.Input<number | undefined>;
    /** Deactivate the account at the CA when it is replaced or destroyed. Defaults to true. */
    readonly deactivateOnDelete?: pulumi.Input<boolean | undefined>;
    /**
     * Set when certificates have another CA to fall back to: a CA that cannot be reached when the
     * account is made leaves it unregistered (`accountUrl` "") rather than failing the `pulumi up`,
     * and a later `up` registers it. Defaults to false (the run fails, naming the CA).
     */
    readonly registerLater?: pulumi.Input<boolean | undefined>;
}

interface AccountInputs {
    directoryUrl: string;
    email?: string;
    eabKeyId?: string;
    eabHmacKey?: string;
    keyRotation?: number;
    deactivateOnDelete?: boolean;
    registerLater?: boolean;
}

interface AccountOutputs {
    directoryUrl: string;
    email?: string;
    eabKeyId?: string;
    keyRotation?: number;
    deactivateOnDelete?: boolean;
    /** "" while the CA could not be reached to register it (registerLater). */
    accountUrl: string;
    accountKeyPem: string;
    /** The CA's issuer domain names (directory `meta.issuerDomainNames` or `meta.caaIdentities`; [] when it lists none). */
    issuerDomainNames?: string[];
    /** The CA's draft-02 `meta.accountHashPrefix` ("" when it publishes none). */
    accountHashPrefix?: string;
    /** RFC 7638 thumbprint of the account key (public: it names the key, it is not the key). */
    keyThumbprint?: string;
}

const contact = (email?: string) => (email ? [`mailto:${email}`] : []);

export const acmeAccountProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds: AccountInputs, news: AccountInputs) {
        const failures: Array<{ property: string; reason: string }> = [];
        if (news.email !== undefined && news.email !== "" && !isEmailAddress(news.email)) {
            failures.push({
                property: "email",
                reason: `\`email\` ${JSON.stringify(news.email)} is not an email address: use e.g. "ops@example.cn" or leave it unset`,
            });
        }
        if (news.keyRotation !== undefined && !(Number.isInteger(news.keyRotation) && news.keyRotation >= 0)) {
            failures.push({
                property: "keyRotation",
                reason: `\`keyRotation\` must be a whole number (got ${JSON.stringify(news.keyRotation)}): add 1 to roll the account key over`,
            });
        }
        if (Boolean(news.eabKeyId) !== Boolean(news.eabHmacKey)) {
            failures.push({
                property: "eabKeyId",
                reason: "External Account Binding needs both `eabKeyId` and `eabHmacKey` (from your CA's account page)",
            });
        }
        return { inputs: { ...news, directoryUrl: news.directoryUrl || LETS_ENCRYPT_PRODUCTION }, failures };
    },

    async diff(_id: string, olds: AccountOutputs, news: AccountInputs) {
        const replaces = (["directoryUrl", "eabKeyId"] as const).filter((k) => (olds[k] ?? "") !== (news[k] ?? ""));
        if (replaces.length > 0) {
            return { changes: true, replaces };
        }
        return {
            changes:
                olds.accountUrl === "" ||
                (olds.email ?? "") !== (news.email ?? "") ||
                (olds.keyRotation ?? 0) !== (news.keyRotation ?? 0) ||
                (olds.deactivateOnDelete ?? true) !== (news.deactivateOnDelete ?? true) ||
                olds.issuerDomainNames === undefined ||
                olds.keyThumbprint === undefined,
        };
    },

    async create(inputs: AccountInputs) {
        const acme = require("acme-client") as typeof Acme;
        const accountKey = await acme.crypto.createPrivateEcdsaKey("P-256");
        const outs: AccountOutputs = {
            directoryUrl: inputs.directoryUrl,
            email: inputs.email,
            eabKeyId: inputs.eabKeyId,
            keyRotation: inputs.keyRotation,
            deactivateOnDelete: inputs.deactivateOnDelete,
            accountUrl: "",
            accountKeyPem: accountKey.toString(),
            issuerDomainNames: [],
            accountHashPrefix: "",
            keyThumbprint: jwkThumbprint(accountKey.toString()),
        };
        const registered = await registerAccount(inputs, outs.accountKeyPem, Boolean(inputs.registerLater));
        // An unregistered account has no URL to be known by: a name of its own until it has one.
        const id = registered.accountUrl || `unregistered-${require("node:crypto").randomUUID() as string}`;
        return { id, outs: withoutUndefined({ ...outs, ...registered }) };
    },

    async update(_id: string, olds: AccountOutputs, news: AccountInputs) {
        if (olds.accountUrl === "") {
            // Made while its CA could not be reached: registered now, with the key made then.
            const registered = await registerAccount({ ...news, directoryUrl: olds.directoryUrl }, olds.accountKeyPem, true);
            return {
                outs: withoutUndefined({
                    ...olds,
                    email: news.email,
                    keyRotation: news.keyRotation,
                    deactivateOnDelete: news.deactivateOnDelete,
                    keyThumbprint: jwkThumbprint(olds.accountKeyPem),
                    ...registered,
                }),
            };
        }
        return updateRegistered(olds, news);
    },

    async delete(_id: string, olds: AccountOutputs) {
        if (olds.accountUrl === "") {
            return; // never registered: nothing at the CA
        }
        return deactivate(olds);
    },
};

/**
 * Registers the account of `key` at the CA (RFC 8555 §7.3; the same key again finds the same
 * account). `later`: a CA that cannot be reached leaves it unregistered (accountUrl "") with a log
 * line, instead of failing.
 */
async function registerAccount(
    inputs: AccountInputs,
    key: string,
    later: boolean,
): Promise<Pick<AccountOutputs, "accountUrl" | "issuerDomainNames" | "accountHashPrefix">> {
    const acme = require("acme-client") as typeof Acme;
    const started = Date.now();
    let directory: Awaited<ReturnType<typeof assertCaReachable>>;
    try {
        directory = await assertCaReachable(inputs.directoryUrl);
    } catch (e) {
        if (!later) {
            throw e;
        }
        console.log(
            `[acme] account at ${inputs.directoryUrl} not registered: ${(e as Error).message}. ` +
                "Certificates are ordered from the next CA; the next `pulumi up` registers it",
        );
        return { accountUrl: "", issuerDomainNames: [], accountHashPrefix: "" };
    }
    const client = withNonceRetries(
        new acme.Client({
            directoryUrl: inputs.directoryUrl,
            accountKey: key,
            externalAccountBinding: inputs.eabKeyId ? { kid: inputs.eabKeyId, hmacKey: inputs.eabHmacKey ?? "" } : undefined,
        }),
    );
    await client.createAccount({ termsOfServiceAgreed: true, contact: contact(inputs.email) }).catch((e: Error) => {
        // RFC 8555 §7.3.4: a CA that requires EAB answers externalAccountRequired (ZeroSSL, Google Trust Services).
        if (/external ?account|externalAccountBinding/i.test(e.message)) {
            throw new Error(
                `the ACME CA at ${inputs.directoryUrl} requires External Account Binding (${e.message}): ` +
                    (inputs.eabKeyId
                        ? "check that the key id and HMAC key are the CA's current EAB credentials"
                        : "set cloudfront-china:acmeEabKeyId and, as a secret, cloudfront-china:acmeEabHmacKey from the CA's account page " +
                          "(for a CA in cloudfront-china:issuers: eabKeyId and eabHmacKey in its entry)") +
                    "; no account was registered",
            );
        }
        throw e;
    });
    const accountUrl = client.getAccountUrl();
    console.log(`[acme] account registered at ${inputs.directoryUrl}: ${accountUrl} (${((Date.now() - started) / 1000).toFixed(2)} s)`);
    return { accountUrl, ...persistMetaOf(directory.meta) };
}

/** What dns-persist-01 records need of the CA's directory (draft-02 §7.6 fields where it has them). */
const persistMetaOf = (meta: AcmeDirectory["meta"]) => ({
    issuerDomainNames: persistIssuerNames(meta),
    accountHashPrefix: meta?.accountHashPrefix ?? "",
});

/** A registered account's update: contact, key rollover, the CA's issuer names again. */
async function updateRegistered(olds: AccountOutputs, news: AccountInputs) {
    const acme = require("acme-client") as typeof Acme;
    const client = withNonceRetries(
        new acme.Client({ directoryUrl: olds.directoryUrl, accountKey: olds.accountKeyPem, accountUrl: olds.accountUrl }),
    );
    if ((olds.email ?? "") !== (news.email ?? "")) {
        await client.updateAccount({ contact: contact(news.email) });
    }
    let accountKeyPem = olds.accountKeyPem;
    if ((olds.keyRotation ?? 0) !== (news.keyRotation ?? 0)) {
        // RFC 8555 §7.3.5: the new key signs the inner request, the old key the outer one; on
        // success the CA answers only to the new key. A failure leaves the old key in force.
        const newKey = await acme.crypto.createPrivateEcdsaKey("P-256");
        await client.updateAccountKey(newKey);
        accountKeyPem = newKey.toString();
        console.log(
            `[acme] account key of ${olds.accountUrl} rolled over (keyRotation ${olds.keyRotation ?? 0} -> ${news.keyRotation ?? 0})`,
        );
    }
    const outs: AccountOutputs = {
        ...olds,
        email: news.email,
        keyRotation: news.keyRotation,
        deactivateOnDelete: news.deactivateOnDelete,
        accountKeyPem,
        ...persistMetaOf((await assertCaReachable(olds.directoryUrl)).meta),
        // A rolled-over key has a new thumbprint: draft-02 records name the account through it.
        keyThumbprint: jwkThumbprint(accountKeyPem),
    };
    return { outs: withoutUndefined(outs) };
}

/** Deactivates a registered account (RFC 8555 §7.3.6) unless `deactivateOnDelete` is false; a CA out of reach is a warning. */
async function deactivate(olds: AccountOutputs) {
    if (olds.deactivateOnDelete === false) {
        console.log(`[acme] account ${olds.accountUrl} kept (deactivateOnDelete: false)`);
        return;
    }
    try {
        // Fails fast when the CA cannot be reached (acme-client would retry a refused connection).
        await assertCaReachable(olds.directoryUrl);
        await acmeClient(olds.directoryUrl, olds.accountKeyPem, olds.accountUrl).updateAccount({ status: "deactivated" });
        console.log(`[acme] account ${olds.accountUrl} deactivated`);
    } catch (e) {
        // RFC 8555 §7.3.6: already deactivated answers unauthorized; either way nothing is left to do here.
        console.warn(
            `[acme] account ${olds.accountUrl} could not be deactivated (${(e as Error).message}): ` +
                "its key is gone from the state; deactivate it from a backup of the state if the key may have leaked",
        );
    }
}

/** An ACME account whose key lives (secret) in the stack state. */
export class AcmeAccount extends CachedDynamicResource {
    declare public readonly directoryUrl: pulumi.Output<string>;
    declare public readonly email: pulumi.Output<string | undefined>;
    declare public readonly accountUrl: pulumi.Output<string>;
    /** The account's private key (PEM). Secret. */
    declare public readonly accountKeyPem: pulumi.Output<string>;
    /** The CA's issuer domain names, as dns-persist-01 records name them (e.g. "letsencrypt.org"). */
    declare public readonly issuerDomainNames: pulumi.Output<string[]>;
    /** The CA's draft-02 account hash prefix ("" when its directory has none). */
    declare public readonly accountHashPrefix: pulumi.Output<string>;
    /** RFC 7638 thumbprint of the account key, which draft-02 records hash. */
    declare public readonly keyThumbprint: pulumi.Output<string>;

    constructor(name: string, args: AcmeAccountArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            acmeAccountProvider,
            name,
            {
                directoryUrl: args.directoryUrl ?? LETS_ENCRYPT_PRODUCTION,
                email: args.email,
                eabKeyId: args.eabKeyId,
                eabHmacKey: args.eabHmacKey === undefined ? undefined : pulumi.secret(args.eabHmacKey),
                keyRotation: args.keyRotation,
                deactivateOnDelete: args.deactivateOnDelete,
                registerLater: args.registerLater,
                accountUrl: undefined,
                accountKeyPem: undefined,
                issuerDomainNames: undefined,
                accountHashPrefix: undefined,
                keyThumbprint: undefined,
            },
            pulumi.mergeOptions(opts, { additionalSecretOutputs: ["accountKeyPem"] }),
            "cloudfront-china",
            "AcmeAccount",
        );
    }
}
