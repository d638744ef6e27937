/**
 * One simulated Mac: the real agent (its Hono app with request signing, the runner lifecycle with
 * slots, deletes and the slot-free callback; warm pool off) over in-memory doubles for tart
 * (test/fakes/fake-tart.ts, a VM "boots" for `bootMs`: its `tart ip` answers after that long), SSH
 * (test/fakes/fake-remote-shell.ts with the guest double of guest-runner.ts) and the journal.
 */
import { isSpareVmName } from '../../core/names';
import path from 'node:path';
import { Registry } from 'prom-client';
import type { Clock } from '../../core/clock';
import { silentLogger } from '../../core/logger';
import { systemClock } from '../../core/clock';
import { createApp } from '../../host-agent/src/app';
import { agentConfigSchema } from '../../host-agent/src/config/schema';
import { createRunnerService, type LifecycleRunnerService } from '../../host-agent/src/lifecycle/runner-service';
import { createMetrics } from '../../host-agent/src/metrics/create-metrics';
import { slotCallbackFor } from '../../host-agent/src/slot-callback/slot-callback-for-config';
import type { SlotFreeNotifier } from '../../host-agent/src/slot-callback/slot-free-notifier';
import { createFakeRemoteShell } from '../../test/fakes/fake-remote-shell';
import { createFakeTart } from '../../test/fakes/fake-tart';
import { createGuestRunner } from './guest-runner';
import type { InProcessNet } from './in-process-net';
import { createMemoryJournal } from './memory-journal';

export const POOL = { name: 'macos', labels: ['macOS'], image: 'base' } as const;
export const SLOTS_PER_HOST = 2;

export interface SimHost {
  hostId: string;
  /** Where the agent's API is served on the in-process network. */
  url: string;
  secret: string;
  service: LifecycleRunnerService;
  /** Runner VMs the tart double still holds (the base image and waiting spare clones not counted). */
  vms(): number;
  shutdown(): Promise<void>;
}

export interface SimHostOptions {
  index: number;
  net: InProcessNet;
  /** The simulated clock: boot, deadlines, the agent's reconcile and the callback's timeout run on it. */
  clock: Clock;
  bootMs: number;
  stateRoot: string;
  /** The dispatcher's base URL for the slot-free callback; none: no callback. */
  dispatcherUrl?: string;
}

export function createSimHost(options: SimHostOptions): SimHost {
  const { index, clock, net } = options;
  const hostId = `mini-${index}`;
  const url = `http://127.1.${Math.floor(index / 250)}.${(index % 250) + 1}:8420`;
  const secret = `bench-secret-${hostId}-`.padEnd(40, 'x');
  const config = agentConfigSchema.parse({
    hostId,
    secrets: [secret],
    stateDir: path.join(options.stateRoot, hostId),
    maxVms: SLOTS_PER_HOST,
    // One spare clone per pool, as measured in the issue #16 note.
    pools: [{ name: POOL.name, image: POOL.image, labels: [...POOL.labels], cpu: 4, memoryMb: 8192, spareClones: 1 }],
    ssh: { password: 'admin', hostKeyFingerprint: `SHA256:${'f'.repeat(43)}` },
    ...(options.dispatcherUrl ? { dispatcher: { url: options.dispatcherUrl } } : {}),
  });
  const tart = createFakeTart({ clock });
  tart.delay('ip', options.bootMs);
  // Each VM gets its own address, so the guest double knows which VM to power off.
  const vmAt = new Map<string, string>();
  const ipOf = new Map<string, string>();
  let nextIp = 0;
  tart.ipOf = (name) => {
    let ip = ipOf.get(name);
    if (ip === undefined) {
      nextIp += 1;
      ip = `10.${index % 250}.${Math.floor(nextIp / 250) % 250}.${(nextIp % 250) + 1}`;
      ipOf.set(name, ip);
      vmAt.set(ip, name);
    }
    return ip;
  };
  const guest = createGuestRunner({
    fetch: net.fetch,
    clock,
    powerOff(ip) {
      const name = vmAt.get(ip);
      if (name !== undefined) tart.powerOff(name);
    },
  });
  const shell = createFakeRemoteShell(guest);
  const registry = new Registry();
  const metrics = createMetrics(registry, { hostId, pools: [POOL.name] });
  const service = createRunnerService({ config, tart, shell, journal: createMemoryJournal(), observer: metrics.observer, logger: silentLogger, version: 'bench', clock, slotFreed: () => callback?.slotFreed() });
  // The callback reads the service's counts and the service calls it (only after a teardown, so never before it exists).
  const callback: SlotFreeNotifier | undefined = slotCallbackFor(config, { fetch: net.fetch, clock, logger: silentLogger, freeSlots: () => service.slotCounts().free, counted: metrics.slotCallback });
  // Request signatures carry wall-clock time (the dispatcher's agent client signs with it).
  const app = createApp({ service, config, registry, metrics, logger: silentLogger, clock: systemClock });
  net.serve(url, app);
  return {
    hostId,
    url,
    secret,
    service,
    // A stopped spare clone is kept on purpose (pools[].spareClones), not left behind.
    vms: () => [...tart.vms.values()].filter((vm) => vm.name !== 'base' && !(isSpareVmName(vm.name) && vm.state !== 'running')).length,
    shutdown: () => service.shutdown(10_000),
  };
}
