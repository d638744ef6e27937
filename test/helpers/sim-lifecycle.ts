/**
 * One simulated host and the real lifecycle on it per test (sim-env.ts), closed after the test, and a
 * helper that runs one job on one runner to its end.
 */
import type { TestContext } from 'vitest';
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

/**
 * One simulated host per test, closed when that test finishes (its own `onTestFinished`, so tests of
 * a `describe.concurrent` block each close only their own host). Pass the test context.
 */
export function useSimLifecycle(): { start(ctx: Pick<TestContext, 'onTestFinished'>, options?: { env?: Record<string, string>; config?: Record<string, unknown> }): Promise<SimLifecycle> } {
  return {
    async start(ctx, options = {}) {
      const e = await createSimEnv(options.env === undefined ? {} : { env: options.env });
      const logger = createMemoryLogger();
      let service: LifecycleRunnerService | undefined = undefined;
      ctx.onTestFinished(async () => {
        await service?.shutdown(1_000).catch(() => undefined);
        await e.close();
      });
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
