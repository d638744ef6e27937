/**
 * Warm targets per pool: the config's `pools[].warm` is the baseline; an override set through the API
 * (`PUT /v1/pools/:pool/warm`) wins until its `until`, then the baseline applies again. Overrides are
 * persisted in `<stateDir>/warm-targets.json` (atomic write) so they survive a restart.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Clock } from '../../../core/clock';
import { errorMessage } from '../../../core/errors';
import type { Logger } from '../../../core/logger';
import type { PoolConfig } from '../config/schema';
import { writeAtomic } from '../state/write-atomic';

const overrideSchema = z.object({ count: z.number().int().min(0), until: z.string().optional() });
/** `pool` → manual override; `auto:<pool>` → the dispatcher's automatic target. */
const fileSchema = z.record(z.string(), overrideSchema);
type Overrides = z.infer<typeof fileSchema>;
const autoKey = (pool: string): string => `auto:${pool}`;

export interface WarmTarget {
  baseline: number;
  target: number;
  /** The automatic target, while one is live. */
  auto?: number;
  /** ISO time the override ends; absent for the baseline or an open-ended override. */
  until?: string;
}

export interface WarmTargets {
  of(pool: PoolConfig): WarmTarget;
  /** Sets (and persists) an override; `until` in ms since the epoch. A `manual` one replaces the
   * baseline; an `auto` one only adds above it. */
  set(pool: PoolConfig, count: number, untilMs: number | undefined, source?: 'manual' | 'auto'): Promise<WarmTarget>;
  /** Drops overrides whose `until` has passed; true when any did. */
  expire(): Promise<boolean>;
}

export function openWarmTargets(options: { stateDir: string; clock: Clock; logger: Logger }): WarmTargets {
  const file = path.join(options.stateDir, 'warm-targets.json');
  let overrides: Overrides = {};
  try {
    overrides = fileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (error: unknown) {
    // A missing file is the normal first start; a broken one must not stop the agent: the baselines apply.
    if ((error as { code?: string }).code !== 'ENOENT') options.logger.warn({ file, err: errorMessage(error) }, 'warm targets unreadable; using the configured baselines');
  }
  // One write at a time (they share a temp file name); each carries the state when it starts.
  let writes: Promise<void> = Promise.resolve();
  const save = (): Promise<void> => {
    const next = writes.then(() => writeAtomic(file, `${JSON.stringify(overrides, null, 2)}\n`));
    writes = next.catch(() => undefined);
    return next;
  };
  const live = (o: Overrides[string] | undefined): boolean => o !== undefined && (o.until === undefined || Date.parse(o.until) > options.clock.now());

  return {
    of(pool) {
      const o = overrides[pool.name];
      const a = overrides[autoKey(pool.name)];
      const manual = o && live(o) ? { target: o.count, ...(o.until === undefined ? {} : { until: o.until }) } : { target: pool.warm };
      if (!a || !live(a)) return { baseline: pool.warm, ...manual };
      return { baseline: pool.warm, ...manual, target: Math.max(manual.target, a.count), auto: a.count };
    },
    async set(pool, count, untilMs, source = 'manual') {
      overrides[source === 'auto' ? autoKey(pool.name) : pool.name] = { count, ...(untilMs === undefined ? {} : { until: new Date(untilMs).toISOString() }) };
      await save();
      return this.of(pool);
    },
    async expire() {
      const gone = Object.entries(overrides).filter(([, o]) => !live(o));
      if (gone.length === 0) return false;
      for (const [name] of gone) delete overrides[name];
      await save();
      return true;
    },
  };
}
