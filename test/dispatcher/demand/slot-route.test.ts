import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestSigner } from '../../../core/agent-api/auth';
import { silentLogger } from '../../../core/logger';
import { waitFor } from '../../../demo/src/proc';
import { startNodeDispatcher, type NodeDispatcher } from '../../../dispatcher/src/adapters/node';
import { parseConfig } from '../../../dispatcher/src/config';
import { startFakeGitHub, type RunningFakeGitHub } from '../../fake-github/src';
import { startStubAgentServer } from '../../fakes/stub-agent-server';
import { queuedPayload, signedRequest, WEBHOOK_SECRET } from '../../helpers/dispatcher-harness';

const SECRETS = ['agent-secret-one-0123456789abcdef0123', 'agent-secret-two-0123456789abcdef0123'];
const TEN_MINUTES = 600_000;
let dir: string;
let gh: RunningFakeGitHub;
let agents: Awaited<ReturnType<typeof startStubAgentServer>>[];
let node: NodeDispatcher;
let passes = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tf-slot-route-'));
  gh = await startFakeGitHub({ jitKeyBits: 1024 });
  // Both hosts full: a queued job finds no slot.
  agents = await Promise.all(SECRETS.map((secret, i) => startStubAgentServer({ secret, slots: 0, hostId: `mini-${i + 1}` })));
  const config = parseConfig({
    github: { apiUrl: gh.url, auth: { token: 'test-token' }, repo: 'acme/app' },
    webhook: { secrets: [WEBHOOK_SECRET] },
    pools: [{ name: 'macos', labels: ['macOS', 'arm64'], image: 'img', hosts: agents.map((a, i) => ({ url: a.url, secret: SECRETS[i] })) }],
    // No reconcile pass after the first: only the callback can start the job.
    reconcile: { intervalMs: TEN_MINUTES, busyIntervalMs: TEN_MINUTES, webhookIntervalMs: TEN_MINUTES },
    demand: { sqlitePath: path.join(dir, 'state', 'pending-demand.sqlite') },
    listen: { port: 0 },
  });
  node = await startNodeDispatcher({ config, logger: silentLogger, onReconcile: () => void passes++ });
  await waitFor('the start-up reconcile pass', () => passes >= 1, 20_000);
}, 60_000);

afterAll(async () => {
  await node?.close().catch(() => {});
  for (const a of agents ?? []) await a.close().catch(() => {});
  await gh?.close().catch(() => {});
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function callback(body: string, options: { secret?: string; hostId?: string; headers?: Record<string, string> } = {}): Promise<Response> {
  const signed = options.secret === undefined && options.headers ? {} : await createRequestSigner(options.secret ?? SECRETS[1]!).sign({ hostId: options.hostId ?? 'tartfleet-dispatcher', method: 'POST', path: '/v1/slots/free', body });
  return fetch(`${node.url}/v1/slots/free`, { method: 'POST', headers: { 'content-type': 'application/json', ...signed, ...options.headers }, body });
}

async function pending(): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  return Number(/^dispatcher_pending_demand\{pool="macos"\} (\d+)$/m.exec(text)?.[1] ?? NaN);
}

async function queueJobWithNoSlot(): Promise<number> {
  const { jobIds } = gh.enqueueRun({ jobs: [{ name: 'build', labels: ['self-hosted', 'macos'] }] });
  const jobId = jobIds[0]!;
  const res = await fetch(`${node.url}/webhook`, await signedRequest(queuedPayload(jobId, ['self-hosted', 'macOS'])));
  expect(res.status).toBe(202);
  await waitFor('the job in pending demand', async () => (await pending()) >= 1, 10_000);
  return jobId;
}

describe('POST /v1/slots/free (Node adapter, fake GitHub, stub agents)', () => {
  it('refuses an unsigned, a wrongly signed, a replayed or an oversized callback, and a bad body naming the field', async () => {
    const body = JSON.stringify({ hostId: 'mini-2', free: 1, pools: ['macos'] });
    const unsigned = await fetch(`${node.url}/v1/slots/free`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(unsigned.status).toBe(401);
    expect(((await unsigned.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'unauthorized', message: expect.stringMatching(/missing X-Tartfleet-Signature/) });
    const wrong = await callback(body, { secret: 'not-any-host-secret-0123456789abcdef' });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { message: string } }).error.message).toMatch(/bad-signature/);
    // Signed for an agent's hostId instead of the dispatcher's.
    expect((await callback(body, { hostId: 'mini-2' })).status).toBe(401);
    const headers = await createRequestSigner(SECRETS[1]!).sign({ hostId: 'tartfleet-dispatcher', method: 'POST', path: '/v1/slots/free', body });
    const once = await fetch(`${node.url}/v1/slots/free`, { method: 'POST', headers, body });
    expect(once.status).toBe(202);
    const replay = await fetch(`${node.url}/v1/slots/free`, { method: 'POST', headers, body });
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { error: { message: string } }).error.message).toMatch(/replayed/);

    const big = JSON.stringify({ hostId: 'mini-2', free: 1, pools: ['macos'], pad: 'x'.repeat(5000) });
    const tooBig = await callback(big);
    expect(tooBig.status).toBe(413);
    expect(((await tooBig.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');

    for (const [bad, field, got] of [
      [{ hostId: 'mini-2', free: 65, pools: ['macos'] }, 'free', '65'],
      [{ hostId: 'mini-2', free: 1.5, pools: ['macos'] }, 'free', '1.5'],
      [{ hostId: 'mini-2', free: 1, pools: 'macos' }, 'pools', "'macos'"],
      [{ hostId: 'mini-2', free: 1, pools: ['Mac OS'] }, 'pools.0', "'Mac OS'"],
      [{ hostId: 'mini-2', free: 1, pools: Array.from({ length: 65 }, (_, i) => `p${i}`) }, 'pools', 'an array of 65'],
      [{ hostId: '-bad', free: 1, pools: [] }, 'hostId', "'-bad'"],
      [{ free: 1, pools: [] }, 'hostId', 'nothing'],
    ] as const) {
      const res = await callback(JSON.stringify(bad));
      expect(res.status, JSON.stringify(bad)).toBe(400);
      const message = ((await res.json()) as { error: { message: string } }).error.message;
      expect(message.startsWith(`${field}: `), message).toBe(true);
      expect(message).toContain(`got ${got}`);
    }
    const notJson = await callback('{"hostId":');
    expect(notJson.status).toBe(400);
  });

  it('starts a pending job on the calling host within a second of its callback, with no GitHub listing', async () => {
    const jobId = await queueJobWithNoSlot();
    expect(agents.flatMap((a) => a.started)).toHaveLength(0);
    const passesBefore = passes;
    gh.requests.clear();
    // Both hosts have room now, mini-1 more than mini-2 (normal placement would pick it): the one
    // that called back gets the job.
    agents[0]!.state.slots = 2;
    agents[1]!.state.slots = 1;
    const t0 = performance.now();
    const res = await callback(JSON.stringify({ hostId: 'mini-2', free: 1, pools: ['macos', 'linux'] }));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ placed: 1 });
    await waitFor('runner started on mini-2', () => agents[1]!.started.length === 1, 5_000);
    const latencyMs = performance.now() - t0;
    console.log(`refill latency: ${latencyMs.toFixed(1)} ms`);
    expect(latencyMs).toBeLessThan(1_000);
    expect(agents[1]!.started[0]!.name).toBe(`tf-macos-j${jobId}a0`);
    expect(agents[0]!.started).toHaveLength(0);
    await node.dispatcher.settled();
    // The drain minted one runner and listed nothing.
    const calls = [...gh.requests.keys()];
    expect(calls.filter((k) => k.startsWith('GET '))).toEqual([]);
    expect(calls.every((k) => k.includes('generate-jitconfig'))).toBe(true);
    expect(passes).toBe(passesBefore);
    expect(await pending()).toBe(0);
    // Nothing left to place: a second callback takes nothing.
    expect(await (await callback(JSON.stringify({ hostId: 'mini-2', free: 1, pools: ['macos'] }))).json()).toEqual({ placed: 0 });
  });

  it('keeps a job that again finds no slot, and forgets one that started', async () => {
    for (const a of agents) a.state.slots = a.started.length;
    const jobId = await queueJobWithNoSlot();
    // A callback whose slot is gone by the time the runner is placed: the job stays pending.
    const res = await callback(JSON.stringify({ hostId: 'mini-1', free: 1, pools: ['macos'] }), { secret: SECRETS[0] });
    expect(await res.json()).toEqual({ placed: 1 });
    await node.dispatcher.settled();
    expect(await pending()).toBe(1);
    // It started anyway (a runner elsewhere took it): the in_progress webhook removes it.
    await fetch(`${node.url}/webhook`, await signedRequest(queuedPayload(jobId, ['self-hosted', 'macOS'], 'in_progress')));
    await node.dispatcher.settled();
    await waitFor('the job gone from pending demand', async () => (await pending()) === 0, 5_000);
  });

  it("puts a job back when its runner took another job, under the next attempt's name; not when the swap completes", async () => {
    for (const a of agents) a.state.slots = a.started.length;
    // Job X and Y queued; Y's runner (tf-macos-jYa0) takes X, as GitHub gives any idle matching runner
    // the oldest queued job.
    const { jobIds: [x = 0, y = 0, z = 0] = [] } = gh.enqueueRun({ jobs: [1, 2, 3].map((i) => ({ name: `job-${i}`, labels: ['self-hosted', 'macos'] })) });
    const took = (job: number, runner: string): string => {
      const payload = JSON.parse(queuedPayload(job, ['self-hosted', 'macOS'], 'in_progress')) as { workflow_job: Record<string, unknown> };
      payload.workflow_job.runner_name = runner;
      return JSON.stringify(payload);
    };
    expect((await fetch(`${node.url}/webhook`, await signedRequest(took(x, `tf-macos-j${y}a0`)))).status).toBe(202);
    await node.dispatcher.settled();
    expect(await pending()).toBe(1);
    // A callback starts Y under attempt 1: attempt 0's name is the runner busy with X.
    agents[0]!.state.slots = agents[0]!.started.length + 1;
    expect(await (await callback(JSON.stringify({ hostId: 'mini-1', free: 1, pools: ['macos'] }), { secret: SECRETS[0] })).json()).toEqual({ placed: 1 });
    await node.dispatcher.settled();
    expect(agents[0]!.started.at(-1)!.name).toBe(`tf-macos-j${y}a1`);
    expect(await pending()).toBe(0);

    // A swap that completes within the settle time (Z's runner takes Y... and Y's took Z) adds nothing.
    await fetch(`${node.url}/webhook`, await signedRequest(took(z, `tf-macos-j${y}a1`)));
    await fetch(`${node.url}/webhook`, await signedRequest(took(y, `tf-macos-j${z}a0`)));
    await node.dispatcher.settled();
    expect(await pending()).toBe(0);
  });
});
