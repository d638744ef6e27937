import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createAgentClient } from '../../../core/agent-api/client';
import { runServe } from '../../../host-agent/src/cli/serve';
import { agentConfigSchema } from '../../../host-agent/src/config/schema';
import { createMetrics } from '../../../host-agent/src/metrics/create-metrics';
import { systemClock } from '../../../core/clock';
import { silentLogger } from '../../../core/logger';
import { createFakeRunnerService } from '../../fakes/fake-runner-service';
import { SECRET, startBody } from '../../helpers/test-app';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(listen: Record<string, unknown>) {
  const config = agentConfigSchema.parse({ hostId: 'serve-test', secrets: [SECRET], stateDir: '/tmp/unused', pools: [{ name: 'macos', image: 'tahoe-base', labels: ['macos'] }], listen, drainTimeoutMs: 4321 });
  const fake = createFakeRunnerService();
  const registry = new Registry();
  let stop: (signal: string) => void = () => {};
  const stopRequested = new Promise<string>((resolve) => (stop = resolve));
  let onUrl: (url: string) => void = () => {};
  const listening = new Promise<string>((resolve) => (onUrl = resolve));
  const shutdowns: number[] = [];
  fake.service.shutdown = async (ms: number) => {
    shutdowns.push(ms);
  };
  const exit = runServe({
    config,
    service: fake.service,
    registry,
    metrics: createMetrics(registry, { hostId: config.hostId }),
    logger: silentLogger,
    clock: systemClock,
    readFile: (p) => readFileSync(p),
    stopRequested,
    onListening: onUrl,
  });
  return { fake, stop, listening, exit, shutdowns };
}

describe('serve', () => {
  it('serves the signed API on loopback and drains on SIGTERM: shutdown(drainTimeoutMs), port closed, exit 0', async () => {
    const s = setup({ host: '127.0.0.1', port: 0 });
    const url = await s.listening;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const client = createAgentClient({ baseUrl: url, secret: SECRET, timeoutMs: 10_000 });
    expect((await client.host()).id).toBe('mini-test');
    expect((await client.startRunner(startBody())).stage).toBe('requested');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    s.stop('SIGTERM');
    expect(await s.exit).toBe(0);
    expect(s.shutdowns).toEqual([4321]);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('serves HTTPS when listen.tls is set', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tf-tls-'));
    dirs.push(dir);
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const s = setup({ host: '127.0.0.1', port: 0, tls: { certFile: cert, keyFile: key } });
    const url = await s.listening;
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest(`${url}/healthz`, { ca: readFileSync(cert) }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(`${res.statusCode} ${text}`));
      });
      req.on('error', reject);
      req.end();
    });
    expect(body).toBe('200 {"ok":true,"hostId":"serve-test"}');
    // Plain HTTP on the TLS port does not get an answer from the API.
    await expect(fetch(url.replace('https:', 'http:') + '/healthz').then((r) => r.status)).rejects.toThrow();
    s.stop('SIGTERM');
    expect(await s.exit).toBe(0);
  });

  it('exits 1 when the drain fails, after closing the port', async () => {
    const s = setup({ host: '127.0.0.1', port: 0 });
    s.fake.service.shutdown = async () => {
      throw new Error('teardown of tf-macos-x failed');
    };
    const url = await s.listening;
    s.stop('SIGINT');
    expect(await s.exit).toBe(1);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
