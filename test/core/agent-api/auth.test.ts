import { describe, expect, it } from 'vitest';
import {
  NONCE_HEADER,
  createRequestSigner,
  createRequestVerifier,
  createWebCryptoSigning,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  timingSafeEqual,
  type ReceivedRequest,
} from '../../../core/agent-api/auth';
import { scopeOf } from '../../../core/agent-api/scopes';
import { nodeSigningCrypto } from '../../../host-agent/src/middleware/node-signing-crypto';

const SECRET = 'a'.repeat(40);
const OTHER = 'b'.repeat(40);
const T0 = 1_800_000_000_000;
const HOST = 'mini-1';

async function signed(secret: string, nowMs: number, parts = { method: 'POST', path: '/v1/runners?x=1', body: '{"a":1}' }, hostId = HOST): Promise<ReceivedRequest> {
  const headers = await createRequestSigner(secret).sign({ ...parts, hostId }, nowMs);
  return { ...parts, timestamp: headers[TIMESTAMP_HEADER], nonce: headers[NONCE_HEADER], signature: headers[SIGNATURE_HEADER] };
}

describe('request signing', () => {
  it('produces a unix-seconds timestamp and a sha256= hex signature', async () => {
    const headers = await createRequestSigner(SECRET).sign({ hostId: HOST, method: 'get', path: '/v1/host', body: '' }, T0 + 999);
    expect(headers[TIMESTAMP_HEADER]).toBe(String(T0 / 1000));
    expect(headers[SIGNATURE_HEADER]).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(headers[NONCE_HEADER]).toMatch(/^[0-9a-f]{32}$/);
  });

  it('signs two identical requests in the same second differently, and both verify', async () => {
    const v = createRequestVerifier({ hostId: HOST, secrets: [SECRET], now: () => T0 });
    const parts = { method: 'GET', path: '/v1/host', body: '' };
    const a = await signed(SECRET, T0, parts);
    const b = await signed(SECRET, T0, parts);
    expect(a.signature).not.toBe(b.signature);
    expect(await v.verify(a)).toEqual({ ok: true, scope: 'runner' });
    expect(await v.verify(b)).toEqual({ ok: true, scope: 'runner' });
  });

  it('accepts a request signed with the current secret', async () => {
    const v = createRequestVerifier({ hostId: HOST, secrets: [SECRET], now: () => T0 });
    expect(await v.verify(await signed(SECRET, T0))).toEqual({ ok: true, scope: 'runner' });
  });

  it('accepts the second (rotation) secret and refuses an unknown one', async () => {
    const v = createRequestVerifier({ hostId: HOST, secrets: [SECRET, OTHER], now: () => T0 });
    expect(await v.verify(await signed(OTHER, T0))).toEqual({ ok: true, scope: 'runner' });
    expect(await v.verify(await signed('c'.repeat(40), T0))).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('binds method, path with query, timestamp and body', async () => {
    const v = createRequestVerifier({ hostId: HOST, secrets: [SECRET], now: () => T0 });
    const good = await signed(SECRET, T0);
    expect(await v.verify({ ...good, method: 'PUT' })).toEqual({ ok: false, reason: 'bad-signature' });
    expect(await v.verify({ ...good, path: '/v1/runners?x=2' })).toEqual({ ok: false, reason: 'bad-signature' });
    expect(await v.verify({ ...good, body: '{"a":2}' })).toEqual({ ok: false, reason: 'bad-signature' });
    expect(await v.verify({ ...good, timestamp: String(Number(good.timestamp) + 1) })).toEqual({ ok: false, reason: 'bad-signature' });
    expect(await v.verify({ ...good, nonce: 'f'.repeat(32) })).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('enforces the ±300 s window at its edges', async () => {
    const v = createRequestVerifier({ hostId: HOST, secrets: [SECRET], now: () => T0 });
    expect(await v.verify(await signed(SECRET, T0 - 300_000))).toEqual({ ok: true, scope: 'runner' });
    expect(await v.verify(await signed(SECRET, T0 + 300_000))).toEqual({ ok: true, scope: 'runner' });
    expect(await v.verify(await signed(SECRET, T0 - 301_000))).toEqual({ ok: false, reason: 'stale-timestamp' });
    expect(await v.verify(await signed(SECRET, T0 + 301_000))).toEqual({ ok: false, reason: 'stale-timestamp' });
  });

  it('rejects a replayed signature and forgets it once its window has passed', async () => {
    let now = T0;
    const v = createRequestVerifier({ hostId: HOST, secrets: [SECRET], now: () => now });
    const req = await signed(SECRET, T0);
    expect(await v.verify(req)).toEqual({ ok: true, scope: 'runner' });
    expect(await v.verify(req)).toEqual({ ok: false, reason: 'replayed' });
    now = T0 + 301_000;
    expect(await v.verify(await signed(SECRET, now))).toEqual({ ok: true, scope: 'runner' });
    expect(v.remembered).toBe(1);
  });

  it('fails closed when the replay cache is full of live signatures', async () => {
    const v = createRequestVerifier({ hostId: HOST, secrets: [SECRET], now: () => T0, maxRemembered: 2 });
    expect(await v.verify(await signed(SECRET, T0, { method: 'GET', path: '/v1/runners/tf-macos-1', body: '' }))).toEqual({ ok: true, scope: 'runner' });
    expect(await v.verify(await signed(SECRET, T0, { method: 'GET', path: '/v1/runners/tf-macos-2', body: '' }))).toEqual({ ok: true, scope: 'runner' });
    expect(await v.verify(await signed(SECRET, T0, { method: 'GET', path: '/v1/runners/tf-macos-3', body: '' }))).toEqual({ ok: false, reason: 'replay-cache-full' });
  });

  it('reports missing and malformed headers', async () => {
    const v = createRequestVerifier({ hostId: HOST, secrets: [SECRET], now: () => T0 });
    const good = await signed(SECRET, T0);
    expect(await v.verify({ ...good, signature: undefined })).toEqual({ ok: false, reason: 'missing-headers' });
    expect(await v.verify({ ...good, timestamp: undefined })).toEqual({ ok: false, reason: 'missing-headers' });
    expect(await v.verify({ ...good, nonce: undefined })).toEqual({ ok: false, reason: 'missing-headers' });
    expect(await v.verify({ ...good, nonce: 'xyz' })).toEqual({ ok: false, reason: 'malformed' });
    expect(await v.verify({ ...good, signature: 'sha256=XYZ' })).toEqual({ ok: false, reason: 'malformed' });
    expect(await v.verify({ ...good, timestamp: '1e9' })).toEqual({ ok: false, reason: 'malformed' });
  });

  it('signs binary bodies the same as their string form', async () => {
    const v = createRequestVerifier({ hostId: HOST, secrets: [SECRET], now: () => T0 });
    const req = await signed(SECRET, T0);
    expect(await v.verify({ ...req, body: new TextEncoder().encode('{"a":1}') })).toEqual({ ok: true, scope: 'runner' });
  });
});

describe('request binding and scopes', () => {
  const ADMIN = 'd'.repeat(40);

  it('binds the target host: a request signed for mini-1 does not verify on mini-2', async () => {
    const other = createRequestVerifier({ hostId: 'mini-2', secrets: [SECRET], now: () => T0 });
    expect(await other.verify(await signed(SECRET, T0))).toEqual({ ok: false, reason: 'bad-signature' });
    const self = createRequestVerifier({ hostId: HOST, secrets: [SECRET], now: () => T0 });
    expect(await self.verify(await signed(SECRET, T0, undefined, 'mini-2'))).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('a runner secret is refused on admin routes; an admin secret verifies everywhere', async () => {
    const v = createRequestVerifier({ hostId: HOST, secrets: [SECRET], adminSecrets: [ADMIN], now: () => T0 });
    const drain = { method: 'POST', path: '/v1/drain', body: '' };
    expect(await v.verify(await signed(SECRET, T0, drain))).toEqual({ ok: false, reason: 'wrong-scope' });
    expect(await v.verify(await signed(ADMIN, T0, drain))).toEqual({ ok: true, scope: 'admin' });
    expect(await v.verify(await signed(ADMIN, T0))).toEqual({ ok: true, scope: 'admin' });
  });

  it('refuses a timestamp below the replay floor and tells the first one accepted; covers what it accepts', async () => {
    const covered: number[] = [];
    const floor = { notBefore: T0 / 1000, cover: async (ts: number) => void covered.push(ts) };
    const v = createRequestVerifier({ hostId: HOST, secrets: [SECRET], now: () => T0, floor });
    expect(await v.verify(await signed(SECRET, T0 - 1000))).toEqual({ ok: false, reason: 'signed-before-start', notBefore: T0 / 1000 });
    expect(await v.verify(await signed(SECRET, T0))).toEqual({ ok: true, scope: 'runner' });
    expect(covered).toEqual([T0 / 1000]);
  });
});

describe('scopeOf', () => {
  it('lists the runner routes and makes everything else under /v1 admin', () => {
    for (const p of ['/v1/host', '/v1/runners', '/v1/runners?all=1', '/v1/runners/tf-macos-a1']) expect([p, scopeOf(p)]).toEqual([p, 'runner']);
    for (const p of ['/v1/drain', '/v1/resume', '/v1/images', '/v1/images/pull', '/v1/pools/macos/image', '/v1/pools/macos/warm', '/v1/pools/macos/rollback', '/v1//runners', '/v1/runners/a/b', '/v1/host/']) {
      expect([p, scopeOf(p)]).toEqual([p, 'admin']);
    }
  });
});

describe('signing crypto providers', () => {
  it('node:crypto and WebCrypto agree, so a Workers client verifies on the agent and back', async () => {
    const web = createWebCryptoSigning();
    const data = new TextEncoder().encode('{"name":"tf-macos-1"}');
    expect(await web.sha256Hex(data)).toBe(nodeSigningCrypto.sha256Hex(data));
    expect(await web.hmacSha256Hex(SECRET, data)).toBe(nodeSigningCrypto.hmacSha256Hex(SECRET, data));
    const nodeVerifier = createRequestVerifier({ hostId: HOST, secrets: [SECRET], now: () => T0, crypto: nodeSigningCrypto });
    expect(await nodeVerifier.verify(await signed(SECRET, T0))).toEqual({ ok: true, scope: 'runner' });
    const headers = await createRequestSigner(SECRET, nodeSigningCrypto).sign({ hostId: HOST, method: 'GET', path: '/v1/host', body: '' }, T0);
    const webVerifier = createRequestVerifier({ hostId: HOST, secrets: [SECRET], now: () => T0 });
    expect(await webVerifier.verify({ method: 'GET', path: '/v1/host', body: '', timestamp: headers[TIMESTAMP_HEADER], nonce: headers[NONCE_HEADER], signature: headers[SIGNATURE_HEADER] })).toEqual({ ok: true, scope: 'runner' });
  });

  it('hashes the empty body like any other (precomputed constant is correct)', () => {
    expect(nodeSigningCrypto.sha256Hex(new Uint8Array(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('timingSafeEqual', () => {
  it('compares content and length', () => {
    expect(timingSafeEqual('abc', 'abc')).toBe(true);
    expect(timingSafeEqual('abc', 'abd')).toBe(false);
    expect(timingSafeEqual('abc', 'abcd')).toBe(false);
    expect(timingSafeEqual('', 'a')).toBe(false);
    expect(timingSafeEqual('', '')).toBe(true);
  });
});
