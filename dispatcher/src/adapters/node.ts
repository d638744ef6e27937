/**
 * The embedded default: one Node process serving the app, with the reconciler on a timer and a
 * graceful stop (finish webhook work in flight, stop the loop, close the server). Pending demand
 * lives in a SQLite file, so jobs waiting for a slot survive a restart.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { Registry } from 'prom-client';
import { systemClock } from '../../../core/clock';
import { buildDispatcher, type BuildOptions, type BuiltDispatcher } from '../build-dispatcher';
import type { Logger } from '../../../core/logger';
import { collectCleanDefaultMetrics, createMetrics } from '../metrics';
import { configuredRepositories } from '../metrics-port';
import { startReconcileLoop, type ReconcileLoop } from '../reconcile-loop';
import type { ReconcileReport } from '../reconciler';
import { openSqliteDemand, type SqliteDemand } from '../demand/sqlite-demand';
import { DispatcherError } from '../errors';
import { errorMessage } from '../../../core/errors';

/** The pending-demand file's name inside the state directory. */
export const DEMAND_FILE = 'pending-demand.sqlite';

export interface NodeDispatcherOptions extends Omit<BuildOptions, 'metrics' | 'registry' | 'onNoCapacity' | 'onWebhook' | 'inline' | 'logger' | 'demand'> {
  logger: Logger;
  /** Where pending demand's SQLite file goes unless `demand.sqlitePath` names one. Neither: pending
   * demand is kept in memory (tests). */
  stateDir?: string;
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

/** Opens the pending-demand file named by the config or the state directory, making its folder. */
async function openDemand(options: NodeDispatcherOptions): Promise<SqliteDemand | undefined> {
  const file = options.config.demand.sqlitePath ?? (options.stateDir !== undefined ? path.join(options.stateDir, DEMAND_FILE) : undefined);
  if (file === undefined) return undefined;
  try {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  } catch (error: unknown) {
    throw new DispatcherError('config', `demand.sqlitePath: cannot create the folder of ${file}: ${errorMessage(error)}`);
  }
  const store = await openSqliteDemand({ path: file, maxEntries: options.config.demand.maxEntries });
  options.logger.info({ file }, 'pending demand in SQLite');
  return store;
}

export async function startNodeDispatcher(options: NodeDispatcherOptions): Promise<NodeDispatcher> {
  const demand = await openDemand(options);
  const registry = new Registry();
  collectCleanDefaultMetrics(registry);
  let loop: ReconcileLoop | undefined;
  const dispatcher = buildDispatcher({
    ...options,
    metrics: createMetrics(registry, { repositories: configuredRepositories(options.config.github) }),
    registry,
    ...(demand ? { demand } : {}),
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
      demand?.close();
    },
  };
}
