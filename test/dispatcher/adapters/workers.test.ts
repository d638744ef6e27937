import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../demo/src/proc';
import { startFakeGitHub, type RunningFakeGitHub } from '../../fake-github/src';
import { startStubAgentServer } from '../../fakes/stub-agent-server';
import { queuedPayload, signedRequest, serverlessConfig } from '../../helpers/dispatcher-harness';
import { bundleWorker } from '../../helpers/bundle-worker';

const AGENT_SECRET = 'agent-secret-0123456789abcdef0123456789';
const WEBHOOK_SECRET = 'workers-webhook-secret';
const FLEET_TOKEN = 'workers-fleet-token-0123456789';
let dir: string;
let gh: RunningFakeGitHub;
let agent: Awaited<ReturnType<typeof startStubAgentServer>>;
let mf: Miniflare;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tf-workers-'));
  const script = path.join(dir, 'worker.mjs');
  await bundleWorker(path.resolve(__dirname, '../../../dispatcher/src/adapters/workers.ts'), script);
  gh = await startFakeGitHub({ jitKeyBits: 1024 });
  agent = await startStubAgentServer({ secret: AGENT_SECRET, slots: 4 });
  const config = { ...serverlessConfig(gh.url, agent.url), fleetToken: 'env:FLEET_TOKEN' };
  mf = new Miniflare({
    modules: true,
    scriptPath: script,
    modulesRoot: dir,
    compatibilityDate: '2025-09-01',
    bindings: { TARTFLEET_CONFIG: JSON.stringify(config), GH_TOKEN: 'test-token', WEBHOOK_SECRET, AGENT_SECRET, FLEET_TOKEN },
  });
  await mf.ready;
}, 120_000);

afterAll(async () => {
  // Each step on its own: a worker that failed to start must not keep the rest from cleaning up.
  await mf?.dispose().catch(() => {});
  await agent?.close().catch(() => {});
  await gh?.close().catch(() => {});
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Workers adapter inside workerd (miniflare)', () => {
  it('verifies, answers and starts the runner after responding (waitUntil)', async () => {
    const { jobIds } = gh.enqueueRun({ jobs: [{ name: 'a', labels: ['self-hosted', 'macos'] }] });
    const body = queuedPayload(jobIds[0]!, ['self-hosted', 'macos']);
    const bad = await mf.dispatchFetch('http://dispatcher.example/webhook', await signedRequest(body, { secret: 'wrong' }));
    expect(bad.status).toBe(401);
    await bad.text();
    const res = await mf.dispatchFetch('http://dispatcher.example/webhook', await signedRequest(body, { secret: WEBHOOK_SECRET }));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ result: 'accepted' });
    await waitFor('runner placed from the worker', () => agent.started.some((s) => s.name === `tf-macos-j${jobIds[0]}a0`), 20_000);
    expect(gh.runners().map((r) => r.name)).toContain(`tf-macos-j${jobIds[0]}a0`);
  });

  it('serves the status page behind the fleet token: login form, a Secure session cookie over https, the data', async () => {
    const anon = await mf.dispatchFetch('https://dispatcher.example/status');
    expect(anon.status).toBe(401);
    expect(anon.headers.get('cache-control')).toBe('no-store');
    expect(await anon.text()).toContain('action="/status/login"');
    const login = await mf.dispatchFetch('https://dispatcher.example/status/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://dispatcher.example' },
      body: new URLSearchParams({ token: FLEET_TOKEN }).toString(),
      redirect: 'manual',
    });
    expect(login.status).toBe(303);
    await login.text();
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const data = await mf.dispatchFetch('https://dispatcher.example/status/data', { headers: { cookie: cookie.split(';')[0] as string } });
    expect(data.status).toBe(200);
    const view = (await data.json()) as { hosts: { url: string; slots: { total: number } }[]; queue: { pool: string }[] };
    expect(view.hosts).toEqual([expect.objectContaining({ url: agent.url, slots: expect.objectContaining({ total: 4 }) })]);
    expect(view.queue.map((q) => q.pool)).toEqual(['macos']);
  });

  it('runs the reconciler on a cron trigger', async () => {
    // No webhook for this one: only the scheduled pass can find it.
    const { jobIds } = gh.enqueueRun({ jobs: [{ name: 'b', labels: ['macos'] }] });
    // miniflare's Fetcher type omits scheduled(); the runtime object has it.
    const worker = (await mf.getWorker()) as unknown as { scheduled(options: { cron: string }): Promise<unknown> };
    await worker.scheduled({ cron: '* * * * *' });
    await waitFor('runner placed by the scheduled reconcile', () => agent.started.some((s) => s.name === `tf-macos-j${jobIds[0]}a0`), 20_000);
  });

  it('answers /healthz and reports a missing config as a 500 with the shared error shape', async () => {
    expect((await mf.dispatchFetch('http://dispatcher.example/healthz')).status).toBe(200);
    const broken = new Miniflare({ modules: true, scriptPath: path.join(dir, 'worker.mjs'), modulesRoot: dir, compatibilityDate: '2025-09-01' });
    try {
      const res = await broken.dispatchFetch('http://dispatcher.example/healthz');
      expect(res.status).toBe(500);
      expect(await res.json()).toMatchObject({ error: { code: 'internal' } });
    } finally {
      await broken.dispose();
    }
  });
});
