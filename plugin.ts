/**
 * The entry of the plugin package (PulumiPlugin.yaml, `runtime: nodejs`), which serves ChinaSite to
 * Pulumi programs in any language. `pulumi package add <this repository or folder>` has the Node
 * language host run this folder with `@pulumi/pulumi/cmd/run-plugin`, which requires it through
 * package.json `main` (TypeScript, compiled by ts-node) and calls the exported function with the
 * engine's address. The schema is inferred from ChinaSite's TypeScript types and JSDoc by the SDK's
 * component provider; the secrets are marked here, because inference cannot express them.
 */
import { main } from "@pulumi/pulumi/provider";
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import { ChinaSite } from "./components/chinaSite";

/** The package name: resource types are `cloudfront-china:index:<Component>`. */
const PACKAGE = "cloudfront-china";

/** Args and outputs that hold secrets, by component. */
const SECRETS: Record<string, { inputs: string[]; outputs: string[] }> = {
    ChinaSite: { inputs: ["acmeEabHmacKey"], outputs: ["privateKeyPem"] },
};

/** Fields of the args' object types that hold secrets, by type. */
const SECRET_TYPE_FIELDS: Record<string, string[]> = {
    ChinaSiteIssuer: ["eabHmacKey"],
};

interface PropertySpec {
    secret?: boolean;
}
interface ResourceSpec {
    properties?: Record<string, PropertySpec>;
    inputProperties?: Record<string, PropertySpec>;
}

class ChinaSiteProvider extends ComponentProvider {
    async getSchema(): Promise<string> {
        const schema = JSON.parse(await super.getSchema()) as {
            resources: Record<string, ResourceSpec>;
            types?: Record<string, { properties?: Record<string, PropertySpec> }>;
        };
        for (const [type, fields] of Object.entries(SECRET_TYPE_FIELDS)) {
            for (const name of fields) {
                Object.assign(schema.types?.[`${PACKAGE}:index:${type}`]?.properties?.[name] ?? {}, { secret: true });
            }
        }
        for (const [component, secrets] of Object.entries(SECRETS)) {
            const resource = schema.resources[`${PACKAGE}:index:${component}`];
            for (const name of secrets.inputs) {
                Object.assign(resource.inputProperties?.[name] ?? {}, { secret: true });
            }
            for (const name of secrets.outputs) {
                Object.assign(resource.properties?.[name] ?? {}, { secret: true });
            }
        }
        return JSON.stringify(schema);
    }
}

/** Called by run-plugin with the engine's address as the process arguments. */
export = function serveComponents(): Promise<void> {
    return main(new ChinaSiteProvider({ name: PACKAGE, components: [ChinaSite], dirname: __dirname }), process.argv.slice(2));
};
