/**
 * The seam between the HTTP layer (app.ts, routes/) and the VM lifecycle (lifecycle/). The routes
 * know nothing of tart or SSH; the lifecycle knows nothing of HTTP. Both sides are built against this.
 */
import type { HostInfo, RunnerRecord, StartRunnerRequest, WarmState } from '../../core/agent-api/contract';
import { TartfleetError } from '../../core/errors';

/** Thrown by `start` when the request cannot be taken now; the HTTP layer maps `code` to a status. */
export class StartRejectedError extends TartfleetError {
  override readonly name = 'StartRejectedError';
  constructor(
    override readonly code: 'no_slot' | 'draining' | 'conflict' | 'unknown_pool',
    message: string,
    /** Seconds a client should wait before asking again (503 `Retry-After`). */
    readonly retryAfterSeconds?: number,
  ) {
    super(code, message, { retryable: code === 'no_slot' || code === 'draining' });
  }
}

/** A warm target the host refuses; `field` names the request field (`pool`, `count`, `until`). */
export class WarmTargetError extends TartfleetError {
  override readonly name = 'WarmTargetError';
  constructor(
    readonly field: 'pool' | 'count' | 'until',
    message: string,
  ) {
    super('bad_request', message);
  }
}

export interface RunnerService {
  /** Accept a runner; returns its record in stage `requested` and drives the lifecycle in the
   * background. Throws StartRejectedError for no slot / draining / duplicate name / unknown pool. */
  start(request: StartRunnerRequest): RunnerRecord;
  list(): RunnerRecord[];
  get(name: string): RunnerRecord | undefined;
  /** Cancel: tear the VM down now. Returns false for an unknown runner. */
  cancel(name: string): Promise<boolean>;
  drain(): void;
  resume(): void;
  /** Sets the pool's warm target on this host (until `untilMs`, then the baseline again). Throws
   * StartRejectedError `unknown_pool` for a pool not configured here. */
  setWarmTarget(pool: string, count: number, untilMs: number | undefined, source?: 'manual' | 'auto'): Promise<WarmState>;
  hostInfo(): Promise<HostInfo>;
  /** Stop taking work, let running jobs finish up to `timeoutMs`, then tear down the rest. */
  shutdown(timeoutMs: number): Promise<void>;
}

/** What the lifecycle reports as it goes; the metrics module implements it (metrics stay out of the
 * lifecycle code and tests can record events). All methods must be cheap and never throw. */
export interface LifecycleObserver {
  /** A runner entered `stage`; `secondsInPrevious` is the time spent in the stage it left. */
  stageEntered(pool: string, stage: RunnerRecord['stage'], previous: RunnerRecord['stage'] | undefined, secondsInPrevious: number): void;
  /** Clone started → SSH ready, in seconds (`runner_vm_boot_seconds`). */
  vmBooted(pool: string, seconds: number): void;
  failed(stage: RunnerRecord['stage'], reason: NonNullable<RunnerRecord['failure']>['reason']): void;
  /** A runner ended; `status` is the job result lower-cased, or `failed`/`canceled` without a job. */
  jobEnded(status: 'succeeded' | 'failed' | 'canceled' | 'no-job'): void;
  orphanReaped(): void;
  /** Current counts, called after every change. */
  vmsChanged(active: number, slots: { busy: number; warm: number; free: number; suspect: number }): void;
  /** A runner came online, `seconds` after it was requested, on a warm VM or a cold-started one. */
  runnerOnline(pool: string, path: 'warm' | 'cold', seconds: number): void;
  /** Warm VMs of a pool now, by state. */
  warmChanged(pool: string, ready: number, booting: number): void;
  /** What a start request found: a ready warm VM (`hit`), none (`miss`), a warm VM of another pool it
   * evicted (`evicted`), or a warm VM that failed its liveness probe (`unhealthy`). */
  warmHandoff(pool: string, result: 'hit' | 'miss' | 'evicted' | 'unhealthy'): void;
}
