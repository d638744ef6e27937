/**
 * AWS Lambda: API Gateway (HTTP API, payload 2.0) and Function URL events go to the app through
 * `hono/aws-lambda`; an EventBridge scheduled event runs one reconcile pass. Nothing runs after a
 * Lambda response, so webhook work is done before answering (`inline`) — well within GitHub's 10 s.
 */
import { handle } from 'hono/aws-lambda';
import { Registry } from 'prom-client';
import { buildDispatcher, type BuiltDispatcher } from '../build-dispatcher';
import { createConsoleLogger } from '../../../core/logger';

const consoleLogger = createConsoleLogger({ component: 'dispatcher' });
import { createMetrics } from '../metrics';
import { configuredRepositories } from '../metrics-port';
import type { ReconcileReport } from '../reconciler';
import { configFromEnv } from './env-config';


/** EventBridge "Scheduled Event" (also what a `schedule` rule sends). */
export function isScheduledEvent(event: unknown): boolean {
  const e = event as { source?: unknown; 'detail-type'?: unknown } | null;
  return typeof e === 'object' && e !== null && (e.source === 'aws.events' || e['detail-type'] === 'Scheduled Event');
}

export interface LambdaHandlerOptions {
  env?: Record<string, string | undefined>;
  /** Scale of GitHub Retry-After waits; tests shrink it. */
  retryAfterBaseValue?: number;
}

/** Build a handler; the default export uses `process.env`. One dispatcher per warm container. */
export function createLambdaHandler(options: LambdaHandlerOptions = {}) {
  let dispatcher: BuiltDispatcher | undefined;
  let http: ReturnType<typeof handle> | undefined;
  function get(): { dispatcher: BuiltDispatcher; http: ReturnType<typeof handle> } {
    if (!dispatcher || !http) {
      const registry = new Registry();
      const config = configFromEnv(options.env ?? process.env);
      dispatcher = buildDispatcher({
        config,
        logger: consoleLogger,
        metrics: createMetrics(registry, { repositories: configuredRepositories(config.github) }),
        registry,
        inline: true,
        ...(options.retryAfterBaseValue !== undefined ? { retryAfterBaseValue: options.retryAfterBaseValue } : {}),
      });
      http = handle(dispatcher.app);
    }
    return { dispatcher, http };
  }
  return async (event: unknown, context: unknown): Promise<unknown> => {
    const { dispatcher: d, http: h } = get();
    if (isScheduledEvent(event)) {
      const report: ReconcileReport = await d.reconciler.reconcile();
      return { reconciled: true, pools: report.pools, deleted: report.deleted.length, needsMore: report.needsMore };
    }
    return h(event as Parameters<typeof h>[0], context as Parameters<typeof h>[1]);
  };
}

export const handler = createLambdaHandler();
