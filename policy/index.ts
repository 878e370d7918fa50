/**
 * The cloudfront-china policy pack: `pulumi preview --policy-pack <this folder>` (or publish it to
 * Pulumi Cloud). The policies are in ./policies.ts; this file only serves them.
 */
import { PolicyPack } from "@pulumi/policy";
import { chinaPolicies } from "./policies";

new PolicyPack("cloudfront-china", { policies: chinaPolicies });
