/**
 * The reconcile pass — what guarantees no job is lost, since GitHub never redelivers a failed
 * webhook (docs/reference/github-api.md §3.1). Also the whole of poll-only mode.
 *
 * 1. Demand: queued jobs (from runs `queued` and `in_progress`) whose labels a pool serves.
 * 2. Supply: our runners (names that parse) that are idle, or offline with a VM starting behind them.
 * 3. Start the difference, oldest job first, no more than the pool has free slots.
 * 4. Delete our registrations that stayed offline with no VM behind them past a grace period (or
 *    whose agent reports the VM gone), and idle runners beyond the demand past a grace period. A
 *    registration on a host silent past `hostGraceMs` is no longer supply (its job is started
 *    elsewhere); a silent host never holds back the clean-up of others (host-watch.ts).
 * 5. Compare the agents' records with GitHub's and report what does not add up.
 * The pass keeps only two small "first seen" maps between runs: losing them (a restart) merely
 * restarts the grace periods.
 *
 * A little over 300 lines: one pass reads demand and supply and acts on both; its steps share the
 * pass's snapshot (runners, records, hosts), which splitting would have to pass around.
 */
import type { AgentClient } from '../../core/agent-api/client';
import type { RunnerRecord } from '../../core/agent-api/contract';
import type { Clock } from '../../core/clock';
import type { DispatcherConfig, PoolConfig } from './config';
import { raceDeadline } from '../../core/deadline';
import { errorMessage } from '../../core/errors';
import type { GitHubApi, GitHubRunner } from './github/github-api';
import type { Logger } from '../../core/logger';
import { reportRateLimit, type DispatcherMetrics } from './metrics-port';
import type { JobTracker } from './job-tracker';
import type { Placer } from './placement';
import { matchPool } from './pool-match';
import { parseJobRunnerName } from '../../core/names';
import type { RunnerStarter } from './start-runner';
import { cancelOwedRunners, createHostWatch, type HostWatch } from './host-watch';
import type { WarmSizer } from './warm-sizer';
import type { TrackedDemand } from './demand/tracked-demand';

export type ReconcileAgent = Pick<AgentClient, 'baseUrl' | 'listRunners' | 'cancelRunner'>;

export interface ReconcilerDeps {
  github: GitHubApi;
  placer: Placer;
  startRunner: RunnerStarter;
  /** Agents by host URL. */
  agents: ReadonlyMap<string, ReconcileAgent>;
  pools: readonly PoolConfig[];
  settings: DispatcherConfig['reconcile'];
  /** Per agent call. */
  agentTimeoutMs: number;
  clock: Clock;
  logger: Logger;
  metrics: DispatcherMetrics;
  /** Shared with the starter (`watchPlacements`) so a fresh placement's host is known; own one otherwise. */
  hosts?: HostWatch;
  /** Automatic warm sizing: fed with arrivals and holds, pushed after the pass. */
  warmSizer?: WarmSizer;
  /** Queue, registration and job-completion metrics from each pass. */
  tracker?: JobTracker;
  /** Jobs the pass could not place wait here for a slot-free callback (from this pass's listing). */
  demand?: Pick<TrackedDemand, 'add'>;
}

export interface PoolReport {
  queued: number;
  /** Runners of ours idle or starting. */
  supply: number;
  deficit: number;
  started: number;
  /** Deficit left because no host had room. */
  waiting: number;
}

export interface Discrepancy {
  kind: 'vm_without_registration' | 'registration_without_vm';
  runner: string;
  host?: string;
}

export interface ReconcileReport {
  pools: Record<string, PoolReport>;
  deleted: { runner: string; reason: 'stale' | 'left_behind' | 'surplus' }[];
  discrepancies: Discrepancy[];
  unreachableHosts: string[];
  /** Some pool still needs runners it could not get: run again soon. */
  needsMore: boolean;
}

const VM_ALIVE: ReadonlySet<RunnerRecord['stage']> = new Set(['requested', 'cloning', 'booting', 'ssh-ready', 'registering', 'online', 'running']);
const BEFORE_ONLINE: ReadonlySet<RunnerRecord['stage']> = new Set(['requested', 'cloning', 'booting', 'ssh-ready', 'registering']);

export interface Reconciler {
  /** One pass; concurrent calls share the pass in flight. */
  reconcile(): Promise<ReconcileReport>;
}

export function createReconciler(deps: ReconcilerDeps): Reconciler {
  const offlineSince = new Map<string, number>();
  const idleSince = new Map<string, number>();
  const hosts = deps.hosts ?? createHostWatch();
  let inFlight: Promise<ReconcileReport> | undefined;

  async function agentRecords(): Promise<{ records: Map<string, { host: string; record: RunnerRecord }>; unreachable: string[] }> {
    const records = new Map<string, { host: string; record: RunnerRecord }>();
    const unreachable: string[] = [];
    await Promise.all(
      [...deps.agents.entries()].map(async ([host, agent]) => {
        try {
          const list = await raceDeadline(deps.clock, `GET ${host}/v1/runners`, deps.agentTimeoutMs, agent.listRunners());
          for (const record of list) {
            const prev = records.get(record.name);
            // A live record wins over a finished one for the same name (re-placed after a failure).
            if (!prev || (VM_ALIVE.has(record.stage) && !VM_ALIVE.has(prev.record.stage))) records.set(record.name, { host, record });
          }
        } catch (error: unknown) {
          unreachable.push(host);
          deps.logger.warn({ host, err: errorMessage(error) }, 'agent unreachable during reconcile');
        }
      }),
    );
    return { records, unreachable };
  }

  async function pass(): Promise<ReconcileReport> {
    const now = deps.clock.now();
    const served = (labels: string[]): boolean => matchPool(deps.pools, labels) !== undefined;
    const [jobs, runners, { records, unreachable }] = await Promise.all([deps.github.listQueuedJobs(served), deps.github.listRunners(), agentRecords()]);
    hosts.observe(now, unreachable, records);
    const cancels = cancelOwedRunners(hosts, deps);
    reportRateLimit(deps.github, deps.metrics);

    const poolNames = new Set(deps.pools.map((p) => p.name));
    const ours = runners.filter((r) => {
      const parsed = parseJobRunnerName(r.name);
      return parsed !== undefined && poolNames.has(parsed.pool);
    });
    const report: ReconcileReport = { pools: {}, deleted: [], discrepancies: [], unreachableHosts: unreachable, needsMore: false };
    const supply = new Map<string, GitHubRunner[]>();
    const idle = new Map<string, GitHubRunner[]>();
    const toDelete: { runner: GitHubRunner; reason: 'stale' | 'left_behind' }[] = [];
    const present = new Set(ours.map((r) => r.name));
    for (const name of [...offlineSince.keys()]) if (!present.has(name)) offlineSince.delete(name);
    for (const name of [...idleSince.keys()]) if (!present.has(name)) idleSince.delete(name);

    for (const r of ours) {
      const pool = (parseJobRunnerName(r.name) as { pool: string }).pool;
      if (r.busy) {
        idleSince.delete(r.name);
        continue;
      }
      const rec = records.get(r.name);
      const vmAlive = rec !== undefined && VM_ALIVE.has(rec.record.stage);
      if (r.status === 'online') {
        offlineSince.delete(r.name);
        if (!idleSince.has(r.name)) idleSince.set(r.name, now);
        (idle.get(pool) ?? idle.set(pool, []).get(pool)!).push(r);
        (supply.get(pool) ?? supply.set(pool, []).get(pool)!).push(r);
        continue;
      }
      idleSince.delete(r.name);
      if (rec && !vmAlive) {
        toDelete.push({ runner: r, reason: rec.record.registrationLeftBehind ? 'left_behind' : 'stale' });
        continue;
      }
      if (!vmAlive) {
        // No agent that answered knows it: a placement may still be in flight, or its host is silent.
        const since = offlineSince.get(r.name) ?? now;
        offlineSince.set(r.name, since);
        const host = hosts.hostOf(r.name);
        if (now - since >= deps.settings.offlineGraceMs) {
          toDelete.push({ runner: r, reason: 'stale' });
          report.discrepancies.push({ kind: 'registration_without_vm', runner: r.name, ...(host ? { host } : {}) });
          continue;
        }
        if (host !== undefined && unreachable.includes(host)) {
          // Its host has been silent past the grace: its job needs a runner elsewhere. Until then,
          // look again soon (webhooks may have stretched the interval).
          if (hosts.silentFor(host, now) >= deps.settings.hostGraceMs) continue;
          report.needsMore = true;
        }
      } else {
        offlineSince.delete(r.name);
      }
      (supply.get(pool) ?? supply.set(pool, []).get(pool)!).push(r);
    }

    for (const [name, { host, record }] of records) {
      if (BEFORE_ONLINE.has(record.stage) && parseJobRunnerName(name) && !present.has(name)) {
        report.discrepancies.push({ kind: 'vm_without_registration', runner: name, host });
      }
    }

    hosts.prune(new Set([...present, ...records.keys()]));
    const deletions = toDelete.map(async ({ runner, reason }) => {
      try {
        if ((await deps.github.deleteRunner(runner.id)) === 'deleted') {
          deps.metrics.runnersDeleted(reason);
          report.deleted.push({ runner: runner.name, reason });
          // A VM may outlive its registration on a host that is silent now: cancel it there later.
          const host = hosts.hostOf(runner.name);
          hosts.cancelLater(runner.name, host !== undefined ? [host].filter((h) => unreachable.includes(h)) : unreachable);
        }
      } catch (error: unknown) {
        deps.logger.warn({ runner: runner.name, err: errorMessage(error) }, 'deleting a stale registration failed');
      }
    });

    // Demand per pool, oldest job first.
    const demand = new Map<string, typeof jobs>();
    for (const job of jobs) {
      const pool = matchPool(deps.pools, job.labels);
      if (pool) (demand.get(pool.name) ?? demand.set(pool.name, []).get(pool.name)!).push(job);
    }
    deps.tracker?.pass({
      now,
      queued: [...demand].flatMap(([pool, list]) => list.map((job) => ({ job, pool }))),
      runners: ours.map((r) => ({ pool: (parseJobRunnerName(r.name) as { pool: string }).pool, status: r.status, busy: r.busy })),
      records: [...records.values()].map((v) => v.record),
    });
    // A runner name is never used twice: GitHub forgets a JIT runner after its job, the agents
    // remember the VM, so the next attempt number comes from both.
    const attemptsByJob = new Map<number, number>();
    for (const name of [...ours.map((r) => r.name), ...records.keys()]) {
      const p = parseJobRunnerName(name);
      if (p) attemptsByJob.set(p.jobId, Math.max(attemptsByJob.get(p.jobId) ?? -1, p.attempt));
    }
    const coveredJobs = new Set([...supply.values()].flat().map((r) => parseJobRunnerName(r.name)?.jobId));

    const starts = deps.pools.map(async (pool) => {
      const queued = demand.get(pool.name) ?? [];
      const have = supply.get(pool.name) ?? [];
      const deficit = Math.max(0, queued.length - have.length);
      const pr: PoolReport = { queued: queued.length, supply: have.length, deficit, started: 0, waiting: 0 };
      report.pools[pool.name] = pr;
      deps.metrics.deficit(pool.name, deficit);

      if (have.length > queued.length) await removeSurplus(pool, have.length - queued.length, idle.get(pool.name) ?? [], records, now, report);
      if (deficit === 0) return;
      // Jobs with no runner of their own first: their webhook was probably lost.
      const candidates = [...queued.filter((j) => !coveredJobs.has(j.id)), ...queued.filter((j) => coveredJobs.has(j.id))];
      const room = Math.min(deficit, await deps.placer.freeSlots(pool.name));
      const picked = candidates.slice(0, room);
      const results = await Promise.all(
        picked.map((job) => deps.startRunner({ pool, jobId: job.id, attempt: (attemptsByJob.get(job.id) ?? -1) + 1, via: 'reconciler' })),
      );
      pr.started = results.filter((r) => r.outcome === 'started').length;
      pr.waiting = deficit - pr.started;
      // The jobs still owed a runner, from the listing already made: a freed slot starts them.
      const waiting = candidates.slice(0, deficit).filter((_, i) => i >= picked.length || results[i]?.outcome === 'no_capacity');
      if (deps.demand) {
        const demand = deps.demand;
        // Under the attempt this pass would have used: lower names are spent (see attemptsByJob).
        await Promise.all(waiting.map((job) => demand.add({ jobId: job.id, repo: job.repo, runId: job.runId, pool: pool.name, labels: job.labels, createdAt: Date.parse(job.createdAt) || now, attempt: (attemptsByJob.get(job.id) ?? -1) + 1 })));
      }
      // Waiting jobs are pending demand: hosts that report their freed slots start them, so only a
      // pool with a host that does not (or no pending demand) needs passes at the busy pace.
      if (pr.waiting > 0 && !(deps.demand && (await deps.placer.callsBack(pool.name)))) report.needsMore = true;
    });

    await Promise.all([...deletions, ...starts, cancels]);
    if (deps.warmSizer) {
      deps.warmSizer.observe([...records.values()].map((r) => r.record));
      for (const job of jobs) {
        const pool = matchPool(deps.pools, job.labels);
        if (pool) deps.warmSizer.arrived(pool.name, job.id, Date.parse(job.createdAt));
      }
      await deps.warmSizer.maybePush(await deps.placer.snapshot());
    }
    for (const kind of ['vm_without_registration', 'registration_without_vm'] as const) {
      deps.metrics.discrepancies(kind, report.discrepancies.filter((d) => d.kind === kind).length);
    }
    if (report.deleted.length || report.discrepancies.length || Object.values(report.pools).some((p) => p.started || p.deficit)) {
      deps.logger.info({ pools: report.pools, deleted: report.deleted.length, discrepancies: report.discrepancies.length, unreachable }, 'reconcile pass');
    }
    return report;
  }

  /** Idle online runners beyond the demand, idle past the grace period: deregister, then tear down.
   * GitHub refuses (422) to delete a runner that just took a job, which closes the race. */
  async function removeSurplus(
    pool: PoolConfig,
    surplus: number,
    idleRunners: GitHubRunner[],
    records: Map<string, { host: string; record: RunnerRecord }>,
    now: number,
    report: ReconcileReport,
  ): Promise<void> {
    const old = idleRunners.filter((r) => now - (idleSince.get(r.name) ?? now) >= deps.settings.idleGraceMs).slice(0, surplus);
    for (const r of old) {
      try {
        if ((await deps.github.deleteRunner(r.id)) !== 'deleted') continue;
        deps.metrics.runnersDeleted('surplus');
        report.deleted.push({ runner: r.name, reason: 'surplus' });
        const rec = records.get(r.name);
        if (rec) await deps.agents.get(rec.host)?.cancelRunner(r.name);
        deps.logger.info({ pool: pool.name, runner: r.name }, 'removed an idle runner beyond demand');
      } catch (error: unknown) {
        deps.logger.warn({ runner: r.name, err: errorMessage(error) }, 'removing a surplus runner failed');
      }
    }
  }

  return {
    reconcile() {
      if (inFlight) return inFlight;
      const t0 = deps.clock.now();
      inFlight = pass()
        .then(
          (r) => {
            deps.metrics.reconcile('ok', (deps.clock.now() - t0) / 1000);
            return r;
          },
          (error: unknown) => {
            deps.metrics.reconcile('error', (deps.clock.now() - t0) / 1000);
            throw error;
          },
        )
        .finally(() => {
          inFlight = undefined;
        });
      return inFlight;
    },
  };
}
