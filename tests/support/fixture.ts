/**
 * One set of peers for every integration suite in the mocha run: started on first use, stopped
 * when the run ends. AWS traffic of the provider goes through the fault proxy to moto (the SDK's
 * standard AWS_ENDPOINT_URL variable; no custom endpoint plumbing in the provider).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CreateHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client } from "@aws-sdk/client-route-53";
import type { CertificateInputs } from "../../core/certificate";
import { FaultProxy, Moto, DnsServer, Pebble, startDnsFromRoute53, startFaultProxy, startMoto, startPebble, tempDir } from "./peers";
export { countConnections } from "./peers";

export interface Peers {
    moto: Moto;
    proxy: FaultProxy;
    dns: DnsServer;
    pebble: Pebble;
    logDir: string;
}

/** Lifetime of Pebble's "shortlived" profile: long enough to issue and upload, short enough to wait out. */
export const SHORTLIVED_SECONDS = 12;

let peers: Promise<Peers> | undefined;

export function usePeers(): Promise<Peers> {
    const testCa = fs.readFileSync(path.resolve(__dirname, "..", "..", ".tools", "certs", "ca.pem"), "utf8").trim();
    const extra = process.env.NODE_EXTRA_CA_CERTS;
    if (!extra || !fs.existsSync(extra) || !fs.readFileSync(extra, "utf8").includes(testCa)) {
        throw new Error(
            `NODE_EXTRA_CA_CERTS (${extra ?? "unset"}) does not hold the test CA of .tools/certs/ca.pem: run the tests with \`npm test\`, ` +
                "which trusts Pebble's test CA that way (TLS verification stays on)",
        );
    }
    peers ??= (async () => {
        const logDir = tempDir("cfcn-peers-");
        const moto = await startMoto(logDir);
        const proxy = await startFaultProxy(moto.url);
        const dns = await startDnsFromRoute53(moto.url);
        const pebble = await startPebble(dns.address, logDir, { shortlivedSeconds: SHORTLIVED_SECONDS });
        Object.assign(process.env, {
            AWS_ENDPOINT_URL: proxy.url,
            AWS_ACCESS_KEY_ID: "testing",
            AWS_SECRET_ACCESS_KEY: "testing",
            AWS_REGION: "cn-north-1",
        });
        delete process.env.AWS_PROFILE;
        return { moto, proxy, dns, pebble, logDir };
    })();
    return peers;
}

export async function stopPeers(): Promise<void> {
    if (peers) {
        const p = await peers;
        p.pebble.stop();
        p.dns.stop();
        p.proxy.stop();
        p.moto.stop();
        peers = undefined;
    }
}

/** The values of the TXT record set `name` in a moto zone (quotes removed), or [] when there is none. */
export async function txtValues(zoneId: string, name: string): Promise<string[]> {
    const page = await new Route53Client({ region: "cn-north-1" }).send(
        new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: name, StartRecordType: "TXT", MaxItems: 1 }),
    );
    const set = (page.ResourceRecordSets ?? [])[0];
    return set && set.Type === "TXT" && set.Name?.replace(/\.$/, "") === name
        ? (set.ResourceRecords ?? []).map((r) => (r.Value ?? "").replace(/^"|"$/g, ""))
        : [];
}

/** A small static site (a 404 page, a directory index, a hashed asset, a dotfile to skip), by relative path. */
export const SAMPLE_SITE: Readonly<Record<string, string>> = {
    "index.html": "<h1>home</h1>",
    "404.html": "<h1>not here</h1>",
    "docs/index.html": "<h1>docs</h1>",
    "docs/guide.html": "<h1>guide</h1>",
    "style.css": "body{}",
    "assets/app.3f9a2c1b.js": "console.log(1)",
    "robots.txt": "User-agent: *",
    ".DS_Store": "junk",
};

/** Writes `files` (relative path → content) under `dir`, folders included; returns `dir`. */
export function writeFiles(dir: string, files: Readonly<Record<string, string>>): string {
    for (const [rel, body] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, rel), body);
    }
    return dir;
}

let zoneCounter = 0;

/** A fresh public hosted zone in moto (a unique name per call keeps tests independent). */
export async function createZone(base: string): Promise<{ id: string; name: string }> {
    const name = `t${++zoneCounter}-${Date.now().toString(36)}.${base}`;
    const r53 = new Route53Client({ region: "cn-north-1" });
    const zone = await r53.send(new CreateHostedZoneCommand({ Name: name, CallerReference: `${name}-${Math.random()}` }));
    return { id: (zone.HostedZone?.Id ?? "").replace(/^\/hostedzone\//, ""), name };
}

/** Provider inputs for `domains` against the peers (Pebble, the test DNS server), fast timeouts; `extra` overrides. */
export function certificateInputs(
    peers: Peers,
    account: { accountUrl: string; accountKeyPem: string },
    domains: string[],
    extra: Partial<CertificateInputs> = {},
): CertificateInputs {
    return {
        domains,
        acmeDirectoryUrl: peers.pebble.directoryUrl,
        accountUrl: account.accountUrl,
        accountKeyPem: account.accountKeyPem,
        region: "cn-north-1",
        path: "/cloudfront/test/site/",
        keyType: "rsa-2048",
        profile: "default",
        dnsResolvers: [peers.dns.address],
        propagationTimeoutSeconds: 30,
        pollIntervalSeconds: 0.2,
        deleteConflictTimeoutSeconds: 20,
        ...extra,
    };
}

/** Runs `fn` with console.log captured; returns its result and the lines. */
export async function logged<T>(fn: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
    const lines: string[] = [];
    const log = console.log;
    console.log = (line: string) => lines.push(String(line));
    try {
        return { result: await fn(), lines };
    } finally {
        console.log = log;
    }
}

// Stop the peers when mocha's run ends (root hook, registered once by this module).
after(async () => {
    await stopPeers();
});
