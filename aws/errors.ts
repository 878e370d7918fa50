/**
 * Retries and error codes shared by every AWS adapter. The SDK's standard retry mode (exponential
 * backoff with jitter on throttling and 5xx) runs with `SDK_MAX_ATTEMPTS` on every client; the
 * `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` variables apply unchanged.
 */
import { sleep } from "../core/runtime";

/** SDK attempts per call (standard retry mode: exponential backoff with jitter on throttling and 5xx). */
export const SDK_MAX_ATTEMPTS = 8;

/** The AWS error code: SDK v3 names errors "NoSuchEntityException"; the wire code is "NoSuchEntity". */
export const errorName = (e: unknown) => ((e as { Code?: string })?.Code ?? (e as { name?: string })?.name ?? "").replace(/Exception$/, "");

/** Throttling, 5xx and network failures: worth another attempt. IAM's LimitExceeded is a quota, not one of them. */
export function isTransient(e: unknown): boolean {
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
    const code = (e as { code?: string }).code ?? "";
    return (
        status >= 500 ||
        ["Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequests", "ServiceFailure", "ServiceUnavailable"].includes(
            errorName(e),
        ) ||
        ["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EAI_AGAIN"].includes(code)
    );
}

/** Runs `fn` up to `attempts` times with exponential backoff (0.5 s, 1 s, 2 s …) while it fails transiently. */
export async function retryTransient<T>(fn: () => Promise<T>, attempts = SDK_MAX_ATTEMPTS): Promise<T> {
    for (let attempt = 1; ; attempt++) {
        try {
            return await fn();
        } catch (e) {
            if (attempt >= attempts || !isTransient(e)) {
                throw e;
            }
            await sleep(Math.min(500 * 2 ** (attempt - 1), 20_000) * (0.5 + Math.random() / 2));
        }
    }
}
