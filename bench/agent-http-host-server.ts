/**
 * The agent's real HTTP stack (createApp + @hono/node-server, HMAC auth, metrics, pino) over an
 * in-memory RunnerService, on a loopback port. Prints its URL on stdout. Run by agent-http-host.ts
 * in its own process, so the load generator does not share its event loop.
 */
import { serve } from '@hono/node-server';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { createApp } from '../host-agent/src/app';
import { createLogger } from '../host-agent/src/log/create-logger';
import { createMetrics } from '../host-agent/src/metrics/create-metrics';
import { systemClock } from '../core/clock';
import { createFakeRunnerService } from '../test/fakes/fake-runner-service';

const secret = process.env.BENCH_SECRET ?? '';
const registry = new Registry();
const logger = createLogger({ level: 'info', destination: new Writable({ write: (_c, _e, done) => done() }) });
const app = createApp({
  service: createFakeRunnerService().service,
  config: { secrets: [secret], hostId: 'bench' },
  registry,
  metrics: createMetrics(registry, { hostId: 'bench' }),
  logger,
  clock: systemClock,
});
serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => process.stdout.write(`http://127.0.0.1:${info.port}\n`));
process.once('SIGTERM', () => process.exit(0));
