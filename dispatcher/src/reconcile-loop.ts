/**
 * Runs the reconciler on a timer: every `intervalMs`, sooner (`busyIntervalMs`) while jobs wait for a
 * free slot or after a webhook found none. One pass at a time; errors are logged, never fatal.
 */
import type { DispatcherConfig } from './config';
import { errorMessage } from './errors';
import type { Logger } from './logger';
import type { Reconciler, ReconcileReport } from './reconciler';

export interface ReconcileLoop {
  /** Ask for a pass within `busyIntervalMs` (no-op if one is due sooner). */
  kick(): void;
  stop(): Promise<void>;
}

export function startReconcileLoop(reconciler: Reconciler, settings: DispatcherConfig['reconcile'], logger: Logger, onReport?: (r: ReconcileReport) => void): ReconcileLoop {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let dueAt = 0;
  let stopped = false;
  let running: Promise<void> | undefined;

  function schedule(ms: number): void {
    if (stopped) return;
    const at = Date.now() + ms;
    if (timer !== undefined && dueAt <= at) return;
    clearTimeout(timer);
    dueAt = at;
    timer = setTimeout(run, ms);
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
      clearTimeout(timer);
      await running;
    },
  };
}
