/**
 * Small runtime helpers every layer shares: the log line type, waiting, timing, the value an input
 * holds before it is known (a preview), results the provider host accepts, errors with a code.
 * No Pulumi, no network, no npm module: serialized into the state with the dynamic providers.
 */

export type Log = (line: string) => void;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(2)} s`;

/** What an input not yet known (a preview, before its resource exists) arrives as in `check` and `diff`. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Whether a value, or anything inside it, is not known yet (a preview): checks that need it wait. */
export const holdsUnknown = (value: unknown): boolean => JSON.stringify(value ?? null).includes(UNKNOWN);

/**
 * Drops undefined fields (deeply). The dynamic-provider host turns results into protobuf Structs,
 * which reject `undefined` ("Unexpected struct type"), so every result goes through this.
 */
export function withoutUndefined<T>(value: T): T {
    return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * An error whose message tells the user what happened and what to do, with the AWS error code.
 * A plain Error, not a subclass: a class extending Error loses its message once the provider is
 * closure-serialized into the state (seen under the real engine: the user got "undefined").
 */
export function providerError(message: string, code: string): Error & { code: string } {
    return Object.assign(new Error(message), { code });
}
