/**
 * A test-only stand-in for aws.cloudfront.Distribution (the pulumi-aws plugin cannot be installed
 * here): a dynamic resource that creates a CloudFront distribution in moto once and, on every
 * update, points `ViewerCertificate.IAMCertificateId` at the certificate it is given
 * (GetDistribution for the config and its ETag, then UpdateDistribution), as pulumi-aws does.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- required inside methods (serialization) */
import * as pulumi from "@pulumi/pulumi";
import type * as CF from "@aws-sdk/client-cloudfront";

interface Inputs {
    aliases: string[];
    iamCertificateId: string;
    region: string;
}

function client(region: string): CF.CloudFrontClient {
    const { CloudFrontClient } = require("@aws-sdk/client-cloudfront") as typeof CF;
    return new CloudFrontClient({ region });
}

/** The distribution config the stand-in creates (also used by tests that need a distribution in moto). */
export function testDistributionConfig(aliases: string[], iamCertificateId: string): CF.DistributionConfig {
    return {
        CallerReference: `engine-test-${Date.now()}-${Math.random()}`,
        Comment: "cloudfront-china engine test",
        Enabled: true,
        Aliases: { Quantity: aliases.length, Items: aliases },
        Origins: {
            Quantity: 1,
            // A custom origin: moto takes S3 origins only when they end in "amazonaws.com", not China's ".com.cn".
            Items: [
                {
                    Id: "s3",
                    DomainName: "site.s3.cn-north-1.amazonaws.com.cn",
                    CustomOriginConfig: { HTTPPort: 80, HTTPSPort: 443, OriginProtocolPolicy: "https-only" },
                },
            ],
        },
        DefaultCacheBehavior: {
            TargetOriginId: "s3",
            ViewerProtocolPolicy: "redirect-to-https",
            ForwardedValues: { QueryString: false, Cookies: { Forward: "none" } },
            MinTTL: 0,
        },
        ViewerCertificate: { IAMCertificateId: iamCertificateId, SSLSupportMethod: "sni-only", MinimumProtocolVersion: "TLSv1.2_2021" },
    };
}

const provider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: Inputs, news: Inputs) {
        return {
            changes: olds.iamCertificateId !== news.iamCertificateId || JSON.stringify(olds.aliases) !== JSON.stringify(news.aliases),
        };
    },
    async create(inputs: Inputs) {
        const { CreateDistributionCommand } = require("@aws-sdk/client-cloudfront") as typeof CF;
        const out = await client(inputs.region).send(
            new CreateDistributionCommand({ DistributionConfig: testDistributionConfig(inputs.aliases, inputs.iamCertificateId) }),
        );
        console.log(`[test-distribution] created ${out.Distribution?.Id} with certificate ${inputs.iamCertificateId}`);
        return { id: out.Distribution?.Id ?? "", outs: inputs };
    },
    async update(id: string, _olds: Inputs, news: Inputs) {
        const { GetDistributionCommand, UpdateDistributionCommand } = require("@aws-sdk/client-cloudfront") as typeof CF;
        const cf = client(news.region);
        const current = await cf.send(new GetDistributionCommand({ Id: id }));
        const config = current.Distribution!.DistributionConfig!;
        config.ViewerCertificate = { ...config.ViewerCertificate, IAMCertificateId: news.iamCertificateId };
        await cf.send(new UpdateDistributionCommand({ Id: id, IfMatch: current.ETag, DistributionConfig: config }));
        console.log(`[test-distribution] ${id} now serves certificate ${news.iamCertificateId}`);
        return { outs: news };
    },
    async delete(id: string, props: Inputs) {
        const { DeleteDistributionCommand, GetDistributionCommand } = require("@aws-sdk/client-cloudfront") as typeof CF;
        const cf = client(props.region);
        const current = await cf.send(new GetDistributionCommand({ Id: id }));
        await cf.send(new DeleteDistributionCommand({ Id: id, IfMatch: current.ETag }));
    },
};

export class TestDistribution extends pulumi.dynamic.Resource {
    declare public readonly iamCertificateId: pulumi.Output<string>;

    constructor(
        name: string,
        args: { aliases: pulumi.Input<string[]>; iamCertificateId: pulumi.Input<string>; region: string },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(provider, name, { ...args }, opts, "cloudfront-china-test", "TestDistribution");
    }
}
