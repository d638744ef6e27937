import { describe, expect, it } from 'vitest';
import { errorBodySchema, hostInfoSchema, runnerListSchema, runnerRecordSchema } from '../../../core/agent-api/contract';
import { ADMIN_SECRET, buildTestApp, startBody } from '../../helpers/test-app';

async function errorOf(res: Response) {
  return errorBodySchema.parse(await res.json()).error;
}

describe('agent HTTP routes', () => {
  it('GET /healthz answers without auth and names the hostId signatures bind', async () => {
    const { app } = buildTestApp();
    const res = await app.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, hostId: 'mini-test' });
  });

  it('GET /v1/host returns the host info', async () => {
    const { signed } = buildTestApp();
    const res = await signed('GET', '/v1/host');
    expect(res.status).toBe(200);
    const host = hostInfoSchema.parse(await res.json());
    expect(host).toMatchObject({ id: 'mini-test', slots: { total: 2, free: 2 }, draining: false });
  });

  it('POST /v1/runners starts a runner: 202 with its record, then list and get show it', async () => {
    const { signed, fake } = buildTestApp();
    const res = await signed('POST', '/v1/runners', startBody({ jobId: 42 }));
    expect(res.status).toBe(202);
    const record = runnerRecordSchema.parse(await res.json());
    expect(record).toMatchObject({ name: 'tf-macos-a1b2', pool: 'macos', stage: 'requested', jobId: 42 });
    expect(fake.calls).toEqual(['start tf-macos-a1b2']);

    const list = runnerListSchema.parse(await (await signed('GET', '/v1/runners')).json());
    expect(list.runners.map((r) => r.name)).toEqual(['tf-macos-a1b2']);
    const one = await signed('GET', '/v1/runners/tf-macos-a1b2');
    expect(one.status).toBe(200);
    expect(runnerRecordSchema.parse(await one.json()).name).toBe('tf-macos-a1b2');
  });

  it('409 for a duplicate name', async () => {
    const { signed } = buildTestApp();
    expect((await signed('POST', '/v1/runners', startBody())).status).toBe(202);
    const res = await signed('POST', '/v1/runners', startBody());
    expect(res.status).toBe(409);
    expect(await errorOf(res)).toEqual({ code: 'conflict', message: "runner 'tf-macos-a1b2' already exists on this host" });
  });

  it('503 with Retry-After when no slot is free', async () => {
    const { signed } = buildTestApp({ slots: 1 });
    expect((await signed('POST', '/v1/runners', startBody())).status).toBe(202);
    const res = await signed('POST', '/v1/runners', startBody({ name: 'tf-macos-c3d4' }));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('20');
    expect((await errorOf(res)).code).toBe('no_slot');
  });

  it('drain: 503 draining for new runners, resume takes work again', async () => {
    const { signed } = buildTestApp();
    const drained = await signed('POST', '/v1/drain', undefined, { secret: ADMIN_SECRET });
    expect(drained.status).toBe(200);
    expect(hostInfoSchema.parse(await drained.json()).draining).toBe(true);
    const refused = await signed('POST', '/v1/runners', startBody());
    expect(refused.status).toBe(503);
    expect((await errorOf(refused)).code).toBe('draining');
    const resumed = await signed('POST', '/v1/resume', undefined, { secret: ADMIN_SECRET });
    expect(hostInfoSchema.parse(await resumed.json()).draining).toBe(false);
    expect((await signed('POST', '/v1/runners', startBody())).status).toBe(202);
  });

  it('422 unknown_pool names the pool and the configured ones', async () => {
    const { signed } = buildTestApp();
    const res = await signed('POST', '/v1/runners', startBody({ pool: 'linux', name: 'tf-linux-a1' }));
    expect(res.status).toBe(422);
    expect(await errorOf(res)).toEqual({ code: 'unknown_pool', message: "pool 'linux' is not configured on this host, expected one of: macos" });
  });

  it('DELETE cancels a known runner and 404s an unknown one', async () => {
    const { signed, fake } = buildTestApp();
    await signed('POST', '/v1/runners', startBody());
    const res = await signed('DELETE', '/v1/runners/tf-macos-a1b2');
    expect(res.status).toBe(200);
    expect(runnerRecordSchema.parse(await res.json()).stage).toBe('gone');
    const missing = await signed('DELETE', '/v1/runners/tf-macos-zz9');
    expect(missing.status).toBe(404);
    expect(await errorOf(missing)).toEqual({ code: 'not_found', message: "runner 'tf-macos-zz9' is not known to this agent" });
    expect(fake.calls).toEqual(['start tf-macos-a1b2', 'cancel tf-macos-a1b2', 'cancel tf-macos-zz9']);
  });

  it('GET of an unknown runner and an unknown route are 404 in the one error shape', async () => {
    const { signed, app } = buildTestApp();
    const res = await signed('GET', '/v1/runners/tf-macos-nope1');
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe('not_found');
    const route = await signed('GET', '/v1/images', undefined, { secret: ADMIN_SECRET });
    expect(route.status).toBe(404);
    expect(await errorOf(route)).toEqual({ code: 'not_found', message: 'no route for GET /v1/images' });
    expect((await app.request('/nope')).status).toBe(404);
  });

  it('reports every invalid field at once, naming it and what was expected', async () => {
    const { signed, fake } = buildTestApp();
    const res = await signed('POST', '/v1/runners', { name: 'runner-1', pool: 'MacOS', labels: [], jitConfig: 'not base64!', extra: true });
    expect(res.status).toBe(400);
    const { code, message } = await errorOf(res);
    expect(code).toBe('bad_request');
    expect(message).toContain('body.name: runner name must look like tf-<pool>-<id>');
    expect(message).toContain('got "runner-1"');
    expect(message).toContain('body.pool: pool must match');
    expect(message).toContain('body.labels: ');
    expect(message).toContain('body.jitConfig: jitConfig must be base64');
    expect(message).not.toContain('not base64!');
    expect(message).toMatch(/extra/);
    expect(fake.calls).toEqual([]);
  });

  it('refuses a missing field, non-JSON and a wrong content type by name', async () => {
    const { signed } = buildTestApp();
    const missing = await signed('POST', '/v1/runners', { name: 'tf-macos-a1', pool: 'macos', labels: ['macos'] });
    expect(await errorOf(missing)).toMatchObject({ code: 'bad_request', message: expect.stringContaining('body.jitConfig: ') });
    const broken = await signed('POST', '/v1/runners', '{"name":');
    expect(broken.status).toBe(400);
    expect((await errorOf(broken)).message).toBe('body must be a JSON object, got text that does not parse as JSON');
    const text = await signed('POST', '/v1/runners', 'name=x', { headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(400);
    expect((await errorOf(text)).message).toBe("body must be sent with Content-Type: application/json, got 'text/plain'");
  });

  it('maps an unexpected service error to a 500 without details and logs it', async () => {
    const built = buildTestApp();
    built.fake.service.list = () => {
      throw new Error('journal is corrupt at /var/tartfleet/state.json');
    };
    const res = await built.signed('GET', '/v1/runners');
    expect(res.status).toBe(500);
    expect(await errorOf(res)).toEqual({ code: 'internal', message: 'internal error; see the agent log' });
    expect(built.logs()).toContain('journal is corrupt');
  });
});
