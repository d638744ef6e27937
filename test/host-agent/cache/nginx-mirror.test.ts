/**
 * The generated mirror config, run by the real nginx against a local upstream: what a VM gets on a
 * miss, a hit, a thundering herd, an upstream outage, a request with credentials, a response with a
 * cookie, and a path that tries to leave its mirror.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { httpGet, sha256 } from './helpers/http-get';
import { loopbackHost, makeTempDir, removeDir, startMirror, type Mirror } from './helpers/nginx-harness';
import { startUpstream, type UpstreamServer } from './helpers/upstream-server';

const TARBALL = '/left-pad/-/left-pad-1.3.0.tgz';
const BLOB = `/v2/homebrew/core/jq/blobs/sha256:${'ab'.repeat(32)}`;

describe('nginx pull-through mirror', () => {
  let upstream: UpstreamServer;
  let mirror: Mirror;
  let dir: string;

  beforeAll(async () => {
    dir = makeTempDir('tf-mirror-');
    upstream = await startUpstream({ host: loopbackHost() });
    mirror = await startMirror(
      {
        upstreams: [
          { kind: 'npm', url: upstream.url },
          { kind: 'homebrew-bottles', url: upstream.url },
        ],
        prefixes: [{ name: 'artifacts', url: `${upstream.url}/artifacts`, ttl: '1h' }],
      },
      { dir },
    );
  });
  afterAll(async () => {
    await mirror?.stop();
    await upstream?.close();
    removeDir(dir);
  });

  it('answers a first request from the upstream (MISS) and the second from the cache (HIT), byte for byte', async () => {
    const body = randomBytes(256 * 1024);
    upstream.objects.set(TARBALL, { body });

    const first = await httpGet(mirror.baseUrl, `/npm${TARBALL}`);
    const second = await httpGet(mirror.baseUrl, `/npm${TARBALL}`);

    expect(first.status).toBe(200);
    expect(first.headers['x-cache-status']).toBe('MISS');
    expect(second.status).toBe(200);
    expect(second.headers['x-cache-status']).toBe('HIT');
    expect(second.sha256).toBe(sha256(body));
    expect(first.sha256).toBe(sha256(body));
    expect(upstream.count(TARBALL)).toBe(1);
  });

  it('makes one upstream fetch for 20 simultaneous requests of a cold object', async () => {
    const path = '/artifacts/xcode/runtime-17.4.dmg';
    const body = randomBytes(512 * 1024);
    // The upstream takes a while, so all 20 arrive while the first fill is still in flight.
    upstream.objects.set(path, { body, delayMs: 1500 });

    const results = await Promise.all(Array.from({ length: 20 }, () => httpGet(mirror.baseUrl, path)));

    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(new Set(results.map((r) => r.sha256))).toEqual(new Set([sha256(body)]));
    expect(upstream.count(path)).toBe(1);
  });

  it('follows a bottle redirect on the host, caches the target under the bottle URL, and sends ghcr the anonymous token only', async () => {
    const signed = '/signed/blob?sig=secret-signature&se=2026';
    const body = randomBytes(300 * 1024);
    upstream.objects.set(BLOB, { status: 307, headers: { location: `${upstream.url}${signed}` } });
    upstream.objects.set(signed, { body, delayMs: 800 });

    const herd = await Promise.all(Array.from({ length: 20 }, () => httpGet(mirror.baseUrl, `/homebrew${BLOB}`)));
    const again = await httpGet(mirror.baseUrl, `/homebrew${BLOB}`);

    expect(herd.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(new Set(herd.map((r) => r.sha256))).toEqual(new Set([sha256(body)]));
    expect(again.headers['x-cache-status']).toBe('HIT');
    expect(again.sha256).toBe(sha256(body));
    expect(upstream.count(signed)).toBe(1);
    expect(upstream.count(BLOB)).toBe(1);
    const toGhcr = upstream.seen.find((s) => s.path === BLOB);
    const toSigned = upstream.seen.find((s) => s.path === signed);
    expect(toGhcr?.headers.authorization).toBe('Bearer QQ==');
    expect(toSigned?.headers.authorization).toBeUndefined();
  });

  it('never serves or stores a request that carries Authorization', async () => {
    const path = '/private-pkg/-/private-pkg-2.0.0.tgz';
    const body = randomBytes(64 * 1024);
    upstream.objects.set(path, { body });

    const withAuth1 = await httpGet(mirror.baseUrl, `/npm${path}`, { headers: { authorization: 'Bearer npm_secret_token' } });
    const withAuth2 = await httpGet(mirror.baseUrl, `/npm${path}`, { headers: { authorization: 'Bearer npm_secret_token' } });
    const anonymous = await httpGet(mirror.baseUrl, `/npm${path}`);
    const anonymousAgain = await httpGet(mirror.baseUrl, `/npm${path}`);
    const withAuth3 = await httpGet(mirror.baseUrl, `/npm${path}`, { headers: { authorization: 'Bearer other_token' } });

    expect(withAuth1.headers['x-cache-status']).toBe('BYPASS');
    expect(withAuth2.headers['x-cache-status']).toBe('BYPASS');
    // Nothing was stored by the authorized requests: the first anonymous one is a miss.
    expect(anonymous.headers['x-cache-status']).toBe('MISS');
    expect(anonymousAgain.headers['x-cache-status']).toBe('HIT');
    // A cached copy is not handed to a request with credentials either.
    expect(withAuth3.headers['x-cache-status']).toBe('BYPASS');
    expect(upstream.count(path)).toBe(4);
    expect(upstream.seen.filter((s) => s.path === path).map((s) => s.headers.authorization)).toEqual([
      'Bearer npm_secret_token',
      'Bearer npm_secret_token',
      undefined,
      'Bearer other_token',
    ]);
  });

  it('does not count the anonymous ghcr token as a credential, but does any other token', async () => {
    const blob = `/v2/homebrew/core/wget/blobs/sha256:${'cd'.repeat(32)}`;
    const body = randomBytes(32 * 1024);
    upstream.objects.set(blob, { body });

    const a = await httpGet(mirror.baseUrl, `/homebrew${blob}`, { headers: { authorization: 'Bearer QQ==' } });
    const b = await httpGet(mirror.baseUrl, `/homebrew${blob}`);
    const c = await httpGet(mirror.baseUrl, `/homebrew${blob}`, { headers: { authorization: 'Bearer ghp_realtoken' } });

    expect([a.headers['x-cache-status'], b.headers['x-cache-status'], c.headers['x-cache-status']]).toEqual(['MISS', 'HIT', 'BYPASS']);
    expect(upstream.seen.filter((s) => s.path === blob).map((s) => s.headers.authorization)).toEqual(['Bearer QQ==', 'Bearer ghp_realtoken']);
  });

  it('never stores a response that sets a cookie', async () => {
    const path = '/cookie-pkg/-/cookie-pkg-1.0.0.tgz';
    upstream.objects.set(path, { body: 'tarball', headers: { 'set-cookie': 'session=abc; Path=/' } });

    const first = await httpGet(mirror.baseUrl, `/npm${path}`);
    const second = await httpGet(mirror.baseUrl, `/npm${path}`);

    expect(first.status).toBe(200);
    expect(second.headers['x-cache-status']).toBe('MISS');
    expect(upstream.count(path)).toBe(2);
  });

  it('caches abbreviated and full npm documents apart', async () => {
    upstream.objects.set('/left-pad', { body: '{"name":"left-pad","full":true}', headers: { 'content-type': 'application/json' } });
    const corgi = { accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*' };

    const full = await httpGet(mirror.baseUrl, '/npm/left-pad', { headers: { accept: 'application/json' } });
    const abbreviated = await httpGet(mirror.baseUrl, '/npm/left-pad', { headers: corgi });
    const abbreviatedAgain = await httpGet(mirror.baseUrl, '/npm/left-pad', { headers: corgi });

    expect(full.headers['x-cache-status']).toBe('MISS');
    expect(abbreviated.headers['x-cache-status']).toBe('MISS');
    expect(abbreviatedAgain.headers['x-cache-status']).toBe('HIT');
    expect(upstream.seen.filter((s) => s.path === '/left-pad').map((s) => s.headers.accept)).toEqual(['application/json', corgi.accept]);
  });

  it('passes the raw path through (npm scoped names stay %2f-encoded) and keeps the query string', async () => {
    upstream.objects.set('/@types%2fnode', { body: '{"name":"@types/node"}' });
    upstream.objects.set('/artifacts/build.zip?v=2', { body: 'zip' });

    const scoped = await httpGet(mirror.baseUrl, '/npm/@types%2fnode');
    const withQuery = await httpGet(mirror.baseUrl, '/artifacts/build.zip?v=2');

    expect(scoped.status).toBe(200);
    expect(scoped.body.toString()).toBe('{"name":"@types/node"}');
    expect(withQuery.body.toString()).toBe('zip');
  });

  it('is not an open proxy: unknown mirrors, non-bottle Homebrew URLs and paths escaping their mirror are refused', async () => {
    const unknown = await httpGet(mirror.baseUrl, '/pypi/simple/requests/');
    const relayed = await httpGet(mirror.baseUrl, '/homebrew/https://example.com/foo.tar.gz');
    upstream.objects.set('/artifacts/secret', { body: 'not for npm' });
    const escaping = await httpGet(mirror.baseUrl, '/npm/../artifacts/secret');

    expect(unknown.status).toBe(404);
    expect(relayed.status).toBe(404);
    expect(escaping.status).toBe(400);
    expect(upstream.seen.some((s) => s.path.includes('example.com') || s.path.includes('pypi'))).toBe(false);
    expect(upstream.count('/artifacts/secret')).toBe(0);
  });
});

describe('nginx pull-through mirror when the upstream fails', () => {
  let upstream: UpstreamServer | undefined;
  let mirror: Mirror | undefined;
  let dir: string;

  afterEach(async () => {
    await mirror?.stop();
    await upstream?.close();
    removeDir(dir);
  });

  it('serves the stale copy of an expired document when the upstream is down, while tarballs stay fresh', async () => {
    dir = makeTempDir('tf-mirror-');
    upstream = await startUpstream({ host: loopbackHost() });
    mirror = await startMirror({ upstreams: [{ kind: 'npm', url: upstream.url }], freshness: { metadata: '1s' } }, { dir });
    const doc = '{"name":"react","dist-tags":{"latest":"19.0.0"}}';
    upstream.objects.set('/react', { body: doc });
    upstream.objects.set('/react/-/react-19.0.0.tgz', { body: 'tarball' });

    const fresh = await httpGet(mirror.baseUrl, '/npm/react');
    const tarball = await httpGet(mirror.baseUrl, '/npm/react/-/react-19.0.0.tgz');
    expect([fresh.headers['x-cache-status'], tarball.headers['x-cache-status']]).toEqual(['MISS', 'MISS']);
    await upstream.close();
    upstream = undefined;
    // Wait until the 1 s freshness has certainly run out; nginx's clock has second resolution.
    await new Promise((r) => setTimeout(r, 2100));
    const stale = await httpGet(mirror.baseUrl, '/npm/react');
    const stillFresh = await httpGet(mirror.baseUrl, '/npm/react/-/react-19.0.0.tgz');

    expect(stale.status).toBe(200);
    expect(['STALE', 'UPDATING']).toContain(stale.headers['x-cache-status']);
    expect(stale.body.toString()).toBe(doc);
    // The tarball took the immutable route (30 d), not the 1 s document route.
    expect(stillFresh.headers['x-cache-status']).toBe('HIT');
  });

  it('answers 502 for an object it never had when the upstream is down', async () => {
    dir = makeTempDir('tf-mirror-');
    upstream = await startUpstream({ host: loopbackHost() });
    const url = upstream.url;
    await upstream.close();
    upstream = undefined;
    mirror = await startMirror({ upstreams: [{ kind: 'npm', url }] }, { dir });

    const res = await httpGet(mirror.baseUrl, '/npm/react');

    expect(res.status).toBe(502);
  });
});
