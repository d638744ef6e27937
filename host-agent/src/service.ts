/**
 * The seam between the HTTP layer (app.ts, routes/) and the VM lifecycle (lifecycle/). The routes
 * know nothing of tart or SSH; the lifecycle knows nothing of HTTP. Both sides are built against this.
 */
import type { HostInfo, RunnerRecord, StartRunnerRequest } from './api/contract';

/** Thrown by `start` when the request cannot be taken now; the HTTP layer maps `code` to a status. */
export class StartRejectedError extends Error {
  override readonly name = 'StartRejectedError';
  constructor(
    readonly code: 'no_slot' | 'draining' | 'conflict' | 'unknown_pool',
    message: string,
    /** Seconds a client should wait before asking again (503 `Retry-After`). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
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
  hostInfo(): Promise<HostInfo>;
  /** Stop taking work, let running jobs finish up to `timeoutMs`, then tear down the rest. */
  shutdown(timeoutMs: number): Promise<void>;
}
