/**
 * A test-only stand-in for the pulumi-aws resource plugin, which cannot be installed on the test
 * machines. The CLI loads it as `aws` at the version the locked @pulumi/aws asks for (installed by
 * tests/support/standinAws.ts into the test PULUMI_HOME from a local tarball), so the project's own
 * program runs unchanged under the real engine. Every resource type and function the program
 * registers is implemented against moto with pulumi-aws's property names; inputs are checked against
 * the SDK's declarations; a type it does not implement fails with its name.
 *
 * It serves the engine's ResourceProvider gRPC protocol itself (not @pulumi/pulumi/provider's
 * server, whose Configure drops the provider configuration and whose Diff drops the old inputs).
 * Secrets are declined in Configure: the engine sends plain values and marks as secret the outputs
 * whose inputs were.
 */
import * as grpc from "@grpc/grpc-js";
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { Context, FunctionHandler, Props, ResourceHandler } from "./context";
import * as cloudfront from "./cloudfront";
import * as route53 from "./route53";
import * as s3 from "./s3";
import { argsShape, schemaFailures } from "./schema";
import * as watch from "./watch";

// eslint-disable-next-line @typescript-eslint/no-require-imports -- generated CommonJS protobuf modules
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const provproto = require("@pulumi/pulumi/proto/provider_pb");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const plugproto = require("@pulumi/pulumi/proto/plugin_pb");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const emptyproto = require("google-protobuf/google/protobuf/empty_pb");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const structproto = require("google-protobuf/google/protobuf/struct_pb");

/** The version the locked SDK asks the engine for. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION: string = require(path.join(path.dirname(require.resolve("@pulumi/aws/package.json")), "package.json")).pulumi.version;

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const RESOURCES: Record<string, ResourceHandler> = {
    "aws:s3/bucket:Bucket": s3.bucket,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": s3.bucketPublicAccessBlock,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": s3.bucketOwnershipControls,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": s3.bucketServerSideEncryptionConfiguration,
    "aws:s3/bucketVersioning:BucketVersioning": s3.bucketVersioning,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": s3.bucketLifecycleConfiguration,
    "aws:s3/bucketPolicy:BucketPolicy": s3.bucketPolicy,
    "aws:cloudfront/originAccessIdentity:OriginAccessIdentity": cloudfront.originAccessIdentity,
    "aws:cloudfront/distribution:Distribution": cloudfront.distribution,
    "aws:route53/record:Record": route53.record,
    ...watch.RESOURCES,
};

const FUNCTIONS: Record<string, FunctionHandler> = {
    "aws:index/getPartition:getPartition": async (_args, ctx) => ({
        id: ctx.partition,
        partition: ctx.partition,
        dnsSuffix: ctx.dnsSuffix,
        reverseDnsPrefix: ctx.dnsSuffix.split(".").reverse().join("."),
    }),
    "aws:index/getRegion:getRegion": async (_args, ctx) => ({
        id: ctx.region,
        name: ctx.region,
        region: ctx.region,
        endpoint: `ec2.${ctx.region}.${ctx.dnsSuffix}`,
        description: ctx.region,
    }),
    "aws:index/getCallerIdentity:getCallerIdentity": async (_args, ctx) => {
        const accountId = await ctx.accountId();
        return { id: accountId, accountId, arn: ctx.arn("iam", "user/moto", { account: accountId }), userId: "AIDAMOTO" };
    },
    "aws:route53/getZone:getZone": route53.getZone,
    "aws:iam/getPolicy:getPolicy": watch.getPolicy,
};

/** The resource type and name of a URN (`urn:pulumi:stack::project::parent$type::name`). */
function parseUrn(urn: string): { type: string; name: string } {
    const parts = urn.split("::");
    return { type: parts[2].split("$").pop() ?? "", name: parts.slice(3).join("::") };
}

function handlerFor(urn: string): { type: string; name: string; handler: ResourceHandler } {
    const { type, name } = parseUrn(urn);
    const handler = RESOURCES[type];
    if (!handler) {
        throw new Error(`the test stand-in for pulumi-aws does not implement ${type}: add it to tests/standin-aws/`);
    }
    return { type, name, handler };
}

const isEqual = (a: unknown, b: unknown) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
function canonical(v: unknown): unknown {
    if (Array.isArray(v)) {
        return v.map(canonical);
    }
    if (v && typeof v === "object") {
        return Object.fromEntries(
            Object.keys(v)
                .sort()
                .filter((k) => (v as Props)[k] !== undefined && (v as Props)[k] !== null)
                .map((k) => [k, canonical((v as Props)[k])]),
        );
    }
    return v;
}

const containsUnknown = (v: unknown): boolean =>
    v === UNKNOWN ||
    (Array.isArray(v) ? v.some(containsUnknown) : v && typeof v === "object" ? Object.values(v).some(containsUnknown) : false);

class StandIn {
    private ctx?: Context;
    private config: Record<string, unknown> = {};

    private context(): Context {
        this.ctx ??= new Context(this.config);
        return this.ctx;
    }

    configure(variables: Map<string, string>): void {
        for (const [k, v] of variables) {
            const key = k.replace(/^aws:config:/, "");
            try {
                this.config[key] = JSON.parse(v);
            } catch {
                this.config[key] = v;
            }
        }
        this.ctx = undefined;
    }

    check(urn: string, olds: Props, news: Props): { inputs: Props; failures: Array<{ property: string; reason: string }> } {
        const { type, name, handler } = handlerFor(urn);
        const inputs = { ...news };
        if (
            handler.autoName?.prefixProperty !== undefined &&
            typeof inputs[handler.autoName.prefixProperty] === "string" &&
            inputs[handler.autoName.property] === undefined
        ) {
            // Terraform's id.PrefixedUniqueId: the prefix, a UTC timestamp to the 1/10000 s and an
            // 8-hex counter (26 characters), kept across updates.
            const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
            const unique = `${stamp}${randomBytes(2).readUInt16BE(0).toString().padStart(4, "0").slice(0, 4)}${randomBytes(4).toString("hex")}`;
            inputs[handler.autoName.property] =
                olds[handler.autoName.property] ?? `${inputs[handler.autoName.prefixProperty] as string}${unique}`;
        }
        if (handler.autoName && inputs[handler.autoName.property] === undefined) {
            // pulumi-aws autonaming: the resource name and 7 random hex characters, kept across updates.
            const generated = `${name}-${randomBytes(4).toString("hex").slice(0, 7)}`;
            const fitted = handler.autoName.lowercase ? generated.toLowerCase() : generated;
            inputs[handler.autoName.property] = olds[handler.autoName.property] ?? fitted.slice(-(handler.autoName.maxLength ?? 255));
        }
        const failures = schemaFailures(argsShape(type), news);
        if (failures.length === 0 && !containsUnknown(inputs) && handler.check) {
            failures.push(...handler.check(inputs, this.context()));
        }
        return { inputs, failures };
    }

    diff(urn: string, olds: Props, news: Props, oldInputs: Props): { changes: boolean; replaces: string[]; diffs: string[] } {
        const { handler } = handlerFor(urn);
        const before = Object.keys(oldInputs).length > 0 ? oldInputs : olds;
        const keys = new Set([...Object.keys(before), ...Object.keys(news)]);
        const diffs = [...keys].filter((k) => !isEqual(before[k], news[k]));
        const replaces = diffs.filter((k) => (handler.replaceOn ?? []).includes(k) || !handler.update);
        return { changes: diffs.length > 0, replaces, diffs };
    }

    async create(urn: string, inputs: Props) {
        return handlerFor(urn).handler.create(inputs, this.context());
    }

    async read(urn: string, id: string, state: Props, inputs: Props) {
        const { type, handler } = handlerFor(urn);
        const props = handler.read ? await handler.read(id, state, this.context()) : state;
        if (props === undefined) {
            return { id: "", props: {}, inputs: {} };
        }
        // An import (no inputs yet): the inputs are the read attributes the resource's arguments
        // declare, as the bridged provider extracts them; the engine diffs the program against them.
        const shape = argsShape(type);
        const imported = Object.keys(inputs).length === 0 && Object.keys(state).length === 0;
        return { id, props, inputs: imported ? Object.fromEntries(Object.entries(props).filter(([k]) => shape.has(k))) : inputs };
    }

    async update(urn: string, id: string, olds: Props, news: Props) {
        const { type, handler } = handlerFor(urn);
        if (!handler.update) {
            throw new Error(`${type} has no in-place update in the stand-in: its diff replaces it`);
        }
        return handler.update(id, olds, news, this.context());
    }

    async delete(urn: string, id: string, state: Props) {
        await handlerFor(urn).handler.delete(id, state, this.context());
    }

    async invoke(token: string, args: Props): Promise<Props> {
        const fn = FUNCTIONS[token];
        if (!fn) {
            throw new Error(`the test stand-in for pulumi-aws does not implement the function ${token}: add it to tests/standin-aws/`);
        }
        return fn(args, this.context());
    }
}

type Callback = (error: grpc.ServiceError | null, value?: unknown) => void;
const js = (struct: { toJavaScript(): Props } | undefined): Props => (struct ? struct.toJavaScript() : {});
const struct = (v: Props) => structproto.Struct.fromJavaScript(JSON.parse(JSON.stringify(v)));

/** Runs a handler and answers the engine with its result, or its error message (which the CLI prints). */
function serve<Req>(fn: (req: Req) => Promise<unknown> | unknown) {
    return (call: { request: Req }, callback: Callback) => {
        Promise.resolve()
            .then(() => fn(call.request))
            .then(
                (value) => callback(null, value),
                (e: Error) =>
                    callback({
                        code: grpc.status.UNKNOWN,
                        details: e.message,
                        message: e.message,
                        name: "Error",
                        metadata: new grpc.Metadata(),
                    }),
            );
    };
}

/* eslint-disable @typescript-eslint/no-explicit-any -- generated protobuf request classes are untyped here */
function main(): void {
    const standIn = new StandIn();
    const server = new grpc.Server();
    server.addService(provrpc.ResourceProviderService, {
        getPluginInfo: serve(() => {
            const info = new plugproto.PluginInfo();
            info.setVersion(VERSION);
            return info;
        }),
        getSchema: serve(() => {
            const resp = new provproto.GetSchemaResponse();
            resp.setSchema("{}");
            return resp;
        }),
        attach: serve(() => new emptyproto.Empty()),
        cancel: serve(() => new emptyproto.Empty()),
        checkConfig: serve((req: any) => {
            const resp = new provproto.CheckResponse();
            resp.setInputs(req.getNews());
            return resp;
        }),
        diffConfig: serve(() => {
            const resp = new provproto.DiffResponse();
            resp.setChanges(provproto.DiffResponse.DiffChanges.DIFF_NONE);
            return resp;
        }),
        configure: serve((req: any) => {
            standIn.configure(new Map(req.getVariablesMap().entries()));
            const resp = new provproto.ConfigureResponse();
            resp.setAcceptsecrets(false);
            resp.setAcceptresources(false);
            resp.setSupportspreview(false);
            return resp;
        }),
        check: serve((req: any) => {
            const { inputs, failures } = standIn.check(req.getUrn(), js(req.getOlds()), js(req.getNews()));
            const resp = new provproto.CheckResponse();
            resp.setInputs(struct(inputs));
            resp.setFailuresList(
                failures.map((f) => {
                    const failure = new provproto.CheckFailure();
                    failure.setProperty(f.property);
                    failure.setReason(f.reason);
                    return failure;
                }),
            );
            return resp;
        }),
        diff: serve((req: any) => {
            const { changes, replaces, diffs } = standIn.diff(req.getUrn(), js(req.getOlds()), js(req.getNews()), js(req.getOldInputs()));
            const resp = new provproto.DiffResponse();
            resp.setChanges(changes ? provproto.DiffResponse.DiffChanges.DIFF_SOME : provproto.DiffResponse.DiffChanges.DIFF_NONE);
            resp.setReplacesList(replaces);
            resp.setDiffsList(diffs);
            return resp;
        }),
        create: serve(async (req: any) => {
            const { id, outs } = await standIn.create(req.getUrn(), js(req.getProperties()));
            const resp = new provproto.CreateResponse();
            resp.setId(id);
            resp.setProperties(struct(outs));
            return resp;
        }),
        read: serve(async (req: any) => {
            const { id, props, inputs } = await standIn.read(req.getUrn(), req.getId(), js(req.getProperties()), js(req.getInputs()));
            const resp = new provproto.ReadResponse();
            resp.setId(id);
            resp.setProperties(struct(props));
            resp.setInputs(struct(inputs));
            return resp;
        }),
        update: serve(async (req: any) => {
            const outs = await standIn.update(req.getUrn(), req.getId(), js(req.getOlds()), js(req.getNews()));
            const resp = new provproto.UpdateResponse();
            resp.setProperties(struct(outs));
            return resp;
        }),
        delete: serve(async (req: any) => {
            await standIn.delete(req.getUrn(), req.getId(), js(req.getProperties()));
            return new emptyproto.Empty();
        }),
        invoke: serve(async (req: any) => {
            const resp = new provproto.InvokeResponse();
            resp.setReturn(struct(await standIn.invoke(req.getTok(), js(req.getArgs()))));
            return resp;
        }),
    });
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
        if (err) {
            console.error(err);
            process.exit(1);
        }
        // The engine reads the port from the first line of stdout.
        console.log(String(port));
    });
}

main();
