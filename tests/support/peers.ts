/**
 * Real peers for the integration tests, all on 127.0.0.1, installed by tests/peers/install.sh:
 *   - moto (server mode): IAM, Route 53, S3, CloudFront.
 *   - a DNS server that answers TXT questions from the Route 53 records in moto, so the values Pebble
 *     validates are exactly the ones the provider wrote (counts every question it gets).
 *   - Pebble, resolving through that DNS server, with a "default" (90 days) and a "shortlived"
 *     profile whose lifetime tests choose.
 *   - a fault proxy in front of moto that answers chosen AWS actions with chosen errors.
 * A peer that cannot start fails the suite with its name and log: nothing is skipped.
 */
import { ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as dgram from "node:dgram";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as dnsPacket from "dns-packet";
import { ListHostedZonesCommand, ListResourceRecordSetsCommand, Route53Client, RRType } from "@aws-sdk/client-route-53";
import { CloudFrontClient, ListDistributionsCommand } from "@aws-sdk/client-cloudfront";

const root = path.resolve(__dirname, "..", "..");
const tools = path.join(root, ".tools");

export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.once("error", reject);
        s.listen(0, "127.0.0.1", () => {
            const port = (s.address() as net.AddressInfo).port;
            s.close(() => resolve(port));
        });
    });
}

function requireTool(file: string, peer: string): string {
    if (!fs.existsSync(file)) {
        throw new Error(`${peer} is not installed (${file} missing): run \`bash tests/peers/install.sh\` (npm test does)`);
    }
    return file;
}

async function waitFor(
    what: string,
    ready: () => Promise<boolean>,
    child: ChildProcess,
    logFile: string,
    timeoutMs = 30_000,
): Promise<void> {
    const started = Date.now();
    while (Date.now() - started < timeoutMs) {
        if (child.exitCode !== null) {
            throw new Error(`${what} exited with code ${child.exitCode}:\n${fs.readFileSync(logFile, "utf8").slice(-2000)}`);
        }
        if (await ready().catch(() => false)) {
            return;
        }
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${what} did not start within ${timeoutMs / 1000} s:\n${fs.readFileSync(logFile, "utf8").slice(-2000)}`);
}

function startProcess(command: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): ChildProcess {
    const out = fs.openSync(logFile, "w");
    return spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", out, out] });
}

const httpOk = (url: string) =>
    new Promise<boolean>((resolve) => {
        http.get(url, (res) => {
            res.resume();
            resolve((res.statusCode ?? 500) < 500);
        }).on("error", () => resolve(false));
    });

export interface Moto {
    url: string;
    stop(): void;
}

/** moto's server; `env` switches on what tests/peers/moto_china.py offers (MOTO_CHINA_ENFORCE_IAM, MOTO_CHINA_DECISIONS). */
export async function startMoto(logDir: string, env: NodeJS.ProcessEnv = {}): Promise<Moto> {
    const python = requireTool(path.join(tools, "moto", "bin", "python"), "moto");
    const port = await freePort();
    const logFile = path.join(logDir, `moto-${port}.log`);
    // moto's own server, taught the aws-cn facts it lacks (S3 origins at .amazonaws.com.cn, .cloudfront.cn names).
    const child = startProcess(
        python,
        [path.join(root, "tests", "peers", "moto_china.py"), "-H", "127.0.0.1", "-p", String(port)],
        env,
        logFile,
    );
    const url = `http://127.0.0.1:${port}`;
    await waitFor("moto", () => httpOk(`${url}/moto-api/`), child, logFile);
    return { url, stop: () => child.kill() };
}

export interface DnsServer {
    address: string;
    /** Every question received, as "TYPE name". */
    questions: string[];
    /** Questions that came over UDP (Node's resolver: the provider's own lookups; Pebble asks over TCP). */
    udpQuestions: string[];
    /** `POST /set-txt` and `POST /clear-txt` ({host, value}) set `elsewhere` TXT values from another process (the bench's raw ACME floor). */
    managementUrl: string;
    /**
     * Records of zones hosted "elsewhere" (a DNS host we cannot write through Route 53, like Alibaba
     * Cloud DNS or DNSPod): tests put TXT values and CNAMEs here by hand, as a user would in a console.
     */
    elsewhere: { txt: Map<string, string[]>; cname: Map<string, string> };
    stop(): void;
}

/** Calls with the same key while one is in flight share its promise; the next call after it settles reads again. */
function singleFlight<T>(read: (key: string) => Promise<T>): (key?: string) => Promise<T> {
    const inFlight = new Map<string, Promise<T>>();
    return (key = "") => {
        let pending = inFlight.get(key);
        if (!pending) {
            pending = read(key).finally(() => inFlight.delete(key));
            inFlight.set(key, pending);
        }
        return pending;
    };
}

interface ZoneRecords {
    txt: Map<string, string[]>;
    caa: Map<string, Array<{ flags: number; tag: string; value: string }>>;
}

/**
 * A DNS server (UDP and TCP) whose TXT (and CAA) answers come from the Route 53 records stored in moto and from
 * the `elsewhere` records; it follows CNAME chains like a recursive resolver (the chain, then the
 * TXT values at its end; SERVFAIL on a loop), which is how a CA sees a delegated challenge name.
 */
export async function startDnsFromRoute53(motoUrl: string): Promise<DnsServer> {
    const route53 = new Route53Client({
        region: "cn-north-1",
        endpoint: motoUrl,
        credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    });
    const socket = dgram.createSocket("udp4");
    const questions: string[] = [];
    const elsewhere = { txt: new Map<string, string[]>(), cname: new Map<string, string>() };

    // The zone list is cached for a second and fetched again on a miss (tests create zones as they
    // go); record sets are read after the question arrives (see below), so answers follow exactly
    // what the provider wrote.
    let zones: Array<{ id: string; name: string }> = [];
    let zonesFetchedAt = 0;
    const zoneOf = (name: string) =>
        zones.filter((z) => name === z.name || name.endsWith(`.${z.name}`)).sort((a, b) => b.name.length - a.name.length)[0];
    const refreshZones = singleFlight(async () => {
        const listed = (await route53.send(new ListHostedZonesCommand({}))).HostedZones ?? [];
        zones = listed.filter((z) => !z.Config?.PrivateZone).map((z) => ({ id: z.Id ?? "", name: (z.Name ?? "").replace(/\.$/, "") }));
        zonesFetchedAt = Date.now();
    });

    // Concurrent questions about one zone share one read of its record sets (single flight): with
    // 100 names Pebble asks 100 questions at once, and one moto read per question made its VA time
    // out. A read still starts after the question arrives unless one is already in flight, and
    // both the provider's own propagation check and Pebble poll, so answers follow the writes.
    const readZone = singleFlight(async (zoneId: string): Promise<ZoneRecords> => {
        const txt = new Map<string, string[]>();
        const caa = new Map<string, Array<{ flags: number; tag: string; value: string }>>();
        let start: { name?: string; type?: RRType } = {};
        for (;;) {
            const page = await route53.send(
                new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: start.name, StartRecordType: start.type }),
            );
            for (const set of page.ResourceRecordSets ?? []) {
                const name = (set.Name ?? "").replace(/\.$/, "");
                if (set.Type === "TXT" && name) {
                    txt.set(
                        name,
                        (set.ResourceRecords ?? []).map((r) => (r.Value ?? "").replace(/^"|"$/g, "")),
                    );
                }
                if (set.Type === "CAA" && name) {
                    // Route 53's CAA value: `flags tag "value"` (RFC 8659 §4.1 presentation format).
                    caa.set(
                        name,
                        (set.ResourceRecords ?? []).flatMap((r) => {
                            const m = /^(\d+)\s+(\S+)\s+"(.*)"$/.exec(r.Value ?? "");
                            return m ? [{ flags: Number(m[1]), tag: m[2], value: m[3] }] : [];
                        }),
                    );
                }
            }
            if (!page.IsTruncated) {
                return { txt, caa };
            }
            start = { name: page.NextRecordName, type: page.NextRecordType };
        }
    });

    async function zoneRecords(name: string): Promise<ZoneRecords | undefined> {
        let zone = zoneOf(name);
        if (!zone || Date.now() - zonesFetchedAt > 1000) {
            await refreshZones();
            zone = zoneOf(name);
        }
        return zone && readZone(zone.id);
    }

    async function txtValues(name: string): Promise<string[]> {
        return (await zoneRecords(name))?.txt.get(name) ?? [];
    }

    const udpQuestions: string[] = [];
    async function answer(msg: Buffer, udp = false): Promise<Buffer | undefined> {
        let query: dnsPacket.Packet;
        try {
            query = dnsPacket.decode(msg);
        } catch {
            return undefined;
        }
        const answers: dnsPacket.Answer[] = [];
        let servfail = false;
        for (const q of query.questions ?? []) {
            questions.push(`${q.type} ${q.name}`);
            if (udp) {
                udpQuestions.push(`${q.type} ${q.name}`);
            }
            let name = q.name.toLowerCase().replace(/\.$/, "");
            if (q.type === "CNAME") {
                const target = elsewhere.cname.get(name);
                if (target) {
                    answers.push({ type: "CNAME", name: q.name, ttl: 0, class: "IN", data: target });
                }
            }
            if (q.type === "CAA") {
                for (const data of (await zoneRecords(name))?.caa.get(name) ?? []) {
                    answers.push({
                        type: "CAA",
                        name: q.name,
                        ttl: 0,
                        class: "IN",
                        data: { ...data, tag: data.tag as "issue", issuerCritical: (data.flags & 128) !== 0 },
                    });
                }
            }
            if (q.type === "TXT") {
                const seen = new Set<string>();
                for (let target = elsewhere.cname.get(name); target !== undefined; target = elsewhere.cname.get(name)) {
                    if (seen.has(target) || seen.size > 16) {
                        servfail = true;
                        break;
                    }
                    seen.add(target);
                    answers.push({ type: "CNAME", name, ttl: 0, class: "IN", data: target });
                    name = target;
                }
                if (!servfail) {
                    for (const value of [...(elsewhere.txt.get(name) ?? []), ...(await txtValues(name))]) {
                        answers.push({ type: "TXT", name, ttl: 0, class: "IN", data: [value] });
                    }
                }
            }
        }
        return dnsPacket.encode({
            type: "response",
            id: query.id,
            flags: dnsPacket.AUTHORITATIVE_ANSWER | (servfail ? 2 : 0),
            questions: query.questions,
            answers: servfail ? [] : answers,
        });
    }

    // UDP (Node's resolver) and TCP (Pebble's VA asks over TCP), both on the same port.
    socket.on("message", (msg, rinfo) => {
        void answer(msg, true)
            .then((response) => response && socket.send(response, rinfo.port, rinfo.address))
            .catch(() => undefined);
    });
    const tcp = net.createServer((conn) => {
        let buffered = Buffer.alloc(0);
        conn.on("data", (chunk: Buffer) => {
            buffered = Buffer.concat([buffered, chunk]);
            while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
                const msg = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
                buffered = buffered.subarray(2 + msg.length);
                void answer(msg)
                    .then((response) => {
                        if (response) {
                            const length = Buffer.alloc(2);
                            length.writeUInt16BE(response.length);
                            conn.write(Buffer.concat([length, response]));
                        }
                    })
                    .catch(() => undefined);
            }
        });
        conn.on("error", () => undefined);
    });
    const management = http.createServer((req, res) => {
        let text = "";
        req.on("data", (c: Buffer) => (text += c.toString()));
        req.on("end", () => {
            const { host, value } = JSON.parse(text || "{}") as { host?: string; value?: string };
            const name = (host ?? "").toLowerCase().replace(/\.$/, "");
            if (req.url === "/set-txt" && value !== undefined) {
                elsewhere.txt.set(name, [...(elsewhere.txt.get(name) ?? []), value]);
            } else if (req.url === "/clear-txt") {
                elsewhere.txt.delete(name);
            }
            res.end();
        });
    });
    const port = await freePort();
    await new Promise<void>((resolve) => socket.bind(port, "127.0.0.1", resolve));
    await new Promise<void>((resolve) => tcp.listen(port, "127.0.0.1", resolve));
    const managementPort = await freePort();
    await new Promise<void>((resolve) => management.listen(managementPort, "127.0.0.1", resolve));
    return {
        address: `127.0.0.1:${port}`,
        questions,
        udpQuestions,
        managementUrl: `http://127.0.0.1:${managementPort}`,
        elsewhere,
        stop: () => {
            socket.close();
            tcp.close();
            management.close();
        },
    };
}

/** Pebble's own test External Account Binding HMAC key (its test/config): for a Pebble started with `eabKeys`. */
export const PEBBLE_TEST_EAB_HMAC = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W";

export interface Pebble {
    directoryUrl: string;
    managementUrl: string;
    /** Pebble's log: every ACME request it served (count orders with `ordersCreated()`). */
    logFile: string;
    ordersCreated(): number;
    stop(): void;
}

/** Pebble with profiles "default" (90 days), "shortlived" (`shortlivedSeconds`) and "minutes" (`minutesSeconds`, engine tests). */
export async function startPebble(
    dnsServer: string,
    logDir: string,
    opts: {
        shortlivedSeconds?: number;
        minutesSeconds?: number;
        env?: NodeJS.ProcessEnv;
        /** External Account Binding keys (key id → base64url HMAC); when set, every new account needs one. */
        eabKeys?: Record<string, string>;
        /** The issuer domain names the directory lists (`meta.caaIdentities`); Pebble's default is pebble.letsencrypt.org. */
        caaIdentities?: string[];
        /** Names Pebble refuses to issue for (`rejectedIdentifier`), e.g. a CA's own policy. */
        domainBlocklist?: string[];
    } = {},
): Promise<Pebble> {
    const bin = requireTool(path.join(tools, "bin", "pebble"), "Pebble");
    const certs = path.join(tools, "certs");
    requireTool(path.join(certs, "pebble.pem"), "Pebble's TLS certificate");
    const [port, managementPort] = [await freePort(), await freePort()];
    const config = {
        pebble: {
            listenAddress: `127.0.0.1:${port}`,
            managementListenAddress: `127.0.0.1:${managementPort}`,
            certificate: path.join(certs, "pebble.pem"),
            privateKey: path.join(certs, "pebble.key"),
            httpPort: 5002,
            tlsPort: 5001,
            ocspResponderURL: "",
            externalAccountBindingRequired: opts.eabKeys !== undefined,
            ...(opts.eabKeys ? { externalAccountMACKeys: opts.eabKeys } : {}),
            ...(opts.caaIdentities ? { caaIdentities: opts.caaIdentities } : {}),
            ...(opts.domainBlocklist ? { domainBlocklist: opts.domainBlocklist } : {}),
            retryAfter: { authz: 1, order: 1 },
            profiles: {
                default: { description: "90 days, like Let's Encrypt classic", validityPeriod: 90 * 86400 },
                shortlived: { description: "test lifetime", validityPeriod: opts.shortlivedSeconds ?? 300 },
                minutes: { description: "engine test lifetime", validityPeriod: opts.minutesSeconds ?? 90 },
            },
        },
    };
    const configFile = path.join(logDir, `pebble-${port}.json`);
    fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
    const logFile = path.join(logDir, `pebble-${port}.log`);
    const child = startProcess(bin, ["-config", configFile, "-dnsserver", dnsServer], { PEBBLE_VA_NOSLEEP: "1", ...opts.env }, logFile);
    const directoryUrl = `https://127.0.0.1:${port}/dir`;
    await waitFor("Pebble", async () => fs.readFileSync(logFile, "utf8").includes("Listening on"), child, logFile);
    return {
        directoryUrl,
        managementUrl: `https://127.0.0.1:${managementPort}`,
        logFile,
        // Orders the CA created, not `POST /order-plz` requests: Pebble rejects 5 % of nonces by
        // default and a client retries the rejected request, so requests over-count orders.
        ordersCreated: () => (fs.readFileSync(logFile, "utf8").match(/Added order "/g) ?? []).length,
        stop: () => child.kill(),
    };
}

export interface Fault {
    /** IAM query `Action=` (e.g. "DeleteServerCertificate"), or a pattern for a REST call ("GET /2013-04-01/change/…"). */
    action: string | RegExp;
    /** How many matching requests get the answer; then requests pass through. */
    times: number;
    /** An error status with `code`; or 200 to answer success for an action moto lacks (TagServerCertificate). */
    status: number;
    code: string;
    message?: string;
    /** A whole response body instead of the error document (e.g. a GetChange stuck in PENDING). */
    body?: string;
}

export interface FaultProxy {
    url: string;
    faults: Fault[];
    /** Actions seen, in order (IAM query actions and Route 53 REST paths). */
    seen: string[];
    /** Every request with the service and access key id of its SigV4 signature: who made each call. */
    signed: SignedCall[];
    /** Answers of moto rewritten on the way back (e.g. AliasICPRecordals, which moto never fills). */
    rewrites: Rewrite[];
    /**
     * IAM's own rule, which moto lacks: DeleteServerCertificate answers DeleteConflict while a
     * distribution in moto still has the certificate attached. Off unless a test turns it on.
     */
    conflictWhileAttached: { on: boolean; answered: number };
    stop(): void;
}

export interface Rewrite {
    /** Matches the action as in `seen` ("GET /2020-05-31/distribution/E…"). */
    match: RegExp;
    transform(body: string): string;
}

export interface SignedCall {
    /** As in `seen`. */
    action: string;
    /** The signing service of the credential scope: "iam", "route53", "sts", "cloudfront", "s3". */
    service: string;
    accessKeyId: string;
}

/** Access key id and service from a SigV4 Authorization header (`Credential=AKID/date/region/service/aws4_request`). */
function signer(authorization: string | undefined): { accessKeyId: string; service: string } {
    const m = /Credential=([^/]+)\/[^/]+\/[^/]+\/([^/]+)\//.exec(authorization ?? "");
    return { accessKeyId: m?.[1] ?? "", service: m?.[2] ?? "" };
}

/** moto answers every server certificate with the same id; IAM gives each its own. */
const MOTO_SERVER_CERTIFICATE_ID = "ASCACKCEVSQ6C2EXAMPLE";

/** The id IAM would give: unique per certificate name, stable, of IAM's shape. */
export function serverCertificateIdFor(name: string): string {
    return `ASCA${createHash("sha256").update(name).digest("hex").slice(0, 17).toUpperCase()}`;
}

function uniqueServerCertificateIds(xml: string): string {
    if (!xml.includes(MOTO_SERVER_CERTIFICATE_ID)) {
        return xml;
    }
    return xml.replace(/<(ServerCertificateMetadata|member)>([\s\S]*?)<\/\1>/g, (block: string) => {
        const name = /<ServerCertificateName>([^<]+)<\/ServerCertificateName>/.exec(block)?.[1];
        return name ? block.replace(MOTO_SERVER_CERTIFICATE_ID, serverCertificateIdFor(name)) : block;
    });
}

const xmlUnescape = (v: string) =>
    v
        .replace(/&quot;/g, '"')
        .replace(/&apos;/g, "'")
        .replace(/&lt;/g, "<")
        .replace(/&gt;/g, ">")
        .replace(/&amp;/g, "&");
const xmlEscape = (v: string) => v.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

interface TxtChange {
    action: string;
    type?: string;
    name: string;
    ttl: number;
    values: string[];
}

/**
 * Route 53's change-batch semantics for TXT sets, which moto 5.2.5 does not model: a batch applies in
 * order and atomically, DELETE must name the set's current TTL and values exactly, CREATE fails when
 * the set exists (after the batch's earlier changes). moto instead checks DELETE against its change
 * journal and CREATE before the batch's DELETEs run, so compare-and-swap writers could neither lose
 * a race nor win one there. Batches of a zone are serialized; a valid batch reaches moto as one
 * UPSERT or DELETE per touched name; an invalid one gets Route 53's InvalidChangeBatch.
 */
function route53TxtSemantics<R>(
    motoUrl: string,
): (zoneId: string, body: string, forward: (body: string) => Promise<R>) => Promise<R | { error: string }> {
    const client = new Route53Client({
        region: "cn-north-1",
        endpoint: motoUrl,
        credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    });
    const locks = new Map<string, Promise<unknown>>();
    /** The zone's TXT sets by name, in one listing (a read per name made 100-name batches slow here). */
    const currentSets = async (zoneId: string) => {
        const sets = new Map<string, { ttl: number; values: string[] }>();
        let start: { name?: string; type?: RRType } = {};
        for (;;) {
            const page = await client.send(
                new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: start.name, StartRecordType: start.type }),
            );
            for (const set of page.ResourceRecordSets ?? []) {
                if (set.Type === "TXT" && set.Name) {
                    sets.set(set.Name.replace(/\.$/, ""), {
                        ttl: set.TTL ?? 0,
                        values: (set.ResourceRecords ?? []).map((r) => r.Value ?? ""),
                    });
                }
            }
            if (!page.IsTruncated) {
                return sets;
            }
            start = { name: page.NextRecordName, type: page.NextRecordType };
        }
    };
    const sameSet = (a: string[], b: string[]) => a.length === b.length && [...a].sort().every((v, i) => v === [...b].sort()[i]);
    return (zoneId, body, forward) => {
        const run = async (): Promise<R | { error: string }> => {
            const changes: TxtChange[] = [...body.matchAll(/<Change>([\s\S]*?)<\/Change>/g)].map((m) => ({
                action: /<Action>([^<]+)<\/Action>/.exec(m[1])?.[1] ?? "",
                name: (/<Name>([^<]+)<\/Name>/.exec(m[1])?.[1] ?? "").replace(/\.$/, "").toLowerCase(),
                ttl: Number(/<TTL>([^<]+)<\/TTL>/.exec(m[1])?.[1] ?? 0),
                values: [...m[1].matchAll(/<Value>([\s\S]*?)<\/Value>/g)].map((v) => xmlUnescape(v[1])),
                type: /<Type>([^<]+)<\/Type>/.exec(m[1])?.[1],
            }));
            if (changes.length === 0 || changes.some((c) => c.type !== "TXT")) {
                return forward(body); // not a TXT-only batch: moto as it is
            }
            const state = new Map<string, { ttl: number; values: string[] } | undefined>();
            const sets = await currentSets(zoneId);
            for (const name of new Set(changes.map((c) => c.name))) {
                state.set(name, sets.get(name));
            }
            const before = new Map(state);
            for (const c of changes) {
                const now = state.get(c.name);
                const where = `[name='${c.name}.', type='TXT']`;
                if (c.action === "DELETE") {
                    if (!now) {
                        return { error: `Tried to delete resource record set ${where} but it was not found` };
                    }
                    if (now.ttl !== c.ttl || !sameSet(now.values, c.values)) {
                        return {
                            error: `Tried to delete resource record set ${where} but the values provided do not match the current values`,
                        };
                    }
                    state.set(c.name, undefined);
                } else if (c.action === "CREATE") {
                    if (now) {
                        return { error: `Tried to create resource record set ${where} but it already exists` };
                    }
                    state.set(c.name, { ttl: c.ttl, values: c.values });
                } else {
                    state.set(c.name, { ttl: c.ttl, values: c.values });
                }
            }
            const set = (name: string, s: { ttl: number; values: string[] }) =>
                `<ResourceRecordSet><Name>${name}</Name><Type>TXT</Type><TTL>${s.ttl}</TTL><ResourceRecords>` +
                s.values.map((v) => `<ResourceRecord><Value>${xmlEscape(v)}</Value></ResourceRecord>`).join("") +
                "</ResourceRecords></ResourceRecordSet>";
            const forwarded: string[] = [];
            for (const [name, after] of state) {
                const was = before.get(name);
                if (after) {
                    forwarded.push(`<Change><Action>UPSERT</Action>${set(name, after)}</Change>`);
                } else if (was) {
                    forwarded.push(`<Change><Action>DELETE</Action>${set(name, was)}</Change>`);
                }
            }
            // Forwarded inside the zone's lock: the next batch is checked against this one's result.
            return forward(
                '<?xml version="1.0" encoding="UTF-8"?><ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/">' +
                    `<ChangeBatch><Changes>${forwarded.join("")}</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`,
            );
        };
        // One batch at a time per zone, like Route 53's own serialization of a zone's changes.
        const result = (locks.get(zoneId) ?? Promise.resolve()).then(run, run);
        locks.set(
            zoneId,
            result.catch(() => undefined),
        );
        return result;
    };
}

/**
 * An HTTP proxy in front of moto that answers chosen IAM actions with AWS-shaped errors, gives
 * each server certificate its own id (moto returns one constant id for all), and applies Route 53's
 * change-batch semantics to TXT sets (route53TxtSemantics).
 */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
    const faults: Fault[] = [];
    const seen: string[] = [];
    const signed: SignedCall[] = [];
    const rewrites: Rewrite[] = [];
    const targetUrl = new URL(target);
    const txtSemantics = route53TxtSemantics<{ status: number; headers: http.IncomingHttpHeaders; text: string }>(target);
    const conflictWhileAttached = { on: false, answered: 0 };
    /** Whether a distribution in moto has the certificate `name` attached (by the id IAM gives it). */
    const attached = async (name: string) => {
        const cloudfront = new CloudFrontClient({
            region: "cn-north-1",
            endpoint: target,
            credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
        });
        const list = await cloudfront.send(new ListDistributionsCommand({}));
        return (list.DistributionList?.Items ?? []).some((d) => d.ViewerCertificate?.IAMCertificateId === serverCertificateIdFor(name));
    };
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => void handle(Buffer.concat(chunks)));
        async function handle(body: Buffer): Promise<void> {
            const action = new URLSearchParams(body.toString("utf8")).get("Action") ?? `${req.method} ${req.url}`;
            seen.push(action);
            signed.push({ action, ...signer(req.headers.authorization) });
            if (action === "DeleteServerCertificate" && conflictWhileAttached.on) {
                const name = new URLSearchParams(body.toString("utf8")).get("ServerCertificateName") ?? "";
                if (await attached(name)) {
                    conflictWhileAttached.answered++;
                    res.writeHead(409, { "content-type": "text/xml" });
                    res.end(
                        `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>DeleteConflict</Code>` +
                            `<Message>Certificate: ${name} is currently in use by CloudFront.</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>`,
                    );
                    return;
                }
            }
            const fault = faults.find((f) => (typeof f.action === "string" ? f.action === action : f.action.test(action)) && f.times > 0);
            if (fault) {
                fault.times--;
                res.writeHead(fault.status, { "content-type": "text/xml" });
                if (fault.body !== undefined) {
                    res.end(fault.body);
                    return;
                }
                if (action.includes("/2013-04-01/")) {
                    res.end(
                        `<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>${fault.code}</Code>` +
                            `<Message>${fault.message ?? fault.code}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>`,
                    );
                    return;
                }
                if (fault.status === 200) {
                    const ns = "https://iam.amazonaws.com/doc/2010-05-08/";
                    res.end(
                        `<${action}Response xmlns="${ns}"><ResponseMetadata><RequestId>fault-proxy</RequestId></ResponseMetadata></${action}Response>`,
                    );
                    return;
                }
                res.end(
                    `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>${fault.code}</Code>` +
                        `<Message>${fault.message ?? fault.code}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>`,
                );
                return;
            }
            const send = (upstreamBody: Buffer) =>
                new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>((resolve) => {
                    const headers = { ...req.headers, "content-length": String(upstreamBody.length) };
                    const upstream = http.request(
                        { host: targetUrl.hostname, port: targetUrl.port, method: req.method, path: req.url, headers },
                        (up) => {
                            const parts: Buffer[] = [];
                            up.on("data", (c: Buffer) => parts.push(c));
                            up.on("end", () => {
                                const text = rewrites
                                    .filter((r) => r.match.test(action))
                                    .reduce((t, r) => r.transform(t), uniqueServerCertificateIds(Buffer.concat(parts).toString("utf8")));
                                resolve({ status: up.statusCode ?? 502, headers: up.headers, text });
                            });
                        },
                    );
                    upstream.on("error", () => resolve({ status: 502, headers: {}, text: "" }));
                    upstream.end(upstreamBody);
                });
            const rrset = /^POST \/2013-04-01\/hostedzone\/([^/]+)\/rrset\/?$/.exec(action);
            const answer = rrset
                ? await txtSemantics(rrset[1], body.toString("utf8"), (forward) => send(Buffer.from(forward, "utf8"))).catch(
                      (e: Error) => ({
                          error: `proxy: ${e.message}`,
                      }),
                  )
                : await send(body);
            if ("error" in answer) {
                res.writeHead(400, { "content-type": "text/xml" });
                res.end(
                    `<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>InvalidChangeBatch</Code>` +
                        `<Message>${xmlEscape(answer.error)}</Message></Error><RequestId>route53-semantics</RequestId></ErrorResponse>`,
                );
                return;
            }
            const headers = { ...answer.headers, "content-length": String(Buffer.byteLength(answer.text)) };
            delete headers["transfer-encoding"];
            res.writeHead(answer.status, headers);
            res.end(answer.text);
        }
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${port}`, faults, seen, signed, rewrites, conflictWhileAttached, stop: () => server.close() };
}

export function tempDir(prefix: string): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface AcmeFault {
    /** Matches "METHOD /path" of requests to the CA. */
    match: RegExp;
    times: number;
    /** Answer with this error and Retry-After; or, with `transform`, pass through and rewrite the answer. */
    status?: number;
    /** The ACME error type answered (default: rateLimited for 429, else serverInternal). */
    problemType?: string;
    retryAfterSeconds?: number;
    transform?: (body: string) => string;
}

export interface AcmeProxy {
    directoryUrl: string;
    faults: AcmeFault[];
    /** Faulted answers given, as "STATUS METHOD /path". */
    answered: string[];
    /** Every request that reached the proxy while up, as "METHOD /path". */
    seen: string[];
    /**
     * The CA down: "refuse" stops listening and drops open connections (connect refused), "hang"
     * accepts and never answers; undefined brings it back on the same address.
     */
    outage(mode: "refuse" | "hang" | undefined): Promise<void>;
    stop(): void;
}

/**
 * An HTTPS proxy in front of Pebble (same test CA, so TLS stays verified) that answers chosen
 * requests with 429 or 503 and a Retry-After. The Host header goes through unchanged, so Pebble
 * builds its URLs (and checks JWS urls) against the proxy; any URL of its own is rewritten too.
 */
export async function startAcmeFaultProxy(pebbleDirectoryUrl: string): Promise<AcmeProxy> {
    const https = await import("node:https");
    const upstream = new URL(pebbleDirectoryUrl);
    const certs = path.join(tools, "certs");
    const faults: AcmeFault[] = [];
    const answered: string[] = [];
    const seen: string[] = [];
    const port = await freePort();
    const self = `https://127.0.0.1:${port}`;
    const rewrite = (text: string) => text.split(upstream.origin).join(self);
    const server = https.createServer(
        { cert: fs.readFileSync(path.join(certs, "pebble.pem")), key: fs.readFileSync(path.join(certs, "pebble.key")) },
        (req, res) => {
            if (down === "hang") {
                return; // accepted, never answered
            }
            const chunks: Buffer[] = [];
            req.on("data", (c: Buffer) => chunks.push(c));
            req.on("end", () => {
                const line = `${req.method} ${req.url}`;
                seen.push(line);
                const fault = faults.find((f) => f.match.test(line) && f.times > 0);
                const transform = fault?.transform;
                if (fault && transform) {
                    fault.times--;
                    answered.push(`rewritten ${line}`);
                }
                if (fault && !transform) {
                    fault.times--;
                    answered.push(`${fault.status} ${line}`);
                    const type = fault.problemType ?? (fault.status === 429 ? "rateLimited" : "serverInternal");
                    res.writeHead(fault.status ?? 503, {
                        "content-type": "application/problem+json",
                        "retry-after": String(fault.retryAfterSeconds),
                    });
                    res.end(
                        JSON.stringify({
                            type: `urn:ietf:params:acme:error:${type}`,
                            detail: `injected ${fault.status}`,
                            status: fault.status,
                        }),
                    );
                    return;
                }
                const up = https.request(
                    {
                        host: upstream.hostname,
                        port: upstream.port,
                        method: req.method,
                        path: req.url,
                        headers: req.headers,
                    },
                    (r) => {
                        const parts: Buffer[] = [];
                        r.on("data", (c: Buffer) => parts.push(c));
                        r.on("end", () => {
                            const headers: Record<string, string | string[]> = {};
                            for (const [k, v] of Object.entries(r.headers)) {
                                if (v !== undefined && k !== "content-length" && k !== "transfer-encoding") {
                                    headers[k] = Array.isArray(v) ? v.map(rewrite) : rewrite(String(v));
                                }
                            }
                            const contentType = String(r.headers["content-type"] ?? "");
                            const text = Buffer.concat(parts).toString("utf8");
                            const body = contentType.includes("json")
                                ? Buffer.from((transform ?? ((t: string) => t))(rewrite(text)))
                                : Buffer.concat(parts);
                            headers["content-length"] = String(body.length);
                            res.writeHead(r.statusCode ?? 502, headers);
                            res.end(body);
                        });
                    },
                );
                up.on("error", () => {
                    res.writeHead(502);
                    res.end();
                });
                up.end(Buffer.concat(chunks));
            });
        },
    );
    let down: "refuse" | "hang" | undefined;
    const sockets = new Set<import("node:stream").Duplex>();
    server.on("connection", (socket) => {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
    });
    const listen = () => new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    await listen();
    return {
        directoryUrl: `${self}${upstream.pathname}`,
        faults,
        answered,
        seen,
        outage: async (mode) => {
            if (down === "refuse" && mode !== "refuse") {
                await listen();
            }
            if (mode === "refuse" && down !== "refuse") {
                await new Promise<void>((resolve) => {
                    server.close(() => resolve());
                    sockets.forEach((s) => s.destroy());
                });
            }
            if (mode !== "hang") {
                // Connections held by a hanging CA end with it.
                sockets.forEach((s) => s.destroy());
            }
            down = mode;
        },
        stop: () => {
            sockets.forEach((s) => s.destroy());
            server.close();
        },
    };
}

/** Counts TCP connections opened while `fn` runs (every AWS, ACME or DNS-over-TCP call opens one or reuses none here). */
export async function countConnections<T>(fn: () => Promise<T>): Promise<{ result: T; connections: number }> {
    const original = net.Socket.prototype.connect;
    let connections = 0;
    net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
        connections++;
        return (original as (...a: unknown[]) => net.Socket).apply(this, args);
    } as typeof original;
    try {
        return { result: await fn(), connections };
    } finally {
        net.Socket.prototype.connect = original;
    }
}

export interface ServedPair {
    /** Leaf + chain, PEM. */
    cert: string;
    key: string;
}

export interface SniServer {
    /** "127.0.0.1:<port>": where the check connects for every alias. */
    address: string;
    /** What is served for each SNI name (a name without an entry: the handshake is refused). */
    serving: Map<string, ServedPair>;
    stop(): void;
}

/**
 * A TLS server on 127.0.0.1 that serves, per SNI name, the certificate a test chose: the stand-in
 * for CloudFront's edge in the live-check tests.
 */
export async function startSniServer(): Promise<SniServer> {
    const tls = await import("node:tls");
    const serving = new Map<string, ServedPair>();
    const contexts = new Map<ServedPair, import("node:tls").SecureContext>();
    const server = tls.createServer({
        SNICallback: (name, callback) => {
            const pair = serving.get(name);
            if (!pair) {
                callback(new Error(`no certificate for ${name}`));
                return;
            }
            let context = contexts.get(pair);
            if (!context) {
                context = tls.createSecureContext({ cert: pair.cert, key: pair.key });
                contexts.set(pair, context);
            }
            callback(null, context);
        },
    });
    server.on("tlsClientError", () => undefined);
    server.on("secureConnection", (socket) => socket.end());
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    return { address: `127.0.0.1:${port}`, serving, stop: () => server.close() };
}

/**
 * GetDistribution's answer as CloudFront China gives it: AliasICPRecordals (which moto never fills),
 * APPROVED unless `icp` says otherwise per alias, and the status (and its time) a test chooses.
 */
export function distributionRewrite(icp: Record<string, string>, status: { value: string; since?: Date } = { value: "Deployed" }) {
    return (body: string) => {
        const aliases = [...(/<Aliases>[\s\S]*?<\/Aliases>/.exec(body)?.[0] ?? "").matchAll(/<CNAME>([^<]+)<\/CNAME>/g)].map((m) => m[1]);
        const recordals = aliases
            .map(
                (a) =>
                    `<AliasICPRecordal><CNAME>${a}</CNAME><ICPRecordalStatus>${icp[a] ?? "APPROVED"}</ICPRecordalStatus></AliasICPRecordal>`,
            )
            .join("");
        let out = body.replace(/<Status>[^<]*<\/Status>/, `<Status>${status.value}</Status>`);
        if (status.since) {
            out = out.replace(
                /<LastModifiedTime>[^<]*<\/LastModifiedTime>/,
                `<LastModifiedTime>${status.since.toISOString()}</LastModifiedTime>`,
            );
        }
        return out.replace("</DistributionConfig>", `</DistributionConfig><AliasICPRecordals>${recordals}</AliasICPRecordals>`);
    };
}

/** Overrides Pebble's ARI answer for a certificate (management API, Pebble 2.8+; Pebble refuses requests without a User-Agent). */
export async function setRenewalInfo(pebble: Pebble, certificatePem: string, answer: unknown): Promise<void> {
    const https = await import("node:https");
    await new Promise<void>((resolve, reject) => {
        const req = https.request(
            `${pebble.managementUrl}/set-renewal-info/`,
            { method: "POST", headers: { "content-type": "application/json", "user-agent": "cloudfront-china-tests" } },
            (res) => {
                res.resume();
                res.on("end", () =>
                    (res.statusCode ?? 500) < 300 ? resolve() : reject(new Error(`set-renewal-info: HTTP ${res.statusCode}`)),
                );
            },
        );
        req.on("error", reject);
        req.end(JSON.stringify({ Certificate: certificatePem, ARIResponse: typeof answer === "string" ? answer : JSON.stringify(answer) }));
    });
}

/**
 * A file trusting what the suite trusts (the test CA for Pebble's HTTPS, and the machine's own extra
 * CAs that tests/run.sh keeps, e.g. for the package registries) and Pebble's current issuing root,
 * for NODE_EXTRA_CA_CERTS.
 */
export async function trustPebbleRoots(pebble: Pebble, dir: string): Promise<string> {
    const https = await import("node:https");
    const root = await new Promise<string>((resolve, reject) => {
        https
            .get(`${pebble.managementUrl}/roots/0`, (res) => {
                let body = "";
                res.on("data", (d: Buffer) => (body += d.toString()));
                res.on("end", () => resolve(body));
            })
            .on("error", reject);
    });
    const file = path.join(dir, "trusted.pem");
    const suite = process.env.NODE_EXTRA_CA_CERTS;
    const trusted = suite && fs.existsSync(suite) ? suite : path.join(tools, "certs", "ca.pem");
    fs.writeFileSync(file, `${fs.readFileSync(trusted, "utf8").trim()}\n${root.trim()}\n`);
    return file;
}

/**
 * A TCP relay on 127.0.0.1 that delays every flight by half of `rttMs` each way (and the connection
 * by a full round trip): loopback with a network's round-trip time, for measuring what concurrency
 * buys when the peer is far away. Benchmarks only.
 */
export async function startLatencyRelay(target: string, rttMs: number): Promise<{ address: string; stop(): void }> {
    const [host, port] = [target.slice(0, target.lastIndexOf(":")), Number(target.slice(target.lastIndexOf(":") + 1))];
    const delayed = (from: net.Socket, to: net.Socket) => {
        from.on("data", (chunk: Buffer) => setTimeout(() => to.writable && to.write(chunk), rttMs / 2));
        from.on("end", () => setTimeout(() => to.end(), rttMs / 2));
        from.on("error", () => to.destroy());
    };
    const server = net.createServer((client) => {
        client.pause();
        setTimeout(() => {
            const upstream = net.connect(port, host, () => {
                delayed(client, upstream);
                delayed(upstream, client);
                client.resume();
            });
            upstream.on("error", () => client.destroy());
        }, rttMs);
    });
    const listen = await freePort();
    await new Promise<void>((resolve) => server.listen(listen, "127.0.0.1", resolve));
    return { address: `127.0.0.1:${listen}`, stop: () => server.close() };
}

/**
 * Runs node with `args` in the project folder without blocking this event loop (the peers' proxy,
 * DNS and TLS servers live in it); killed after `timeoutMs`.
 */
export function runNode(
    args: string[],
    env: NodeJS.ProcessEnv = {},
    timeoutMs = 120_000,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env } });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => child.kill(), timeoutMs);
        child.on("close", (status) => {
            clearTimeout(timer);
            resolve({ status, stdout, stderr });
        });
    });
}
