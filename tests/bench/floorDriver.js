// The bench's floor: the raw ACME exchange alone, in a fresh process like ours (serializedDriver.js).
// acme-client against the same Pebble; the dns-01 values go straight into the test DNS server
// (its management API), so there is no Route 53, no propagation check and no IAM.
//   node floorDriver.js inputs.json   {directoryUrl, accountUrl, accountKeyPem, domains, profile, dnsManagementUrl}
// Prints one JSON line: {serialNumber, peakRssMb, phases}: the seconds of each phase, as the bench
// splits ours (tests/bench/bench.ts, PHASES).
"use strict";
/* global fetch -- Node 20 has fetch built in */
const fs = require("node:fs");

const { performance } = require("node:perf_hooks");
const post = (url, body) => fetch(url, { method: "POST", body: JSON.stringify(body) });

(async () => {
    // From the process's start to here: Node. acme-client is loaded inside the first phase, as the
    // provider loads it inside its methods (serialized closures require their modules when called).
    let mark = performance.now();
    const phases = { "start-up": mark / 1000 };
    const lap = (phase) => {
        const now = performance.now();
        phases[phase] = (phases[phase] ?? 0) + (now - mark) / 1000;
        mark = now;
    };
    const acme = require("acme-client");
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
    lap("before and after the order");
    const order = await client.createOrder({ identifiers: req.domains.map((value) => ({ type: "dns", value })), profile: req.profile });
    lap("order");
    const authorizations = (await client.getAuthorizations(order)).filter((a) => a.status !== "valid");
    lap("authorizations, finalize and download");
    const pending = await Promise.all(
        authorizations.map(async (authz) => {
            const challenge = authz.challenges.find((c) => c.type === "dns-01");
            const host = `_acme-challenge.${authz.identifier.value}`;
            await post(`${req.dnsManagementUrl}/set-txt`, { host, value: await client.getChallengeKeyAuthorization(challenge) });
            return { authz, challenge, host };
        }),
    );
    lap("DNS records");
    await Promise.all(pending.map((p) => client.completeChallenge(p.challenge)));
    await Promise.all(pending.map((p) => client.waitForValidStatus(p.authz)));
    lap("validation");
    const finalized = await client.finalizeOrder(order, csr);
    const pem = await client.getCertificate(finalized);
    lap("authorizations, finalize and download");
    await Promise.all(pending.map((p) => post(`${req.dnsManagementUrl}/clear-txt`, { host: p.host })));
    const serialNumber = new (require("node:crypto").X509Certificate)(pem).serialNumber;
    lap("before and after the order");
    console.log(JSON.stringify({ serialNumber, peakRssMb: process.resourceUsage().maxRSS / 1024, phases }));
    process.exit(0);
})().catch((e) => {
    console.error(e && e.stack ? e.stack : e);
    process.exit(1);
});
