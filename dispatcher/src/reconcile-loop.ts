/**
 * Runs the reconciler on a timer: every `intervalMs`, sooner (`busyIntervalMs`) while jobs wait for a
 * free slot or after a webhook found none. While webhooks arrive (one within the last `intervalMs`)
 * they start the runners and a pass is only the safety net, so regular passes are `webhookIntervalMs`
 * apart; within one `intervalMs` of the webhooks stopping, the regular pace is back. One pass at a
 * time; errors are logged, never fatal; a pass refused by the GitHub read budget waits a regular
 * interval (it made no request).
 */
import type { Clock, Timer } from '../../core/clock';
import type { DispatcherConfig } from './config';
import { errorMessage } from '../../core/errors';
import type { Logger } from '../../core/logger';
import type { Reconciler, ReconcileReport } from './reconciler';
import { DispatcherError } from './errors';

export interface ReconcileLoop {
  /** Ask for a pass within `busyIntervalMs` (no-op if one is due sooner). */
  kick(): void;
  /** A webhook delivery arrived. */
  noteWebhook(): void;
  stop(): Promise<void>;
}

export function startReconcileLoop(reconciler: Reconciler, settings: DispatcherConfig['reconcile'], logger: Logger, clock: Clock, onReport?: (r: ReconcileReport) => void): ReconcileLoop {
  let timer: Timer | undefined;
  let dueAt = 0;
  let urgent = true;
  let stopped = false;
  let running: Promise<void> | undefined;
  let lastWebhookAt = Number.NEGATIVE_INFINITY;
  let lastPassAt = Number.NEGATIVE_INFINITY;

  function schedule(ms: number, isUrgent: boolean): void {
    if (stopped) return;
    const at = clock.now() + ms;
    if (timer !== undefined && dueAt <= at) {
      urgent ||= isUrgent;
      return;
    }
    timer?.cancel();
    dueAt = at;
    urgent = isUrgent;
    timer = clock.setTimer(ms, run);
  }

  function run(): void {
    timer = undefined;
    const now = clock.now();
    const webhooksFlowing = now - lastWebhookAt < settings.intervalMs;
    if (!urgent && webhooksFlowing && now - lastPassAt < settings.webhookIntervalMs) {
      // Wake when the webhooks would count as stopped, or when the slow pass is due.
      schedule(Math.min(lastWebhookAt + settings.intervalMs, lastPassAt + settings.webhookIntervalMs) - now, false);
      return;
    }
    if (running) {
      schedule(settings.busyIntervalMs, true);
      return;
    }
    lastPassAt = now;
    running = reconciler
      .reconcile()
      .then(
        (report) => {
          onReport?.(report);
          schedule(report.needsMore ? settings.busyIntervalMs : settings.intervalMs, report.needsMore);
        },
        (error: unknown) => {
          if (error instanceof DispatcherError && error.code === 'github_read_budget') {
            logger.warn({ err: errorMessage(error) }, 'reconcile pass held back by the GitHub read budget');
            schedule(settings.intervalMs, false);
            return;
          }
          logger.error({ err: errorMessage(error) }, 'reconcile pass failed');
          schedule(settings.busyIntervalMs * 2, true);
        },
      )
      .finally(() => {
        running = undefined;
      });
  }

  schedule(0, true);
  return {
    kick: () => schedule(settings.busyIntervalMs, true),
    noteWebhook: () => {
      lastWebhookAt = clock.now();
    },
    async stop() {
      stopped = true;
      timer?.cancel();
      await running;
    },
  };
}
