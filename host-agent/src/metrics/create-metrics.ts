/**
 * The agent's Prometheus metrics, built on an injected Registry (one per app instance, never the
 * global default, so tests and several agents in one process do not collide). No default Node
 * process metrics: they are not ours to name and some fail `promtool check metrics`.
 * Label values are bounded: pools come from config, stages and reasons from fixed enums, routes are
 * route patterns. Never a VM name, runner name or job id.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { FAILURE_REASONS, RUNNER_STAGES } from '../../../core/agent-api/contract';
import type { LifecycleObserver } from '../service';

/** The metrics the HTTP layer reports. */
export interface HttpMetrics {
  /** One finished request; `route` is the matched route pattern (`/v1/runners/:name`). */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** A refused signature, by reason (a bounded set from api/auth.ts). */
  authFailed(reason: string): void;
}

export interface AgentMetrics {
  /** Passed to the runner service; the lifecycle reports through it. */
  observer: LifecycleObserver;
  http: HttpMetrics;
  /** One slot-free callback to the dispatcher finished (slot-callback/). */
  slotCallback(result: 'ok' | 'error' | 'timeout'): void;
}

export interface MetricsOptions {
  /** This host's id, the value of `runner_active_vms{host}`. */
  hostId: string;
  /** Configured pools: their series exist from the start. */
  pools?: readonly string[];
}

/** Clone start → SSH ready, the buckets operators' dashboards already use. */
export const VM_BOOT_BUCKETS = [5, 10, 15, 20, 25, 30, 45, 60];
const STAGE_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 900, 1800, 3600, 21600];
const HTTP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const JOB_STATUSES = ['succeeded', 'failed', 'canceled', 'no-job'] as const;
const SLOT_STATES = ['busy', 'warm', 'free', 'suspect'] as const;
const JOB_START_BUCKETS = [0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 15, 20, 30, 45, 60, 120];
const HANDOFF_RESULTS = ['hit', 'miss', 'evicted', 'unhealthy'] as const;
const CALLBACK_RESULTS = ['ok', 'error', 'timeout'] as const;

/** Register every agent metric on `registry` and return the objects that feed them. */
export function createMetrics(registry: Registry, options: MetricsOptions): AgentMetrics {
  const registers = [registry];
  const boot = new Histogram({ name: 'runner_vm_boot_seconds', help: 'Seconds from tart clone start to SSH ready, per runner VM.', labelNames: ['pool'], buckets: VM_BOOT_BUCKETS, registers });
  const active = new Gauge({ name: 'runner_active_vms', help: 'Runner VMs currently existing on this host (any stage before gone).', labelNames: ['host'], registers });
  const jobs = new Counter({ name: 'runner_jobs_total', help: 'Runners that ended, by job result (no-job: ended before taking a job).', labelNames: ['status'], registers });
  const stages = new Histogram({ name: 'runner_stage_duration_seconds', help: 'Seconds a runner spent in each lifecycle stage.', labelNames: ['stage'], buckets: STAGE_BUCKETS, registers });
  const slots = new Gauge({ name: 'runner_slots', help: 'VM slots on this host by state.', labelNames: ['state'], registers });
  const failures = new Counter({ name: 'runner_failures_total', help: 'Runner failures by the stage they happened in and a bounded reason.', labelNames: ['stage', 'reason'], registers });
  const orphans = new Counter({ name: 'runner_orphans_reaped_total', help: 'Managed VMs without a live owner that the reconciler tore down.', registers });
  const truncatedLines = new Counter({ name: 'runner_guest_lines_truncated_total', help: 'Guest output lines longer than the agent keeps (16 KiB); the rest of each was dropped.', registers });
  const httpRequests = new Counter({ name: 'agent_http_requests_total', help: 'HTTP requests served by the agent, by route pattern and status.', labelNames: ['method', 'route', 'status'], registers });
  const httpDuration = new Histogram({ name: 'agent_http_request_duration_seconds', help: 'HTTP request latency by route pattern.', labelNames: ['method', 'route'], buckets: HTTP_BUCKETS, registers });
  const warmVms = new Gauge({ name: 'runner_warm_vms', help: 'Warm VMs (booted, unregistered, waiting for a runner) by pool and state.', labelNames: ['pool', 'state'], registers });
  const handoffs = new Counter({ name: 'runner_warm_handoffs_total', help: 'What start requests found: a ready warm VM (hit), none (miss), another pool\'s warm VM evicted (evicted), a dead warm VM (unhealthy).', labelNames: ['pool', 'result'], registers });
  const jobStart = new Histogram({ name: 'runner_job_start_seconds', help: 'Seconds from a runner being requested to its runner online, by path (warm VM or cold start).', labelNames: ['pool', 'path'], buckets: JOB_START_BUCKETS, registers });
  const authFailures = new Counter({ name: 'agent_auth_failures_total', help: 'Requests refused by signature verification, by reason.', labelNames: ['reason'], registers });
  const slotCallbacks = new Counter({ name: 'runner_slot_callbacks_total', help: 'Slot-free callbacks to the dispatcher, by result (ok, error, timeout); never retried.', labelNames: ['result'], registers });

  // Zero-valued series exist from the start, so rate() and absent() behave before the first event.
  active.set({ host: options.hostId }, 0);
  for (const status of JOB_STATUSES) jobs.inc({ status }, 0);
  for (const state of SLOT_STATES) slots.set({ state }, 0);
  orphans.inc(0);
  for (const pool of options.pools ?? []) {
    for (const state of ['ready', 'booting']) warmVms.set({ pool, state }, 0);
    for (const result of HANDOFF_RESULTS) handoffs.inc({ pool, result }, 0);
  }
  truncatedLines.inc(0);
  for (const result of CALLBACK_RESULTS) slotCallbacks.inc({ result }, 0);

  const stageNames = new Set<string>(RUNNER_STAGES);
  const reasons = new Set<string>(FAILURE_REASONS);

  const observer: LifecycleObserver = {
    stageEntered(_pool, _stage, previous, secondsInPrevious) {
      if (previous !== undefined && stageNames.has(previous) && Number.isFinite(secondsInPrevious) && secondsInPrevious >= 0) {
        stages.observe({ stage: previous }, secondsInPrevious);
      }
    },
    vmBooted(pool, seconds) {
      if (Number.isFinite(seconds) && seconds >= 0) boot.observe({ pool }, seconds);
    },
    failed(stage, reason) {
      failures.inc({ stage: stageNames.has(stage) ? stage : 'failed', reason: reasons.has(reason) ? reason : 'internal' });
    },
    jobEnded(status) {
      jobs.inc({ status });
    },
    orphanReaped() {
      orphans.inc();
    },
    runnerOnline(pool, path, seconds) {
      if (Number.isFinite(seconds) && seconds >= 0) jobStart.observe({ pool, path }, seconds);
    },
    warmChanged(pool, ready, booting) {
      warmVms.set({ pool, state: 'ready' }, ready);
      warmVms.set({ pool, state: 'booting' }, booting);
    },
    warmHandoff(pool, result) {
      handoffs.inc({ pool, result });
    },
    guestLineTruncated() {
      truncatedLines.inc();
    },
    vmsChanged(activeVms, counts) {
      active.set({ host: options.hostId }, activeVms);
      for (const state of SLOT_STATES) slots.set({ state }, counts[state]);
    },
  };

  const http: HttpMetrics = {
    observeRequest(method, route, status, seconds) {
      httpRequests.inc({ method, route, status: String(status) });
      httpDuration.observe({ method, route }, seconds);
    },
    authFailed(reason) {
      authFailures.inc({ reason });
    },
  };

  return { observer, http, slotCallback: (result) => slotCallbacks.inc({ result }) };
}
