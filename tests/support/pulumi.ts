/** Helpers for tests that evaluate Pulumi code under runtime mocks. */
import * as pulumi from "@pulumi/pulumi";
import { OfflineAwsChina, OfflineOptions } from "../../scripts/offlineMocks";

/** Resolves an Output's value (never use `done` callbacks with outputs). */
export function promiseOf<T>(output: pulumi.Input<T>): Promise<T> {
    return new Promise((resolve) => pulumi.output(output).apply((v) => resolve(v as T)));
}

/** Installs fresh strict aws-cn mocks and returns them (their `registrations` record every resource). */
export async function useOfflineMocks(
    options: Partial<OfflineOptions> = {},
    stack = "test",
    organization = "acme",
): Promise<OfflineAwsChina> {
    const mocks = new OfflineAwsChina({ region: "cn-north-1", ...options });
    await pulumi.runtime.setMocks(mocks, "cloudfront-china", stack, false, organization);
    return mocks;
}

/** Waits until registrations still in flight under the mock monitor have landed. */
export async function settle(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 20));
}

/**
 * Records, per resource name, the names of the resources it depends on, as the engine receives them
 * (RegisterResourceRequest dependencies: dependsOn plus input dependencies). Call after the mocks are set.
 */
export function recordDependencies(): Record<string, string[]> {
    return recordRegistrations().dependencies;
}

/**
 * Records what the engine receives per resource name: its dependencies (dependsOn plus input
 * dependencies) and whether it is kept on delete (`retainOnDelete`). Call after the mocks are set.
 */
export function recordRegistrations(): { dependencies: Record<string, string[]>; retainOnDelete: Record<string, boolean> } {
    const dependencies: Record<string, string[]> = {};
    const retainOnDelete: Record<string, boolean> = {};
    const monitor = pulumi.runtime.getMonitor() as unknown as {
        registerResource(
            req: { getName(): string; getDependenciesList(): string[]; getRetainondelete?(): boolean },
            callback: unknown,
        ): unknown;
    };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
        dependencies[req.getName()] = req.getDependenciesList().map((urn) => urn.split("::").pop() ?? urn);
        retainOnDelete[req.getName()] = req.getRetainondelete?.() ?? false;
        return register(req, callback);
    };
    return { dependencies, retainOnDelete };
}

/**
 * Runs the program (index.ts) under fresh strict mocks with `config` (values JSON-encoded as the CLI
 * passes them; `secretKeys` encrypted), and returns the mocks, the resolved stack outputs and each
 * resource's recorded dependencies.
 */
export async function runProgramUnderMocks(
    config: Record<string, unknown>,
    options: { secretKeys?: string[]; stack?: string; zoneName?: string } = {},
): Promise<{ mocks: OfflineAwsChina; outputs: Record<string, unknown>; dependencies: Record<string, string[]> }> {
    pulumi.runtime.setAllConfig(
        Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])),
        options.secretKeys ?? [],
    );
    const mocks = await useOfflineMocks({ zoneName: options.zoneName ?? "example.cn" }, options.stack ?? "cn-north-1", "acme");
    const dependencies = recordDependencies();
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program is a CommonJS `export =` function
    const program = require("../../index") as () => Promise<Record<string, pulumi.Input<unknown>>>;
    const result = await program();
    const outputs = Object.fromEntries(await Promise.all(Object.entries(result).map(async ([k, v]) => [k, await promiseOf(v)])));
    await settle();
    return { mocks, outputs, dependencies };
}

/** The serialized IamAcmeCertificate provider text, as the program registers it (what the engine runs). */
export async function serializedCertificateProvider(): Promise<string> {
    const mocks = await useOfflineMocks();
    const { IamAcmeCertificate } = await import("../../providers/iamAcmeCertificate");
    const { AcmeAccount } = await import("../../providers/acmeAccount");
    const cert = new IamAcmeCertificate("cert", {
        domains: ["www.example.cn"],
        account: new AcmeAccount("acct", {}),
        region: "cn-north-1",
    });
    await promiseOf(cert.id);
    await settle();
    return mocks.find("pulumi-nodejs:dynamic/cloudfront-china:IamAcmeCertificate", "cert")[0].inputs.__provider;
}
