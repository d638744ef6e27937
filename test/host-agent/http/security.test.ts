import { describe, expect, it } from 'vitest';
import { createRequestSigner, NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../../core/agent-api/auth';
import { MAX_BODY_BYTES } from '../../../host-agent/src/app';
import { errorBodySchema } from '../../../core/agent-api/contract';
import { buildTestApp, JIT_CONFIG, PREVIOUS_SECRET, SECRET, startBody } from '../../helpers/test-app';

async function errorOf(res: Response) {
  return errorBodySchema.parse(await res.json()).error;
}

describe('HTTP authentication', () => {
  it('401 without signature headers, and the service is never called', async () => {
    const { app, fake } = buildTestApp();
    const res = await app.request('/v1/runners', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(startBody()) });
    expect(res.status).toBe(401);
    expect(await errorOf(res)).toMatchObject({ code: 'unauthorized', message: expect.stringContaining(SIGNATURE_HEADER) });
    expect((await app.request('/v1/host')).status).toBe(401);
    expect(fake.calls).toEqual([]);
  });

  it('401 for a signature made with a wrong secret', async () => {
    const { signed, fake } = buildTestApp();
    const res = await signed('POST', '/v1/runners', startBody(), { secret: 'not-the-secret'.padEnd(40, 'z') });
    expect(res.status).toBe(401);
    expect((await errorOf(res)).message).toContain('does not match');
    expect(fake.calls).toEqual([]);
  });

  it('401 when the body was changed after signing', async () => {
    const { app, clock } = buildTestApp();
    const headers = await createRequestSigner(SECRET).sign({ hostId: 'mini-test', method: 'POST', path: '/v1/runners', body: JSON.stringify(startBody()) }, clock.nowMs);
    const res = await app.request('/v1/runners', { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(startBody({ labels: ['other'] })) });
    expect(res.status).toBe(401);
  });

  it('401 for a stale or future timestamp', async () => {
    const { signed, clock } = buildTestApp();
    const stale = await signed('GET', '/v1/host', undefined, { signedAtMs: clock.nowMs - 301_000 });
    expect(stale.status).toBe(401);
    expect((await errorOf(stale)).message).toContain('300 s');
    expect((await signed('GET', '/v1/host', undefined, { signedAtMs: clock.nowMs + 1000 + 301_000 })).status).toBe(401);
  });

  it('401 for a replayed request', async () => {
    const { app, clock, fake } = buildTestApp();
    const body = JSON.stringify(startBody());
    const headers = { ...(await createRequestSigner(SECRET).sign({ hostId: 'mini-test', method: 'POST', path: '/v1/runners', body }, clock.nowMs)), 'content-type': 'application/json' };
    expect((await app.request('/v1/runners', { method: 'POST', headers, body })).status).toBe(202);
    fake.service.resume();
    const replay = await app.request('/v1/runners', { method: 'POST', headers, body });
    expect(replay.status).toBe(401);
    expect((await errorOf(replay)).message).toContain('already used');
    expect(fake.calls).toEqual(['start tf-macos-a1b2']);
  });

  it('accepts the previous (rotation) secret and refuses after it is removed', async () => {
    const both = buildTestApp({ secrets: [SECRET, PREVIOUS_SECRET] });
    expect((await both.signed('GET', '/v1/host', undefined, { secret: PREVIOUS_SECRET })).status).toBe(200);
    const onlyNew = buildTestApp({ secrets: [SECRET] });
    expect((await onlyNew.signed('GET', '/v1/host', undefined, { secret: PREVIOUS_SECRET })).status).toBe(401);
  });

  it('checks the path including its query string', async () => {
    const { app, clock } = buildTestApp();
    const headers = await createRequestSigner(SECRET).sign({ hostId: 'mini-test', method: 'GET', path: '/v1/runners', body: '' }, clock.nowMs);
    expect((await app.request('/v1/runners?all=1', { headers })).status).toBe(401);
  });

  it('counts refusals by reason in the metrics', async () => {
    const { app, registry } = buildTestApp();
    await app.request('/v1/host');
    await app.request('/v1/host', { headers: { [TIMESTAMP_HEADER]: 'x', [NONCE_HEADER]: 'y', [SIGNATURE_HEADER]: 'z' } });
    const text = await registry.metrics();
    expect(text).toContain('agent_auth_failures_total{reason="missing-headers"} 1');
    expect(text).toContain('agent_auth_failures_total{reason="malformed"} 1');
  });
});

describe('HTTP input limits', () => {
  it('413 for a body over the limit, before any signature check', async () => {
    const { app, signed, fake } = buildTestApp();
    const huge = JSON.stringify(startBody({ jitConfig: 'A'.repeat(MAX_BODY_BYTES) }));
    const unsigned = await app.request('/v1/runners', { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(huge.length) }, body: huge });
    expect(unsigned.status).toBe(413);
    expect(await errorOf(unsigned)).toEqual({ code: 'payload_too_large', message: `request body must be at most ${MAX_BODY_BYTES} bytes` });
    const signedHuge = await signed('POST', '/v1/runners', huge);
    expect(signedHuge.status).toBe(413);
    expect(fake.calls).toEqual([]);
  });

  it('413 for an oversize streamed body without Content-Length', async () => {
    const { app } = buildTestApp();
    const chunk = new TextEncoder().encode('A'.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 4) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await app.request('/v1/runners', { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
  });

  const hostileNames = ['tf-macos-a;rm -rf /', 'tf-macos-$(id)', 'tf-macos-`id`', '../../etc/passwd', 'tf-macos-a/b', 'tf-macos-..', 'tf-macos-a\nb', 'tf-macos-a\u0000', 'tf-macos-a b', 'tf-macos-A|B', 'tf-macos-a&&b'];
  it.each(hostileNames)('400 for hostile runner name %j in the body', async (name) => {
    const { signed, fake } = buildTestApp();
    const res = await signed('POST', '/v1/runners', startBody({ name }));
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toContain('body.name: runner name must look like tf-<pool>-<id>');
    expect(fake.calls).toEqual([]);
  });

  const hostileLabels = ['mac;os', '$(id)', 'a/b', '..', '-rf', 'a\tb', 'x'.repeat(101), 'a\u001b[31m'];
  it.each(hostileLabels)('400 for hostile label %j', async (label) => {
    const { signed, fake } = buildTestApp();
    const res = await signed('POST', '/v1/runners', startBody({ labels: ['macos', label] }));
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toContain('body.labels[1]: labels are 1-100 characters');
    expect(fake.calls).toEqual([]);
  });

  it('400 for a runner name that belongs to another pool', async () => {
    const { signed, fake } = buildTestApp();
    const res = await signed('POST', '/v1/runners', startBody({ name: 'tf-linux-abc1', pool: 'macos' }));
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toContain("body.name: runner name must be tf-<pool>-<id> for its pool, i.e. start with 'tf-macos-', got 'tf-linux-abc1'");
    expect(fake.calls).toEqual([]);
  });

  it('400 for hostile pools', async () => {
    const { signed } = buildTestApp();
    for (const pool of ['../macos', 'mac os', 'macos;id', '']) {
      const res = await signed('POST', '/v1/runners', startBody({ pool }));
      expect(res.status, pool).toBe(400);
      expect((await errorOf(res)).message).toContain('body.pool: ');
    }
  });

  it.each(['..%2F..%2Fetc', 'tf-macos-a%3Bid', 'tf-macos-a%0Ab', 'tf-macos-%24(id)'])('400 for hostile path parameter %s', async (raw) => {
    const { signed, fake } = buildTestApp();
    for (const method of ['GET', 'DELETE']) {
      const res = await signed(method, `/v1/runners/${raw}`);
      expect(res.status, `${method} ${raw}`).toBe(400);
      expect((await errorOf(res)).message).toContain('path.name: runner name must look like');
    }
    expect(fake.calls).toEqual([]);
  });

  it('dot segments are resolved by URL parsing and never reach a runner handler', async () => {
    const { signed, fake } = buildTestApp();
    for (const raw of ['%2E%2E', '..', '%2e%2e/%2e%2e/host']) {
      const res = await signed('DELETE', `/v1/runners/${raw}`);
      expect([401, 404], raw).toContain(res.status);
    }
    expect(fake.calls).toEqual([]);
  });
});

describe('the JIT config stays secret', () => {
  it('never appears in any response or log line across a full API session', async () => {
    const { signed, logs, fake, registry } = buildTestApp({ slots: 1 });
    const bodies: string[] = [];
    const keep = async (res: Promise<Response>) => bodies.push(await (await res).text());
    await keep(signed('POST', '/v1/runners', startBody()));
    await keep(signed('POST', '/v1/runners', startBody())); // 409
    await keep(signed('POST', '/v1/runners', startBody({ name: 'tf-macos-x9' }))); // 503
    await keep(signed('POST', '/v1/runners', startBody({ name: 'bad name' }))); // 400 echoes the body's fields
    await keep(signed('POST', '/v1/runners', startBody({ jitConfig: `${JIT_CONFIG}!` }))); // 400 on the secret itself
    await keep(signed('POST', '/v1/runners', startBody(), { secret: 'wrong'.padEnd(40, 'w') })); // 401
    await keep(signed('GET', '/v1/runners'));
    await keep(signed('GET', '/v1/runners/tf-macos-a1b2'));
    await keep(signed('DELETE', '/v1/runners/tf-macos-a1b2'));
    await keep(signed('GET', '/v1/host'));
    bodies.push(await registry.metrics());

    expect(fake.jitConfigs).toEqual([JIT_CONFIG]);
    const everything = bodies.join('\n') + logs();
    expect(logs().length).toBeGreaterThan(0);
    expect(everything).not.toContain(JIT_CONFIG);
    expect(everything).not.toContain(JIT_CONFIG.slice(0, 24));
    expect(everything).not.toContain('LEAKCANARY');
  });
});
