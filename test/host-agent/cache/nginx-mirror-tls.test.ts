/**
 * HTTPS upstreams: nginx sends the upstream's host name as SNI and Host, and verifies its
 * certificate, while connecting to a local address (`connect`). The upstream uses a throwaway
 * self-signed certificate for `registry.test`, made with openssl and trusted by this mirror only.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet } from './helpers/http-get';
import { loopbackHost, makeTempDir, removeDir, startMirror, type Mirror } from './helpers/nginx-harness';
import { startUpstream, type UpstreamServer } from './helpers/upstream-server';

describe('nginx mirror with an HTTPS upstream', () => {
  let dir: string;
  let certFile: string;
  let upstream: UpstreamServer;
  const mirrors: Mirror[] = [];

  beforeAll(async () => {
    dir = makeTempDir('tf-mirror-tls-');
    certFile = path.join(dir, 'registry.test.crt');
    const keyFile = path.join(dir, 'registry.test.key');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=registry.test', '-addext', 'subjectAltName=DNS:registry.test', '-keyout', keyFile, '-out', certFile], {
      stdio: 'ignore',
      timeout: 30_000,
    });
    upstream = await startUpstream({ host: loopbackHost(), tls: { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') } });
    upstream.objects.set('/left-pad/-/left-pad-1.3.0.tgz', { body: 'tarball over tls' });
  });
  afterAll(async () => {
    for (const m of mirrors) await m.stop();
    await upstream?.close();
    removeDir(dir);
  });

  it('sends SNI and Host of the upstream, verifies its certificate, and caches the answer', async () => {
    const mirror = await startMirror(
      {
        upstreams: [{ kind: 'npm', url: 'https://registry.test', connect: upstream.hostPort }],
        tls: { verify: true, trustedCertificate: certFile },
      },
    );
    mirrors.push(mirror);

    const first = await httpGet(mirror.baseUrl, '/npm/left-pad/-/left-pad-1.3.0.tgz');
    const second = await httpGet(mirror.baseUrl, '/npm/left-pad/-/left-pad-1.3.0.tgz');

    expect(first.status).toBe(200);
    expect(first.body.toString()).toBe('tarball over tls');
    expect(second.headers['x-cache-status']).toBe('HIT');
    const seen = upstream.seen.filter((s) => s.path === '/left-pad/-/left-pad-1.3.0.tgz');
    expect(seen).toHaveLength(1);
    expect(seen[0]?.servername).toBe('registry.test');
    expect(seen[0]?.headers.host).toBe('registry.test');
  });

  it('refuses an upstream whose certificate does not match its name', async () => {
    const mirror = await startMirror(
      {
        upstreams: [{ kind: 'npm', url: 'https://impostor.test', connect: upstream.hostPort }],
        tls: { verify: true, trustedCertificate: certFile },
      },
    );
    mirrors.push(mirror);
    const before = upstream.seen.length;

    const res = await httpGet(mirror.baseUrl, '/npm/left-pad/-/left-pad-1.3.0.tgz');

    expect(res.status).toBe(502);
    expect(upstream.seen.length).toBe(before);
    expect(readFileSync(mirror.config.errorLog, 'utf8')).toMatch(/certificate|SSL/i);
  });
});
