/**
 * Wire the real collaborators from a config: Octokit, one agent client per host, the placer, the
 * runner starter and the reconciler. Runtime adapters call this and add their own serving.
 */
import { createAgentClient, type AgentClient, type AgentImageClient } from '../../core/agent-api/client';
import type { Registry } from 'prom-client';
import { createDispatcher, type Dispatcher } from './app';
import { systemClock, type Clock } from '../../core/clock';
import type { DispatcherConfig } from './config';
import { createOctokitGitHub } from './github/create-octokit-github';
import type { GitHubApi } from './github/github-api';
import { trackQueuedJobs } from './github/track-queued-jobs';
import { createJobLog } from './status/job-log';
import { silentLogger, type Logger } from '../../core/logger';
import { noopMetrics, type DispatcherMetrics } from './metrics-port';
import { createJobTracker } from './job-tracker';
import { createPlacer, type Placer } from './placement';
import { createHostWatch, watchPlacements } from './host-watch';
import { createReconciler, type Reconciler } from './reconciler';
import { claimStarts } from './start-claims';
import { createRunnerStarter } from './start-runner';
import { createWarmSizer } from './warm-sizer';
import type { PendingDemand } from './demand/pending-demand';
import { createMemoryDemand } from './demand/memory-demand';
import { trackDemand } from './demand/tracked-demand';
import { forgetPlacedJobs } from './demand/forget-placed';
import { createRefill } from './demand/refill';
import { createSlotAuth } from './http/slot-auth';

export interface BuildOptions {
  config: DispatcherConfig;
  logger?: Logger;
  metrics?: DispatcherMetrics;
  registry?: Registry;
  clock?: Clock;
  /** Replace GitHub (tests); otherwise Octokit against `config.github.apiUrl`. */
  github?: GitHubApi;
  /** Scale of GitHub Retry-After waits (ms per second); tests shrink it. */
  retryAfterBaseValue?: number;
  fetch?: typeof fetch;
  inline?: boolean;
  onNoCapacity?: () => void;
  onWebhook?: () => void;
  /** Where pending demand lives (SQLite on Node, a Durable Object on Workers); memory otherwise. */
  demand?: PendingDemand;
}

export interface BuiltDispatcher extends Dispatcher {
  github: GitHubApi;
  placer: Placer;
  reconciler: Reconciler;
  agents: ReadonlyMap<string, AgentClient>;
}

export function buildDispatcher(options: BuildOptions): BuiltDispatcher {
  const { config } = options;
  const logger = options.logger ?? silentLogger;
  const metrics = options.metrics ?? noopMetrics;
  const clock = options.clock ?? systemClock;
  const jobLog = createJobLog({ now: () => clock.now() });
  const rawGithub =
    options.github ??
    createOctokitGitHub({
      github: config.github,
      ...(options.retryAfterBaseValue !== undefined ? { retryAfterBaseValue: options.retryAfterBaseValue } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      log: { warn: (m) => logger.warn({}, m) },
      clock,
      onResponse: (endpoint, status) => metrics.githubRequest(endpoint, status),
    });
  // The reconciler's listings of queued jobs also feed the status page's queue.
  const github = trackQueuedJobs(rawGithub, jobLog, config.pools, clock);
  const agents = new Map<string, AgentClient & AgentImageClient>();
  const poolHosts = new Map<string, string[]>();
  for (const pool of config.pools) {
    const urls: string[] = [];
    for (const h of pool.hosts) {
      const url = h.url.replace(/\/+$/, '');
      urls.push(url);
      if (!agents.has(url)) {
        agents.set(
          url,
          createAgentClient({ baseUrl: url, secret: h.secret, timeoutMs: config.placement.timeoutMs * 3, allowInsecure: h.allowInsecure, ...(options.fetch ? { fetch: options.fetch } : {}) }),
        );
      }
    }
    poolHosts.set(pool.name, urls);
  }
  const placer = createPlacer({
    agents,
    poolHosts,
    clock,
    cacheMs: config.placement.cacheMs,
    timeoutMs: config.placement.timeoutMs,
    onHostError: (host, error) => logger.warn({ host, err: error instanceof Error ? error.message : String(error) }, 'host skipped'),
  });
  const hosts = createHostWatch();
  const pending = trackDemand(options.demand ?? createMemoryDemand({ maxEntries: config.demand.maxEntries }), { metrics, pools: config.pools, logger });
  const startRunner = forgetPlacedJobs(pending, claimStarts(watchPlacements(hosts, createRunnerStarter({ github, placer, metrics, logger, clock })), { clock }));
  const refill = createRefill({ demand: pending, startRunner, pools: config.pools, logger });
  const slotAuth = createSlotAuth({
    hosts: config.pools.flatMap((p) => p.hosts.map((h) => ({ url: h.url.replace(/\/+$/, ''), secret: h.secret }))),
    knownHostIds: () => placer.hostIds(),
    now: () => clock.now(),
  });
  const warmSizer = createWarmSizer({ pools: config.pools, agents, clock, logger });
  const tracker = createJobTracker({ metrics, pools: config.pools });
  const reconciler = createReconciler({
    warmSizer,
    github,
    placer,
    startRunner,
    agents,
    pools: config.pools,
    settings: config.reconcile,
    agentTimeoutMs: config.placement.timeoutMs * 3,
    clock,
    logger,
    metrics,
    hosts,
    tracker,
    demand: pending,
  });
  const dispatcher = createDispatcher({
    config,
    github,
    startRunner,
    reconciler,
    placer,
    agents,
    metrics,
    tracker,
    ...(options.registry ? { registry: options.registry } : {}),
    logger,
    clock,
    jobLog,
    ...(options.inline ? { inline: true } : {}),
    ...(options.onNoCapacity ? { onNoCapacity: passUnlessCalledBack(placer, options.onNoCapacity) } : {}),
    ...(options.onWebhook ? { onWebhook: options.onWebhook } : {}),
    warmSizer,
    demand: { pending, refill, auth: slotAuth },
  });
  return { ...dispatcher, github, placer, reconciler, agents };
}

/** A job went to pending demand: a reconcile pass soon only helps when some host of its pool will
 * not report its freed slot (the report starts the job sooner, and with no GitHub read). */
function passUnlessCalledBack(placer: Placer, pass: () => void): (pool: string) => void {
  return (pool) => {
    placer.callsBack(pool).then(
      (yes) => {
        if (!yes) pass();
      },
      () => pass(),
    );
  };
}
