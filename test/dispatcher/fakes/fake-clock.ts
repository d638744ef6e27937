import type { Clock } from '../../../dispatcher/src/clock';

/** A clock tests move by hand. */
export function createFakeClock(start = Date.parse('2026-11-28T00:00:00Z')): Clock & { advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}
