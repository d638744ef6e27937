/** `/status`: who may see it, how the login sets its cookie, what is never cached, and that the view
 * follows the webhooks and the hosts. In process, on the dispatcher harness. */
import { describe, expect, it, vi } from 'vitest';
import { statusViewSchema } from '../../../dispatcher/src/status/status-model';
import { queuedPayload, setupApp, signedRequest } from '../../helpers/dispatcher-harness';

const TOKEN = 'fleet-token-0123456789';
const bearer = { authorization: `Bearer ${TOKEN}` };

async function login(app: ReturnType<typeof setupApp>['app'], token: string, headers: Record<string, string> = {}): Promise<Response> {
  return app.request('http://dispatcher.test/status/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ token }).toString(),
  });
}

describe('/status', () => {
  it('answers 401 with the login form, or a 401 error for data, without the token; never cacheable', async () => {
    const { app } = setupApp();
    const page = await app.request('/status');
    expect(page.status).toBe(401);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    expect(html).toContain('<form method="post" action="/status/login">');
    expect(html).not.toContain('id="hosts"');
    for (const path of ['/status/data', '/status/app.js']) {
      const res = await app.request(path);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.json()).toMatchObject({ error: { code: 'unauthorized' } });
    }
    const wrong = await app.request('/status/data', { headers: { authorization: 'Bearer fleet-token-0123456788' } });
    expect(wrong.status).toBe(401);
  });

  it('serves the page and its data to the bearer token, with no-store and a strict CSP', async () => {
    const { app } = setupApp();
    const page = await app.request('/status', { headers: bearer });
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(await page.text()).toContain('id="hosts"');
    const data = await app.request('/status/data', { headers: bearer });
    expect(data.status).toBe(200);
    expect(data.headers.get('cache-control')).toBe('no-store');
    const view = statusViewSchema.parse(await data.json());
    expect(view.hosts).toEqual([expect.objectContaining({ url: 'http://127.0.0.1:1', slots: { total: 2, busy: 0, booting: 0, warm: 0, free: 2, suspect: 0 }, cells: ['free', 'free'] })]);
    expect(view.queue).toEqual([{ pool: 'macos', depth: 0, oldestWaitSeconds: null }]);
  });

  it('asks GitHub for the runner listing at most every 15 s however often the page polls (/v1/fleet asks each time)', async () => {
    const { app, gh } = setupApp();
    const listRunners = vi.spyOn(gh.api, 'listRunners');
    for (let i = 0; i < 3; i++) expect((await app.request('/status/data', { headers: bearer })).status).toBe(200);
    expect(listRunners).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 2; i++) expect((await app.request('/v1/fleet', { headers: bearer })).status).toBe(200);
    expect(listRunners).toHaveBeenCalledTimes(3);
  });

  it('logs in with the form: an HttpOnly SameSite=Strict cookie that is not the token; a wrong token gets the form again', async () => {
    const { app } = setupApp();
    const wrong = await login(app, 'not-the-token');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(await wrong.text()).toContain('That is not the fleet token.');

    const ok = await login(app, TOKEN);
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/status');
    const cookie = ok.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^tartfleet_status=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/status');
    expect(cookie).not.toContain('Secure');
    expect(cookie).not.toContain(TOKEN);
    const session = cookie.split(';')[0] as string;
    expect((await app.request('/status', { headers: { cookie: session } })).status).toBe(200);
    expect((await app.request('/status/data', { headers: { cookie: session } })).status).toBe(200);
    // A forged or altered cookie is no session.
    expect((await app.request('/status/data', { headers: { cookie: `${session.slice(0, -2)}xx` } })).status).toBe(401);
    // Behind an https proxy the cookie is Secure.
    expect((await login(app, TOKEN, { 'x-forwarded-proto': 'https' })).headers.get('set-cookie')).toContain('Secure');
    // Logging out clears it.
    expect((await app.request('/status/logout', { method: 'POST' })).headers.get('set-cookie')).toMatch(/^tartfleet_status=;.*Max-Age=0/);
  });

  it('refuses a login posted from another site, and an oversized one', async () => {
    const { app } = setupApp();
    expect((await login(app, TOKEN, { origin: 'https://evil.example' })).status).toBe(403);
    const big = await app.request('/status/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${'a'.repeat(10_000)}` });
    expect(big.status).toBe(413);
  });

  it('shows jobs seen queued per pool, then their start and start latency once they run', async () => {
    const { gh, app, dispatcher, agent } = setupApp({ total: 1 });
    gh.addJob(301, ['macos']);
    gh.addJob(302, ['macos']);
    await app.request('/webhook', await signedRequest(queuedPayload(301, ['macos'])));
    await app.request('/webhook', await signedRequest(queuedPayload(302, ['macos'])));
    await dispatcher.settled();
    const view = async () => statusViewSchema.parse(await (await app.request('/status/data', { headers: bearer })).json());
    const before = await view();
    expect(before.queue).toEqual([{ pool: 'macos', depth: 2, oldestWaitSeconds: expect.any(Number) }]);
    // The one slot holds the runner for job 301 (the host's own count) and its record.
    expect(before.hosts[0]?.cells).toHaveLength(1);
    expect(before.runners.map((r) => [r.name, r.pool, r.jobId])).toEqual([['tf-macos-j301a0', 'macos', 301]]);
    expect(agent.started.map((s) => s.name)).toEqual(['tf-macos-j301a0']);

    const progress = JSON.parse(queuedPayload(301, ['macos'], 'in_progress')) as { workflow_job: Record<string, unknown> };
    progress.workflow_job.created_at = '2026-01-01T00:00:00Z';
    progress.workflow_job.started_at = '2026-01-01T00:00:07.5Z';
    await app.request('/webhook', await signedRequest(JSON.stringify(progress)));
    const after = await view();
    expect(after.queue).toEqual([{ pool: 'macos', depth: 1, oldestWaitSeconds: expect.any(Number) }]);
    expect(after.recentJobs).toEqual([expect.objectContaining({ jobId: 301, pool: 'macos', startLatencySeconds: 7.5, latencyFrom: 'created', startedAt: '2026-01-01T00:00:07.500Z' })]);
    // A job cancelled while queued leaves the queue.
    await app.request('/webhook', await signedRequest(queuedPayload(302, ['macos'], 'completed')));
    expect((await view()).queue[0]?.depth).toBe(0);
  });
});
