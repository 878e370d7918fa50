/**
 * The AWS identity pulumi-aws uses in this stack (aws:profile, shared files, assumeRoles), for the
 * dynamic providers' inputs: certificates, site content. Program-side only (reads stack config), so
 * it stays out of ./awsIdentity.ts, which the serialized providers and the watch Lambda carry.
 */
import * as pulumi from "@pulumi/pulumi";
import { throwIfProblems } from "./inputError";
import { AwsIdentity, identityFromStackConfig, stackAwsConfig } from "../core/awsIdentity";

/** The stack's identity; bad settings throw before anything is registered. */
export function stackAwsIdentity(): AwsIdentity | undefined {
    const aws = new pulumi.Config("aws");
    const { identity, problems } = identityFromStackConfig(stackAwsConfig((k) => aws.get(k)));
    throwIfProblems(problems);
    return identity;
}
