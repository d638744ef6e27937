/**
 * Which pool serves a job. GitHub hands a job to any runner whose labels include every label the job
 * asks for, compared case-insensitively (docs/reference/github-api.md §1: labels come back lower-cased). We mirror that:
 * a pool serves a job when the job's labels are a subset of the pool's labels plus `self-hosted`.
 */
import type { PoolConfig } from './config';

/** The labels a pool's runners are registered with: its own labels plus `self-hosted`, deduplicated. */
export function runnerLabels(pool: Pick<PoolConfig, 'labels'>): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const label of ['self-hosted', ...pool.labels]) {
    const key = label.toLowerCase();
    if (!seen.has(key)) {
      seen.add(key);
      out.push(label);
    }
  }
  return out;
}

/** True when every job label is among the pool's runner labels (case-insensitive). */
export function poolServes(pool: Pick<PoolConfig, 'labels'>, jobLabels: readonly string[]): boolean {
  if (jobLabels.length === 0) return false;
  const have = new Set(runnerLabels(pool).map((l) => l.toLowerCase()));
  return jobLabels.every((l) => have.has(l.toLowerCase()));
}

/** The first pool (config order) that serves the job, or undefined: such jobs are left alone. */
export function matchPool<P extends Pick<PoolConfig, 'labels'>>(pools: readonly P[], jobLabels: readonly string[]): P | undefined {
  return pools.find((p) => poolServes(p, jobLabels));
}
