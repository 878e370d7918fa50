/**
 * Site content as one resource (providers/siteContent.ts): the manifest rules (core/content.ts),
 * the component's static-site conventions under runtime mocks, and the provider against moto's S3
 * and CloudFront behind the fault proxy (uploads, deletes, invalidations, partial failure, refresh,
 * destroy of a versioned bucket, the stack's identity).
 */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { CloudFrontClient, GetInvalidationCommand } from "@aws-sdk/client-cloudfront";
import {
    DeleteBucketCommand,
    DeleteObjectCommand,
    GetObjectCommand,
    HeadObjectCommand,
    ListObjectVersionsCommand,
    PutBucketVersioningCommand,
    S3Client,
} from "@aws-sdk/client-s3";
import * as pulumi from "@pulumi/pulumi";
import type { ChinaCdnArgs } from "../components/chinaCdn";
import {
    CACHE_DEFAULT,
    CACHE_IMMUTABLE,
    CACHE_REVALIDATE,
    MAX_INVALIDATION_PATHS,
    SkippedEntry,
    cacheControlFor,
    hashedNamePatternProblem,
    invalidationPaths,
    isHashedName,
    manifestDigest,
    manifestProblems,
    siteManifest,
    urlPath,
} from "../core/content";
import { SiteContentInputs, SiteContentOutputs, siteContentProvider } from "../providers/siteContent";
import { contentCalls, contentInputs, createContentTarget } from "./support/content";
import { SAMPLE_SITE, usePeers, Peers, writeFiles } from "./support/fixture";
import { tempDir } from "./support/peers";
import { promiseOf, recordRegistrations, settle, useOfflineMocks } from "./support/pulumi";
import { shippedAnyStackPolicy } from "./support/policy";

/** A fresh folder holding `files`. */
const folder = (files: Readonly<Record<string, string>>) => writeFiles(tempDir("cfcn-content-"), files);
const SITE = SAMPLE_SITE;

describe("site content: what is uploaded and what is invalidated (core/content.ts)", () => {
    it("one object per file, dotfiles skipped, dir/index.html also at dir/, with content type, Cache-Control and MD5", () => {
        const manifest = siteManifest(folder(SITE));
        assert.deepEqual(
            manifest.map((e) => [e.key, e.contentType, e.cacheControl]),
            [
                ["404.html", "text/html; charset=utf-8", CACHE_REVALIDATE],
                ["assets/app.3f9a2c1b.js", "application/javascript; charset=utf-8", CACHE_IMMUTABLE],
                ["docs/", "text/html; charset=utf-8", CACHE_REVALIDATE],
                ["docs/guide.html", "text/html; charset=utf-8", CACHE_REVALIDATE],
                ["docs/index.html", "text/html; charset=utf-8", CACHE_REVALIDATE],
                ["index.html", "text/html; charset=utf-8", CACHE_REVALIDATE],
                ["robots.txt", "text/plain; charset=utf-8", CACHE_DEFAULT],
                ["style.css", "text/css; charset=utf-8", CACHE_DEFAULT],
            ],
        );
        const docs = manifest.filter((e) => e.key.startsWith("docs/") && !e.key.endsWith("guide.html"));
        assert.equal(docs[0].md5, docs[1].md5, "docs/ is docs/index.html");
        // What S3 answers as the ETag of a single-PUT object: a refresh compares the two.
        assert.equal(manifest.find((e) => e.key === "style.css")?.md5, crypto.createHash("md5").update("body{}").digest("hex"));
    });

    it("XML and JSON of every kind revalidate, as the README says: feeds, JSON-LD, manifests; SVG images do not", () => {
        const manifest = siteManifest(
            folder({
                "feed.rss": "<rss/>",
                "atom.atom": "<feed/>",
                "data.jsonld": "{}",
                "site.webmanifest": "{}",
                "a.json": "{}",
                "s.xml": "<x/>",
                "logo.svg": "<svg/>",
            }),
        );
        const cache = Object.fromEntries(manifest.map((e) => [e.key, e.cacheControl]));
        for (const key of ["feed.rss", "atom.atom", "data.jsonld", "site.webmanifest", "a.json", "s.xml"]) {
            assert.equal(cache[key], CACHE_REVALIDATE, `${key} (${manifest.find((e) => e.key === key)?.contentType})`);
        }
        assert.equal(cache["logo.svg"], CACHE_DEFAULT);
    });

    it("the digest moves with any content, header or key change and with nothing else", () => {
        const dir = folder(SITE);
        const first = manifestDigest(siteManifest(dir));
        assert.equal(manifestDigest(siteManifest(dir)), first, "stable");
        fs.utimesSync(path.join(dir, "style.css"), new Date(0), new Date(0));
        assert.equal(manifestDigest(siteManifest(dir)), first, "a touched file is not a change");
        fs.writeFileSync(path.join(dir, "style.css"), "body{color:red}");
        assert.notEqual(manifestDigest(siteManifest(dir)), first);
        fs.renameSync(path.join(dir, "robots.txt"), path.join(dir, "robots2.txt"));
        assert.notEqual(manifestDigest(siteManifest(dir)), first);
    });

    it("invalidates each changed path, / for the top index.html, never hashed assets; encodes; one wildcard past the limit", () => {
        assert.deepEqual(invalidationPaths(["index.html", "docs/", "docs/index.html", "style.css", "assets/app.3f9a2c1b.js"]), [
            "/",
            "/docs/",
            "/docs/index.html",
            "/index.html",
            "/style.css",
        ]);
        assert.equal(urlPath("a b/ü*.html"), "/a%20b/%C3%BC%2A.html", "a space, non-ASCII, and * (else a wildcard) are encoded");
        const many = Array.from({ length: MAX_INVALIDATION_PATHS + 1 }, (_, i) => `page-${i}.html`);
        assert.deepEqual(invalidationPaths(many), ["/*"]);
        assert.equal(invalidationPaths(many.slice(0, MAX_INVALIDATION_PATHS)).length, MAX_INVALIDATION_PATHS);
        assert.deepEqual(invalidationPaths(["assets/app.3f9a2c1b.js"]), [], "a hashed asset alone needs no invalidation");
    });

    it("a hash is 8+ hex characters with a letter and a digit: a date, a version or a counter is not (or the build's own pattern)", () => {
        for (const hashed of ["app.3f9a2c1b.js", "chunk-0a1b2c3d4e5f.css", "logo.d41d8cd9.png"]) {
            assert.equal(isHashedName(hashed), true, hashed);
        }
        for (const plain of [
            "banner-20240101.jpg",
            "report.20240101123000.pdf",
            "photo-00001234.jpg",
            "deadbeef.js",
            "app.js",
            "v-12345678.css",
        ]) {
            assert.equal(isHashedName(plain), false, plain);
        }
        assert.equal(cacheControlFor("img/banner-20240101.jpg", "image/jpeg"), CACHE_DEFAULT, "cached a day, not a year");
        assert.deepEqual(invalidationPaths(["img/banner-20240101.jpg"]), ["/img/banner-20240101.jpg"], "and invalidated when it changes");
        // Vite: `[name]-[hash]` with 8 base64url characters.
        const vite = "-[A-Za-z0-9_-]{8}\\.[a-z0-9]+$";
        assert.equal(isHashedName("index-BxY2zQ1a.js", vite), true);
        assert.equal(cacheControlFor("assets/index-BxY2zQ1a.js", "application/javascript", vite), CACHE_IMMUTABLE);
        assert.deepEqual(invalidationPaths(["assets/index-BxY2zQ1a.js"], { hashedNamePattern: vite }), []);
        assert.equal(hashedNamePatternProblem(vite, "hashedNamePattern"), undefined);
        assert.match(hashedNamePatternProblem("\\.js$", "hashedNamePattern") ?? "", /matches "app\.js", a name without a hash/);
        assert.match(hashedNamePatternProblem("([", "hashedNamePattern") ?? "", /is not a regular expression/);
    });

    it("publishes .well-known/ and links inside the folder; skips and reports other dotfiles and links that leave it", () => {
        const outside = folder({ "secret.txt": "aws_secret_access_key = x" });
        const dir = folder({
            "index.html": "<h1>home</h1>",
            "v2/page.html": "<p>v2</p>",
            ".well-known/security.txt": "Contact: mailto:security@example.cn",
            ".well-known/apple-app-site-association": "{}",
            ".env": "TOKEN=x",
            ".git/config": "[core]",
        });
        fs.symlinkSync(path.join(dir, "v2", "page.html"), path.join(dir, "latest.html"));
        fs.symlinkSync(path.join(dir, "v2"), path.join(dir, "current"));
        fs.symlinkSync(path.join(outside, "secret.txt"), path.join(dir, "leak.txt"));
        fs.symlinkSync(path.join(dir, "nowhere"), path.join(dir, "dangling.html"));
        fs.symlinkSync(dir, path.join(dir, "v2", "loop"));
        const skipped: SkippedEntry[] = [];
        const manifest = siteManifest(dir, {}, skipped);
        assert.deepEqual(
            manifest.map((e) => e.key),
            [
                ".well-known/apple-app-site-association",
                ".well-known/security.txt",
                "current/page.html",
                "index.html",
                "latest.html",
                "v2/page.html",
            ],
        );
        assert.equal(manifest[0].contentType, "application/json; charset=utf-8", "Apple's app-links file is JSON");
        assert.deepEqual(skipped.map((s) => `${s.path}: ${s.why}`).sort(), [
            ".env: dotfile (repository data or secrets, never content)",
            ".git: dotfile (repository data or secrets, never content)",
            "current/loop: symbolic link loop",
            "dangling.html: symbolic link to nothing",
            "leak.txt: symbolic link out of the folder (not followed)",
            "v2/loop: symbolic link loop",
        ]);
    });

    it("invalidation paths encode only non-ASCII and RFC 1738's unsafe characters, as AWS requires; a key with + is invalidated as fetched too", () => {
        assert.equal(urlPath("a&b=c@d:e,f;g$h!i'j(k).html"), "/a&b=c@d:e,f;g$h!i'j(k).html", "reserved characters stay as they are");
        assert.equal(urlPath('x y"z<>#%{}|\\^~[]`.html'), "/x%20y%22z%3C%3E%23%25%7B%7D%7C%5C%5E%7E%5B%5D%60.html");
        assert.equal(urlPath("文档/ü.html"), "/%E6%96%87%E6%A1%A3/%C3%BC.html");
        assert.deepEqual(invalidationPaths(["c++/a+b.html"]), ["/c%2B%2B/a%2Bb.html", "/c++/a+b.html"]);
    });

    it("refuses an empty folder, a file over 5 GiB, a key S3 or CloudFront cannot take, naming the file and the fix", () => {
        assert.match(
            manifestProblems([], "/site", "contentDir").join("\n"),
            /`contentDir` "\/site" holds no files to serve .*build the site/,
        );
        const problems = manifestProblems(
            [
                { key: "video.mp4", size: 6 * 1024 ** 3 },
                { key: "a?b.html", size: 1 },
                { key: "tab\there.html", size: 1 },
                { key: `${"x".repeat(1030)}.html`, size: 1 },
                { key: "fine.html", size: 1 },
            ],
            "/site",
            "contentDir",
        );
        assert.equal(problems.length, 4, problems.join("\n"));
        assert.match(problems[0], /"video\.mp4" is 6\.0 GiB, over S3's 5 GiB single-upload limit/);
        assert.match(problems[1], /"a\?b\.html" contains "\?", which no URL path can reach through CloudFront.*rename the file/);
        assert.match(problems[2], /contains "\\t"/);
        assert.match(problems[3], /over S3's 1024-byte key limit: shorten it/);
    });
});

describe("site content in the component (runtime mocks)", () => {
    after(() => pulumi.runtime.setAllConfig({}, []));
    const base = (contentDir: string, extra: Partial<ChinaCdnArgs> = {}): ChinaCdnArgs => ({
        domains: ["www.example.cn"],
        region: "cn-north-1",
        iamCertificateId: "ASCAEXAMPLE0123456789",
        contentDir,
        ...extra,
    });
    /** Fresh mocks with one ChinaCdn per [name, args]; the mocks and what the engine received per resource. */
    async function build(...sites: Array<[string, ChinaCdnArgs]>) {
        const mocks = await useOfflineMocks();
        const recorded = recordRegistrations();
        const { ChinaCdn } = await import("../components/chinaCdn");
        for (const [name, args] of sites) {
            await promiseOf(new ChinaCdn(name, args).distributionId);
        }
        await settle();
        return { mocks, ...recorded };
    }
    const errors = async (args: ChinaCdnArgs) =>
        (await build(["site", args])).mocks.find("aws:cloudfront/distribution:Distribution", "site-cdn")[0].inputs.customErrorResponses;

    it("404.html at the top answers missing pages with status 404 (403 from the OAI included); spa keeps its own answer", async () => {
        const notFound = [403, 404].map((errorCode) => ({
            errorCode,
            responseCode: 404,
            responsePagePath: "/404.html",
            errorCachingMinTtl: 10,
        }));
        assert.deepEqual(await errors(base(folder(SITE))), notFound);
        const { "404.html": _, ...without } = SITE;
        void _;
        assert.equal(await errors(base(folder(without))), undefined, "no 404.html: CloudFront's own error");
        assert.deepEqual(
            (await errors(base(folder(SITE), { spa: true }))).map((e: { responseCode: number; responsePagePath: string }) => [
                e.responseCode,
                e.responsePagePath,
            ]),
            [
                [200, "/index.html"],
                [200, "/index.html"],
            ],
        );
    });

    it("the first object goes into a bucket already private, owner-enforced and encrypted", async () => {
        const { dependencies } = await build(["ordered", base(folder(SITE))]);
        for (const setting of ["ordered-public-access-block", "ordered-ownership", "ordered-encryption"]) {
            assert.ok(dependencies["ordered-content"].includes(setting), `${setting}: ${dependencies["ordered-content"].join(", ")}`);
        }
    });

    it("the content is kept with the buckets on destroy by default, and deleted with destroyBuckets", async () => {
        const { retainOnDelete } = await build(["kept", base(folder(SITE))], ["gone", base(folder(SITE), { destroyBuckets: true })]);
        assert.equal(retainOnDelete["kept-content"], true);
        assert.equal(retainOnDelete["gone-content"], false);
    });

    it("a folder that cannot be deployed fails before anything is registered", async () => {
        const mocks = await useOfflineMocks();
        const { ChinaCdn } = await import("../components/chinaCdn");
        for (const [dir, message] of [
            [folder({ ".gitkeep": "" }), /holds no files to serve/],
            [folder({ "index.html": "x", "what?.html": "x" }), /"what\?\.html" contains "\?"/],
        ] as const) {
            const before = mocks.registrations.length;
            assert.throws(() => new ChinaCdn("bad", base(dir)), message);
            assert.equal(mocks.registrations.length, before);
        }
    });
});

describe("site content against moto (S3, CloudFront invalidations) through the fault proxy", function () {
    this.timeout(120_000);
    let peers: Peers;
    let s3: S3Client;
    let cloudfront: CloudFrontClient;
    let counter = 0;

    before(async () => {
        peers = await usePeers();
        s3 = new S3Client({ region: "cn-north-1", endpoint: peers.moto.url, forcePathStyle: true });
        cloudfront = new CloudFrontClient({ region: "cn-north-1", endpoint: peers.moto.url });
    });
    afterEach(() => {
        peers.proxy.faults.length = 0;
    });

    /** A fresh bucket and distribution in moto, and provider inputs for `dir`. */
    async function setUp(dir: string, extra: Partial<SiteContentInputs> = {}): Promise<SiteContentInputs> {
        return contentInputs(dir, await createContentTarget(peers.moto.url, `content-${++counter}`), extra);
    }
    /** The S3 writes (PUT object, POST ?delete) and CloudFront invalidations `fn` made, through the proxy. */
    async function writesDuring<T>(bucket: string, fn: () => Promise<T>) {
        const from = peers.proxy.seen.length;
        const result = await fn();
        return { result, ...contentCalls(peers.proxy.seen.slice(from), bucket) };
    }
    const refresh = (i: SiteContentInputs) => ({ ...i, digest: manifestDigest(siteManifest(i.dir)) });

    it("first deploy uploads every object with its headers; dir/ serves dir/index.html; no invalidation", async () => {
        const inputs = await setUp(folder(SITE));
        const { result, puts, invalidations } = await writesDuring(inputs.bucket, () => siteContentProvider.create!(inputs));
        const outs = result.outs as SiteContentOutputs;
        assert.equal(outs.fileCount, 8);
        assert.equal(puts.length, 8);
        assert.equal(invalidations, 0, "a new distribution has nothing cached");
        // Pages last: every asset went up before the first page.
        const firstPage = puts.findIndex((k) => k.endsWith(".html") || k.endsWith("/"));
        assert.ok(
            puts.slice(firstPage).every((k) => k.endsWith(".html") || k.endsWith("/")),
            puts.join(", "),
        );
        const head = await s3.send(new HeadObjectCommand({ Bucket: inputs.bucket, Key: "style.css" }));
        assert.deepEqual([head.ContentType, head.CacheControl], ["text/css; charset=utf-8", CACHE_DEFAULT]);
        const docs = await s3.send(new GetObjectCommand({ Bucket: inputs.bucket, Key: "docs/" }));
        assert.equal(await docs.Body?.transformToString(), "<h1>docs</h1>");
        const notFound = await s3.send(new HeadObjectCommand({ Bucket: inputs.bucket, Key: "404.html" }));
        assert.equal(notFound.ContentType, "text/html; charset=utf-8");
    });

    it("an unchanged deploy: no diff, and an update makes no S3 write and no invalidation", async () => {
        const inputs = await setUp(folder(SITE));
        const outs = (await siteContentProvider.create!(inputs)).outs as SiteContentOutputs;
        assert.deepEqual(await siteContentProvider.diff!(inputs.bucket, outs, refresh(inputs)), { changes: false });
        const { puts, deletes, invalidations } = await writesDuring(inputs.bucket, () =>
            siteContentProvider.update!(inputs.bucket, outs, refresh(inputs)),
        );
        assert.deepEqual([puts.length, deletes, invalidations], [0, 0, 0]);
    });

    it("3 edited, 1 added, 1 removed: uploads 4, deletes 1, one invalidation of exactly those paths (not the hashed asset)", async () => {
        const dir = folder(SITE);
        const inputs = await setUp(dir);
        const outs = (await siteContentProvider.create!(inputs)).outs as SiteContentOutputs;
        fs.writeFileSync(path.join(dir, "style.css"), "body{color:red}");
        fs.writeFileSync(path.join(dir, "docs/guide.html"), "<h1>guide v2</h1>");
        fs.writeFileSync(path.join(dir, "assets/app.3f9a2c1b.js"), "console.log(2)");
        fs.writeFileSync(path.join(dir, "new.html"), "<h1>new</h1>");
        fs.rmSync(path.join(dir, "robots.txt"));
        const news = refresh(inputs);
        assert.deepEqual(await siteContentProvider.diff!(inputs.bucket, outs, news), { changes: true });
        const { result, puts, deletes, invalidations } = await writesDuring(inputs.bucket, () =>
            siteContentProvider.update!(inputs.bucket, outs, news),
        );
        const after = result.outs as SiteContentOutputs;
        assert.deepEqual(puts.sort(), ["assets/app.3f9a2c1b.js", "docs/guide.html", "new.html", "style.css"]);
        assert.deepEqual([deletes, invalidations], [1, 1]);
        assert.equal(after.fileCount, 8);
        assert.equal(after.digest, news.digest);
        const invalidation = await cloudfront.send(
            new GetInvalidationCommand({ DistributionId: inputs.distributionId, Id: after.lastInvalidationId }),
        );
        assert.deepEqual([...(invalidation.Invalidation?.InvalidationBatch?.Paths?.Items ?? [])].sort(), [
            "/docs/guide.html",
            "/new.html",
            "/robots.txt",
            "/style.css",
        ]);
        await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: inputs.bucket, Key: "robots.txt" })), /NotFound|404/);
        assert.deepEqual(await siteContentProvider.diff!(inputs.bucket, after, refresh(inputs)), { changes: false });
    });

    it("a failure in the middle of an upload records what went up; the next update uploads only the rest, then invalidates", async () => {
        const dir = folder(SITE);
        const inputs = await setUp(dir, { concurrency: 1 });
        const outs = (await siteContentProvider.create!(inputs)).outs as SiteContentOutputs;
        for (const name of ["a.css", "b.css", "c.css", "d.css"]) {
            fs.writeFileSync(path.join(dir, name), `.${name[0]}{}`);
        }
        // c.css fails every attempt (the SDK retries 5xx): a, b went up before it, d never started.
        peers.proxy.faults.push({ action: new RegExp(`^PUT /${inputs.bucket}/c\\.css`), times: 100, status: 500, code: "InternalError" });
        const failed = await siteContentProvider.update!(inputs.bucket, outs, refresh(inputs)).then(
            () => assert.fail("the update should fail"),
            (e: { message: string; id: string; properties: SiteContentOutputs; reasons: string[] }) => e,
        );
        assert.match(
            failed.message,
            /uploaded 2 of 4 file\(s\): uploading "c\.css".*the next `pulumi up` finishes the rest without uploading it again/,
        );
        assert.equal(failed.id, inputs.bucket);
        assert.deepEqual(
            ["a.css", "b.css", "c.css", "d.css"].map((k) => k in failed.properties.files),
            [true, true, false, false],
        );
        assert.deepEqual(failed.properties.pendingInvalidation, ["a.css", "b.css"]);
        assert.equal(failed.properties.digest, "", "the next diff sees work left");
        peers.proxy.faults.length = 0;
        const partial = failed.properties;
        assert.equal((await siteContentProvider.diff!(inputs.bucket, partial, refresh(inputs))).changes, true);
        const { result, puts, invalidations } = await writesDuring(inputs.bucket, () =>
            siteContentProvider.update!(inputs.bucket, partial, refresh(inputs)),
        );
        assert.deepEqual(puts.sort(), ["c.css", "d.css"], "only what had not gone up");
        assert.equal(invalidations, 1);
        const invalidation = await cloudfront.send(
            new GetInvalidationCommand({
                DistributionId: inputs.distributionId,
                Id: (result.outs as SiteContentOutputs).lastInvalidationId,
            }),
        );
        assert.deepEqual([...(invalidation.Invalidation?.InvalidationBatch?.Paths?.Items ?? [])].sort(), [
            "/a.css",
            "/b.css",
            "/c.css",
            "/d.css",
        ]);
    });

    it("refresh finds an object deleted out of band; the next update uploads it alone", async () => {
        const inputs = await setUp(folder(SITE));
        const outs = (await siteContentProvider.create!(inputs)).outs as SiteContentOutputs;
        await s3.send(new DeleteObjectCommand({ Bucket: inputs.bucket, Key: "style.css" }));
        const read = (await siteContentProvider.read!(inputs.bucket, outs)) as { props: SiteContentOutputs };
        assert.equal("style.css" in read.props.files, false);
        assert.equal((await siteContentProvider.diff!(inputs.bucket, read.props, refresh(inputs))).changes, true);
        const { puts } = await writesDuring(inputs.bucket, () => siteContentProvider.update!(inputs.bucket, read.props, refresh(inputs)));
        assert.deepEqual(puts, ["style.css"]);
        const unchanged = (await siteContentProvider.read!(inputs.bucket, outs)) as { props: SiteContentOutputs };
        assert.equal(unchanged.props.fileCount, 8, "nothing else drifted");
    });

    it("destroy deletes every object and every version from a versioned bucket, which can then be deleted", async () => {
        const dir = folder(SITE);
        const inputs = await setUp(dir);
        await s3.send(new PutBucketVersioningCommand({ Bucket: inputs.bucket, VersioningConfiguration: { Status: "Enabled" } }));
        let outs = (await siteContentProvider.create!(inputs)).outs as SiteContentOutputs;
        fs.writeFileSync(path.join(dir, "style.css"), "body{color:blue}");
        fs.rmSync(path.join(dir, "robots.txt"));
        outs = (await siteContentProvider.update!(inputs.bucket, outs, refresh(inputs))).outs as SiteContentOutputs;
        const versionsBefore = await s3.send(new ListObjectVersionsCommand({ Bucket: inputs.bucket }));
        assert.ok((versionsBefore.Versions ?? []).length > outs.fileCount, "old versions and a delete marker exist");
        await siteContentProvider.delete!(inputs.bucket, outs);
        const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: inputs.bucket }));
        const left = [...(versions.Versions ?? []), ...(versions.DeleteMarkers ?? [])].filter((v) => v.Key !== "robots.txt");
        assert.deepEqual(left, [], "no version of a key it wrote is left");
        // robots.txt was removed from the site earlier: its old version and delete marker stay (not in the manifest any more).
        const rest = [...(versions.Versions ?? []), ...(versions.DeleteMarkers ?? [])];
        await s3.send(
            new (await import("@aws-sdk/client-s3")).DeleteObjectsCommand({
                Bucket: inputs.bucket,
                Delete: { Objects: rest.map((v) => ({ Key: v.Key, VersionId: v.VersionId })) },
            }),
        );
        await s3.send(new DeleteBucketCommand({ Bucket: inputs.bucket }));
    });

    it("every S3 and CloudFront call is signed by the stack's identity (a named profile), never the environment's key", async () => {
        const dir = tempDir("cfcn-content-identity-");
        const credentials = path.join(dir, "credentials");
        fs.writeFileSync(credentials, "[stack]\naws_access_key_id = AKIASTACKCONTENT0001\naws_secret_access_key = stack-secret\n");
        const site = folder(SITE);
        const inputs = await setUp(site, { awsIdentity: { profile: "stack", sharedCredentialsFiles: [credentials] } });
        const from = peers.proxy.signed.length;
        let outs = (await siteContentProvider.create!(inputs)).outs as SiteContentOutputs;
        fs.writeFileSync(path.join(site, "style.css"), "body{color:green}");
        outs = (await siteContentProvider.update!(inputs.bucket, outs, refresh(inputs))).outs as SiteContentOutputs;
        await siteContentProvider.read!(inputs.bucket, outs);
        await siteContentProvider.delete!(inputs.bucket, outs);
        const calls = peers.proxy.signed.slice(from);
        assert.ok(calls.some((c) => c.service === "cloudfront") && calls.some((c) => c.service === "s3"));
        assert.deepEqual([...new Set(calls.map((c) => c.accessKeyId))], ["AKIASTACKCONTENT0001"]);
    });
});

describe("docs/iam-policy/ and the content provider", () => {
    it("allows every S3 and CloudFront call the content provider made against moto (on the objects' and bucket's ARNs)", async () => {
        const peers = await usePeers();
        const policy = shippedAnyStackPolicy();
        const glob = (p: string) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`);
        const allows = (action: string, arn: string) =>
            policy.Statement.some(
                (s) =>
                    s.Effect === "Allow" &&
                    s.Action.some((a) => glob(a).test(action)) &&
                    [s.Resource].flat().some((r) => glob(r).test(arn)),
            );
        // The S3 REST calls as IAM actions (DeleteObjects needs DeleteObject, and DeleteObjectVersion with versions).
        const rules: Array<[RegExp, (m: RegExpExecArray) => Array<[string, string]>]> = [
            [/^PUT \/(site-[^/?]+)\/([^?]+)/, (m) => [["s3:PutObject", `arn:aws-cn:s3:::${m[1]}/${m[2]}`]]],
            [
                /^POST \/(site-[^/?]+)\/\?delete/,
                (m) => [
                    ["s3:DeleteObject", `arn:aws-cn:s3:::${m[1]}/any`],
                    ["s3:DeleteObjectVersion", `arn:aws-cn:s3:::${m[1]}/any`],
                ],
            ],
            [/^GET \/(site-[^/?]+)\/?\?list-type=2/, (m) => [["s3:ListBucket", `arn:aws-cn:s3:::${m[1]}`]]],
            [/^GET \/(site-[^/?]+)\/?\?versions/, (m) => [["s3:ListBucketVersions", `arn:aws-cn:s3:::${m[1]}`]]],
            [
                /^POST \/2020-05-31\/distribution\/([^/]+)\/invalidation$/,
                (m) => [["cloudfront:CreateInvalidation", `arn:aws-cn:cloudfront::123456789012:distribution/${m[1]}`]],
            ],
            [
                /^GET \/2020-05-31\/distribution\/([^/]+)\/invalidation\//,
                (m) => [["cloudfront:GetInvalidation", `arn:aws-cn:cloudfront::123456789012:distribution/${m[1]}`]],
            ],
        ];
        const needed = peers.proxy.signed
            .filter((c) => c.service === "s3" || /invalidation/.test(c.action))
            .flatMap((c) => rules.flatMap(([re, f]) => (re.test(c.action) ? f(re.exec(c.action)!) : [])));
        const kinds = new Set(needed.map(([a]) => a));
        assert.ok(kinds.size >= 5, `the content tests made too few kinds of call to mean anything: ${[...kinds].join(", ")}`);
        assert.deepEqual(
            needed.filter(([a, arn]) => !allows(a, arn)).map(([a, arn]) => `${a} on ${arn}`),
            [],
        );
    });
});
