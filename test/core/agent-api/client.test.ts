import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AgentClientError, createAgentClient } from '../../../core/agent-api/client';
import { createRequestVerifier, NONCE_HEADER, NOT_BEFORE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../../core/agent-api/auth';
import type { HostInfo, RunnerRecord } from '../../../core/agent-api/contract';

const SECRET = 's'.repeat(40);
const HOST_ID = 'mini-1';
const host: HostInfo = {
  id: 'mini-1',
  version: '0.1.0',
  tartVersion: '2.32.1',
  slots: { total: 2, busy: 0, warm: 0, free: 2, suspect: 0 },
  draining: false, slotCallbacks: false,
  pools: [{ name: 'macos', image: 'tahoe-base', labels: ['macos'], warm: 0, warmTarget: 0, warmReady: 0, warmBooting: 0 }],
  images: ['tahoe-base'],
};
const record: RunnerRecord = {
  name: 'tf-macos-abc1',
  pool: 'macos',
  labels: ['macos'],
  stage: 'requested',
  timestamps: { requested: '2026-01-01T00:00:00.000Z' },
  registrationLeftBehind: false,
  adopted: false,
};

type Seen = { url: string; method: string; headers: Headers; body: string };

function fakeFetch(respond: (req: Seen) => Response | Promise<Response>, seen: Seen[] = []): typeof fetch {
  return async (input, init) => {
    const req: Seen = { url: String(input), method: init?.method ?? 'GET', headers: new Headers(init?.headers), body: typeof init?.body === 'string' ? init.body : '' };
    seen.push(req);
    // Every client first asks the agent's hostId, which its signatures bind.
    if (new URL(req.url).pathname.endsWith('/healthz')) return json(200, { ok: true, hostId: HOST_ID });
    return respond(req);
  };
}
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('createAgentClient transport policy', () => {
  it('refuses plain http to a non-loopback host', () => {
    expect(() => createAgentClient({ baseUrl: 'http://10.0.0.5:8420', secret: SECRET, timeoutMs: 1000 })).toThrow(
      expect.objectContaining({ name: 'AgentClientError', code: 'insecure_url' }),
    );
    expect(() => createAgentClient({ baseUrl: 'http://mini.example:8420', secret: SECRET, timeoutMs: 1000 })).toThrow(/plain http/);
  });

  it('allows https, loopback http, and http when explicitly allowed', () => {
    for (const baseUrl of ['https://mini.example:8420', 'http://127.0.0.1:8420', 'http://127.4.5.6:1', 'http://localhost:8420', 'http://[::1]:8420']) {
      expect(createAgentClient({ baseUrl, secret: SECRET, timeoutMs: 1000 }).baseUrl).toBe(new URL(baseUrl).origin);
    }
    expect(createAgentClient({ baseUrl: 'http://10.0.0.5:8420', secret: SECRET, timeoutMs: 1000, allowInsecure: true }).baseUrl).toBe('http://10.0.0.5:8420');
  });

  it('rejects a base URL that is not http(s)', () => {
    expect(() => createAgentClient({ baseUrl: 'ftp://x', secret: SECRET, timeoutMs: 1000 })).toThrow(expect.objectContaining({ code: 'invalid_url', message: expect.stringContaining('https: or http:') }));
    expect(() => createAgentClient({ baseUrl: 'not a url', secret: SECRET, timeoutMs: 1000 })).toThrow(/absolute http\(s\) URL/);
  });
});

describe('createAgentClient requests', () => {
  it('signs each request so the agent verifier accepts it, including a base path', async () => {
    const seen: Seen[] = [];
    const verifier = createRequestVerifier({ hostId: HOST_ID, secrets: ['x'.repeat(40)], adminSecrets: [SECRET], now: () => Date.now() });
    const client = createAgentClient({
      baseUrl: 'https://agent.example/prefix/',
      secret: SECRET,
      timeoutMs: 1000,
      fetch: fakeFetch(async (req) => {
        const url = new URL(req.url);
        const result = await verifier.verify({
          method: req.method,
          path: url.pathname + url.search,
          body: req.body,
          timestamp: req.headers.get(TIMESTAMP_HEADER) ?? undefined,
          nonce: req.headers.get(NONCE_HEADER) ?? undefined,
          signature: req.headers.get(SIGNATURE_HEADER) ?? undefined,
        });
        if (!result.ok) return json(401, { error: { code: 'unauthorized', message: result.reason } });
        return req.method === 'POST' && url.pathname.endsWith('/runners') ? json(202, record) : json(200, host);
      }, seen),
    });
    expect(await client.host()).toEqual(host);
    const req = { name: 'tf-macos-abc1', pool: 'macos', labels: ['macos'], jitConfig: 'QUJD' };
    expect(await client.startRunner(req)).toEqual(record);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'GET https://agent.example/prefix/healthz',
      'GET https://agent.example/prefix/v1/host',
      'POST https://agent.example/prefix/v1/runners',
    ]);
    expect(seen[0]!.headers.get(SIGNATURE_HEADER)).toBeNull();
    expect(JSON.parse(seen[2]!.body)).toEqual(req);
    expect(seen[2]!.headers.get('content-type')).toBe('application/json');
  });

  it('maps the agent error body, status and Retry-After to AgentClientError', async () => {
    const client = createAgentClient({
      baseUrl: 'http://127.0.0.1:1',
      secret: SECRET,
      timeoutMs: 1000,
      fetch: fakeFetch(() => json(503, { error: { code: 'no_slot', message: 'all 2 slots are busy' } }, { 'retry-after': '15' })),
    });
    const error = await client.startRunner({ name: 'tf-macos-abc1', pool: 'macos', labels: ['macos'], jitConfig: 'QUJD' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentClientError);
    expect(error).toMatchObject({ status: 503, code: 'no_slot', retryAfterSeconds: 15, retryable: true });
    expect((error as Error).message).toContain('all 2 slots are busy');
  });

  it('returns undefined / false for unknown runners and throws for other errors', async () => {
    let status = 404;
    const client = createAgentClient({
      baseUrl: 'http://127.0.0.1:1',
      secret: SECRET,
      timeoutMs: 1000,
      fetch: fakeFetch(() => json(status, { error: { code: status === 404 ? 'not_found' : 'unauthorized', message: 'x' } })),
    });
    expect(await client.getRunner('tf-macos-nope')).toBeUndefined();
    expect(await client.cancelRunner('tf-macos-nope')).toBe(false);
    status = 401;
    await expect(client.getRunner('tf-macos-nope')).rejects.toMatchObject({ status: 401, code: 'unauthorized', retryable: false });
  });

  it('validates response bodies against the contract', async () => {
    const client = createAgentClient({ baseUrl: 'http://127.0.0.1:1', secret: SECRET, timeoutMs: 1000, fetch: fakeFetch(() => json(200, { ...host, slots: { total: 'two' } })) });
    await expect(client.host()).rejects.toMatchObject({ code: 'invalid_response', message: expect.stringContaining('slots.total') });
    const notJson = createAgentClient({ baseUrl: 'http://127.0.0.1:1', secret: SECRET, timeoutMs: 1000, fetch: fakeFetch(() => new Response('<html>', { status: 200 })) });
    await expect(notJson.host()).rejects.toMatchObject({ code: 'invalid_response', message: expect.stringContaining('not JSON') });
    const proxy = createAgentClient({ baseUrl: 'http://127.0.0.1:1', secret: SECRET, timeoutMs: 1000, fetch: fakeFetch(() => new Response('Bad Gateway', { status: 502 })) });
    await expect(proxy.host()).rejects.toMatchObject({ status: 502, code: 'internal', retryable: true });
  });

  it('times out and reports network failures with status 0', async () => {
    const hang: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
    const slow = createAgentClient({ baseUrl: 'http://127.0.0.1:1', secret: SECRET, timeoutMs: 50, fetch: hang });
    await expect(slow.listRunners()).rejects.toMatchObject({ status: 0, code: 'timeout', message: expect.stringContaining('50 ms') });
    const down = createAgentClient({ baseUrl: 'http://127.0.0.1:1', secret: SECRET, timeoutMs: 1000, fetch: () => Promise.reject(new TypeError('fetch failed')) });
    await expect(down.drain()).rejects.toMatchObject({ status: 0, code: 'network', retryable: true });
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const refused = createAgentClient({ baseUrl: `http://127.0.0.1:${closedPort}`, secret: SECRET, timeoutMs: 5000 });
    await expect(refused.host()).rejects.toMatchObject({ code: 'network', message: expect.stringContaining('ECONNREFUSED') });
  });

  it('lists, drains and resumes', async () => {
    const seen: Seen[] = [];
    const client = createAgentClient({
      baseUrl: 'http://127.0.0.1:1',
      secret: SECRET,
      timeoutMs: 1000,
      fetch: fakeFetch((req) => (req.url.endsWith('/v1/runners') ? json(200, { runners: [record] }) : json(200, { ...host, draining: req.url.endsWith('drain') })), seen),
    });
    expect(await client.listRunners()).toEqual([record]);
    expect((await client.drain()).draining).toBe(true);
    expect((await client.resume()).draining).toBe(false);
    expect(seen.map((s) => s.method)).toEqual(['GET', 'GET', 'POST', 'POST']);
    expect(seen[2]!.body).toBe('');
  });
});

describe("createAgentClient and the agent's replay floor", () => {
  const loopbackClient = (fetchImpl: typeof fetch) => createAgentClient({ baseUrl: 'http://127.0.0.1:1', secret: SECRET, timeoutMs: 1000, fetch: fetchImpl });

  it('signs again, once, with the first second a restarted agent accepts', async () => {
    const seen: Seen[] = [];
    const notBefore = Math.floor(Date.now() / 1000) + 120;
    const client = loopbackClient(
      fakeFetch((req) => {
        const ts = Number(req.headers.get(TIMESTAMP_HEADER));
        if (ts < notBefore) return json(401, { error: { code: 'unauthorized', message: 'signed before start' } }, { [NOT_BEFORE_HEADER]: String(notBefore) });
        return json(200, host);
      }, seen),
    );
    expect(await client.host()).toEqual(host);
    expect(seen.slice(1).map((s) => Number(s.headers.get(TIMESTAMP_HEADER)) >= notBefore)).toEqual([false, true]);
    expect(seen[1]!.headers.get(NONCE_HEADER)).not.toBe(seen[2]!.headers.get(NONCE_HEADER));
  });

  it("does not loop: a second refusal is the caller's error", async () => {
    const seen: Seen[] = [];
    const client = loopbackClient(fakeFetch(() => json(401, { error: { code: 'unauthorized', message: 'nope' } }, { [NOT_BEFORE_HEADER]: String(Math.floor(Date.now() / 1000) + 60) }), seen));
    await expect(client.host()).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    expect(seen.map((s) => new URL(s.url).pathname)).toEqual(['/healthz', '/v1/host', '/v1/host']);
  });
});
