import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestSigner } from '../../../core/agent-api/auth';
import { waitFor } from '../../../demo/src/proc';
import { createDurableDemand, type DurableObjectNamespaceLike } from '../../../dispatcher/src/demand/durable-demand';
import type { PendingJob } from '../../../dispatcher/src/demand/pending-demand';
import { startFakeGitHub, type RunningFakeGitHub } from '../../fake-github/src';
import { startStubAgentServer } from '../../fakes/stub-agent-server';
import { bundleWorker } from '../../helpers/bundle-worker';
import { queuedPayload, signedRequest, serverlessConfig } from '../../helpers/dispatcher-harness';

const AGENT_SECRET = 'agent-secret-0123456789abcdef0123456789';
const WEBHOOK_SECRET = 'workers-webhook-secret';
let dir: string;
let gh: RunningFakeGitHub;
let agent: Awaited<ReturnType<typeof startStubAgentServer>>;
let mf: Miniflare | undefined;

function start(): Miniflare {
  const config = serverlessConfig(gh.url, agent.url);
  return new Miniflare({
    modules: true,
    scriptPath: path.join(dir, 'worker.mjs'),
    modulesRoot: dir,
    compatibilityDate: '2025-09-01',
    bindings: { TARTFLEET_CONFIG: JSON.stringify(config), GH_TOKEN: 'test-token', WEBHOOK_SECRET, AGENT_SECRET },
    durableObjects: { PENDING_DEMAND: { className: 'PendingDemandObject', useSQLite: true } },
    durableObjectsPersist: path.join(dir, 'do'),
  });
}

async function demandOf(m: Miniflare) {
  return createDurableDemand((await m.getDurableObjectNamespace('PENDING_DEMAND')) as unknown as DurableObjectNamespaceLike, { maxEntries: 3 });
}

const job = (jobId: number, pool = 'macos', createdAt = 1_000 + jobId): PendingJob => ({ jobId, pool, repo: 'acme/app', runId: 7, labels: ['self-hosted', pool], createdAt });

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tf-workers-demand-'));
  // The deployed entry: it must export the Durable Object class wrangler.toml names.
  await bundleWorker(path.resolve(__dirname, '../../../deploy/workers/entry.ts'), path.join(dir, 'worker.mjs'));
  gh = await startFakeGitHub({ jitKeyBits: 1024 });
  agent = await startStubAgentServer({ secret: AGENT_SECRET, slots: 0, hostId: 'mini-1' });
}, 120_000);

afterAll(async () => {
  await mf?.dispose().catch(() => {});
  await agent?.close().catch(() => {});
  await gh?.close().catch(() => {});
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('pending demand in a Durable Object (miniflare)', () => {
  it('keeps the queue contract: oldest first per pool, idempotent, removable, capped', async () => {
    mf = start();
    const d = await demandOf(mf);
    expect(await d.add(job(3, 'macos', 300))).toEqual({ added: true, dropped: 0 });
    expect(await d.add(job(1, 'macos', 100))).toEqual({ added: true, dropped: 0 });
    expect(await d.add(job(1, 'xcode', 1))).toEqual({ added: false, dropped: 0 });
    expect(await d.add(job(2, 'xcode', 200))).toEqual({ added: true, dropped: 0 });
    expect(await d.oldest(['macos'], 10)).toEqual([job(1, 'macos', 100), job(3, 'macos', 300)]);
    expect(await d.counts()).toEqual({ macos: 2, xcode: 1 });
    expect(await d.add(job(4, 'macos', 400))).toEqual({ added: true, dropped: 1 });
    expect((await d.oldest(['macos', 'xcode'], 10)).map((j) => j.jobId)).toEqual([2, 3, 4]);
    expect(await d.remove(2)).toBe(true);
    expect(await d.remove(2)).toBe(false);
    for (const id of [3, 4]) await d.remove(id);
    expect(await d.counts()).toEqual({});
  });

  it('survives a restart: a job queued with no slot before it is started by a slot-free callback after', async () => {
    mf ??= start();
    const { jobIds } = gh.enqueueRun({ jobs: [{ name: 'a', labels: ['self-hosted', 'macos'] }] });
    const jobId = jobIds[0]!;
    const body = queuedPayload(jobId, ['self-hosted', 'macOS']);
    const res = await mf.dispatchFetch('http://dispatcher.example/webhook', await signedRequest(body, { secret: WEBHOOK_SECRET }));
    expect(res.status).toBe(202);
    await res.text();
    const before = await demandOf(mf);
    await waitFor('the job pending in the Durable Object', async () => (await before.counts()).macos === 1, 20_000);

    await mf.dispose();
    mf = start();
    expect((await (await demandOf(mf)).oldest(['macos'], 10)).map((j) => j.jobId)).toEqual([jobId]);

    agent.state.slots = 1;
    gh.requests.clear();
    const callback = JSON.stringify({ hostId: 'mini-1', free: 1, pools: ['macos'] });
    const headers = await createRequestSigner(AGENT_SECRET).sign({ hostId: 'tartfleet-dispatcher', method: 'POST', path: '/v1/slots/free', body: callback });
    const answer = await mf.dispatchFetch('http://dispatcher.example/v1/slots/free', { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: callback });
    expect(answer.status).toBe(202);
    expect(await answer.json()).toEqual({ placed: 1 });
    await waitFor('runner placed from the Durable Object queue', () => agent.started.some((s) => s.name === `tf-macos-j${jobId}a0`), 20_000);
    const after = await demandOf(mf);
    await waitFor('the job gone from the Durable Object', async () => (await after.counts()).macos === undefined, 20_000);
    // No listing of runs, jobs or runners (a fresh isolate resolves the org's runner group once, to mint).
    expect([...gh.requests.keys()].filter((k) => /^GET \S*\/(runs|jobs|runners)\b/.test(k))).toEqual([]);
  });
});
