// The bench's floor: the raw ACME exchange alone, in a fresh process like ours (serializedDriver.js).
// acme-client against the same Pebble; the dns-01 values go straight into the test DNS server
// (its management API), so there is no Route 53, no propagation check and no IAM.
//   node floorDriver.js inputs.json   {directoryUrl, accountUrl, accountKeyPem, domains, profile, dnsManagementUrl}
// Prints one JSON line: {serialNumber, peakRssMb}.
"use strict";
/* global fetch -- Node 20 has fetch built in */
const fs = require("node:fs");
const acme = require("acme-client");

const post = (url, body) => fetch(url, { method: "POST", body: JSON.stringify(body) });

(async () => {
    const req = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
    const client = new acme.Client({
        directoryUrl: req.directoryUrl,
        accountKey: req.accountKeyPem,
        accountUrl: req.accountUrl,
        backoffAttempts: 12,
        backoffMin: 500,
        backoffMax: 15000,
    });
    const key = await acme.crypto.createPrivateRsaKey(2048);
    const [, csr] = await acme.crypto.createCsr({ commonName: req.domains[0], altNames: req.domains }, key);
    const order = await client.createOrder({ identifiers: req.domains.map((value) => ({ type: "dns", value })), profile: req.profile });
    const authorizations = (await client.getAuthorizations(order)).filter((a) => a.status !== "valid");
    const pending = await Promise.all(
        authorizations.map(async (authz) => {
            const challenge = authz.challenges.find((c) => c.type === "dns-01");
            const host = `_acme-challenge.${authz.identifier.value}`;
            await post(`${req.dnsManagementUrl}/set-txt`, { host, value: await client.getChallengeKeyAuthorization(challenge) });
            return { authz, challenge, host };
        }),
    );
    await Promise.all(pending.map((p) => client.completeChallenge(p.challenge)));
    await Promise.all(pending.map((p) => client.waitForValidStatus(p.authz)));
    const finalized = await client.finalizeOrder(order, csr);
    const pem = await client.getCertificate(finalized);
    await Promise.all(pending.map((p) => post(`${req.dnsManagementUrl}/clear-txt`, { host: p.host })));
    const serialNumber = new (require("node:crypto").X509Certificate)(pem).serialNumber;
    console.log(JSON.stringify({ serialNumber, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
    process.exit(0);
})().catch((e) => {
    console.error(e && e.stack ? e.stack : e);
    process.exit(1);
});
