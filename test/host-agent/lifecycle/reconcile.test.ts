import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunnerRecord } from '../../../core/agent-api/contract';
import { agentConfigSchema } from '../../../host-agent/src/config/schema';
import { createFileJournal } from '../../../host-agent/src/journal/journal';
import { createRunnerService, type LifecycleRunnerService } from '../../../host-agent/src/lifecycle/runner-service';
import { createFakeRemoteShell } from '../../fakes/fake-remote-shell';
import { createFakeTart } from '../../fakes/fake-tart';
import { createMemoryLogger } from '../../fakes/memory-logger';
import { createRecordingObserver } from '../../fakes/recording-observer';
import { createFakeClock } from '../../fakes/fake-clock';

let dir: string;
let service: LifecycleRunnerService | undefined;
const clock = createFakeClock({ start: Date.now() });
afterEach(async () => {
  if (service) await clock.settle(service.shutdown(200));
  rmSync(dir, { recursive: true, force: true });
});

const rec = (name: string, stage: RunnerRecord['stage'], extra: Partial<RunnerRecord> = {}): RunnerRecord => ({
  name,
  pool: 'mac',
  labels: ['macos'],
  stage,
  timestamps: {
    requested: new Date(Date.now() - 5_000).toISOString(),
    ...(stage === 'running' || stage === 'tearing-down' ? { online: new Date().toISOString() } : {}),
    [stage]: new Date().toISOString(),
  },
  registrationLeftBehind: false,
  adopted: false,
  ...extra,
});

describe('reconcile after a restart (fakes)', () => {
  it('adopts running jobs, tears down everything else it owns, finishes teardowns and leaves foreign VMs alone', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tf-reconcile-'));
    const logger = createMemoryLogger();
    const journal = createFileJournal({ stateDir: dir, logger });
    const tart = createFakeTart({ clock });
    const running = (name: string) => {
      tart.vms.set(name, { name, state: 'stopped', cpu: 4, memoryMb: 8192 });
      tart.run(name, { logFile: '/dev/null' });
    };
    // Previous life: a job in progress (VM running), a boot in progress, an interrupted teardown,
    // a job whose VM already stopped, a record whose VM vanished; plus an orphan and a foreign VM.
    running('tf-mac-job1');
    running('tf-mac-boot1');
    tart.vms.set('tf-mac-tear1', { name: 'tf-mac-tear1', state: 'stopped', cpu: 4, memoryMb: 8192 });
    tart.vms.set('tf-mac-done1', { name: 'tf-mac-done1', state: 'stopped', cpu: 4, memoryMb: 8192 });
    running('tf-mac-orphan1');
    running('dev-vm');
    running('tf-Mac-weird');
    await journal.save({ record: rec('tf-mac-job1', 'running'), ip: '127.9.0.1' });
    await journal.save({ record: rec('tf-mac-boot1', 'booting') });
    await journal.save({ record: rec('tf-mac-tear1', 'tearing-down', { failure: { stage: 'running', reason: 'canceled', message: 'x' } }) });
    await journal.save({ record: rec('tf-mac-done1', 'running') });
    await journal.save({ record: rec('tf-mac-lost1', 'cloning') });
    // Gone as far as the journal knows, yet still on disk (a delete that raced a crash).
    tart.vms.set('tf-mac-old1', { name: 'tf-mac-old1', state: 'stopped', cpu: 4, memoryMb: 8192 });
    await journal.save({ record: rec('tf-mac-old1', 'gone', { jobResult: 'Succeeded' }) });

    const observer = createRecordingObserver();
    const shell = createFakeRemoteShell(async (_c, _s, io) => {
      await io.closed;
      return null;
    });
    const config = agentConfigSchema.parse({
      hostId: 'h',
      secrets: ['s'.repeat(32)],
      stateDir: dir,
      pools: [{ name: 'mac', image: 'base', labels: ['macos'], spareClones: 0 }],
      ssh: { password: 'admin' },
      maxVms: 8,
    });
    service = createRunnerService({ config, tart, shell, journal, observer, logger, clock, version: 't', timing: { adoptPollMs: 20, stopTimeoutSeconds: 1 } });
    await clock.settle(service.ready);
    await clock.runUntil('everything but the adopted job gone', () => ['tf-mac-boot1', 'tf-mac-tear1', 'tf-mac-done1', 'tf-mac-lost1', 'tf-mac-orphan1'].every((n) => service?.get(n)?.stage === 'gone'));
    expect(service.get('tf-mac-job1')).toMatchObject({ stage: 'running', adopted: true });
    expect(service.get('tf-mac-boot1')?.failure).toMatchObject({ stage: 'booting', reason: 'agent-shutdown' });
    expect(service.get('tf-mac-boot1')?.registrationLeftBehind).toBe(true);
    expect(service.get('tf-mac-tear1')?.failure?.reason).toBe('canceled');
    expect(service.get('tf-mac-lost1')?.failure).toMatchObject({ stage: 'cloning', reason: 'agent-shutdown' });
    expect(observer.orphans).toBe(1);
    // Four of the previous life's runners ended (the orphan was never a job of ours).
    expect(observer.jobs).toHaveLength(4);
    await clock.runUntil('the stale VM of a gone runner deleted', () => !tart.vms.has('tf-mac-old1'));
    expect(service.get('tf-mac-old1')).toMatchObject({ stage: 'gone', jobResult: 'Succeeded' });
    expect(observer.stages.filter((st) => st.stage === 'tearing-down')).toHaveLength(5);
    expect([...tart.vms.keys()].sort()).toEqual(['base', 'dev-vm', 'tf-Mac-weird', 'tf-mac-job1']);
    // The adopted job's guest powers off; the agent notices through `tart get` and deletes the VM.
    tart.powerOff('tf-mac-job1');
    await clock.runUntil('adopted job gone', () => service?.get('tf-mac-job1')?.stage === 'gone');
    expect([...tart.vms.keys()].sort()).toEqual(['base', 'dev-vm', 'tf-Mac-weird']);
    expect(tart.calls.some((c) => /(stop|delete) (dev-vm|tf-Mac-weird)/.test(c))).toBe(false);
  });
});

describe('reconcile of VMs stopped but not deleted (kill -9 during a delete)', () => {
  it('holds no slot for them, deletes them, and admits runners meanwhile', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tf-reconcile-'));
    const logger = createMemoryLogger();
    const journal = createFileJournal({ stateDir: dir, logger });
    const tart = createFakeTart({ clock });
    const stopped = (name: string) => tart.vms.set(name, { name, state: 'stopped', cpu: 4, memoryMb: 8192 });
    // tear2 was journaled as stopped while its delete ran; run2's journal still says running, but
    // its guest powered off while the agent was down.
    stopped('tf-mac-tear2');
    stopped('tf-mac-run2');
    await journal.save({ record: rec('tf-mac-tear2', 'tearing-down', { jobResult: 'Succeeded' }), vmStopped: true });
    await journal.save({ record: rec('tf-mac-run2', 'running'), ip: '127.9.0.1' });
    tart.delay('delete', 10_000);
    const shell = createFakeRemoteShell(async (_c, _s, io) => {
      await io.closed;
      return null;
    });
    const config = agentConfigSchema.parse({ hostId: 'h', secrets: ['s'.repeat(32)], stateDir: dir, pools: [{ name: 'mac', image: 'base', labels: ['macos'], spareClones: 0 }], ssh: { password: 'admin' }, maxVms: 2 });
    service = createRunnerService({ config, tart, shell, journal, observer: createRecordingObserver(), logger, clock, version: 't', timing: { adoptPollMs: 20, stopTimeoutSeconds: 1 } });
    // Before the first reconcile only the journal speaks: run2 may still run, tear2 does not.
    expect(service.slotCounts()).toMatchObject({ busy: 1, free: 1 });
    await clock.settle(service.ready);
    expect(service.get('tf-mac-run2')?.stage).toBe('tearing-down');
    expect(service.get('tf-mac-tear2')?.stage).toBe('tearing-down');
    expect(service.slotCounts()).toMatchObject({ busy: 0, free: 2 });
    expect(tart.vms.has('tf-mac-tear2')).toBe(true);
    service.start({ name: 'tf-mac-new1', pool: 'mac', labels: ['macos'], jitConfig: 'ZmFrZQ==' });
    await clock.runUntil('both deleted', () => ['tf-mac-tear2', 'tf-mac-run2'].every((n) => service?.get(n)?.stage === 'gone'));
    expect(tart.vms.has('tf-mac-tear2') || tart.vms.has('tf-mac-run2')).toBe(false);
    expect(service.get('tf-mac-tear2')?.failure).toBeUndefined();
    expect(service.get('tf-mac-run2')?.failure).toMatchObject({ reason: 'agent-shutdown' });
  });
});
