/**
 * One AWS identity for everything: the certificate provider makes every IAM, Route 53 and STS call
 * with the stack's `aws:` identity settings. Proven against moto through the fault proxy, which reads
 * the access key id of each request's SigV4 signature. Two named profiles live in a temporary shared
 * credentials file; the process environment holds a third key ("testing") that must never sign.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { acmeAccountProvider } from "../providers/acmeAccount";
import { AwsIdentity, durationSeconds, identityFromStackConfig, identityProblems } from "../core/awsIdentity";
import type { CertificateInputs } from "../core/certificate";
import { iamAcmeCertificateProvider as provider } from "../providers/iamAcmeCertificate";
import { certificateInputs, countConnections, createZone, Peers, usePeers } from "./support/fixture";
import { SignedCall, runNode, tempDir } from "./support/peers";
import { promiseOf, settle, useOfflineMocks } from "./support/pulumi";

const root = path.resolve(__dirname, "..");
const STACK_KEY = "AKIASTACKPROFILE0001";
const OTHER_KEY = "AKIAOTHERPROFILE0002";
const ROLE = "arn:aws-cn:iam::123456789012:role/cloudfront-china-deploy";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- provider results are untyped (dynamic provider contract)
type Outs = Record<string, any>;

describe("AWS identity from stack config (pure)", () => {
    it("takes aws:profile, the shared files and aws:assumeRoles as pulumi-aws does, duration in seconds", () => {
        const { identity, problems } = identityFromStackConfig({
            profile: "china-prod",
            sharedCredentialsFiles: ["/etc/aws/credentials"],
            sharedConfigFiles: ["/etc/aws/config"],
            assumeRoles: [{ roleArn: ROLE, sessionName: "renewal", externalId: "ext-1", duration: "1h30m" }],
        });
        assert.deepEqual(problems, []);
        assert.deepEqual(identity, {
            profile: "china-prod",
            sharedCredentialsFiles: ["/etc/aws/credentials"],
            sharedConfigFiles: ["/etc/aws/config"],
            assumeRoles: [{ roleArn: ROLE, sessionName: "renewal", externalId: "ext-1", durationSeconds: 5400 }],
        });
        assert.equal(identityFromStackConfig({}).identity, undefined, "no settings: the SDK's default chain");
        assert.deepEqual(
            [durationSeconds("15m"), durationSeconds("3600s"), durationSeconds("1h"), durationSeconds("soon")],
            [900, 3600, 3600, undefined],
        );
    });

    it("refuses static keys and web identity in stack config, naming the key and the fix", () => {
        const keys = identityFromStackConfig({ accessKey: "AKIA…", secretKey: "…" }).problems;
        assert.equal(keys.length, 1);
        assert.match(
            keys[0],
            /`aws:accessKey`, `aws:secretKey` in stack config: .*stale when the key is rotated.*aws:profile china-prod.*AWS_ACCESS_KEY_ID/,
        );
        assert.match(identityFromStackConfig({ token: "x" }).problems[0], /`aws:token`/);
        assert.match(identityFromStackConfig({ assumeRoleWithWebIdentity: { roleArn: ROLE } }).problems[0], /AWS_WEB_IDENTITY_TOKEN_FILE/);
    });

    it("refuses malformed roles, durations, and more than one shared file", () => {
        const cases: Array<[Record<string, unknown>, RegExp]> = [
            [
                { assumeRoles: [{ roleArn: "arn:aws:iam::123456789012:role/x" }] },
                /`aws:assumeRoles\[0\]\.roleArn` .*global partition.*arn:aws-cn/,
            ],
            [{ assumeRoles: [{ roleArn: "deploy" }] }, /`aws:assumeRoles\[0\]\.roleArn` "deploy" is not an AWS China role ARN/],
            [{ assumeRoles: [{ roleArn: ROLE, duration: "2 hours" }] }, /`aws:assumeRoles\[0\]\.duration` "2 hours" is not a duration/],
            [{ assumeRoles: [{ roleArn: ROLE, duration: "13h" }] }, /`aws:assumeRoles\[0\]\.duration` must be between 15m and 12h/],
            [{ assumeRoles: [{ roleArn: ROLE, sessionName: "a b" }] }, /`aws:assumeRoles\[0\]\.sessionName`/],
            [{ assumeRoles: { roleArn: ROLE } }, /`aws:assumeRoles` must be a list/],
            [{ sharedCredentialsFiles: ["/a", "/b"] }, /`aws:sharedCredentialsFiles` lists 2 files: .*merge them/],
            [{ profile: "" }, /`aws:profile` must be a profile name/],
        ];
        for (const [config, message] of cases) {
            const { problems } = identityFromStackConfig(config);
            assert.equal(problems.length, 1, `${JSON.stringify(config)}: ${problems.join(" | ")}`);
            assert.match(problems[0], message);
        }
        assert.deepEqual(
            identityProblems({ profile: "p", region: "cn-north-1" }).map((f) => f.reason),
            ["`awsIdentity.region` is not an identity setting: use profile, sharedCredentialsFiles, sharedConfigFiles, assumeRoles"],
        );
    });
});

describe("one AWS identity for every call of the certificate provider (moto, signatures read at the proxy)", function () {
    this.timeout(120_000);
    let peers: Peers;
    let account: { accountUrl: string; accountKeyPem: string };
    let credentialsFile: string;

    const inputs = (domains: string[], awsIdentity: AwsIdentity | undefined, extra: Partial<CertificateInputs> = {}): CertificateInputs =>
        certificateInputs(peers, account, domains, { path: "/cloudfront/identity/site/", awsIdentity, ...extra });
    const stackProfile = (): AwsIdentity => ({ profile: "stack", sharedCredentialsFiles: [credentialsFile] });
    const otherProfile = (): AwsIdentity => ({ profile: "other", sharedCredentialsFiles: [credentialsFile] });

    /** Calls made while `fn` runs, as "service action key". */
    async function callsDuring(fn: () => Promise<unknown>): Promise<SignedCall[]> {
        const from = peers.proxy.signed.length;
        await fn();
        return peers.proxy.signed.slice(from);
    }
    const keysOf = (calls: SignedCall[]) => [...new Set(calls.map((c) => c.accessKeyId))];

    before(async () => {
        peers = await usePeers();
        account = (await acmeAccountProvider.create({ directoryUrl: peers.pebble.directoryUrl })).outs;
        const dir = tempDir("cfcn-identity-");
        credentialsFile = path.join(dir, "credentials");
        fs.writeFileSync(
            credentialsFile,
            `[stack]\naws_access_key_id = ${STACK_KEY}\naws_secret_access_key = stack-secret\n\n` +
                `[other]\naws_access_key_id = ${OTHER_KEY}\naws_secret_access_key = other-secret\n`,
        );
        assert.equal(process.env.AWS_ACCESS_KEY_ID, "testing", "the environment holds a key that must not be used");
    });

    afterEach(() => {
        peers.proxy.faults.length = 0;
    });

    it("check (zone lookup), create, read, update and delete are all signed by the stack's profile", async () => {
        const zone = await createZone("example.cn");
        const i = inputs([`www.${zone.name}`], stackProfile(), { hostedZones: undefined });
        let created: { id: string; outs?: Outs } | undefined;
        const checked = await callsDuring(async () => assert.deepEqual((await provider.check!({}, i)).failures, []));
        assert.ok(
            checked.some((c) => c.action.startsWith("GET /2013-04-01/hostedzone")),
            "check listed the zones",
        );
        const createCalls = await callsDuring(async () => (created = await provider.create(i)));
        assert.ok(createCalls.some((c) => c.action === "UploadServerCertificate"));
        assert.ok(
            createCalls.some((c) => /\/rrset$/.test(c.action)),
            "Route 53 changes",
        );
        const readCalls = await callsDuring(() => provider.read!(created!.id, created!.outs));
        peers.proxy.faults.push({ action: "TagServerCertificate", times: 1, status: 200, code: "" });
        const updateCalls = await callsDuring(() => provider.update!(created!.id, created!.outs, { ...i, tags: { team: "web" } }));
        const deleteCalls = await callsDuring(() => provider.delete!(created!.id, created!.outs));
        for (const [label, calls] of Object.entries({ checked, createCalls, readCalls, updateCalls, deleteCalls })) {
            assert.ok(calls.length > 0, `${label} made calls`);
            assert.deepEqual(keysOf(calls), [STACK_KEY], `${label}: ${calls.map((c) => `${c.action} by ${c.accessKeyId}`).join(", ")}`);
        }
    });

    it("a changed identity is an in-place update (no replacement); unchanged, no diff", async () => {
        const zone = await createZone("example.cn");
        const i = inputs([`www.${zone.name}`], stackProfile());
        const created = await provider.create(i);
        const { result, connections } = await countConnections(() => provider.diff!(created.id, created.outs, i));
        assert.deepEqual(result, { changes: false });
        assert.equal(connections, 0);
        assert.deepEqual(await provider.diff!(created.id, created.outs, { ...i, awsIdentity: otherProfile() }), { changes: true });
        assert.deepEqual(await provider.diff!(created.id, created.outs, { ...i, awsIdentity: undefined }), { changes: true });
        // check looks the zones up again with the new identity (it may not see them), and not at all when nothing changed.
        assert.deepEqual(await callsDuring(() => provider.check!(created.outs, i)), []);
        const rechecked = await callsDuring(() => provider.check!(created.outs, { ...i, awsIdentity: otherProfile() }));
        assert.ok(rechecked.length > 0, "the zones are listed again");
        assert.deepEqual(keysOf(rechecked), [OTHER_KEY]);
        const updated = await provider.update!(created.id, created.outs, { ...i, awsIdentity: otherProfile() });
        assert.deepEqual((updated.outs as Outs).awsIdentity, otherProfile(), "the new identity is stored for later calls");
        assert.equal((updated.outs as Outs).serialNumber, created.outs.serialNumber, "same certificate");
        const deleteCalls = await callsDuring(() => provider.delete!(created.id, updated.outs as Outs));
        assert.deepEqual(keysOf(deleteCalls), [OTHER_KEY]);
    });

    it("assumes aws:assumeRoles with the profile's key, then signs every call with the role's session", async () => {
        const zone = await createZone("example.cn");
        const identity: AwsIdentity = { ...stackProfile(), assumeRoles: [{ roleArn: ROLE, sessionName: "renewal", durationSeconds: 900 }] };
        const i = inputs([`www.${zone.name}`], identity);
        const calls = await callsDuring(async () => {
            const created = await provider.create(i);
            await provider.delete!(created.id, created.outs);
        });
        const sts = calls.filter((c) => c.service === "sts");
        assert.deepEqual(
            sts.map((c) => [c.action, c.accessKeyId]),
            [["AssumeRole", STACK_KEY]],
            "one AssumeRole for the whole run (cached), signed by the profile",
        );
        const others = calls.filter((c) => c.service !== "sts");
        const sessionKeys = keysOf(others);
        assert.equal(sessionKeys.length, 1, sessionKeys.join(", "));
        assert.ok(![STACK_KEY, OTHER_KEY, "testing"].includes(sessionKeys[0]), `signed by the role session (${sessionKeys[0]})`);
    });

    it("delete runs with the code and identity stored in the state (serialized provider, fresh process)", async () => {
        const zone = await createZone("example.cn");
        const { IamAcmeCertificate } = await import("../providers/iamAcmeCertificate");
        const { AcmeAccount } = await import("../providers/acmeAccount");
        const mocks = await useOfflineMocks();
        const cert = new IamAcmeCertificate("cert", {
            domains: [`www.${zone.name}`],
            account: new AcmeAccount("acct", { directoryUrl: peers.pebble.directoryUrl }),
            region: "cn-north-1",
            awsIdentity: stackProfile(),
        });
        await promiseOf(cert.id);
        await settle();
        const registered = mocks.find("pulumi-nodejs:dynamic/cloudfront-china:IamAcmeCertificate", "cert")[0];
        assert.deepEqual(registered.inputs.awsIdentity, stackProfile(), "the identity is an input of the resource");
        const created = await provider.create(inputs([`www.${zone.name}`], stackProfile()));
        const dir = tempDir("cfcn-identity-serialized-");
        fs.writeFileSync(path.join(dir, "provider.js"), registered.inputs.__provider);
        fs.writeFileSync(path.join(dir, "state.json"), JSON.stringify({ id: created.id, outs: created.outs }));
        const from = peers.proxy.signed.length;
        const run = await runNode([
            path.join(root, "tests", "support", "serializedDriver.js"),
            "delete",
            path.join(dir, "provider.js"),
            path.join(dir, "state.json"),
        ]);
        assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
        const calls = peers.proxy.signed.slice(from);
        assert.deepEqual(
            calls.map((c) => [c.action, c.accessKeyId]),
            [["DeleteServerCertificate", STACK_KEY]],
        );
    });

    it("the program passes the stack's aws: settings to the certificate; a resource without awsIdentity takes them too", async () => {
        pulumi.runtime.setAllConfig(
            {
                "aws:profile": "stack",
                "aws:sharedCredentialsFiles": JSON.stringify([credentialsFile]),
                "aws:assumeRoles": JSON.stringify([{ roleArn: ROLE, duration: "1h" }]),
            },
            [],
        );
        try {
            const mocks = await useOfflineMocks();
            const { IamAcmeCertificate } = await import("../providers/iamAcmeCertificate");
            const { AcmeAccount } = await import("../providers/acmeAccount");
            const cert = new IamAcmeCertificate("cert", {
                domains: ["www.example.cn"],
                account: new AcmeAccount("acct", { directoryUrl: peers.pebble.directoryUrl }),
                region: "cn-north-1",
            });
            await promiseOf(cert.id);
            await settle();
            assert.deepEqual(mocks.find("pulumi-nodejs:dynamic/cloudfront-china:IamAcmeCertificate", "cert")[0].inputs.awsIdentity, {
                profile: "stack",
                sharedCredentialsFiles: [credentialsFile],
                assumeRoles: [{ roleArn: ROLE, durationSeconds: 3600 }],
            });
        } finally {
            pulumi.runtime.setAllConfig({}, []);
        }
    });

    it("an unknown profile, a missing file or a malformed role fails in check with the key and the fix, before any request", async () => {
        const zone = await createZone("example.cn");
        const cases: Array<[AwsIdentity, RegExp]> = [
            [
                { profile: "china-prd", sharedCredentialsFiles: [credentialsFile] },
                /`aws:profile` "china-prd" is in neither .*credentials nor .*: create it \(`aws configure --profile china-prd`\)/,
            ],
            [
                { profile: "stack", sharedCredentialsFiles: ["/nonexistent/credentials"] },
                /`aws:sharedCredentialsFiles` names \/nonexistent\/credentials, which does not exist/,
            ],
            [
                { ...stackProfile(), assumeRoles: [{ roleArn: "arn:aws:iam::123456789012:role/x" }] },
                /`aws:assumeRoles\[0\]\.roleArn` .*arn:aws-cn/,
            ],
        ];
        for (const [identity, message] of cases) {
            const from = peers.proxy.signed.length;
            const { result, connections } = await countConnections(() => provider.check!({}, inputs([`www.${zone.name}`], identity)));
            assert.equal(result.failures?.length, 1, JSON.stringify(result.failures));
            assert.equal(result.failures![0].property, "awsIdentity");
            assert.match(result.failures![0].reason, message);
            assert.equal(connections, 0, "no request");
            assert.equal(peers.proxy.signed.length, from);
        }
    });
});
