import { readdirSync, readFileSync } from 'node:fs';

/** PIDs whose /proc/<pid>/cmdline contains `needle` (processes that vanish mid-scan are skipped). */
export function pidsWithArgvContaining(needle: string): number[] {
  const hits: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes(needle)) hits.push(Number(entry));
    } catch {
      // Exited between readdir and read.
    }
  }
  return hits;
}

/** Samples /proc every `everyMs` until stopped; collects any PID whose argv held `needle`. */
export function startArgvSampler(needle: string, everyMs = 25): { stop(): { samples: number; hits: number[] } } {
  let samples = 0;
  const hits = new Set<number>();
  const timer = setInterval(() => {
    samples += 1;
    for (const pid of pidsWithArgvContaining(needle)) if (pid !== process.pid) hits.add(pid);
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return { samples, hits: [...hits] };
    },
  };
}
