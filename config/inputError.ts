import * as pulumi from "@pulumi/pulumi";

/**
 * Bad input. A `RunError`, so the CLI prints the message without a stack trace.
 * `problems` keeps the individual messages for callers that report them one by one.
 */
export class InputError extends pulumi.RunError {
    constructor(public readonly problems: readonly string[]) {
        super(`invalid settings:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "InputError";
    }
}

/** Throws one InputError carrying every problem, if there are any. */
export function throwIfProblems(problems: readonly string[]): void {
    if (problems.length > 0) {
        throw new InputError(problems);
    }
}
