import { NO_SLOT_RETRY_AFTER_SECONDS } from '../../../core/agent-api/contract';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LifecycleRunnerService } from '../../../host-agent/src/lifecycle/runner-service';
import { createMemoryLogger } from '../../fakes/memory-logger';
import { createRecordingObserver } from '../../fakes/recording-observer';
import { filesContaining } from '../../helpers/files-containing';
import { startArgvSampler } from '../../helpers/proc-scan';
import { createSimEnv, type SimEnv } from '../../helpers/sim-env';
import { waitFor } from '../../helpers/wait-for';

let env: SimEnv | undefined;
let service: LifecycleRunnerService | undefined;
afterEach(async () => {
  await service?.shutdown(1_000).catch(() => undefined);
  service = undefined;
  await env?.close();
  env = undefined;
});

describe('lifecycle on the tart simulator with the runner stand-in and the fake GitHub', () => {
  it('request → job completed → VM gone → runner gone, without the JIT config in argv, logs or files', async () => {
    env = await createSimEnv();
    const e = env;
    const logger = createMemoryLogger();
    const observer = createRecordingObserver();
    const config = e.config();
    service = e.service({ config, logger, observer });
    await service.ready;
    const { jobIds } = e.github.enqueueRun({ jobs: [{ name: 'build', labels: ['self-hosted', 'macos'], durationMs: 1_500 }] });
    const name = 'tf-mac-c1a';
    const jit = await e.mint(name, ['self-hosted', 'macos']);
    const sampler = startArgvSampler(jit);

    const accepted = service.start({ name, pool: 'mac', labels: ['self-hosted', 'macos'], jitConfig: jit, jobId: jobIds[0] });
    expect(accepted.stage).toBe('requested');
    expect(JSON.stringify(accepted)).not.toContain(jit);

    // Mid-job, nothing on the host side holds the config either.
    await waitFor('the job to be running', () => service?.get(name)?.stage === 'running', 45_000);
    expect(filesContaining(e.root, jit)).toEqual([]);

    const done = await waitFor('the runner to be gone', () => (service?.get(name)?.stage === 'gone' ? service.get(name) : undefined), 45_000);
    const scan = sampler.stop();

    expect(done.failure).toBeUndefined();
    expect(done.jobResult).toBe('Succeeded');
    expect(done.registrationLeftBehind).toBe(false);
    for (const stage of ['requested', 'cloning', 'booting', 'ssh-ready', 'registering', 'online', 'running', 'tearing-down', 'gone'] as const) {
      expect(done.timestamps[stage], stage).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    }
    // The VM is deleted; the job completed on our runner; the JIT runner is gone from GitHub.
    expect((await e.tart.list()).map((vm) => vm.name)).toEqual(['base']);
    const job = e.github.job(jobIds[0] ?? -1);
    expect(job).toMatchObject({ status: 'completed', conclusion: 'success', runnerName: name });
    expect(e.github.runners().filter((r) => r.name === name && !r.consumed)).toEqual([]);
    // Slot free again, the observer saw the whole way.
    expect(observer.lastCounts).toMatchObject({ busy: 0, free: 2 });
    expect(observer.jobs).toEqual(['succeeded']);
    expect(observer.failures).toEqual([]);
    expect(observer.boots).toHaveLength(1);
    expect(observer.stages.map((s) => s.stage)).toEqual(['requested', 'cloning', 'booting', 'ssh-ready', 'registering', 'online', 'running', 'tearing-down', 'gone']);
    // The journal agrees.
    await service.shutdown(1_000);
    const entry = JSON.parse(readFileSync(path.join(config.stateDir, 'runners', `${name}.json`), 'utf8')) as { record: { stage: string } };
    expect(entry.record.stage).toBe('gone');
    // Secrets: no process argv, no log line, no file under the state dir or TART_HOME.
    expect(scan.samples).toBeGreaterThan(20);
    expect(scan.hits).toEqual([]);
    expect(logger.lines.length).toBeGreaterThan(10);
    expect(logger.text()).not.toContain(jit);
    expect(filesContaining(e.root, jit)).toEqual([]);
  }, 120_000);
  it('runs two runners at once on two slots, refuses a third with Retry-After, then takes it', async () => {
    env = await createSimEnv();
    const e = env;
    const logger = createMemoryLogger();
    const observer = createRecordingObserver();
    const config = e.config();
    service = e.service({ config, logger, observer });
    const svc = service;
    await svc.ready;
    const { jobIds } = e.github.enqueueRun({ jobs: ['one', 'two', 'three'].map((name) => ({ name, labels: ['self-hosted', 'macos'], durationMs: 1_000 })) });
    const jits = new Map<string, string>();
    for (const name of ['tf-mac-p1', 'tf-mac-p2', 'tf-mac-p3']) jits.set(name, await e.mint(name, ['self-hosted', 'macos']));
    const startRunner = (name: string) => svc.start({ name, pool: 'mac', labels: ['self-hosted', 'macos'], jitConfig: jits.get(name) ?? '' });
    startRunner('tf-mac-p1');
    startRunner('tf-mac-p2');
    expect(() => startRunner('tf-mac-p3')).toThrow(expect.objectContaining({ code: 'no_slot', retryAfterSeconds: NO_SLOT_RETRY_AFTER_SECONDS }) as Error);
    expect((await svc.hostInfo()).slots).toMatchObject({ total: 2, busy: 2, free: 0 });
    await waitFor('both gone', () => ['tf-mac-p1', 'tf-mac-p2'].every((n) => svc.get(n)?.stage === 'gone'), 60_000);
    startRunner('tf-mac-p3');
    await waitFor('third gone', () => svc.get('tf-mac-p3')?.stage === 'gone', 60_000);
    expect(['tf-mac-p1', 'tf-mac-p2', 'tf-mac-p3'].map((n) => svc.get(n)?.jobResult)).toEqual(['Succeeded', 'Succeeded', 'Succeeded']);
    expect(jobIds.map((id) => e.github.job(id)?.conclusion)).toEqual(['success', 'success', 'success']);
    expect((await e.tart.list()).map((vm) => vm.name)).toEqual(['base']);
    expect(observer.lastCounts).toMatchObject({ busy: 0, free: 2 });
  }, 150_000);
});
