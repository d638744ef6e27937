/**
 * A pool's VM networking, and the `tart run` flags for it (docs/reference/tart-cli.md §3 run,
 * Networking). The default is Softnet: a guest may send only from its own MAC and DHCP address, to
 * globally routable IPv4 addresses (the internet), to the vmnet bridge's gateway (this host: its
 * cache mirror) and to the DHCP-provided DNS servers. Other VMs and the LAN (private ranges) are
 * unreachable, and ARP spoofing is filtered. `allow`/`block` adjust the destinations by CIDR (or
 * softnet's `@host` alias for the gateway); softnet filters by address only, so which host ports a
 * guest reaches is the host firewall's job (docs/security.md).
 */
import { z } from 'zod';

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const TARGET = new RegExp(`^(?:@host|${OCTET}(?:\\.${OCTET}){3}/(?:3[0-2]|[12]?\\d))$`);

const targetSchema = z.string().regex(TARGET, 'softnet targets are IPv4 CIDRs like 10.0.0.0/8, or @host for this host');

export const vmNetworkSchema = z.discriminatedUnion('mode', [
  z.strictObject({
    mode: z.literal('softnet'),
    /** Destinations to allow beyond the default (e.g. a LAN mirror: `10.0.5.20/32`). `0.0.0.0/0` also lifts the isolation between VMs. */
    allow: z.array(targetSchema).max(64).default([]),
    /** Destinations to refuse; the longest prefix wins, and block wins a tie. */
    block: z.array(targetSchema).max(64).default([]),
  }),
  /** tart's default shared NAT: no isolation between VMs beyond vmnet's, which ARP spoofing defeats. Development only. */
  z.strictObject({ mode: z.literal('nat') }),
]);
export type VmNetwork = z.infer<typeof vmNetworkSchema>;

export const DEFAULT_VM_NETWORK: VmNetwork = { mode: 'softnet', allow: [], block: [] };

/** The `tart run` flags for `network`. */
export function tartNetworkArgs(network: VmNetwork): string[] {
  if (network.mode === 'nat') return [];
  const args = ['--net-softnet'];
  if (network.allow.length > 0) args.push(`--net-softnet-allow=${network.allow.join(',')}`);
  if (network.block.length > 0) args.push(`--net-softnet-block=${network.block.join(',')}`);
  return args;
}
