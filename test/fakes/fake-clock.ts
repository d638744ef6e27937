import type { Clock } from '../../host-agent/src/util/clock';

/** A Clock whose time moves only when told to (or, with `autoAdvance`, jumps over every sleep). */
export interface FakeClock extends Clock {
  /** Moves time forward, waking sleepers whose time has come. */
  advance(ms: number): void;
}

/** Builds a FakeClock starting at `start` (ms since the epoch). */
export function createFakeClock(options: { start?: number; autoAdvance?: boolean } = {}): FakeClock {
  let now = options.start ?? Date.parse('2026-01-01T00:00:00Z');
  const sleepers: { at: number; wake: () => void }[] = [];
  const clock = {
    now: () => now,
    sleep(ms: number, signal?: AbortSignal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (options.autoAdvance) {
        now += Math.max(0, ms);
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        const sleeper = { at: now + Math.max(0, ms), wake: resolve };
        sleepers.push(sleeper);
        signal?.addEventListener('abort', () => {
          sleepers.splice(sleepers.indexOf(sleeper), 1);
          reject(signal.reason);
        }, { once: true });
      });
    },
    advance(ms: number) {
      now += ms;
      for (const s of [...sleepers]) {
        if (s.at <= now) {
          sleepers.splice(sleepers.indexOf(s), 1);
          s.wake();
        }
      }
    },
  } satisfies FakeClock;
  return clock;
}
