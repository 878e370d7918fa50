/**
 * The one reader of the stack's `aws:` keys: the region and the AWS identity pulumi-aws deploys with
 * (aws:profile, shared files, assumeRoles), for the program's checks and the dynamic providers'
 * inputs (certificates, site content). Program-side only (it reads stack config); the serialized
 * providers and the watch Lambda carry only the identity as data (../core/awsIdentity.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { AwsIdentity, identityFromStackConfig, stackAwsConfig } from "../core/awsIdentity";
import { throwIfProblems } from "./inputError";

/** The region and AWS identity pulumi-aws deploys with, read from the same `aws:` stack keys it reads. */
export function stackAwsTarget(): { region?: string; awsIdentity?: AwsIdentity; identityProblems: string[] } {
    // The provider cannot be asked for its region before it exists: read the same setting it reads.
    const awsConfig = new pulumi.Config("aws");
    const region = awsConfig.get("region") ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    // The identity pulumi-aws deploys with, so the certificate is issued and uploaded by the same one.
    const identity = identityFromStackConfig(stackAwsConfig((k) => awsConfig.get(k)));
    return { region, awsIdentity: identity.identity, identityProblems: identity.problems };
}

/** The stack's identity; bad settings throw before anything is registered. */
export function stackAwsIdentity(): AwsIdentity | undefined {
    const { awsIdentity, identityProblems } = stackAwsTarget();
    throwIfProblems(identityProblems);
    return awsIdentity;
}
