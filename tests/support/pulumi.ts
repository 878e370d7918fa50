/** Helpers for tests that evaluate Pulumi code under runtime mocks. */
import * as pulumi from "@pulumi/pulumi";
import { OfflineAwsChina, OfflineOptions } from "../../scripts/offlineMocks";

/** Resolves an Output's value (never use `done` callbacks with outputs). */
export function promiseOf<T>(output: pulumi.Input<T>): Promise<T> {
    return new Promise((resolve) => pulumi.output(output).apply((v) => resolve(v as T)));
}

/** Installs fresh strict aws-cn mocks and returns them (their `registrations` record every resource). */
export async function useOfflineMocks(options: Partial<OfflineOptions> = {}, stack = "test"): Promise<OfflineAwsChina> {
    const mocks = new OfflineAwsChina({ region: "cn-north-1", ...options });
    await pulumi.runtime.setMocks(mocks, "cloudfront-china", stack, false);
    return mocks;
}

/** Waits until registrations still in flight under the mock monitor have landed. */
export async function settle(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 20));
}
