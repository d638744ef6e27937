/**
 * The mirror health check against the real nginx, a closed port and a stranger on the port.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { checkMirrorHealth } from '../../../host-agent/src/cache/check-mirror-health';
import { freePort, loopbackHost, startMirror, type Mirror } from './helpers/nginx-harness';

let mirror: Mirror | undefined;
let stranger: http.Server | undefined;
afterEach(async () => {
  await mirror?.stop();
  mirror = undefined;
  await new Promise<void>((resolve) => (stranger ? stranger.close(() => resolve()) : resolve()));
  stranger = undefined;
});

describe('checkMirrorHealth', () => {
  it('is ok when nginx answers on every listen address', async () => {
    mirror = await startMirror({});
    const health = await checkMirrorHealth(mirror.config);
    expect(health).toEqual({ ok: true, message: `cache mirror answers on ${mirror.baseUrl}` });
  });

  it('names the address and the reason when nothing listens', async () => {
    const host = loopbackHost();
    const port = await freePort(host);
    const health = await checkMirrorHealth({ listen: [{ address: host, port }] });
    expect(health.ok).toBe(false);
    expect(health.message).toContain(`http://${host}:${port}/tartfleet/health did not answer (fetch failed: connect ECONNREFUSED`);
    expect(health.message).toContain('dev.tartfleet.mirror');
  });

  it('notices another server on the port', async () => {
    const host = loopbackHost();
    stranger = http.createServer((_req, res) => res.writeHead(404).end('Not Found'));
    await new Promise<void>((resolve) => stranger?.listen(0, host, () => resolve()));
    const { port } = stranger.address() as AddressInfo;
    const health = await checkMirrorHealth({ listen: [{ address: host, port }] });
    expect(health).toEqual({ ok: false, message: `cache mirror: http://${host}:${port}/tartfleet/health answered 404 'Not Found', expected 200 'ok' (is another server on that port?)` });
  });
});
