/**
 * Runs the reconciler on a timer: every `intervalMs`, sooner (`busyIntervalMs`) while jobs wait for a
 * free slot or after a webhook found none. One pass at a time; errors are logged, never fatal.
 */
import type { Clock, Timer } from '../../core/clock';
import type { DispatcherConfig } from './config';
import { errorMessage } from '../../core/errors';
import type { Logger } from '../../core/logger';
import type { Reconciler, ReconcileReport } from './reconciler';

export interface ReconcileLoop {
  /** Ask for a pass within `busyIntervalMs` (no-op if one is due sooner). */
  kick(): void;
  stop(): Promise<void>;
}

export function startReconcileLoop(reconciler: Reconciler, settings: DispatcherConfig['reconcile'], logger: Logger, clock: Clock, onReport?: (r: ReconcileReport) => void): ReconcileLoop {
  let timer: Timer | undefined;
  let dueAt = 0;
  let stopped = false;
  let running: Promise<void> | undefined;

  function schedule(ms: number): void {
    if (stopped) return;
    const at = clock.now() + ms;
    if (timer !== undefined && dueAt <= at) return;
    timer?.cancel();
    dueAt = at;
    timer = clock.setTimer(ms, run);
  }

  function run(): void {
    timer = undefined;
    if (running) {
      schedule(settings.busyIntervalMs);
      return;
    }
    running = reconciler
      .reconcile()
      .then(
        (report) => {
          onReport?.(report);
          schedule(report.needsMore ? settings.busyIntervalMs : settings.intervalMs);
        },
        (error: unknown) => {
          logger.error({ err: errorMessage(error) }, 'reconcile pass failed');
          schedule(settings.busyIntervalMs * 2);
        },
      )
      .finally(() => {
        running = undefined;
      });
  }

  schedule(0);
  return {
    kick: () => schedule(settings.busyIntervalMs),
    async stop() {
      stopped = true;
      timer?.cancel();
      await running;
    },
  };
}
