/**
 * `serve`: put the app on a port (HTTPS when listen.tls is set) and drain on SIGTERM/SIGINT: stop
 * accepting connections, let the service finish running jobs up to drainTimeoutMs and tear down the
 * rest, then resolve with exit code 0 so launchd sees a clean stop.
 */
import { serve, type ServerType } from '@hono/node-server';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { createApp } from '../app';
import { checkMirrorHealth } from '../cache/check-mirror-health';
import { registerMirrorUpGauge } from '../cache/mirror-up-gauge';
import { startCacheLogMetrics } from '../cache/start-cache-log-metrics';
import type { AgentConfig } from '../config/schema';
import type { AgentMetrics } from '../metrics/create-metrics';
import type { RunnerService } from '../service';
import type { ImageService } from '../images/image-service';
import type { Clock } from '../../../core/clock';
import { errorMessage } from '../../../core/errors';
import type { Logger } from '../../../core/logger';

export interface ServeDeps {
  config: Readonly<AgentConfig>;
  service: RunnerService;
  /** Image routes (rollout); omitted, /v1/images and /v1/pools answer 404. */
  images?: ImageService;
  registry: Registry;
  metrics: AgentMetrics;
  logger: Logger;
  clock: Clock;
  /** Reads the TLS certificate and key files. */
  readFile: (path: string) => Buffer;
  /** Resolves with the signal name when the process is asked to stop. */
  stopRequested: Promise<string>;
  /** Called once the port is bound, with the base URL (tests bind port 0). */
  onListening?: (url: string) => void;
}

function listen(deps: ServeDeps, fetch: (req: Request) => Response | Promise<Response>): Promise<{ server: ServerType; url: string }> {
  const { listen: l } = deps.config;
  return new Promise((resolve, reject) => {
    const common = { fetch, port: l.port, hostname: l.host };
    const options = l.tls === undefined
      ? common
      : { ...common, createServer: createHttpsServer, serverOptions: { cert: deps.readFile(l.tls.certFile), key: deps.readFile(l.tls.keyFile) } };
    const server = serve(options, (info: AddressInfo) => {
      const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      resolve({ server, url: `${l.tls === undefined ? 'http' : 'https'}://${host}:${info.port}` });
    });
    server.once('error', reject);
  });
}

function closeServer(server: ServerType): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Keep-alive connections would hold close() open and could still carry new requests.
    if ('closeIdleConnections' in server) server.closeIdleConnections();
  });
}

/** Serve until a stop signal, then drain. Resolves with the process exit code. */
export async function runServe(deps: ServeDeps): Promise<number> {
  const log = deps.logger.child({ component: 'serve' });
  const app = createApp({
    service: deps.service,
    config: deps.config,
    registry: deps.registry,
    metrics: deps.metrics,
    logger: deps.logger,
    clock: deps.clock,
    ...(deps.images === undefined ? {} : { images: deps.images }),
  });
  const { server, url } = await listen(deps, app.fetch);
  if (deps.config.listen.tls === undefined && !/^(127\.|localhost|::1|\[::1\])/.test(deps.config.listen.host)) {
    log.warn({ url }, 'serving plain HTTP on a non-loopback address: JIT configs cross the network in clear text; set listen.tls or use a TLS tunnel');
  }
  log.info({ url, hostId: deps.config.hostId, maxVms: deps.config.maxVms }, 'agent listening');
  // The mirror's hit/miss counters come from nginx's access log, onto the agent's own /metrics.
  const cacheLog = deps.config.cache
    ? await startCacheLogMetrics({ registry: deps.registry, cache: deps.config.cache, onError: (message) => log.warn({ accessLog: deps.config.cache?.accessLog }, message) })
    : undefined;
  const cache = deps.config.cache;
  if (cache) registerMirrorUpGauge(deps.registry, { check: () => checkMirrorHealth(cache, fetch, 3_000, deps.clock), clock: deps.clock });
  deps.onListening?.(url);

  const signal = await deps.stopRequested;
  await cacheLog?.stop();
  log.info({ signal, drainTimeoutMs: deps.config.drainTimeoutMs }, 'stop requested: refusing new connections and draining');
  const closed = closeServer(server);
  try {
    await deps.service.shutdown(deps.config.drainTimeoutMs);
  } catch (error: unknown) {
    log.error({ err: errorMessage(error) }, 'shutdown did not complete cleanly; the next start reconciles what is left');
    await closed;
    return 1;
  }
  await closed;
  log.info({}, 'drained; exiting');
  return 0;
}
