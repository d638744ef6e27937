/**
 * The series runner-scale-set users already chart (`gha_*`, as actions-runner-controller's listener
 * names them), fed from the same events as ours. Labels stay bounded: `pool` from config, `result`
 * from a fixed set, and `repository` only when the config lists the repositories (any other value
 * becomes `other`); an org-wide dispatcher has no `repository` label at all.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CompletedJobResult, DispatcherMetrics, PoolState } from './metrics-port';

/** Startup (queue) and execution buckets: seconds to an hour, like the listener's. */
const JOB_BUCKETS = [1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 900, 1800, 3600];
const RESULTS: readonly CompletedJobResult[] = ['succeeded', 'failed', 'canceled'];

export interface GhaMetricsOptions {
  /** Configured repositories (`owner/name`); undefined: no `repository` label. */
  repositories?: readonly string[];
}

type GhaPart = Pick<DispatcherMetrics, 'poolState' | 'jobCompleted'> & {
  /** The `gha_*` share of a started job. */
  started(pool: string, repository: string, waitSeconds: number): void;
};

export function createGhaMetrics(registry: Registry, options: GhaMetricsOptions): GhaPart {
  const registers = [registry];
  const known = options.repositories === undefined ? undefined : new Set(options.repositories);
  const jobLabels = known === undefined ? ['pool'] : ['pool', 'repository'];
  const gauge = (name: string, help: string) => new Gauge({ name, help, labelNames: ['pool'], registers });
  const assigned = gauge('gha_assigned_jobs', 'Jobs assigned to the pool: queued with labels it serves, plus running on its runners');
  const running = gauge('gha_running_jobs', "Jobs running on the pool's runners");
  const registered = gauge('gha_registered_runners', "The pool's runner registrations on GitHub");
  const busy = gauge('gha_busy_runners', "The pool's runners running a job");
  const idle = gauge('gha_idle_runners', "The pool's runners online and waiting for a job");
  const started = new Counter({ name: 'gha_started_jobs_total', help: 'Jobs that left the queue for a runner', labelNames: jobLabels, registers });
  const completed = new Counter({ name: 'gha_completed_jobs_total', help: 'Jobs that ended on our runners, by the runner-reported result', labelNames: ['pool', 'result'], registers });
  const startup = new Histogram({ name: 'gha_job_startup_duration_seconds', help: 'Job created to job started', labelNames: jobLabels, buckets: JOB_BUCKETS, registers });
  const execution = new Histogram({ name: 'gha_job_execution_duration_seconds', help: 'Job started to job ended on our runner', labelNames: ['pool'], buckets: JOB_BUCKETS, registers });

  const labels = (pool: string, repository: string): Record<string, string> =>
    known === undefined ? { pool } : { pool, repository: known.has(repository) ? repository : 'other' };

  return {
    poolState(pool: string, s: PoolState) {
      assigned.set({ pool }, s.queued + s.busy);
      running.set({ pool }, s.busy);
      registered.set({ pool }, s.registered);
      busy.set({ pool }, s.busy);
      idle.set({ pool }, s.idle);
      // Zero series per pool, so rate() works before the first event.
      for (const result of RESULTS) completed.inc({ pool, result }, 0);
    },
    started(pool, repository, waitSeconds) {
      started.inc(labels(pool, repository));
      startup.observe(labels(pool, repository), waitSeconds);
    },
    jobCompleted(pool, result, executionSeconds) {
      completed.inc({ pool, result });
      if (executionSeconds !== undefined) execution.observe({ pool }, executionSeconds);
    },
  };
}
