import { afterEach, describe, expect, it } from 'vitest';
import { createFakeGitHub, type FakeGitHub, type FakeGitHubOptions } from './src';

let fake: FakeGitHub | undefined;
afterEach(() => {
  fake?.close();
  fake = undefined;
});

const make = (options: FakeGitHubOptions = {}): FakeGitHub => {
  fake = createFakeGitHub({ jitKeyBits: 1024, ...options });
  return fake;
};

async function call(gh: FakeGitHub, path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Response> {
  return gh.app.request(`http://127.0.0.1:7777${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: 'token test-token', ...init.headers },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
}

const jit = (gh: FakeGitHub, name: string, labels: string[], prefix = '/orgs/acme'): Promise<Response> =>
  call(gh, `${prefix}/actions/runners/generate-jitconfig`, { method: 'POST', body: { name, runner_group_id: 1, labels } });

describe('REST semantics of the fake', () => {
  it('paginates with one array key and absolute Link headers; per_page is capped at 100', async () => {
    const gh = make();
    for (let i = 0; i < 5; i++) expect((await jit(gh, `r${i}`, ['a'])).status).toBe(201);
    const page2 = await call(gh, '/orgs/acme/actions/runners?per_page=2&page=2');
    const body = (await page2.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['total_count', 'runners']);
    expect((body.runners as Array<{ name: string }>).map((r) => r.name)).toEqual(['r2', 'r3']);
    const link = page2.headers.get('link') ?? '';
    expect(link).toContain('<http://127.0.0.1:7777/orgs/acme/actions/runners?per_page=2&page=3>; rel="next"');
    expect(link).toContain('rel="last"');
    expect(link).toContain('rel="prev"');
    const big = (await (await call(gh, '/orgs/acme/actions/runners?per_page=500')).json()) as { runners: unknown[] };
    expect(big.runners).toHaveLength(5);
    expect((await call(gh, '/orgs/acme/actions/runners?page=0')).status).toBe(422);
  });

  it('generate-jitconfig validation messages and labels (as sent, lower-cased; or with defaults)', async () => {
    const gh = make();
    const missing = await call(gh, '/orgs/acme/actions/runners/generate-jitconfig', { method: 'POST', body: { name: 'x', labels: ['a'] } });
    expect([missing.status, ((await missing.json()) as { message: string }).message]).toEqual([422, 'Invalid input: object is missing required key: runner_group_id']);
    const empty = await jit(gh, 'x', []);
    expect(((await empty.json()) as { message: string }).message).toBe('Invalid property /labels: 1 item required; only 0 were supplied');
    const unknownOrg = await jit(gh, 'x', ['a'], '/orgs/nope');
    expect(unknownOrg.status).toBe(404);
    const created = (await (await jit(gh, 'Lab', ['Self-Hosted', 'macOS', 'xcode-16'])).json()) as { runner: { labels: Array<{ name: string; type: string }> } };
    expect(created.runner.labels).toEqual([
      { id: expect.any(Number), name: 'self-hosted', type: 'read-only' },
      { id: expect.any(Number), name: 'macos', type: 'read-only' },
      { id: expect.any(Number), name: 'xcode-16', type: 'read-only' },
    ]);
    expect((await jit(gh, 'LAB', ['a'])).status).toBe(409);

    const docs = make({ labelsMode: 'with-defaults' });
    const d = (await (await jit(docs, 'r', ['gpu'])).json()) as { runner: { labels: Array<{ name: string; type: string }> } };
    expect(d.runner.labels.map((l) => `${l.name}:${l.type}`)).toEqual(['self-hosted:read-only', 'macOS:read-only', 'ARM64:read-only', 'gpu:custom']);
  });

  it('a repo-scoped runner only sees its repo; an org runner sees all repos of its org', async () => {
    const gh = make({ repos: ['acme/app', 'acme/web'] });
    await jit(gh, 'repo-runner', ['self-hosted'], '/repos/acme/app');
    expect(((await (await call(gh, '/orgs/acme/actions/runners')).json()) as { total_count: number }).total_count).toBe(0);
    expect(((await (await call(gh, '/repos/acme/app/actions/runners')).json()) as { total_count: number }).total_count).toBe(1);
    const { runnerMatchesJob } = await import('./src');
    const [runner] = gh.runners();
    const { jobIds: [webJob] = [] } = gh.enqueueRun({ repo: 'acme/web', jobs: [{ name: 'w', labels: ['self-hosted'] }] });
    const { jobIds: [appJob] = [] } = gh.enqueueRun({ repo: 'acme/app', jobs: [{ name: 'a', labels: ['SELF-HOSTED'] }] });
    expect(runner && runnerMatchesJob(runner, gh.job(webJob ?? 0) ?? ({} as never))).toBe(false);
    expect(runner && runnerMatchesJob(runner, gh.job(appJob ?? 0) ?? ({} as never))).toBe(true);
  });

  it('headers: request id, rate limit, etag + 304 (not counted), API version 400', async () => {
    const gh = make();
    const first = await call(gh, '/orgs/acme/actions/runner-groups');
    expect(first.headers.get('x-github-request-id')).toMatch(/^[0-9A-F]{4}:[0-9A-F]{4}:/);
    expect(first.headers.get('x-github-media-type')).toBe('github.v3; format=json');
    const etag = first.headers.get('etag') ?? '';
    expect(etag).toMatch(/^W\/"[0-9a-f]{40}"$/);
    const used = Number(first.headers.get('x-ratelimit-used'));
    const conditional = await call(gh, '/orgs/acme/actions/runner-groups', { headers: { 'if-none-match': etag } });
    expect(conditional.status).toBe(304);
    expect(await conditional.text()).toBe('');
    expect(Number(conditional.headers.get('x-ratelimit-used'))).toBe(used);
    const version = await call(gh, '/orgs/acme/actions/runners', { headers: { 'x-github-api-version': '1999-01-01' } });
    expect(version.status).toBe(400);
    expect(version.headers.get('x-ratelimit-limit')).toBe('60');
    const unauthorized = await call(gh, '/orgs/acme/actions/runners', { headers: { authorization: 'token wrong' } });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('x-github-request-id')).not.toBeNull();
    expect(unauthorized.headers.get('x-ratelimit-remaining')).not.toBeNull();
    expect((await call(gh, '/orgs/acme/actions/runners', { headers: { 'x-github-api-version': '2022-11-28' } })).status).toBe(200);
    const unknown = await call(gh, '/no/such/route');
    expect([unknown.status, ((await unknown.json()) as { message: string }).message]).toEqual([404, 'Not Found']);
  });

  it('faults: 5xx before commit, latency, and secondary limits as 429 with retry-after or by points per minute', async () => {
    const gh = make({ secondaryRateLimit: { pointsPerMinute: 17, status: 429, retryAfterSeconds: 30 } });
    gh.faults.add({ method: 'POST', path: /generate-jitconfig$/, status: 503 });
    expect((await jit(gh, 'f', ['a'])).status).toBe(503);
    expect(gh.runners()).toHaveLength(0);
    gh.faults.add({ path: '/orgs/acme/actions/runner-groups', latencyMs: 150 });
    const t = Date.now();
    expect((await call(gh, '/orgs/acme/actions/runner-groups')).status).toBe(200);
    expect(Date.now() - t).toBeGreaterThanOrEqual(140);
    // 5 points per POST (the 503 counted too): the fourth POST to the same route in a minute exceeds 17.
    expect((await jit(gh, 'p1', ['a'])).status).toBe(201);
    expect((await jit(gh, 'p2', ['a'])).status).toBe(201);
    const limited = await jit(gh, 'p3', ['a']);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('30');
    expect(((await limited.json()) as { message: string }).message).toMatch(/^You have exceeded a secondary rate limit\./);
  });

  it('secondary limit on concurrency: more than maxConcurrent in-flight requests of one identity', async () => {
    const gh = make({ secondaryRateLimit: { maxConcurrent: 2 } });
    gh.faults.add({ path: '/orgs/acme/actions/runner-groups', latencyMs: 300, count: Infinity });
    const statuses = await Promise.all([1, 2, 3].map(async () => (await call(gh, '/orgs/acme/actions/runner-groups')).status));
    expect(statuses.sort()).toEqual([200, 200, 403]);
    // Once they finished, capacity is back.
    expect((await call(gh, '/orgs/acme/actions/runner-groups')).status).toBe(200);
  });

  it('jobs and runs reflect the lifecycle; list runs filters by status', async () => {
    const gh = make();
    const { runId, jobIds } = gh.enqueueRun({ jobs: [{ name: 'a', labels: ['x'] }, { name: 'b', labels: ['y'] }] });
    const queued = (await (await call(gh, '/repos/acme/app/actions/runs?status=queued')).json()) as { total_count: number; workflow_runs: Array<{ id: number; status: string }> };
    expect(queued.workflow_runs.map((r) => [r.id, r.status])).toEqual([[runId, 'queued']]);
    gh.cancelJob(jobIds[0] ?? 0);
    const job = (await (await call(gh, `/repos/acme/app/actions/jobs/${jobIds[0]}`)).json()) as { status: string; conclusion: string; completed_at: string; started_at: string };
    expect(job).toMatchObject({ status: 'completed', conclusion: 'cancelled' });
    expect(job.completed_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(((await (await call(gh, '/repos/acme/app/actions/runs?status=completed')).json()) as { total_count: number }).total_count).toBe(0);
    gh.cancelRun(runId);
    const done = (await (await call(gh, '/repos/acme/app/actions/runs?status=completed')).json()) as { workflow_runs: Array<{ conclusion: string }> };
    expect(done.workflow_runs.map((r) => r.conclusion)).toEqual(['cancelled']);
    expect((await call(gh, '/repos/acme/app/actions/runs?status=bogus')).status).toBe(422);
    expect((await call(gh, '/repos/acme/nope/actions/runs')).status).toBe(404);
  });

  it('a PAT limited to other orgs sees 404, not 403', async () => {
    const gh = make({ orgs: ['acme', 'initech'] });
    gh.addToken('initech-admin', 'milton', ['initech']);
    const own = await gh.app.request('http://127.0.0.1:7777/orgs/initech/actions/runners', { headers: { authorization: 'token initech-admin' } });
    expect(own.status).toBe(200);
    const other = await gh.app.request('http://127.0.0.1:7777/orgs/acme/actions/runners', { headers: { authorization: 'token initech-admin' } });
    expect([other.status, ((await other.json()) as { message: string }).message]).toEqual([404, 'Not Found']);
  });
});
