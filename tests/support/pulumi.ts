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
    const dependencies: Record<string, string[]> = {};
    const monitor = pulumi.runtime.getMonitor() as unknown as {
        registerResource(req: { getName(): string; getDependenciesList(): string[] }, callback: unknown): unknown;
    };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
        dependencies[req.getName()] = req.getDependenciesList().map((urn) => urn.split("::").pop() ?? urn);
        return register(req, callback);
    };
    return dependencies;
}
