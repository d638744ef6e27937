/**
 * What every benchmark shares: where results go and whether to run a tiny workload.
 * - Results go to `$TARTFLEET_BENCH_RESULTS`, else `bench/results/` in the repository; the folder is
 *   created on first use (a fresh clone has none: `bench/results/` is git-ignored).
 * - `BENCH_QUICK=1` shrinks every workload to seconds. It only shows that a benchmark runs end to
 *   end (CI does this on every change, test/bench/benches-run.test.ts); its numbers mean nothing and
 *   targets are not enforced.
 * - A process's memory, read from /proc.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const quick = process.env.BENCH_QUICK === '1';

/** `full` normally, `small` under BENCH_QUICK=1. */
export function size<T>(full: T, small: T): T {
  return quick ? small : full;
}

/** The results folder (created), and the path of `file` inside it. */
export function resultsFile(file: string): string {
  const dir = process.env.TARTFLEET_BENCH_RESULTS ?? path.join(process.env.TARTFLEET_ROOT ?? process.cwd(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  return path.join(dir, file);
}

/** The nearest-rank p-th percentile (0 < p ≤ 100) of `xs`; NaN when there are none. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
}

/** A memory field of /proc/<pid>/status (`VmRSS`, `VmHWM`: the peak), in MB; NaN when absent. */
export function procMemoryMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kb === undefined ? NaN : Number(kb) / 1024;
}
