/**
 * Bounds the `tart delete`s that run after their VMs stopped. A stopped VM no longer holds a slot,
 * so its delete runs in the background, and without a bound a burst of teardowns would start as many
 * deletes at once (each a large `rm -rf` on the same disk). At most `concurrency` run; the rest wait
 * in order. Waiting deletes count as busy slots (lifecycle/slots.ts), so when deletes fall behind,
 * admission slows down to their pace instead of the backlog growing; `maxWaiting` is the hard cap
 * for bursts admission does not cause (the reconciler finding many leftover VMs after a crash).
 */
import { TartfleetError } from '../../../core/errors';

/** The backlog is full: the caller keeps the VM for a later retry (the reconciler's next pass). */
export class DeleteBacklogFullError extends TartfleetError {
  override readonly name = 'DeleteBacklogFullError';
  constructor(maxWaiting: number) {
    super('delete_backlog_full', `${maxWaiting} VM deletes are already waiting; this one is left for the reconciler's next pass`, { retryable: true });
  }
}

export interface DeleteQueue {
  /** Runs `work` once fewer than `concurrency` deletes run; rejects with DeleteBacklogFullError when
   * `maxWaiting` already wait. */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Deletes waiting for their turn (not yet running). */
  waiting(): number;
  /** Deletes running now. */
  running(): number;
}

export interface DeleteQueueOptions {
  concurrency: number;
  maxWaiting: number;
  /** A waiting delete started: one waiting fewer, so a slot counted busy for the backlog is free. */
  onWaitingShrunk?(): void;
}

export function createDeleteQueue(options: DeleteQueueOptions): DeleteQueue {
  const concurrency = Math.max(1, options.concurrency);
  const queue: (() => void)[] = [];
  let active = 0;

  const release = (): void => {
    active -= 1;
    const next = queue.shift();
    if (!next) return;
    active += 1;
    next();
    options.onWaitingShrunk?.();
  };

  return {
    async run(work) {
      if (active >= concurrency) {
        if (queue.length >= options.maxWaiting) throw new DeleteBacklogFullError(options.maxWaiting);
        // `release` hands its turn over (active stays counted), so nothing can overtake in between.
        await new Promise<void>((resolve) => queue.push(resolve));
      } else {
        active += 1;
      }
      try {
        return await work();
      } finally {
        release();
      }
    },
    waiting: () => queue.length,
    running: () => active,
  };
}
