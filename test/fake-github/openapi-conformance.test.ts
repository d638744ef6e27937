import { createAppAuth } from '@octokit/auth-app';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeGitHub, type FakeGitHub } from './src';
import { makeAppKey } from './helpers/app-key';
import { createOpenApiValidator } from './helpers/openapi-validator';

// Every route the fake serves is called here and its body checked against GitHub's published schema
// for that status. The set of covered operations must equal the set extracted (nothing unchecked).
const validator = createOpenApiValidator();
const covered = new Set<string>();

let fake: FakeGitHub;
let appJwt: string;
let installationToken: string;
let hookId: number;

async function call(operation: string, path: string, init: { method?: string; token?: string; body?: unknown } = {}): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fake.app.request(`http://127.0.0.1:9${path}`, {
    method: init.method ?? operation.split(' ')[0]?.toUpperCase(),
    headers: { authorization: `Bearer ${init.token ?? 'test-token'}`, accept: 'application/vnd.github+json', 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  const body = text === '' ? undefined : (JSON.parse(text) as unknown);
  covered.add(operation);
  const problems = validator.validate(operation, res.status, body);
  expect(problems, `${operation} → ${res.status} ${text.slice(0, 300)}`).toEqual([]);
  return { status: res.status, body, headers: res.headers };
}

beforeAll(async () => {
  const key = makeAppKey();
  fake = createFakeGitHub({ jitKeyBits: 1024, apps: [{ id: 4242, key: key.privateKey, installations: [{ id: 77, account: 'acme' }] }] });
  hookId = fake.addWebhook({ url: 'http://127.0.0.1:9/unreachable', appId: 4242 });
  fake.enqueueRun({ jobs: [{ name: 'build', labels: ['self-hosted', 'macOS'] }, { name: 'test', labels: ['self-hosted'] }] });
  const auth = createAppAuth({ appId: 4242, privateKey: key.privateKey });
  appJwt = (await auth({ type: 'app' })).token;
  await fake.webhooks.idle();
});

afterAll(() => fake.close());

describe('fake GitHub responses match GitHub OpenAPI schemas', () => {
  it('generate-jitconfig: 201, 409, 422, 404, 403 (org and repo)', async () => {
    const created = await call('post /orgs/{org}/actions/runners/generate-jitconfig', '/orgs/acme/actions/runners/generate-jitconfig', { body: { name: 'r-1', runner_group_id: 1, labels: ['self-hosted', 'macOS'] } });
    expect(created.status).toBe(201);
    expect((await call('post /orgs/{org}/actions/runners/generate-jitconfig', '/orgs/acme/actions/runners/generate-jitconfig', { body: { name: 'r-1', runner_group_id: 1, labels: ['x'] } })).status).toBe(409);
    expect((await call('post /orgs/{org}/actions/runners/generate-jitconfig', '/orgs/acme/actions/runners/generate-jitconfig', { body: { name: 'r-2', runner_group_id: 1, labels: [] } })).status).toBe(422);
    expect((await call('post /orgs/{org}/actions/runners/generate-jitconfig', '/orgs/acme/actions/runners/generate-jitconfig', { body: { name: 'r-2', runner_group_id: 99999, labels: ['x'] } })).status).toBe(404);
    const repo = await call('post /repos/{owner}/{repo}/actions/runners/generate-jitconfig', '/repos/acme/app/actions/runners/generate-jitconfig', { body: { name: 'r-repo', runner_group_id: 1, labels: ['self-hosted'] } });
    expect(repo.status).toBe(201);
    // 403 for the hosted group is not in the description (observed live); its body is basic-error.
    const hosted = await fake.app.request('http://127.0.0.1:9/orgs/acme/actions/runners/generate-jitconfig', { method: 'POST', headers: { authorization: 'token test-token' }, body: JSON.stringify({ name: 'h', runner_group_id: 2, labels: ['x'] }) });
    expect(hosted.status).toBe(403);
    expect(await hosted.json()).toMatchObject({ message: 'GitHub hosted runner groups cannot be modified' });
  });

  it('runners: list, get, delete, tokens, groups (org and repo)', async () => {
    for (const [prefix, p] of [['/orgs/{org}', '/orgs/acme'], ['/repos/{owner}/{repo}', '/repos/acme/app']] as const) {
      const list = await call(`get ${prefix}/actions/runners`, `${p}/actions/runners?per_page=1`);
      const [first] = (list.body as { runners: Array<{ id: number }> }).runners;
      expect(first).toBeDefined();
      await call(`get ${prefix}/actions/runners/{runner_id}`, `${p}/actions/runners/${first?.id}`);
      expect((await call(`get ${prefix}/actions/runners/{runner_id}`, `${p}/actions/runners/424242`)).status).toBe(404);
      expect((await call(`delete ${prefix}/actions/runners/{runner_id}`, `${p}/actions/runners/${first?.id}`)).status).toBe(204);
      expect((await call(`post ${prefix}/actions/runners/registration-token`, `${p}/actions/runners/registration-token`)).status).toBe(201);
      expect((await call(`post ${prefix}/actions/runners/remove-token`, `${p}/actions/runners/remove-token`)).status).toBe(201);
    }
    await call('get /orgs/{org}/actions/runner-groups', '/orgs/acme/actions/runner-groups');
    await call('get /orgs/{org}/actions/runner-groups/{runner_group_id}/runners', '/orgs/acme/actions/runner-groups/1/runners');
  });

  it('workflow runs and jobs', async () => {
    const runs = await call('get /repos/{owner}/{repo}/actions/runs', '/repos/acme/app/actions/runs?status=queued');
    const run = (runs.body as { workflow_runs: Array<{ id: number }> }).workflow_runs[0];
    expect(run).toBeDefined();
    await call('get /repos/{owner}/{repo}/actions/runs/{run_id}', `/repos/acme/app/actions/runs/${run?.id}`);
    const jobs = await call('get /repos/{owner}/{repo}/actions/runs/{run_id}/jobs', `/repos/acme/app/actions/runs/${run?.id}/jobs`);
    const job = (jobs.body as { jobs: Array<{ id: number }> }).jobs[0];
    await call('get /repos/{owner}/{repo}/actions/jobs/{job_id}', `/repos/acme/app/actions/jobs/${job?.id}`);
    fake.cancelRun(run?.id ?? 0);
    await call('get /repos/{owner}/{repo}/actions/jobs/{job_id}', `/repos/acme/app/actions/jobs/${job?.id}`);
    await call('get /repos/{owner}/{repo}/actions/runs/{run_id}', `/repos/acme/app/actions/runs/${run?.id}`);
  });

  it('app, installation, token, repositories, deliveries, rate_limit', async () => {
    await call('get /app', '/app', { token: appJwt });
    await call('get /orgs/{org}/installation', '/orgs/acme/installation', { token: appJwt });
    await call('get /repos/{owner}/{repo}/installation', '/repos/acme/app/installation', { token: appJwt });
    const minted = await call('post /app/installations/{installation_id}/access_tokens', '/app/installations/77/access_tokens', { token: appJwt });
    installationToken = (minted.body as { token: string }).token;
    await call('get /installation/repositories', '/installation/repositories', { token: installationToken });
    const deliveries = await call('get /app/hook/deliveries', '/app/hook/deliveries', { token: appJwt });
    const first = (deliveries.body as Array<{ id: number }>)[0];
    expect(first).toBeDefined();
    await call('get /app/hook/deliveries/{delivery_id}', `/app/hook/deliveries/${first?.id}`, { token: appJwt });
    expect((await call('post /app/hook/deliveries/{delivery_id}/attempts', `/app/hook/deliveries/${first?.id}/attempts`, { token: appJwt })).status).toBe(202);
    await call('get /rate_limit', '/rate_limit');
    const orgHook = fake.addWebhook({ url: 'http://127.0.0.1:9/x', org: 'acme' });
    const repoHook = fake.addWebhook({ url: 'http://127.0.0.1:9/x', repo: 'acme/app' });
    fake.enqueueRun({ jobs: [{ name: 'for-hooks', labels: ['x'] }] });
    await fake.webhooks.idle();
    for (const [prefix, p, id] of [['/orgs/{org}', '/orgs/acme', orgHook], ['/repos/{owner}/{repo}', '/repos/acme/app', repoHook]] as const) {
      const list = await call(`get ${prefix}/hooks/{hook_id}/deliveries`, `${p}/hooks/${id}/deliveries`);
      const [d] = list.body as Array<{ id: number }>;
      expect(d).toBeDefined();
      await call(`get ${prefix}/hooks/{hook_id}/deliveries/{delivery_id}`, `${p}/hooks/${id}/deliveries/${d?.id}`);
      expect((await call(`post ${prefix}/hooks/{hook_id}/deliveries/{delivery_id}/attempts`, `${p}/hooks/${id}/deliveries/${d?.id}/attempts`)).status).toBe(202);
    }
    expect(hookId).toBeGreaterThan(0);
    await fake.webhooks.idle();
  });

  it('serves no REST route that is missing from the extracted description', () => {
    const shape = (p: string): string => p.replace(/:[A-Za-z]+(\{[^}]*\})?/g, '{}').replace(/\{[a-z_]+\}/g, '{}');
    const extracted = new Set(validator.operations.map((o) => `${o.split(' ')[0]} ${shape(o.split(' ')[1] ?? '')}`));
    const served = fake.app.routes
      .filter((r) => r.method !== 'ALL' && !r.path.startsWith('/_runner') && !r.path.startsWith('/_control'))
      .map((r) => `${r.method.toLowerCase()} ${shape(r.path)}`);
    expect(served.length).toBeGreaterThanOrEqual(extracted.size);
    expect([...new Set(served)].filter((r) => !extracted.has(r))).toEqual([]);
  });

  it('covers every extracted operation', () => {
    expect([...covered].sort()).toEqual([...validator.operations].sort());
  });
});
