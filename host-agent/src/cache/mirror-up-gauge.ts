/**
 * `runner_cache_mirror_up`: 1 when the host mirror answers its health path on every listen address,
 * 0 otherwise, checked at scrape time (at most once per `cacheMs`, shared by concurrent scrapes).
 * A mirror that is down only slows jobs, so this is for an alert, never a reason to refuse work.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Clock } from '../../../core/clock';
import type { MirrorHealth } from './check-mirror-health';

export interface MirrorUpOptions {
  check(): Promise<MirrorHealth>;
  clock: Clock;
  cacheMs?: number;
}

export function registerMirrorUpGauge(registry: Registry, options: MirrorUpOptions): void {
  const cacheMs = options.cacheMs ?? 15_000;
  let cached: { at: number; up: Promise<number> } | undefined;
  const up = (): Promise<number> => {
    const now = options.clock.now();
    if (cached && now - cached.at < cacheMs) return cached.up;
    const result = options.check().then(
      (h) => (h.ok ? 1 : 0),
      () => 0,
    );
    cached = { at: now, up: result };
    return result;
  };
  new Gauge({
    name: 'runner_cache_mirror_up',
    help: 'Whether the host pull-through mirror answers its health path on every listen address (1) or not (0).',
    registers: [registry],
    async collect() {
      this.set(await up());
    },
  });
}
