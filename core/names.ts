/**
 * The name codec. Runner name = VM name = `tf-<pool>-<id>`: the agent, the reconcilers and cleanup
 * touch only names that parse, and leave everything else alone. Ids come in three kinds:
 * - `j<job>a<attempt>`: a runner the dispatcher started for a GitHub job. Two dispatchers handling
 *   the same delivery pick the same name, so GitHub's 409 on the second is the cross-instance dedupe;
 *   a retry after a failed mint uses the next attempt, never the same name.
 * - `r<run>a<attempt>n<index>`: a runner the action started for one workflow run.
 * - `w<random>`: a warm VM, booted before any runner exists.
 * - `c<random>`: a spare clone, cloned (and left stopped) before any runner exists.
 */

/** Pool names, runner names and labels use a safe alphabet: they end up in VM names, journal file
 * names and tart's argv, so shell metacharacters, path separators and control characters are
 * refused at the door. */
export const POOL_NAME = /^[a-z0-9][a-z0-9-]{0,30}$/;
export const RUNNER_NAME = /^tf-[a-z0-9][a-z0-9-]{0,30}-[a-z0-9]{1,40}$/;
export const LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
export const NAME_PREFIX = 'tf-';

const ID = /^[a-z0-9]{1,40}$/;
const JOB_ID = /^j(\d{1,20})a(\d{1,6})$/;

/** The parts of a managed name. */
export interface ParsedName {
  pool: string;
  /** Lowercase letters and digits, no dashes (the pool may contain them). */
  id: string;
}

/** `tf-<pool>-<id>`; throws when the result would not parse back, so a bad pool or id can never
 * produce a VM that the reconciler later refuses to clean up. */
export function formatName(pool: string, id: string): string {
  const name = `${NAME_PREFIX}${pool}-${id}`;
  if (!POOL_NAME.test(pool) || !ID.test(id) || !RUNNER_NAME.test(name)) {
    throw new Error(`runner and VM name parts must match: a pool like ${POOL_NAME} and an id of 1-40 lowercase letters or digits, got pool '${pool}' and id '${id}'`);
  }
  return name;
}

/** Parses a managed name; undefined for any name we did not create. */
export function parseName(name: string): ParsedName | undefined {
  if (!RUNNER_NAME.test(name)) return undefined;
  const rest = name.slice(NAME_PREFIX.length);
  const cut = rest.lastIndexOf('-');
  const pool = rest.slice(0, cut);
  if (!POOL_NAME.test(pool)) return undefined;
  return { pool, id: rest.slice(cut + 1) };
}

/** True when `name` is `tf-<pool>-<id>` for this pool. */
export function nameBelongsTo(name: string, pool: string): boolean {
  return parseName(name)?.pool === pool;
}

/** The dispatcher's runner for a job: `tf-<pool>-j<jobId>a<attempt>`. */
export function jobRunnerName(pool: string, jobId: number, attempt: number): string {
  if (!Number.isSafeInteger(jobId) || jobId < 0 || !Number.isInteger(attempt) || attempt < 0 || attempt > 999_999) {
    throw new Error(`a job runner name needs a job id and an attempt that are whole numbers ≥ 0, got job ${jobId}, attempt ${attempt}`);
  }
  return formatName(pool, `j${jobId}a${attempt}`);
}

/** The parts of a job runner name, or undefined for any other name. */
export function parseJobRunnerName(name: string): { pool: string; jobId: number; attempt: number } | undefined {
  const parsed = parseName(name);
  const m = parsed && JOB_ID.exec(parsed.id);
  if (!parsed || !m) return undefined;
  return { pool: parsed.pool, jobId: Number(m[1]), attempt: Number(m[2]) };
}

/** The prefix of every runner one workflow run attempt owns in a pool. */
export function runRunnerPrefix(pool: string, runId: number, runAttempt: number): string {
  return `${NAME_PREFIX}${pool}-r${runId}a${runAttempt}n`;
}

/** The action's `index`-th runner of a run attempt: `tf-<pool>-r<run>a<attempt>n<index>`. */
export function runRunnerName(pool: string, runId: number, runAttempt: number, index: number): string {
  return formatName(pool, `r${runId}a${runAttempt}n${index}`);
}

/** True for a runner this run attempt created in this pool (the index must be digits only). */
export function isRunRunnerName(name: string, pool: string, runId: number, runAttempt: number): boolean {
  const prefix = runRunnerPrefix(pool, runId, runAttempt);
  return name.startsWith(prefix) && /^\d{1,9}$/.test(name.slice(prefix.length));
}

/** A warm VM's name, `tf-<pool>-w<hex>`; `randomHex` supplies 10 lowercase hex digits. */
export function warmVmName(pool: string, randomHex: string): string {
  return formatName(pool, `w${randomHex}`);
}

/** True for a warm VM's name (its runner, once bound, keeps the job-derived name). */
export function isWarmVmName(name: string): boolean {
  return /^w[0-9a-f]{1,39}$/.test(parseName(name)?.id ?? '');
}

/** A spare clone's name, `tf-<pool>-c<hex>`; `randomHex` supplies 10 lowercase hex digits. */
export function spareVmName(pool: string, randomHex: string): string {
  return formatName(pool, `c${randomHex}`);
}

/** True for a spare clone's name (the runner that takes it keeps its own name; its record's `vm` says which). */
export function isSpareVmName(name: string): boolean {
  return /^c[0-9a-f]{1,39}$/.test(parseName(name)?.id ?? '');
}
