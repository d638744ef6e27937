/**
 * Baseline 1, per-host polling: every host (the real agent, same doubles) runs a small poller that
 * every 10 s (simulated; hosts out of phase) looks at its free slots, and with one free lists GitHub's
 * queued and in-progress runs and their jobs until it has seen enough queued jobs, then mints a JIT
 * registration per free slot and starts the runner on its own agent (the real agent client). Every
 * host uses the fleet's one GitHub identity. No coordination: at the tail several hosts start
 * runners for the same last jobs; a runner left online and idle for 60 s while no job is queued is
 * cancelled and its registration deleted, like the dispatcher's idle grace.
 */
import { systemClock } from '../../core/clock';
import { createAgentClient, type AgentClient } from '../../core/agent-api/client';
import { createGitHubRest, type GitHubRest } from './github-rest';
import { POOL, type SimHost } from './sim-host';
import type { FleetEnv, Variant } from './variant';

const POLL_MS = 10_000;
const IDLE_MS = 60_000;

interface Started {
  runnerId: number;
}

interface PollerCounts {
  polls: number;
  throttledPolls: number;
  idleCancelled: number;
}

function startPoller(host: SimHost, index: number, env: FleetEnv, rest: GitHubRest, counts: PollerCounts): () => void {
  const agent: AgentClient = createAgentClient({ baseUrl: host.url, secret: host.secret, fetch: env.net.fetch, timeoutMs: 30_000 });
  const started = new Map<string, Started>();
  let seq = 0;
  let stopped = false;
  let sawQueued = true;

  async function cancelIdle(): Promise<void> {
    for (const [name, s] of started) {
      const record = host.service.get(name);
      if (!record || record.stage === 'gone') {
        started.delete(name);
        continue;
      }
      const onlineAt = Date.parse(record.timestamps.online ?? '');
      if (record.stage === 'online' && !sawQueued && env.clock.now() - onlineAt > IDLE_MS) {
        started.delete(name);
        counts.idleCancelled += 1;
        await agent.cancelRunner(name).catch(() => undefined);
        await rest.deleteRunner(s.runnerId);
      }
    }
  }

  async function poll(): Promise<void> {
    await cancelIdle();
    const free = host.service.slotCounts().free;
    if (free === 0) return;
    counts.polls += 1;
    const queued = await rest.queuedJobs(free);
    if (queued === 'throttled') {
      counts.throttledPolls += 1;
      return;
    }
    sawQueued = queued.length > 0;
    for (let k = 0; k < Math.min(free, queued.length); k++) {
      seq += 1;
      const name = `tf-${POOL.name}-p${index}n${seq}`;
      const minted = await rest.mint(name, ['self-hosted', ...POOL.labels]);
      if (typeof minted === 'string') return;
      try {
        await agent.startRunner({ name, pool: POOL.name, labels: ['self-hosted', ...POOL.labels], jitConfig: minted.jitConfig });
        started.set(name, { runnerId: minted.runnerId });
      } catch {
        await rest.deleteRunner(minted.runnerId);
      }
    }
  }

  let timer = env.clock.setTimer(Math.random() * POLL_MS, function tick() {
    void poll()
      .catch(() => undefined)
      .finally(() => {
        if (!stopped) timer = env.clock.setTimer(POLL_MS, tick);
      });
  });
  return () => {
    stopped = true;
    timer.cancel();
  };
}

export const pollingVariant: Variant = {
  name: 'polling',
  design: 'per-host pollers: every 10 s each host with a free slot lists queued runs and their jobs, mints and starts runners on itself; one ephemeral VM per job',
  agents: true,
  slotCallback: false,
  keepsRegistrations: false,
  async start(env) {
    const rest = createGitHubRest(env.net.fetch);
    const counts: PollerCounts = { polls: 0, throttledPolls: 0, idleCancelled: 0 };
    const stops = env.hosts.map((host, index) => startPoller(host, index, env, rest, counts));
    return {
      report: () => ({ pollers: { ...counts } }),
      stop: async () => {
        for (const stop of stops) stop();
        await systemClock.sleep(10);
      },
    };
  },
};
