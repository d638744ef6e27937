/**
 * One simulated host and the real lifecycle on it per test (sim-env.ts), closed after the test, and a
 * helper that runs one job on one runner to its end.
 */
import { afterEach } from 'vitest';
import type { RunnerRecord } from '../../core/agent-api/contract';
import type { LifecycleRunnerService } from '../../host-agent/src/lifecycle/runner-service';
import { createMemoryLogger, type MemoryLogger } from '../fakes/memory-logger';
import { createRecordingObserver } from '../fakes/recording-observer';
import { createSimEnv, type SimEnv } from './sim-env';
import { waitFor } from './wait-for';

export interface SimLifecycle {
  e: SimEnv;
  service: LifecycleRunnerService;
  logger: MemoryLogger;
}

/** Registers the afterEach that closes what `start` opened; call at the top of a test file. */
export function useSimLifecycle(): { start(options?: { env?: Record<string, string>; config?: Record<string, unknown> }): Promise<SimLifecycle> } {
  let env: SimEnv | undefined;
  let service: LifecycleRunnerService | undefined;
  afterEach(async () => {
    await service?.shutdown(1_000).catch(() => undefined);
    await env?.close();
    env = undefined;
    service = undefined;
  });
  return {
    async start(options = {}) {
      const e = await createSimEnv(options.env === undefined ? {} : { env: options.env });
      env = e;
      const logger = createMemoryLogger();
      service = e.service({ config: e.config(options.config), logger, observer: createRecordingObserver() });
      await service.ready;
      return { e, service, logger };
    },
  };
}

/** Starts runner `name` for one queued job (`script` as its step) and resolves with its record once gone. */
export async function runOneJob(lc: SimLifecycle, name: string, job: { script?: string; durationMs?: number } = {}, timeoutMs = 90_000): Promise<{ done: RunnerRecord; jobId: number }> {
  const labels = ['self-hosted', 'macos'];
  const { jobIds: [jobId = -1] = [] } = lc.e.github.enqueueRun({ jobs: [{ name: 'build', labels, durationMs: job.durationMs ?? 500, ...(job.script === undefined ? {} : { script: job.script }) }] });
  lc.service.start({ name, pool: 'mac', labels, jitConfig: await lc.e.mint(name, labels), jobId });
  const done = await waitFor(`${name} gone`, () => (lc.service.get(name)?.stage === 'gone' ? lc.service.get(name) : undefined), timeoutMs);
  return { done, jobId };
}
