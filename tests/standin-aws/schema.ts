/**
 * What the real pulumi-aws accepts, read from the locked @pulumi/aws declarations (the SDK is
 * generated from the provider's schema): each resource's `XArgs` interface and the nested
 * `inputs.<module>.<Type>` interfaces it references. The stand-in refuses, in Check, a property the
 * real provider does not have and a required one that is missing, naming the property, as the real
 * provider's schema check would. Types of leaf values are not checked (the SDK's TypeScript types do
 * that at compile time for a typed program).
 */
import * as fs from "node:fs";
import * as path from "node:path";

interface Member {
    required: boolean;
    /** The nested input type (`cloudfront.DistributionOrigin`), when the member is an object or a list of them. */
    nested?: string;
}
type Shape = Map<string, Member>;

const sdkRoot = path.dirname(require.resolve("@pulumi/aws/package.json"));
let inputTypes: string | undefined;
const shapes = new Map<string, Shape>();

/** Members of an interface body at `indent` (one line each in the generated declarations). */
function members(body: string, indent: string): Shape {
    const shape: Shape = new Map();
    const re = new RegExp(`^${indent}(?:readonly )?([A-Za-z_$][\\w$]*)(\\??): (.*)$`, "gm");
    for (const m of body.matchAll(re)) {
        const nested = /inputs\.(\w+)\.(\w+)/.exec(m[3]);
        shape.set(m[1], { required: m[2] !== "?", nested: nested ? `${nested[1]}.${nested[2]}` : undefined });
    }
    return shape;
}

/** The shape of a nested input type, e.g. "cloudfront.DistributionOrigin". */
function nestedShape(name: string): Shape | undefined {
    const cached = shapes.get(name);
    if (cached) {
        return cached;
    }
    inputTypes ??= fs.readFileSync(path.join(sdkRoot, "types", "input.d.ts"), "utf8");
    const [mod, type] = name.split(".");
    const ns = new RegExp(`^export declare namespace ${mod} \\{$([\\s\\S]*?)^\\}$`, "m").exec(inputTypes)?.[1];
    const body = ns && new RegExp(`^    interface ${type} \\{$([\\s\\S]*?)^    \\}$`, "m").exec(ns)?.[1];
    if (!body) {
        return undefined;
    }
    const shape = members(body, " {8}");
    shapes.set(name, shape);
    return shape;
}

/** The `XArgs` shape of a resource token such as "aws:s3/bucket:Bucket". */
export function argsShape(token: string): Shape {
    const cached = shapes.get(token);
    if (cached) {
        return cached;
    }
    const m = /^aws:([\w]+)\/(\w+):(\w+)$/.exec(token);
    if (!m) {
        throw new Error(`not a pulumi-aws resource token: ${token}`);
    }
    const file = path.join(sdkRoot, m[1], `${m[2]}.d.ts`);
    const text = fs.readFileSync(file, "utf8");
    const body = new RegExp(`^export interface ${m[3]}Args \\{$([\\s\\S]*?)^\\}$`, "m").exec(text)?.[1];
    if (body === undefined) {
        throw new Error(`${file} declares no ${m[3]}Args`);
    }
    const shape = members(body, " {4}");
    shapes.set(token, shape);
    return shape;
}

/** Every property the real provider would refuse: unknown names and missing required ones, by path. */
export function schemaFailures(shape: Shape, value: Record<string, unknown>, at = ""): Array<{ property: string; reason: string }> {
    const failures: Array<{ property: string; reason: string }> = [];
    for (const [name, member] of shape) {
        if (member.required && value[name] === undefined) {
            failures.push({ property: `${at}${name}`, reason: `Missing required property '${at}${name}'` });
        }
    }
    for (const [name, v] of Object.entries(value)) {
        const member = shape.get(name);
        if (!member) {
            failures.push({
                property: `${at}${name}`,
                reason: `pulumi-aws has no input '${at}${name}' here (known: ${[...shape.keys()].join(", ")})`,
            });
            continue;
        }
        const nested = member.nested && nestedShape(member.nested);
        if (!nested || v === null || typeof v !== "object") {
            continue;
        }
        const items = Array.isArray(v) ? v : [v];
        items.forEach((item, i) => {
            if (item && typeof item === "object" && !Array.isArray(item)) {
                failures.push(
                    ...schemaFailures(nested, item as Record<string, unknown>, `${at}${name}${Array.isArray(v) ? `[${i}]` : ""}.`),
                );
            }
        });
    }
    return failures;
}
