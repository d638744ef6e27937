/**
 * The pending-demand table, shared by the two SQLite stores (better-sqlite3 on Node, a Durable
 * Object's SQL storage on Workers) so both keep the same order and the same cap.
 */
import type { PendingJob } from './pending-demand';

export const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS pending_demand (
    job_id INTEGER PRIMARY KEY,
    pool TEXT NOT NULL,
    repo TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    labels TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0
  )`,
  // oldest(pools, n) walks this index per pool in created order.
  'CREATE INDEX IF NOT EXISTS pending_demand_pool_created ON pending_demand (pool, created_at, job_id)',
  // Dropping the oldest beyond the cap walks this one.
  'CREATE INDEX IF NOT EXISTS pending_demand_created ON pending_demand (created_at, job_id)',
];

export const INSERT = 'INSERT OR IGNORE INTO pending_demand (job_id, pool, repo, run_id, labels, created_at, attempt) VALUES (?, ?, ?, ?, ?, ?, ?)';
/** An entry already pending keeps its place; only a higher attempt replaces its attempt. */
export const RAISE_ATTEMPT = 'UPDATE pending_demand SET attempt = ? WHERE job_id = ? AND attempt < ?';
export const COUNT = 'SELECT COUNT(*) AS n FROM pending_demand';
export const DROP_OLDEST = 'DELETE FROM pending_demand WHERE job_id IN (SELECT job_id FROM pending_demand ORDER BY created_at, job_id LIMIT ?)';
export const EXISTS = 'SELECT 1 AS found FROM pending_demand WHERE job_id = ?';
export const DELETE = 'DELETE FROM pending_demand WHERE job_id = ?';
export const COUNTS = 'SELECT pool, COUNT(*) AS n FROM pending_demand GROUP BY pool';

/** `oldest` for `poolCount` pools (placeholders, at most 64 of them: the callback's cap). */
export function oldestQuery(poolCount: number): string {
  const marks = Array.from({ length: poolCount }, () => '?').join(', ');
  return `SELECT job_id, pool, repo, run_id, labels, created_at, attempt FROM pending_demand WHERE pool IN (${marks}) ORDER BY created_at, job_id LIMIT ?`;
}

export interface DemandRow {
  job_id: number;
  pool: string;
  repo: string;
  run_id: number;
  labels: string;
  created_at: number;
  attempt: number;
}

export function insertParams(job: PendingJob): [number, string, string, number, string, number, number] {
  return [job.jobId, job.pool, job.repo, job.runId, JSON.stringify(job.labels), job.createdAt, job.attempt ?? 0];
}

export function fromRow(row: DemandRow): PendingJob {
  const labels: unknown = JSON.parse(row.labels);
  return {
    jobId: Number(row.job_id),
    pool: row.pool,
    repo: row.repo,
    runId: Number(row.run_id),
    labels: Array.isArray(labels) ? labels.filter((l): l is string => typeof l === 'string') : [],
    createdAt: Number(row.created_at),
    ...(Number(row.attempt) > 0 ? { attempt: Number(row.attempt) } : {}),
  };
}
