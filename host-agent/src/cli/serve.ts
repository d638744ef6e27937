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
import type { ReplayFloor } from '../../../core/agent-api/auth';
import type { Clock } from '../../../core/clock';
import { errorMessage, TartfleetError } from '../../../core/errors';
import type { Logger } from '../../../core/logger';
import { startLogFileCap } from '../log/log-file-cap';

export interface ServeDeps {
  config: Readonly<AgentConfig>;
  service: RunnerService;
  /** Image routes (rollout); omitted, /v1/images and /v1/pools answer 404. */
  images?: ImageService;
  /** Replay protection across restarts; omitted, only the in-memory cache. */
  replayFloor?: ReplayFloor;
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
  /** The operator passed `--insecure-http`: plain HTTP off loopback is allowed (with a warning). */
  insecureHttp?: boolean;
  /** The agent's own log files (launchd's StandardOutPath/ErrorPath), kept under a size cap. */
  logFiles?: readonly string[];
}

/** `serve` would put plain HTTP on a network address without the operator's explicit consent. */
export class InsecureListenError extends TartfleetError {
  override readonly name = 'InsecureListenError';
  /** EX_CONFIG: the configuration, not the invocation, is what needs fixing. */
  readonly exitCode = 78;
  constructor(host: string) {
    super(
      'insecure_listen',
      `listen.host is '${host}' (not loopback) and listen.tls is not set: runner JIT configs would cross the network in clear text. ` +
        "Set listen.tls (certFile, keyFile), bind to 127.0.0.1 behind a TLS tunnel, or pass --insecure-http to accept the risk.",
    );
  }
}

function isLoopbackHost(host: string): boolean {
  return /^(127\.|localhost$|::1$|\[::1\]$)/.test(host);
}

/** Refuses plain HTTP on a non-loopback address unless `insecureHttp` (before anything is bound). */
export function assertListenAllowed(listen: Readonly<AgentConfig['listen']>, insecureHttp: boolean): void {
  if (listen.tls === undefined && !isLoopbackHost(listen.host) && !insecureHttp) throw new InsecureListenError(listen.host);
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
  assertListenAllowed(deps.config.listen, deps.insecureHttp === true);
  const app = createApp({
    service: deps.service,
    config: deps.config,
    registry: deps.registry,
    metrics: deps.metrics,
    logger: deps.logger,
    clock: deps.clock,
    ...(deps.images === undefined ? {} : { images: deps.images }),
    ...(deps.replayFloor === undefined ? {} : { replayFloor: deps.replayFloor }),
  });
  const { server, url } = await listen(deps, app.fetch);
  if (deps.config.listen.tls === undefined && !isLoopbackHost(deps.config.listen.host)) {
    log.warn({ url }, '--insecure-http: serving plain HTTP on a non-loopback address; JIT configs cross the network in clear text; set listen.tls or use a TLS tunnel');
  }
  if (deps.config.adminSecrets.length === 0) {
    log.warn({}, 'TARTFLEET_AGENT_ADMIN_SECRET is not set: images, pools, drain and resume refuse every request');
  }
  log.info({ url, hostId: deps.config.hostId, maxVms: deps.config.maxVms }, 'agent listening');
  // The mirror's hit/miss counters come from nginx's access log, onto the agent's own /metrics.
  const cacheLog = deps.config.cache
    ? await startCacheLogMetrics({ registry: deps.registry, cache: deps.config.cache, onError: (message) => log.warn({ accessLog: deps.config.cache?.accessLog }, message) })
    : undefined;
  const cache = deps.config.cache;
  if (cache) registerMirrorUpGauge(deps.registry, { check: () => checkMirrorHealth(cache, fetch, 3_000, deps.clock), clock: deps.clock });
  const logCap = startLogFileCap({ files: deps.logFiles ?? [], clock: deps.clock, onError: (message) => log.warn({}, message) });
  deps.onListening?.(url);

  const signal = await deps.stopRequested;
  logCap.stop();
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
