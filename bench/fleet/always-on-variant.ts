/**
 * Baseline 2, always-on: one long-lived registered runner per slot (hosts × 2), connected before the
 * burst and taking jobs as they come, with no VM booted per job: no agent runs, and nothing isolates
 * one job from the next (the same machine, disk and keychain serve every job a runner takes). The
 * fake GitHub mints only JIT (ephemeral) registrations; flipping `ephemeral` off on its record stands
 * in for `config.sh` without `--ephemeral`.
 */
import { setMaxListeners } from 'node:events';
import { createGitHubRest, type GitHubRest } from './github-rest';
import { connectRunner, type RunnerConnection } from './runner-client';
import { POOL, SLOTS_PER_HOST } from './sim-host';
import type { FleetEnv, Variant } from './variant';

/** A throttled registration waits this long (simulated) before it tries again. */
const RETRY_MS = 60_000;

async function register(name: string, env: FleetEnv, rest: GitHubRest, signal: AbortSignal): Promise<{ runnerId: number; jitConfig: string }> {
  for (;;) {
    const minted = await rest.mint(name, ['self-hosted', ...POOL.labels]);
    if (typeof minted !== 'string') return minted;
    await env.clock.sleep(RETRY_MS, signal);
  }
}

async function serve(runner: RunnerConnection, env: FleetEnv, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const job = await runner.poll(signal);
    if (!job) continue;
    await env.clock.sleep(job.durationMs);
    await runner.complete(job.jobId, 'Succeeded');
  }
}

export const alwaysOnVariant: Variant = {
  name: 'always-on',
  design: 'one long-lived registered runner per slot taking job after job: no boot per job, and no isolation between jobs',
  agents: false,
  slotCallback: false,
  keepsRegistrations: true,
  async start(env) {
    const rest = createGitHubRest(env.net.fetch);
    const stop = new AbortController();
    // Every runner's poll and job wait listens on this one signal.
    setMaxListeners(0, stop.signal);
    const ids: number[] = [];
    const runners = await Promise.all(
      Array.from({ length: env.workload.hosts * SLOTS_PER_HOST }, async (_, i) => {
        const { runnerId, jitConfig } = await register(`tf-${POOL.name}-a${i}`, env, rest, stop.signal);
        ids.push(runnerId);
        const record = env.github.state.runners.get(runnerId);
        if (record) record.ephemeral = false;
        return connectRunner(jitConfig, { fetch: env.net.fetch, clock: env.clock });
      }),
    );
    const serving = runners.map((r) => serve(r, env, stop.signal).catch(() => undefined));
    return {
      async stop() {
        stop.abort();
        await Promise.all(serving);
        await Promise.all(runners.map((r) => r.close()));
        for (const id of ids) await rest.deleteRunner(id);
      },
    };
  },
};
