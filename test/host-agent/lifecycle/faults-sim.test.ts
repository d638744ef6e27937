import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LifecycleRunnerService } from '../../../host-agent/src/lifecycle/runner-service';
import { createMemoryLogger } from '../../fakes/memory-logger';
import { createRecordingObserver, type RecordingObserver } from '../../fakes/recording-observer';
import { createSimEnv, type SimEnv } from '../../helpers/sim-env';
import { waitFor } from '../../helpers/wait-for';

let env: SimEnv;
let service: LifecycleRunnerService;
let observer: RecordingObserver;

beforeAll(async () => {
  env = await createSimEnv();
  observer = createRecordingObserver();
  const logger = createMemoryLogger();
  const config = env.config({ deadlines: { cloneMs: 20_000, bootMs: 4_000, sshMs: 3_000, onlineMs: 20_000, jobMs: 60_000, teardownMs: 20_000 } });
  service = env.service({ config, logger, observer, sshAttemptTimeoutMs: 1_000, timing: { stopTimeoutSeconds: 1 } });
  await service.ready;
});
afterAll(async () => {
  await service?.shutdown(1_000).catch(() => undefined);
  await env?.close();
});

/** Starts a runner with a fresh JIT config and waits for it to be gone. */
async function runToEnd(id: string, options: { duringJob?: (name: string) => Promise<void>; jobMs?: number } = {}) {
  const name = `tf-mac-${id}`;
  const before = observer.failures.length;
  env.github.enqueueRun({ jobs: [{ name: `job-${id}`, labels: ['self-hosted', 'macos', id], durationMs: options.jobMs ?? 1_000 }] });
  const jit = await env.mint(name, ['self-hosted', 'macos', id]);
  service.start({ name, pool: 'mac', labels: ['self-hosted', 'macos', id], jitConfig: jit });
  if (options.duringJob) await options.duringJob(name);
  const record = await waitFor(`${name} to be gone`, () => (service.get(name)?.stage === 'gone' ? service.get(name) : undefined), 45_000);
  return { record, newFailures: observer.failures.slice(before), vms: (await env.tart.list()).map((vm) => vm.name) };
}

/** Every failure must end the same way: the VM deleted, the failure counted with its stage, the slot free. */
function expectCleanEnd(result: Awaited<ReturnType<typeof runToEnd>>, stage: string, reason: string): void {
  expect(result.record.failure).toMatchObject({ stage, reason });
  expect(result.newFailures).toEqual([{ stage, reason }]);
  expect(result.vms).toEqual(['base']);
  expect(observer.lastCounts?.busy).toBe(0);
}

describe('simulator-injected failures end with the VM deleted, the failure counted and the slot free', () => {
  it('clone fails', async () => {
    env.setFaults('clone-fail@tf-mac-clonefail');
    const result = await runToEnd('clonefail');
    expectCleanEnd(result, 'cloning', 'clone-failed');
    expect(result.record.failure?.message).toMatch(/No space left on device/);
    expect(result.record.registrationLeftBehind).toBe(true);
    expect(observer.lastCounts?.free).toBe(2);
  }, 120_000);

  it('boot hangs (no IP)', async () => {
    env.setFaults('boot-hang@tf-mac-boothang');
    const result = await runToEnd('boothang');
    expectCleanEnd(result, 'booting', 'ip-timeout');
    expect(observer.lastCounts?.free).toBe(2);
  }, 120_000);

  it('SSH refuses', async () => {
    env.setFaults('ssh-refuse@tf-mac-sshrefuse');
    const result = await runToEnd('sshrefuse');
    expectCleanEnd(result, 'booting', 'ssh-timeout');
    expect(observer.lastCounts?.free).toBe(2);
  }, 120_000);

  it('tart run fails to start', async () => {
    env.setFaults('run-fail@tf-mac-runfail');
    const result = await runToEnd('runfail');
    expectCleanEnd(result, 'booting', 'boot-failed');
    expect(observer.lastCounts?.free).toBe(2);
  }, 120_000);

  it('guest dies mid-job', async () => {
    env.setFaults('guest-crash@tf-mac-crash=4000');
    const result = await runToEnd('crash', {
      jobMs: 20_000,
      duringJob: async (name) => {
        await waitFor(`${name} running`, () => service.get(name)?.stage === 'running', 20_000);
      },
    });
    expectCleanEnd(result, 'running', 'guest-died');
    expect(result.record.failure?.message).toMatch(/stopped the virtual machine due to error/);
    expect(result.record.registrationLeftBehind).toBe(false);
    expect(observer.lastCounts?.free).toBe(2);
  }, 120_000);

  it('stop hangs: a canceled runner is still deleted', async () => {
    env.setFaults('stop-hang@tf-mac-stophang');
    const result = await runToEnd('stophang', {
      jobMs: 30_000,
      duringJob: async (name) => {
        await waitFor(`${name} running`, () => service.get(name)?.stage === 'running', 20_000);
        expect(await service.cancel(name)).toBe(true);
      },
    });
    expectCleanEnd(result, 'running', 'canceled');
    expect(observer.lastCounts?.free).toBe(2);
  }, 120_000);

  it('tart reports the VM limit: failure vm-limit, slot marked suspect, no retry loop', async () => {
    env.setFaults('leaked-slots@tf-mac-limit=2');
    const bootsBefore = observer.stages.filter((s) => s.stage === 'booting').length;
    const result = await runToEnd('limit');
    expectCleanEnd(result, 'booting', 'vm-limit');
    const host = await service.hostInfo();
    expect(host.slots).toMatchObject({ total: 2, busy: 0, suspect: 1, free: 1 });
    // One `tart run`, not a loop of them.
    expect(observer.stages.filter((s) => s.stage === 'booting').length - bootsBefore).toBe(1);
    expect(result.record.timestamps['ssh-ready']).toBeUndefined();
  }, 120_000);
});
