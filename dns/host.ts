/**
 * A DNS host: where dns-01 challenge values are written. The challenge plan and the order use only
 * this interface, so hosting the zones elsewhere (Alibaba Cloud DNS, DNSPod, …) is one more file
 * beside ./route53.ts. Names are the zone's own: a host answers for the zones of its account.
 *
 * The contract every host keeps (RFC 8555 §8.4; docs/how-it-works.md):
 *   - writes are compare-and-swap against other writers: values another order or tool put at the
 *     same name stay, and ours are added or removed one by one;
 *   - one change per zone for all names of an order, not one per name;
 *   - `waitInSync` resolves only when every authoritative server of the zone serves the change.
 */
import type { TxtRecord } from "../core/challenges";
import type { Log } from "../core/runtime";

export interface DnsHost {
    /** For log prefixes: "route53". */
    readonly name: string;
    /** For sentences: "Route 53". */
    readonly title: string;
    /** The id of the zone of this host that holds `name` (longest suffix), or undefined when none does. */
    zoneOf(name: string): Promise<string | undefined>;
    /** Adds or removes TXT values; resolves to one change handle per batch, for `waitInSync`. */
    changeTxt(records: readonly TxtRecord[], action: "add" | "remove", log: Log): Promise<string[]>;
    /** Waits until the host reports the changes served by all its name servers (bounded by `timeoutMs`). */
    waitInSync(changes: readonly string[], timeoutMs: number, pollMs: number, log: Log): Promise<void>;
    /** Addresses of the zones' authoritative servers: where the order checks its values before asking the CA. */
    nameServers(zoneIds: readonly string[]): Promise<string[]>;
}
