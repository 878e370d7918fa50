/**
 * Route 53: the record resource (terraform-provider-aws internal/service/route53/record.go: one
 * change batch, then GetChange until INSYNC) and the getZone data source.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- SDK loaded on first use */
import type * as R53 from "@aws-sdk/client-route-53";
import { Context, FunctionHandler, Props, ResourceHandler, errorCode, waitUntil } from "./context";

const sdk = () => require("@aws-sdk/client-route-53") as typeof R53;
const route53 = (ctx: Context) => ctx.client(sdk().Route53Client);
const bare = (name: string) => name.replace(/\.$/, "").toLowerCase();

async function zoneName(zoneId: string, ctx: Context): Promise<string> {
    const out = await route53(ctx).send(new (sdk().GetHostedZoneCommand)({ Id: zoneId }));
    return bare(out.HostedZone?.Name ?? "");
}

/** A name relative to the zone is completed with it, as the real provider does. */
const fqdn = (name: string, zone: string) =>
    bare(name) === zone || bare(name).endsWith(`.${zone}`) ? bare(name) : `${bare(name)}.${zone}`;

/** TXT values are quoted for the API (the provider quotes them; users write them bare). */
const apiValue = (type: string, v: string) => (type === "TXT" && !v.startsWith('"') ? `"${v}"` : v);

function recordSet(inputs: Props, name: string): R53.ResourceRecordSet {
    const type = inputs.type as string;
    const alias = (inputs.aliases as Props[] | undefined)?.[0];
    return {
        Name: name,
        Type: type as R53.RRType,
        ...(alias
            ? {
                  AliasTarget: {
                      DNSName: alias.name as string,
                      HostedZoneId: alias.zoneId as string,
                      EvaluateTargetHealth: Boolean(alias.evaluateTargetHealth),
                  },
              }
            : {
                  TTL: inputs.ttl as number,
                  ResourceRecords: ((inputs.records as string[] | undefined) ?? []).map((v) => ({ Value: apiValue(type, v) })),
              }),
    };
}

async function change(zoneId: string, action: R53.ChangeAction, set: R53.ResourceRecordSet, ctx: Context): Promise<void> {
    const { ChangeResourceRecordSetsCommand, GetChangeCommand } = sdk();
    const out = await route53(ctx).send(
        new ChangeResourceRecordSetsCommand({
            HostedZoneId: zoneId,
            ChangeBatch: { Changes: [{ Action: action, ResourceRecordSet: set }] },
        }),
    );
    await waitUntil(`Route 53 change ${out.ChangeInfo?.Id} to be INSYNC`, async () => {
        const status = await route53(ctx).send(new GetChangeCommand({ Id: out.ChangeInfo?.Id }));
        return status.ChangeInfo?.Status === "INSYNC";
    });
}

export const record: ResourceHandler = {
    replaceOn: ["zoneId", "name", "type", "setIdentifier"],
    check(inputs) {
        const failures = [];
        const hasAlias = Array.isArray(inputs.aliases) && inputs.aliases.length > 0;
        if (hasAlias && (inputs.records !== undefined || inputs.ttl !== undefined)) {
            failures.push({ property: "aliases", reason: '"aliases": conflicts with "records" and "ttl"' });
        }
        if (!hasAlias && (inputs.records === undefined || inputs.ttl === undefined)) {
            failures.push({ property: "records", reason: '"records" and "ttl" are required unless "aliases" is set' });
        }
        return failures;
    },
    async create(inputs, ctx) {
        const zoneId = inputs.zoneId as string;
        const name = fqdn(inputs.name as string, await zoneName(zoneId, ctx));
        await change(zoneId, inputs.allowOverwrite ? "UPSERT" : "CREATE", recordSet(inputs, name), ctx);
        return { id: `${zoneId}_${name}_${inputs.type as string}`, outs: { ...inputs, fqdn: name } };
    },
    async read(_id, state, ctx) {
        const name = state.fqdn as string;
        const page = await route53(ctx).send(
            new (sdk().ListResourceRecordSetsCommand)({
                HostedZoneId: state.zoneId as string,
                StartRecordName: name,
                StartRecordType: state.type as R53.RRType,
                MaxItems: 1,
            }),
        );
        const set = page.ResourceRecordSets?.[0];
        return set && bare(set.Name ?? "") === name && set.Type === state.type ? state : undefined;
    },
    async update(_id, olds, news, ctx) {
        await change(news.zoneId as string, "UPSERT", recordSet(news, olds.fqdn as string), ctx);
        return { ...news, fqdn: olds.fqdn };
    },
    async delete(_id, state, ctx) {
        try {
            await change(state.zoneId as string, "DELETE", recordSet(state, state.fqdn as string), ctx);
        } catch (e) {
            // Already gone (deleted by hand): nothing to do, as the real provider treats it.
            if (!(errorCode(e) === "InvalidChangeBatch" && /not found/i.test(String((e as Error).message)))) {
                throw e;
            }
        }
    },
};

export const getZone: FunctionHandler = async (args, ctx) => {
    const { GetHostedZoneCommand, ListHostedZonesByNameCommand } = sdk();
    let id = args.zoneId as string | undefined;
    if (!id) {
        const wanted = bare((args.name as string | undefined) ?? "");
        const page = await route53(ctx).send(new ListHostedZonesByNameCommand({ DNSName: wanted }));
        id = page.HostedZones?.find(
            (z) => bare(z.Name ?? "") === wanted && Boolean(z.Config?.PrivateZone) === Boolean(args.privateZone),
        )?.Id;
        if (!id) {
            throw new Error(`no matching Route 53 Hosted Zone found`);
        }
    }
    let out: R53.GetHostedZoneCommandOutput;
    try {
        out = await route53(ctx).send(new GetHostedZoneCommand({ Id: id }));
    } catch (e) {
        if (errorCode(e) === "NoSuchHostedZone") {
            throw new Error(`reading Route 53 Hosted Zone (${id}): NoSuchHostedZone: No hosted zone found with ID: ${id}`);
        }
        throw e;
    }
    const zone = out.HostedZone!;
    const zoneId = zone.Id!.replace(/^\/hostedzone\//, "");
    return {
        arn: ctx.arn("route53", `hostedzone/${zoneId}`),
        callerReference: zone.CallerReference,
        comment: zone.Config?.Comment ?? "",
        id: zoneId,
        zoneId,
        name: bare(zone.Name ?? ""),
        nameServers: out.DelegationSet?.NameServers ?? [],
        primaryNameServer: out.DelegationSet?.NameServers?.[0] ?? "",
        privateZone: Boolean(zone.Config?.PrivateZone),
        resourceRecordSetCount: zone.ResourceRecordSetCount ?? 0,
        tags: {},
    };
};
