/**
 * The share of the installation's hourly GitHub budget that reads may take.
 *
 * Reads (listing runs, jobs and runners) are what grows with the fleet; mints and deletions are what
 * starts and cleans up runners. So only reads pass this gate: a read may go while the reads already
 * spent in this rate-limit window, plus this one, stay within `share` of (what remains + those reads).
 * When the remaining budget falls, by our reads or anyone's writes, reads stop first and the budget
 * that is left belongs to minting and deleting. A 304 answer does not count against the limit
 * (docs/reference/github-api.md §4), so it is not counted here either.
 */
import type { Clock } from '../../../core/clock';
import { DispatcherError } from '../errors';

export interface ReadBudget {
  /** Record `x-ratelimit-remaining` and `x-ratelimit-reset` (epoch seconds) from a response. */
  observe(remaining: number, resetEpochSeconds: number): void;
  /** A read answered with a body (it counted against the limit). */
  spent(): void;
  /** Throws `github_read_budget` (retryable) when a read may not go now. */
  assertRead(what: string): void;
  /** May a read go now? */
  allows(): boolean;
  /** Milliseconds until the window resets (0 when unknown or already past). */
  msUntilReset(): number;
}

export function createReadBudget(options: { share: number; clock: Pick<Clock, 'now'> }): ReadBudget {
  if (!(options.share > 0 && options.share <= 1)) throw new RangeError(`read budget share must be in (0, 1], got ${options.share}`);
  let remaining: number | undefined;
  let resetAt = 0;
  let readsSpent = 0;

  const allows = (): boolean => remaining === undefined || readsSpent + 1 <= options.share * (remaining + readsSpent);
  const msUntilReset = (): number => Math.max(0, resetAt * 1000 - options.clock.now());

  return {
    observe(r, reset) {
      if (reset !== resetAt) {
        resetAt = reset;
        readsSpent = 0;
      }
      remaining = r;
    },
    spent() {
      readsSpent++;
    },
    allows,
    msUntilReset,
    assertRead(what) {
      if (allows()) return;
      throw new DispatcherError(
        'github_read_budget',
        `${what} held back: reads have used ${readsSpent} of this hour's GitHub budget and ${remaining ?? 0} requests remain; reads may take at most ${Math.round(options.share * 100)} % (resets in ${Math.ceil(msUntilReset() / 1000)} s)`,
        true,
      );
    },
  };
}
