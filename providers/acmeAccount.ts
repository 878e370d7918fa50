/**
 * AcmeAccount: one ACME account, created once and reused by every certificate and every renewal
 * (Let's Encrypt allows 10 new accounts per IP per 3 hours, and ARI `replaces` needs the same
 * account). The account key is generated here and kept in the state as a secret.
 *
 *   create: generate the key, register the account (terms agreed, optional contact, optional EAB);
 *           keep the CA's issuer domain names (directory `meta.caaIdentities`), which dns-persist-01
 *           records name next to the account URL.
 *   diff:   a new directory or EAB key id needs a new account (replace); a new email is an update,
 *           and so is state written before issuer names were kept (update reads them).
 *   update: updates the contact; reads the issuer names again.
 *   delete: forgets the account (no ACME call: deactivation cannot be undone, and nothing is owed).
 *
 * Methods `require` npm modules inside (serialized with the resource; see iamAcmeCertificate.ts).
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside methods on purpose (serialization) */
import * as pulumi from "@pulumi/pulumi";
import type * as Acme from "acme-client";
import { assertCaReachable, withNonceRetries } from "../acme/client";
import { LETS_ENCRYPT_PRODUCTION } from "../core/certificate";
import { withoutUndefined } from "../core/runtime";
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
}

interface AccountInputs {
    directoryUrl: string;
    email?: string;
    eabKeyId?: string;
    eabHmacKey?: string;
}

interface AccountOutputs {
    directoryUrl: string;
    email?: string;
    eabKeyId?: string;
    accountUrl: string;
    accountKeyPem: string;
    /** The CA's issuer domain names (directory `meta.caaIdentities`; [] when it lists none). */
    issuerDomainNames?: string[];
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
        return { changes: (olds.email ?? "") !== (news.email ?? "") || olds.issuerDomainNames === undefined };
    },

    async create(inputs: AccountInputs) {
        const acme = require("acme-client") as typeof Acme;
        const started = Date.now();
        const directory = await assertCaReachable(inputs.directoryUrl);
        const accountKey = await acme.crypto.createPrivateEcdsaKey("P-256");
        const client = withNonceRetries(
            new acme.Client({
                directoryUrl: inputs.directoryUrl,
                accountKey,
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
                            : "set cloudfront-china:acmeEabKeyId and, as a secret, cloudfront-china:acmeEabHmacKey from the CA's account page") +
                        "; no account was registered",
                );
            }
            throw e;
        });
        const accountUrl = client.getAccountUrl();
        console.log(`[acme] account registered at ${inputs.directoryUrl}: ${accountUrl} (${((Date.now() - started) / 1000).toFixed(2)} s)`);
        const outs: AccountOutputs = {
            directoryUrl: inputs.directoryUrl,
            email: inputs.email,
            eabKeyId: inputs.eabKeyId,
            accountUrl,
            accountKeyPem: accountKey.toString(),
            issuerDomainNames: directory.meta?.caaIdentities ?? [],
        };
        return { id: accountUrl, outs: withoutUndefined(outs) };
    },

    async update(_id: string, olds: AccountOutputs, news: AccountInputs) {
        const acme = require("acme-client") as typeof Acme;
        const client = withNonceRetries(
            new acme.Client({ directoryUrl: olds.directoryUrl, accountKey: olds.accountKeyPem, accountUrl: olds.accountUrl }),
        );
        if ((olds.email ?? "") !== (news.email ?? "")) {
            await client.updateAccount({ contact: contact(news.email) });
        }
        const issuerDomainNames = (await assertCaReachable(olds.directoryUrl)).meta?.caaIdentities ?? [];
        return { outs: withoutUndefined({ ...olds, email: news.email, issuerDomainNames } satisfies AccountOutputs) };
    },

    async delete() {
        // Nothing to do: see the header.
    },
};

/** An ACME account whose key lives (secret) in the stack state. */
export class AcmeAccount extends pulumi.dynamic.Resource {
    declare public readonly directoryUrl: pulumi.Output<string>;
    declare public readonly email: pulumi.Output<string | undefined>;
    declare public readonly accountUrl: pulumi.Output<string>;
    /** The account's private key (PEM). Secret. */
    declare public readonly accountKeyPem: pulumi.Output<string>;
    /** The CA's issuer domain names, as dns-persist-01 records name them (e.g. "letsencrypt.org"). */
    declare public readonly issuerDomainNames: pulumi.Output<string[]>;

    constructor(name: string, args: AcmeAccountArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            acmeAccountProvider,
            name,
            {
                directoryUrl: args.directoryUrl ?? LETS_ENCRYPT_PRODUCTION,
                email: args.email,
                eabKeyId: args.eabKeyId,
                eabHmacKey: args.eabHmacKey === undefined ? undefined : pulumi.secret(args.eabHmacKey),
                accountUrl: undefined,
                accountKeyPem: undefined,
                issuerDomainNames: undefined,
            },
            pulumi.mergeOptions(opts, { additionalSecretOutputs: ["accountKeyPem"] }),
            "cloudfront-china",
            "AcmeAccount",
        );
    }
}
