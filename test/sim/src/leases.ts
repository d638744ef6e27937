import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { lazy } from './lazy-node';
import type { TartHome } from './tart-home';

/**
 * The simulator's `/var/db/dhcpd_leases`: one file per MAC under `$TART_HOME/.sim/leases/`, holding
 * the guest's loopback address and the lease expiry. Like vmnet's DHCP server, a MAC that already has
 * an unexpired lease gets the same address again, and a lease outlives the VM (docs/reference/tart-cli.md §3 `ip`:
 * a stopped VM with a live lease still has an IP).
 */
export interface Lease {
  ip: string;
  /** Expiry, epoch seconds. */
  expires: number;
}

/** vmnet's default lease time: one day. */
export const LEASE_SECONDS = 86_400;

function leaseDir(home: TartHome): string {
  return path.join(home.sim, 'leases');
}

function leaseFile(home: TartHome, mac: string): string {
  return path.join(leaseDir(home), mac.toLowerCase().replace(/:/g, '-'));
}

/** The unexpired lease of a MAC, or undefined. */
export function readLease(home: TartHome, mac: string, nowMs = Date.now()): Lease | undefined {
  try {
    const lease = JSON.parse(readFileSync(leaseFile(home, mac), 'utf8')) as Lease;
    return lease.expires * 1000 > nowMs ? lease : undefined;
  } catch {
    return undefined;
  }
}

/** Records (or renews) the lease of a MAC. */
export function writeLease(home: TartHome, mac: string, ip: string, nowMs = Date.now()): void {
  mkdirSync(leaseDir(home), { recursive: true });
  const file = leaseFile(home, mac);
  const tmp = `${file}.${process.pid}`;
  writeFileSync(tmp, JSON.stringify({ ip, expires: Math.floor(nowMs / 1000) + LEASE_SECONDS }));
  renameSync(tmp, file);
}

/** Addresses leased to other MACs in this TART_HOME. */
export function leasedAddresses(home: TartHome, exceptMac: string, nowMs = Date.now()): Set<string> {
  const taken = new Set<string>();
  const self = path.basename(leaseFile(home, exceptMac));
  let names: string[];
  try {
    names = readdirSync(leaseDir(home));
  } catch {
    return taken;
  }
  for (const name of names) {
    if (name === self || name.includes('.')) continue;
    try {
      const lease = JSON.parse(readFileSync(path.join(leaseDir(home), name), 'utf8')) as Lease;
      if (lease.expires * 1000 > nowMs) taken.add(lease.ip);
    } catch {
      // Being rewritten; ignore.
    }
  }
  return taken;
}

/**
 * The `attempt`-th candidate loopback address for a MAC: 127.a.b.c with a ≥ 16, so it never collides
 * with 127.0.0.1 (where the fake GitHub listens) and rarely with addresses tests pick by hand. It is a
 * hash of TART_HOME and MAC so VMs of parallel test runs (separate TART_HOMEs) spread out.
 */
export function candidateAddress(home: TartHome, mac: string, attempt: number): string {
  const d = lazy.crypto().createHash('sha256').update(`${home.root}\0${mac.toLowerCase()}\0${attempt}`).digest();
  const a = 16 + ((d[0] as number) % 239);
  const b = d[1] as number;
  const c = 1 + ((d[2] as number) % 254);
  return `127.${a}.${b}.${c}`;
}
