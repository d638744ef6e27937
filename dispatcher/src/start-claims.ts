/**
 * One start per job at a time: the webhook path, the reconcile pass and a slot-free refill can all
 * reach the same job within moments (a pass lists the job before the webhook's runner registers;
 * two callbacks drain the same pending job). Each would mint `tf-<pool>-j<job>a<n>` and all but one
 * would get a 409, costing a rate-limited POST each. A job whose start is in flight, or started at
 * the same or a later attempt within `ttlMs`, is answered `duplicate` without a request. A higher
 * attempt passes: it means the earlier runner was spent (it took another job, or its VM failed).
 */
import type { Clock } from '../../core/clock';
import { parseJobRunnerName } from '../../core/names';
import type { RunnerStarter } from './start-runner';

export interface StartClaimsOptions {
  clock: Pick<Clock, 'now'>;
  /** How long a started job keeps its claim (default 60 s: longer than a reconcile pass's view of
   * the runner list is stale). */
  ttlMs?: number;
  /** Claims kept at most; the oldest go first (default 10,000). */
  maxEntries?: number;
}

interface Claim {
  attempt: number;
  /** When the start finished; undefined while in flight. */
  doneAt?: number;
}

export function claimStarts(start: RunnerStarter, options: StartClaimsOptions): RunnerStarter {
  const ttlMs = options.ttlMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const claims = new Map<number, Claim>();

  const live = (c: Claim, now: number) => c.doneAt === undefined || now - c.doneAt < ttlMs;

  function put(jobId: number, claim: Claim): void {
    claims.delete(jobId);
    claims.set(jobId, claim);
    // Oldest first out; an in-flight claim evicted this way only risks a 409, never a second VM.
    for (const key of claims.keys()) {
      if (claims.size <= maxEntries) break;
      claims.delete(key);
    }
  }

  return async (input) => {
    const now = options.clock.now();
    const held = claims.get(input.jobId);
    if (held && held.attempt >= input.attempt && live(held, now)) {
      return { outcome: 'duplicate', message: `a runner for job ${input.jobId} is already being started or was just started (attempt ${held.attempt})` };
    }
    const mine: Claim = { attempt: input.attempt };
    put(input.jobId, mine);
    try {
      const result = await start(input);
      const kept = result.outcome === 'started' || result.outcome === 'uncertain';
      if (claims.get(input.jobId) === mine) {
        if (kept) mine.doneAt = options.clock.now();
        else claims.delete(input.jobId);
      }
      const used = result.name !== undefined ? parseJobRunnerName(result.name) : undefined;
      if (kept && used && used.attempt > mine.attempt) mine.attempt = used.attempt;
      return result;
    } catch (error: unknown) {
      if (claims.get(input.jobId) === mine) claims.delete(input.jobId);
      throw error;
    }
  };
}
