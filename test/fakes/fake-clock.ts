/**
 * A Clock whose time moves only when a test moves it. Timers fire in time order; `runUntil` lets
 * promise callbacks and real I/O (journal writes) run between timers, so lifecycle tests walk through
 * minutes of deadlines in milliseconds of real time without sleeping.
 */
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { sleepOn, type Clock, type Timer } from '../../core/clock';

export interface FakeClock extends Clock {
  /** Moves time forward by `ms`, firing every timer due on the way, in order. */
  advance(ms: number): void;
  /** Alternates "let pending callbacks and I/O run" with "move to the next timer (at most `stepMs`)"
   * until `done()` returns a truthy value, which it resolves with; throws after `maxMs` of fake time. */
  runUntil<T>(what: string, done: () => T | undefined | null | false, options?: { maxMs?: number; stepMs?: number }): Promise<T>;
  /** Runs timers (as `runUntil`) until `promise` settles; resolves or rejects as it does. */
  settle<T>(promise: Promise<T>, options?: { maxMs?: number; stepMs?: number }): Promise<T>;
  /** `runUntil` for a fixed stretch of fake time. */
  tick(ms: number, options?: { stepMs?: number }): Promise<void>;
  /** Timers not yet fired or canceled. */
  readonly pendingTimers: number;
}

/** Lets promise continuations and completed I/O callbacks run. */
export async function flushCallbacks(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await nextMacrotask();
}

/** Real time allowed for I/O once a wait has used up its fake time. */
const REAL_IO_GRACE_MS = 20_000;

interface Entry {
  at: number;
  seq: number;
  fn: () => void;
}

/** Builds a FakeClock starting at `start` (ms since the epoch). With `autoAdvance`, every `sleep`
 * moves time by its own length and resolves at once (for code that only sleeps, like retry loops). */
export function createFakeClock(options: { start?: number; autoAdvance?: boolean } | number = {}): FakeClock {
  const opts = typeof options === 'number' ? { start: options } : options;
  let now = opts.start ?? Date.parse('2026-11-28T00:00:00Z');
  let seq = 0;
  const timers = new Map<number, Entry>();

  const setTimer = (ms: number, fn: () => void): Timer => {
    const id = ++seq;
    timers.set(id, { at: now + Math.max(0, ms), seq: id, fn });
    return { cancel: () => void timers.delete(id) };
  };
  /** The earliest timer due by `limit`, first scheduled first among equals. */
  const nextDue = (limit: number): [number, Entry] | undefined => {
    let best: [number, Entry] | undefined;
    for (const entry of timers) {
      const t = entry[1];
      if (t.at <= limit && (!best || t.at < best[1].at || (t.at === best[1].at && t.seq < best[1].seq))) best = entry;
    }
    return best;
  };

  const clock: FakeClock = {
    now: () => now,
    setTimer,
    sleep(ms, signal) {
      if (!opts.autoAdvance) return sleepOn(setTimer, ms, signal);
      if (signal?.aborted) return Promise.reject(signal.reason);
      now += Math.max(0, ms);
      return Promise.resolve();
    },
    advance(ms) {
      const target = now + Math.max(0, ms);
      for (let due = nextDue(target); due; due = nextDue(target)) {
        timers.delete(due[0]);
        now = Math.max(now, due[1].at);
        due[1].fn();
      }
      now = target;
    },
    async runUntil(what, done, runOptions = {}) {
      const maxMs = runOptions.maxMs ?? 10 * 60_000;
      const stepMs = runOptions.stepMs ?? 25;
      const started = now;
      for (;;) {
        await flushCallbacks();
        const value = done();
        if (value) return value;
        if (now - started >= maxMs) break;
        const next = nextDue(Infinity)?.[1].at;
        clock.advance(next === undefined ? stepMs : Math.min(stepMs, Math.max(0, next - now)));
      }
      // Fake time is used up; what is left can only be real I/O (journal writes, fsync on a busy
      // disk). Give it real time, without moving the clock, before giving up.
      const realDeadline = Date.now() + REAL_IO_GRACE_MS;
      while (Date.now() < realDeadline) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        const value = done();
        if (value) return value;
      }
      throw new Error(`fake clock: '${what}' not reached within ${maxMs} ms of fake time (and ${REAL_IO_GRACE_MS} ms of real time for I/O)`);
    },
    async settle(promise, settleOptions) {
      let done = false;
      const tracked = promise.finally(() => (done = true));
      tracked.catch(() => undefined);
      await clock.runUntil('promise settled', () => done, settleOptions);
      return tracked;
    },
    async tick(ms, tickOptions = {}) {
      const end = now + ms;
      await clock.runUntil(`tick ${ms} ms`, () => now >= end, { maxMs: ms + 1, stepMs: tickOptions.stepMs ?? 25 });
    },
    get pendingTimers() {
      return timers.size;
    },
  };
  return clock;
}
