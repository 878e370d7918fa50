/**
 * Pulumi runtime mocks that stand in for the aws-cn partition: no credentials, no CLI, no network.
 * Used by the offline plan (`npm run plan`) and by the component tests.
 *
 * Strict: a resource type or function the program is not known to use throws, so a new resource
 * cannot slip past the plan's report unseen. Outputs imitate what AWS returns in China
 * (arn:aws-cn, *.amazonaws.com.cn, *.cloudfront.cn, zone Z3RFFRIM2A3IF5).
 */
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { CLOUDFRONT_CN_HOSTED_ZONE_ID } from "../core/chinaRules";
import { WATCH_NAMESPACE, watchBoundaryPolicy } from "../core/iamPolicy";

/* eslint-disable @typescript-eslint/no-explicit-any -- inputs and state are untyped on the wire, as the engine sees them */
export interface Registration {
    type: string;
    name: string;
    inputs: Record<string, any>;
    id: string;
    state: Record<string, any>;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export interface OfflineOptions {
    region: string;
    /** The name Route 53 would return for the configured hosted zone. */
    zoneName?: string;
    accountId?: string;
}

/** The ACME account URL offline: the real one exists after the first `pulumi up` (dns-persist-01 records name it). */
export const OFFLINE_ACCOUNT_URL = "<ACME account URL, known after the first pulumi up>";

/** A short stable hex string, so ids repeat from run to run (and tests can compare them). */
const hash = (s: string, n = 13) => crypto.createHash("sha256").update(s).digest("hex").slice(0, n).toUpperCase();

export class OfflineAwsChina implements pulumi.runtime.Mocks {
    readonly registrations: Registration[] = [];
    readonly calls: Array<{ token: string; inputs: Record<string, unknown> }> = [];
    private readonly accountId: string;

    constructor(private readonly options: OfflineOptions) {
        this.accountId = options.accountId ?? "123456789012";
    }

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
        // An imported resource (an adopted site) keeps the id it is imported by.
        const { id, state } = this.outputsFor(args.type, args.name, args.inputs, args.id || undefined);
        this.registrations.push({ type: args.type, name: args.name, inputs: args.inputs, id, state });
        return { id, state };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        this.calls.push({ token: args.token, inputs: args.inputs });
        switch (args.token) {
            case "aws:index/getPartition:getPartition":
                return { id: "aws-cn", partition: "aws-cn", dnsSuffix: "amazonaws.com.cn", reverseDnsPrefix: "cn.com.amazonaws" };
            case "aws:index/getCallerIdentity:getCallerIdentity":
                return {
                    id: this.accountId,
                    accountId: this.accountId,
                    arn: `arn:aws-cn:iam::${this.accountId}:user/offline`,
                    userId: "AIDAOFFLINE",
                };
            case "aws:index/getRegion:getRegion":
                return { id: this.options.region, name: this.options.region, region: this.options.region };
            case "aws:route53/getZone:getZone":
                if (this.options.zoneName === undefined) {
                    throw new Error("offline: no zone name known for getZone");
                }
                return { id: args.inputs.zoneId, zoneId: args.inputs.zoneId, name: this.options.zoneName, privateZone: false };
            case "aws:iam/getPolicy:getPolicy": {
                // Offline, the watch role's boundary is taken to exist, as this version writes it (`pulumi up` checks it).
                const arn = String(args.inputs.arn);
                const policy = JSON.stringify(watchBoundaryPolicy(this.accountId, WATCH_NAMESPACE));
                return { id: arn, arn, name: arn.split("/").pop(), path: "/", policy, policyId: "ANPAOFFLINE", tags: {} };
            }
            default:
                throw new Error(`Mock call not implemented: ${args.token}`);
        }
    }

    /** Registrations of one type (and optionally one name). */
    find(type: string, name?: string): Registration[] {
        return this.registrations.filter((r) => r.type === type && (name === undefined || r.name === name));
    }

    private outputsFor(
        type: string,
        name: string,
        inputs: Record<string, unknown>,
        importId?: string,
    ): { id: string; state: Record<string, unknown> } {
        const region = this.options.region;
        switch (type) {
            case "aws:s3/bucket:Bucket": {
                // pulumi-aws: the given name, else the bucketPrefix and a 26-character unique suffix, else
                // the resource's name and 7 random characters.
                const bucket =
                    (inputs.bucket as string | undefined) ??
                    (typeof inputs.bucketPrefix === "string"
                        ? `${inputs.bucketPrefix}${hash(name, 26).toLowerCase()}`
                        : `${name}-${hash(name, 7).toLowerCase()}`);
                return {
                    id: bucket,
                    state: {
                        ...inputs,
                        bucket,
                        arn: `arn:aws-cn:s3:::${bucket}`,
                        bucketDomainName: `${bucket}.s3.amazonaws.com.cn`,
                        bucketRegionalDomainName: `${bucket}.s3.${region}.amazonaws.com.cn`,
                        region,
                    },
                };
            }
            case "aws:cloudfront/originAccessIdentity:OriginAccessIdentity": {
                const id = importId ?? `E${hash(name)}`;
                return {
                    id,
                    state: {
                        ...inputs,
                        iamArn: `arn:aws-cn:iam::cloudfront:user/CloudFront Origin Access Identity ${id}`,
                        cloudfrontAccessIdentityPath: `origin-access-identity/cloudfront/${id}`,
                        s3CanonicalUserId: hash(name, 64).toLowerCase(),
                    },
                };
            }
            case "aws:cloudfront/distribution:Distribution": {
                const id = importId ?? `E${hash(name)}`;
                return {
                    id,
                    state: {
                        ...inputs,
                        arn: `arn:aws-cn:cloudfront::${this.accountId}:distribution/${id}`,
                        domainName: `d${hash(name, 13).toLowerCase()}.cloudfront.cn`,
                        hostedZoneId: CLOUDFRONT_CN_HOSTED_ZONE_ID,
                        status: "Deployed",
                    },
                };
            }
            case "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":
            case "aws:s3/bucketOwnershipControls:BucketOwnershipControls":
            case "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
            case "aws:s3/bucketVersioning:BucketVersioning":
            case "aws:s3/bucketPolicy:BucketPolicy":
            case "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration":
            case "aws:s3/bucketObjectv2:BucketObjectv2":
            case "aws:route53/record:Record":
                return { id: `${name}-id`, state: { ...inputs } };
            case "cloudfront-china:index:ChinaCdn":
            case "cloudfront-china:index:ChinaSite":
            case "cloudfront-china:index:ScheduledDeployments":
            case "cloudfront-china:index:CertificateWatch":
                return { id: "", state: {} };
            // The watch (cloudfront-china:watch).
            case "aws:sns/topic:Topic":
            case "aws:iam/role:Role":
            case "aws:lambda/function:Function":
            case "aws:cloudwatch/eventRule:EventRule": {
                const kind = {
                    "aws:sns/topic:Topic": "sns",
                    "aws:iam/role:Role": "iam",
                    "aws:lambda/function:Function": "lambda",
                    "aws:cloudwatch/eventRule:EventRule": "events",
                }[type];
                const resource = {
                    sns: `${region}:${this.accountId}:${name}`,
                    iam: `:${this.accountId}:role/${name}`,
                    lambda: `${region}:${this.accountId}:function:${name}`,
                    events: `${region}:${this.accountId}:rule/${name}`,
                }[kind!];
                return { id: name, state: { ...inputs, name, arn: `arn:aws-cn:${kind}:${resource}` } };
            }
            case "aws:cloudwatch/dashboard:Dashboard":
                // Dashboards are global: no region in the ARN.
                return {
                    id: String(inputs.dashboardName),
                    state: { ...inputs, dashboardArn: `arn:aws-cn:cloudwatch::${this.accountId}:dashboard/${inputs.dashboardName}` },
                };
            case "aws:sns/topicSubscription:TopicSubscription":
            case "aws:iam/rolePolicy:RolePolicy":
            case "aws:lambda/permission:Permission":
            case "aws:cloudwatch/logGroup:LogGroup":
            case "aws:cloudwatch/eventTarget:EventTarget":
            case "aws:cloudwatch/metricAlarm:MetricAlarm":
                return { id: `${name}-id`, state: { ...inputs } };
            // Pulumi Cloud's own resources (Deployments), registered when `deployments` is set.
            case "pulumiservice:index:DeploymentSettings":
            case "pulumiservice:index:DeploymentSchedule":
            case "pulumiservice:index:DriftSchedule":
            case "pulumiservice:index:Webhook":
                return { id: `${name}-offline`, state: { ...inputs } };
            default:
                if (type.startsWith("pulumi-nodejs:dynamic/")) {
                    return this.dynamicOutputs(type, name, inputs);
                }
                throw new Error(`Mock newResource not implemented: ${type} (${name})`);
        }
    }

    /**
     * Dynamic resources never run `create` under mocks: invent the outputs a real create would return,
     * so the rest of the graph can be evaluated. Marked "offline" wherever a value is shown.
     */
    private dynamicOutputs(type: string, name: string, inputs: Record<string, unknown>): { id: string; state: Record<string, unknown> } {
        if (type.endsWith(":IamAcmeCertificate")) {
            const id = `${name}-offline`;
            const now = Math.floor(Date.now() / 86400_000) * 86400_000; // placeholder dates: as if issued today
            return {
                id,
                state: {
                    ...inputs,
                    serverCertificateId: `ASCA${hash(name, 17)}`,
                    arn: `arn:aws-cn:iam::${this.accountId}:server-certificate${inputs.path ?? "/cloudfront/"}${id}`,
                    name: id,
                    notBefore: new Date(now).toISOString(),
                    notAfter: new Date(now + 90 * 86400_000).toISOString(),
                    renewAfter: new Date(now + 60 * 86400_000).toISOString(),
                    serialNumber: "offline",
                    certificatePem: "offline",
                    chainPem: "offline",
                    privateKeyPem: "offline",
                    uploadPending: false,
                },
            };
        }
        if (type.endsWith(":AcmeAccount")) {
            return {
                id: `${name}-offline`,
                state: {
                    ...inputs,
                    accountUrl: OFFLINE_ACCOUNT_URL,
                    accountKeyPem: "offline",
                    issuerDomainNames: ["letsencrypt.org"],
                    accountHashPrefix: "",
                    keyThumbprint: "offline",
                },
            };
        }
        if (type.endsWith(":SiteContent")) {
            // As if synced: the program already hashed the folder into `digest`.
            return {
                id: String(inputs.bucket),
                state: { ...inputs, files: {}, pendingInvalidation: [], uploaded: 0, deleted: 0, invalidatedPaths: 0 },
            };
        }
        throw new Error(`Mock newResource not implemented: ${type} (${name})`);
    }
}
