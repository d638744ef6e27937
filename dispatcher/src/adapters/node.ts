/**
 * The embedded default: one Node process serving the app, with the reconciler on a timer and a
 * graceful stop (finish webhook work in flight, stop the loop, close the server).
 */
import { serve, type ServerType } from '@hono/node-server';
import { Registry } from 'prom-client';
import { systemClock } from '../../../core/clock';
import { buildDispatcher, type BuildOptions, type BuiltDispatcher } from '../build-dispatcher';
import type { Logger } from '../../../core/logger';
import { collectCleanDefaultMetrics, createMetrics } from '../metrics';
import { configuredRepositories } from '../metrics-port';
import { startReconcileLoop, type ReconcileLoop } from '../reconcile-loop';
import type { ReconcileReport } from '../reconciler';

export interface NodeDispatcherOptions extends Omit<BuildOptions, 'metrics' | 'registry' | 'onNoCapacity' | 'onWebhook' | 'inline' | 'logger'> {
  logger: Logger;
  /** Skip the timer (tests that drive the reconciler themselves). */
  reconcile?: boolean;
  onReconcile?: (report: ReconcileReport) => void;
}

export interface NodeDispatcher {
  url: string;
  dispatcher: BuiltDispatcher;
  registry: Registry;
  close(): Promise<void>;
}

export async function startNodeDispatcher(options: NodeDispatcherOptions): Promise<NodeDispatcher> {
  const registry = new Registry();
  collectCleanDefaultMetrics(registry);
  let loop: ReconcileLoop | undefined;
  const dispatcher = buildDispatcher({
    ...options,
    metrics: createMetrics(registry, { repositories: configuredRepositories(options.config.github) }),
    registry,
    onNoCapacity: () => loop?.kick(),
    onWebhook: () => loop?.noteWebhook(),
  });
  const { host, port } = options.config.listen;
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: dispatcher.app.fetch, hostname: host, port }, () => resolve(s));
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
  if (options.reconcile !== false) loop = startReconcileLoop(dispatcher.reconciler, options.config.reconcile, options.logger, options.clock ?? systemClock, options.onReconcile);
  return {
    url,
    dispatcher,
    registry,
    async close() {
      await loop?.stop();
      await dispatcher.settled();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
