import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { createRequestSigner, type ReplayFloor } from '../../core/agent-api/auth';
import { createApp } from '../../host-agent/src/app';
import { createMetrics } from '../../host-agent/src/metrics/create-metrics';
import { createLogger } from '../../host-agent/src/log/create-logger';
import { createFakeRunnerService } from '../fakes/fake-runner-service';

export const SECRET = 'current-secret-'.padEnd(40, 'x');
export const PREVIOUS_SECRET = 'previous-secret-'.padEnd(40, 'y');
export const ADMIN_SECRET = 'admin-secret-'.padEnd(40, 'z');
/** A realistic-looking JIT config (base64), recognisable in any output it leaks into. */
export const JIT_CONFIG = Buffer.from(JSON.stringify({ '.runner': 'LEAKCANARY-runner', '.credentials': 'LEAKCANARY-credentials' })).toString('base64');

/** The app over a fake service, with a real pino logger writing into `logs` and a clock that moves
 * one second per signed request (so tests never sign two requests at the same instant by accident). */
export function buildTestApp(options: { slots?: number; secrets?: string[]; hostId?: string; replayFloor?: ReplayFloor; nowMs?: number } = {}) {
  const fake = createFakeRunnerService({ slots: options.slots ?? 2 });
  const registry = new Registry();
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  const clock = { nowMs: options.nowMs ?? 1_800_000_000_000, now: () => clock.nowMs };
  const hostId = options.hostId ?? 'mini-test';
  const metrics = createMetrics(registry, { hostId });
  const app = createApp({ service: fake.service, config: { secrets: options.secrets ?? [SECRET, PREVIOUS_SECRET], adminSecrets: [ADMIN_SECRET], hostId },
    registry,
    metrics,
    logger,
    clock,
    ...(options.replayFloor === undefined ? {} : { replayFloor: options.replayFloor }),
  });

  /** Send a signed request. `body` objects are JSON-encoded; strings are sent as-is. */
  async function signed(method: string, path: string, body?: unknown, opts: { secret?: string; signedAtMs?: number; hostId?: string; headers?: Record<string, string> } = {}) {
    clock.nowMs += 1000;
    const payload = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    const headers = await createRequestSigner(opts.secret ?? SECRET).sign({ hostId: opts.hostId ?? hostId, method, path, body: payload }, opts.signedAtMs ?? clock.nowMs);
    return app.request(path, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...opts.headers },
      ...(body === undefined ? {} : { body: payload }),
    });
  }
  return { app, fake, registry, metrics, clock, signed, logs: () => lines.join('') };
}

export const startBody = (overrides: Record<string, unknown> = {}) => ({
  name: 'tf-macos-a1b2',
  pool: 'macos',
  labels: ['macos', 'tartfleet-123-1'],
  jitConfig: JIT_CONFIG,
  ...overrides,
});
