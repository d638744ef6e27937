/**
 * Pending demand: queued jobs that found no free slot, kept so that a slot an agent reports free
 * (`POST /v1/slots/free`) goes to the oldest of them at once instead of waiting for the next
 * reconcile pass. The reconcile pass stays the safety net: anything this queue drops or loses
 * (its cap, Lambda's memory) is found again there.
 *
 * The port is async so a Durable Object (Workers) fits behind it; stores: memory-demand.ts,
 * sqlite-demand.ts (Node), durable-demand.ts (Workers).
 */

/** Entries kept before the oldest are dropped. */
export const DEFAULT_MAX_PENDING = 10_000;
/** Pools one `oldest` call may name (the slot-free callback's own cap). */
export const MAX_POOLS_PER_QUERY = 64;

/** What starting a runner for a job later needs, without asking GitHub again. */
export interface PendingJob {
  jobId: number;
  /** `owner/name`. */
  repo: string;
  runId: number;
  pool: string;
  /** The job's `runs-on` labels, as the webhook or the listing named them. */
  labels: string[];
  /** Epoch ms the job was created; the oldest job is served first. */
  createdAt: number;
  /** The runner name's attempt to mint under (`tf-<pool>-j<job>a<attempt>`); absent: 0. Higher when
   * the job's earlier runner went to another job and still holds the lower name. */
  attempt?: number;
}

export interface AddResult {
  /** False when the job id was already pending (adding is idempotent). */
  added: boolean;
  /** Oldest entries dropped to stay within the cap. */
  dropped: number;
}

export interface PendingDemand {
  /** Remember a job; a job id already present keeps its entry, except that a higher `attempt`
   * replaces its attempt (the lower names are taken or spent: minting under them again would reuse a
   * runner name). */
  add(job: PendingJob): Promise<AddResult>;
  /** Forget a job (it started, ended, or a runner was placed for it); true when it was pending. */
  remove(jobId: number): Promise<boolean>;
  /** Up to `limit` jobs of these pools, oldest `createdAt` first (ties by job id). Nothing is taken
   * out: a job leaves only when a runner was placed for it. */
  oldest(pools: readonly string[], limit: number): Promise<PendingJob[]>;
  /** Pending jobs per pool (pools with none are absent). */
  counts(): Promise<Record<string, number>>;
}

/** Same order in every store: created first, then job id. */
export function olderFirst(a: PendingJob, b: PendingJob): number {
  return a.createdAt - b.createdAt || a.jobId - b.jobId;
}

/** A cap a store can be built with: a positive integer. */
export function checkMaxEntries(maxEntries: number): number {
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`pending demand maxEntries must be a positive integer, got ${maxEntries}`);
  return maxEntries;
}

/** The distinct pools of a query; more than MAX_POOLS_PER_QUERY is a caller's mistake. */
export function queryPools(pools: readonly string[]): string[] {
  const unique = [...new Set(pools)];
  if (unique.length > MAX_POOLS_PER_QUERY) throw new RangeError(`pending demand: at most ${MAX_POOLS_PER_QUERY} pools per query, got ${unique.length}`);
  return unique;
}

/** `limit` clamped to what a store is asked for (0 asks for nothing). */
export function clampLimit(limit: number, maxEntries: number): number {
  return Number.isFinite(limit) ? Math.max(0, Math.min(Math.floor(limit), maxEntries)) : 0;
}
