/**
 * One agent host on the real lifecycle over in-memory tart and SSH, on a fake clock, for the warm
 * capacity and spare clone tests: pools `mac` (image `base`, switchable through `image.current`) and
 * `linux` (image `base2`), every VM on its own address, and a guest whose bootstrap runs one job and
 * powers off. Closed (shutdown, state folder removed) by the `cleanups` the caller runs after each test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { agentConfigSchema } from '../../host-agent/src/config/schema';
import type { PoolImageResolver } from '../../host-agent/src/images/pool-image-store';
import { createFileJournal } from '../../host-agent/src/journal/journal';
import { createRunnerService, type LifecycleRunnerService } from '../../host-agent/src/lifecycle/runner-service';
import { createFakeClock, type FakeClock } from '../fakes/fake-clock';
import { createFakeRemoteShell, type FakeRemoteShell } from '../fakes/fake-remote-shell';
import { createFakeTart, type FakeTart } from '../fakes/fake-tart';
import { createMemoryLogger } from '../fakes/memory-logger';
import { createRecordingObserver, type RecordingObserver } from '../fakes/recording-observer';

export interface FakeLifecycleHost {
  clock: FakeClock;
  tart: FakeTart;
  shell: FakeRemoteShell;
  observer: RecordingObserver;
  service: LifecycleRunnerService;
  stateDir: string;
  /** Guest addresses whose liveness probe fails. */
  dead: Set<string>;
  /** The image the `mac` pool clones now (a rollout switches it). */
  image: { current: string };
  journal: ReturnType<typeof createFileJournal>;
}

export interface FakeLifecycleHostOptions {
  /** Extra settings of the `mac` and `linux` pools (warm baseline, spare clones, CPU…). */
  mac?: Record<string, unknown>;
  linux?: Record<string, unknown>;
  maxVms?: number;
  stateDir?: string;
  clock?: FakeClock;
  tart?: FakeTart;
  /** How long each job runs in the guest (fake time). */
  jobMs?: number;
  /** The agent's job deadline. */
  jobDeadlineMs?: number;
  /** Registered here: shuts the host down and removes its state folder (unless the caller gave one). */
  cleanups: (() => Promise<void>)[];
}

export function fakeLifecycleHost(options: FakeLifecycleHostOptions): FakeLifecycleHost {
  const stateDir = options.stateDir ?? mkdtempSync(path.join(tmpdir(), 'tf-host-'));
  const clock = options.clock ?? createFakeClock();
  const tart = options.tart ?? createFakeTart({ clock });
  tart.vms.set('base2', { name: 'base2', state: 'stopped', cpu: 4, memoryMb: 8192 });
  const addresses = new Map<string, string>();
  tart.ipOf = (name) => {
    if (tart.vms.get(name)?.state !== 'running') return undefined;
    if (!addresses.has(name)) addresses.set(name, `127.9.${Math.floor(addresses.size / 250)}.${(addresses.size % 250) + 1}`);
    return addresses.get(name);
  };
  const dead = new Set<string>();
  const ipToName = (ip: string) => [...addresses].find(([, a]) => a === ip)?.[0] ?? '';
  // The guest: `true` answers the liveness probe; the bootstrap runs one job and powers off.
  const shell = createFakeRemoteShell(async (command, _stdin, io, host) => {
    if (command === 'true') return dead.has(host) ? 1 : 0;
    io.line('Listening for Jobs');
    await clock.sleep(1_000);
    io.line('Running job: build');
    await clock.sleep(options.jobMs ?? 2_000);
    io.line('Job build completed with result: Succeeded');
    tart.powerOff(ipToName(host));
    return null;
  });
  const observer = createRecordingObserver();
  const config = agentConfigSchema.parse({
    hostId: 'h1',
    secrets: ['s'.repeat(32)],
    stateDir,
    maxVms: options.maxVms ?? 2,
    pools: [
      { name: 'mac', image: 'base', labels: ['macos'], ...options.mac },
      { name: 'linux', image: 'base2', labels: ['linux'], ...options.linux },
    ],
    ssh: { password: 'admin' },
    deadlines: { cloneMs: 5_000, bootMs: 5_000, sshMs: 5_000, onlineMs: 5_000, jobMs: options.jobDeadlineMs ?? 60_000, teardownMs: 5_000 },
    reconcileIntervalMs: 60_000,
  });
  const image = { current: 'base' };
  const poolImages: PoolImageResolver = {
    imageFor: (pool) => (pool.name === 'mac' ? image.current : pool.image),
    currentOf: (pool) => (pool.name === 'mac' ? image.current : pool.image),
  };
  const logger = createMemoryLogger();
  const journal = createFileJournal({ stateDir, logger });
  const service = createRunnerService({ config, tart, shell, journal, observer, logger, clock, version: 't', poolImages, timing: { stopTimeoutSeconds: 1, poweroffGraceMs: 200 } });
  options.cleanups.push(async () => {
    await clock.settle(service.shutdown(1_000)).catch(() => undefined);
    // Retries: a journal write that outlived a shutdown past its deadline can land mid-removal (ENOTEMPTY).
    if (!options.stateDir) rmSync(stateDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
  });
  return { clock, tart, shell, observer, service, stateDir, dead, image, journal };
}
