/** The lifecycle clones each pool's current image (switched by a rollout), and holds smoke slots. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentConfigSchema } from '../../../host-agent/src/config/schema';
import { openPoolImageStore } from '../../../host-agent/src/images/pool-image-store';
import { createFileJournal } from '../../../host-agent/src/journal/journal';
import { createRunnerService, type LifecycleRunnerService } from '../../../host-agent/src/lifecycle/runner-service';
import { StartRejectedError } from '../../../host-agent/src/service';
import { createFakeRemoteShell } from '../../fakes/fake-remote-shell';
import { createFakeTart } from '../../fakes/fake-tart';
import { createMemoryLogger } from '../../fakes/memory-logger';
import { createRecordingObserver } from '../../fakes/recording-observer';
import { createFakeClock } from '../../fakes/fake-clock';

let dir: string;
let service: LifecycleRunnerService | undefined;
const clock = createFakeClock();
afterEach(async () => {
  if (service) await clock.settle(service.shutdown(200)).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('lifecycle and pool images', () => {
  it('clones the pool\'s current image, records it per runner, and counts a reserved smoke slot as busy', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tf-lc-img-'));
    const tart = createFakeTart({ clock });
    tart.vms.set('runner-v2', { name: 'runner-v2', state: 'stopped', cpu: 4, memoryMb: 8192 });
    const shell = createFakeRemoteShell(async (_c, _s, io) => {
      io.line('2026-01-01 00:00:00Z: Listening for Jobs');
      return null;
    });
    const logger = createMemoryLogger();
    const config = agentConfigSchema.parse({
      hostId: 'h1',
      secrets: ['s'.repeat(32)],
      stateDir: dir,
      maxVms: 2,
      pools: [{ name: 'mac', image: 'base', labels: ['macos'], spareClones: 0 }],
      ssh: { password: 'admin' },
      deadlines: { cloneMs: 2_000, bootMs: 2_000, sshMs: 1_000, onlineMs: 2_000, jobMs: 5_000, teardownMs: 2_000 },
      reconcileIntervalMs: 60_000,
    });
    const store = openPoolImageStore(dir, config.pools);
    await store.switchTo(config.pools[0]!, 'runner-v2');
    service = createRunnerService({ config, tart, shell, journal: createFileJournal({ stateDir: dir, logger }), observer: createRecordingObserver(), logger, clock, version: '1', poolImages: store, timing: { stopTimeoutSeconds: 1 } });
    await clock.settle(service.ready);
    expect((await service.hostInfo()).pools[0]?.image).toBe('runner-v2');

    const release = service.reserveSlot();
    expect(release).toBeDefined();
    service.start({ name: 'tf-mac-a1', pool: 'mac', labels: ['macos'], jitConfig: 'ZmFrZQ==' });
    await clock.runUntil('runner online', () => service?.get('tf-mac-a1')?.stage === 'online');
    expect(tart.calls).toContain('clone runner-v2 tf-mac-a1');
    expect(store.clonedFrom(new Set(['tf-mac-a1']))).toEqual(new Map([['tf-mac-a1', 'runner-v2']]));
    // Two slots: the runner and the smoke VM. A third is refused, and no second smoke slot is given.
    expect(() => service?.start({ name: 'tf-mac-a2', pool: 'mac', labels: ['macos'], jitConfig: 'ZmFrZQ==' })).toThrow(StartRejectedError);
    expect(service.reserveSlot()).toBeUndefined();
    release?.();
    expect((await service.hostInfo()).slots).toMatchObject({ busy: 1, free: 1 });
  });
});
