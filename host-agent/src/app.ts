/**
 * The agent's HTTP app (docs/architecture.md, "The agent API"). `createApp(deps)` only assembles middleware and routes; it opens
 * no port (main.ts serves it) so tests drive it with `app.request()`.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Registry } from 'prom-client';
import { createRequestVerifier } from '../../core/agent-api/auth';
import type { AgentConfig } from './config/schema';
import { createMetrics, type AgentMetrics } from './metrics/create-metrics';
import { errorHandler, notFoundHandler } from './middleware/error-handler';
import { hmacAuth } from './middleware/hmac-auth';
import { nodeSigningCrypto } from './middleware/node-signing-crypto';
import { requestLog } from './middleware/request-log';
import { requestMetrics } from './middleware/request-metrics';
import { ApiError } from './routes/api-error';
import { healthRoutes } from './routes/health';
import { hostRoutes } from './routes/host';
import { metricsRoutes } from './routes/metrics';
import { runnerRoutes } from './routes/runners';
import { imageRoutes } from './routes/images';
import { poolRoutes } from './routes/pools';
import { warmRoutes } from './routes/warm';
import type { ImageService } from './images/image-service';
import type { RunnerService } from './service';
import type { Clock } from '../../core/clock';
import type { Logger } from '../../core/logger';

/** Largest accepted request body. A start request is the biggest: a JIT config of up to 64 KiB
 * (contract) plus labels, so 128 KiB leaves room and still caps what a caller can make us buffer. */
export const MAX_BODY_BYTES = 128 * 1024;

export interface AppDeps {
  service: RunnerService;
  /** The app reads `secrets` (auth) and `hostId` (metrics); the rest is for the service. */
  config: Pick<AgentConfig, 'secrets' | 'hostId'>;
  /** This app's own registry; `GET /metrics` exposes it. */
  registry: Registry;
  /** Metrics on `registry`. Pass the same object the service's observer came from; omitted, the app
   * registers its own (fine when nothing else reports to this registry). */
  metrics?: AgentMetrics;
  logger: Logger;
  clock: Pick<Clock, 'now'>;
  /** Image pulls, pool image switches, pruning and smoke tests; without it those routes are 404. */
  images?: ImageService;
}

/** Build the Hono app with auth on /v1, body limit, request metrics and one error shape. */
export function createApp(deps: AppDeps): Hono {
  const metrics = deps.metrics ?? createMetrics(deps.registry, { hostId: deps.config.hostId });
  const log = deps.logger.child({ component: 'http' });
  const verifier = createRequestVerifier({ secrets: deps.config.secrets, now: () => deps.clock.now(), crypto: nodeSigningCrypto });

  const app = new Hono();
  app.onError(errorHandler(log));
  app.notFound(notFoundHandler());
  app.use('*', requestMetrics(metrics.http, () => deps.clock.now()));
  app.use('*', requestLog(log, () => deps.clock.now()));
  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError(413, 'payload_too_large', `request body must be at most ${MAX_BODY_BYTES} bytes`);
      },
    }),
  );
  app.use(
    '/v1/*',
    hmacAuth({
      verifier,
      onFailure: (reason) => {
        metrics.http.authFailed(reason);
        log.warn({ reason }, 'refused unsigned or badly signed request');
      },
    }),
  );

  app.route('/', healthRoutes());
  app.route('/', metricsRoutes(deps.registry));
  app.route('/v1', hostRoutes(deps.service));
  app.route('/v1/runners', runnerRoutes(deps.service));
  app.route('/v1/pools', warmRoutes(deps.service));
  if (deps.images) {
    app.route('/v1/images', imageRoutes(deps.images));
    app.route('/v1/pools', poolRoutes(deps.images));
  }
  return app;
}
