/**
 * Compressed time for the fleet benchmark: simulated time runs `scale` times faster than real time,
 * for every timer and every `now()` that takes this clock (agents' lifecycles, the dispatcher, the
 * fake GitHub's rate-limit windows). Work that costs CPU is not compressed: that is what the
 * benchmark measures against the ideal.
 */
import { sleepOn, systemClock, type Clock } from '../../core/clock';

export interface ScaledClock extends Clock {
  readonly scale: number;
}

/** A clock whose time starts at the real `start` and then runs `scale`× real time. */
export function createScaledClock(scale: number, start = Date.now()): ScaledClock {
  const setTimer: Clock['setTimer'] = (ms, fn, options) => systemClock.setTimer(ms / scale, fn, options);
  return {
    scale,
    now: () => start + (Date.now() - start) * scale,
    setTimer,
    sleep: (ms, signal) => sleepOn(setTimer, ms, signal),
  };
}
