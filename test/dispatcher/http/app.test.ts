import { describe, expect, it } from 'vitest';
import { DispatcherError } from '../../../dispatcher/src/errors';
import { parseWorkflowJob } from '../../../dispatcher/src/webhook';
import { OLD_SECRET, queuedPayload, setupApp, signedRequest, workflowJobExamples } from '../../helpers/dispatcher-harness';

describe('POST /webhook', () => {
  it('accepts a signed queued job, answers 202 and starts one runner after responding', async () => {
    const { gh, agent, app, dispatcher } = setupApp();
    gh.addJob(101, ['self-hosted', 'macOS']);
    const res = await app.request('/webhook', await signedRequest(queuedPayload(101, ['self-hosted', 'macOS'])));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ result: 'accepted' });
    await dispatcher.settled();
    expect(agent.started.map((s) => s.name)).toEqual(['tf-macos-j101a0']);
  });

  it('accepts the previous secret during rotation', async () => {
    const { gh, agent, app, dispatcher } = setupApp();
    gh.addJob(102, ['macos']);
    const res = await app.request('/webhook', await signedRequest(queuedPayload(102, ['macos']), { secret: OLD_SECRET }));
    expect(res.status).toBe(202);
    await dispatcher.settled();
    expect(agent.started).toHaveLength(1);
  });

  it('answers 401 to a missing or wrong signature and acts on nothing', async () => {
    const { gh, agent, app, dispatcher } = setupApp();
    gh.addJob(103, ['macos']);
    const body = queuedPayload(103, ['macos']);
    expect((await app.request('/webhook', await signedRequest(body, { secret: 'wrong' }))).status).toBe(401);
    expect((await app.request('/webhook', await signedRequest(body, { signature: 'sha256=' + '0'.repeat(64) }))).status).toBe(401);
    const unsigned = await signedRequest(body);
    delete (unsigned.headers as Record<string, string>)['x-hub-signature-256'];
    const res = await app.request('/webhook', unsigned);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'unauthorized' } });
    // A body changed after signing (re-serialized JSON) fails too.
    const tampered = await signedRequest(body);
    tampered.body = JSON.stringify(JSON.parse(body), null, 1);
    expect((await app.request('/webhook', tampered)).status).toBe(401);
    await dispatcher.settled();
    expect(agent.started).toHaveLength(0);
    expect(gh.calls).toEqual([]);
  });

  it('answers 400 to a signed but malformed body, naming the problem', async () => {
    const { app } = setupApp();
    const notJson = await app.request('/webhook', await signedRequest('{"action":'));
    expect(notJson.status).toBe(400);
    const wrongShape = await app.request('/webhook', await signedRequest(JSON.stringify({ action: 'queued', workflow_job: { id: 'x' } })));
    expect(wrongShape.status).toBe(400);
    expect(((await wrongShape.json()) as { error: { message: string } }).error.message).toMatch(/workflow_job/);
  });

  it('ignores other events with 202 and answers ping', async () => {
    const { app, gh } = setupApp();
    const body = JSON.stringify({ zen: 'hi' });
    expect((await app.request('/webhook', await signedRequest(body, { event: 'push' }))).status).toBe(202);
    expect((await app.request('/webhook', await signedRequest(body, { event: 'ping' }))).status).toBe(200);
    expect(gh.calls).toEqual([]);
  });

  it('leaves jobs whose labels no pool serves alone', async () => {
    const { gh, agent, app, dispatcher } = setupApp();
    gh.addJob(104, ['ubuntu-latest']);
    const res = await app.request('/webhook', await signedRequest(queuedPayload(104, ['ubuntu-latest'])));
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ result: 'unmatched' });
    await dispatcher.settled();
    expect(agent.started).toHaveLength(0);
    expect(gh.calls).toEqual([]);
  });

  it('starts nothing new for a repeated delivery id or a second queued for the same job', async () => {
    const { gh, agent, app, dispatcher } = setupApp({ total: 4 });
    gh.addJob(105, ['macos']);
    const body = queuedPayload(105, ['macos']);
    const first = await app.request('/webhook', await signedRequest(body, { delivery: 'd-1' }));
    const redelivery = await app.request('/webhook', await signedRequest(body, { delivery: 'd-1' }));
    const otherDelivery = await app.request('/webhook', await signedRequest(body, { delivery: 'd-2' }));
    expect([first.status, redelivery.status, otherDelivery.status]).toEqual([202, 200, 200]);
    expect(await redelivery.json()).toEqual({ result: 'duplicate' });
    await dispatcher.settled();
    expect(agent.started).toHaveLength(1);
  });

  it('lets GitHub reject a duplicate handled by another instance (409 on the same name)', async () => {
    const one = setupApp({ total: 4 });
    one.gh.addJob(106, ['macos']);
    const body = queuedPayload(106, ['macos']);
    await one.app.request('/webhook', await signedRequest(body));
    await one.dispatcher.settled();
    // Same GitHub, a second dispatcher instance with no memory of the first delivery.
    const two = setupApp({ total: 4 });
    two.gh.runners.set(1, { ...one.gh.byName('tf-macos-j106a0')!, id: 1 });
    two.gh.addJob(106, ['macos']);
    await two.app.request('/webhook', await signedRequest(body));
    await two.dispatcher.settled();
    expect(two.agent.started).toHaveLength(0);
    expect(two.gh.calls).toEqual(['mint tf-macos-j106a0']);
  });

  it('ignores a queued delivered after the job started (reordered) or no longer queued on GitHub', async () => {
    const { gh, agent, app, dispatcher } = setupApp();
    gh.addJob(107, ['macos'], 'in_progress');
    await app.request('/webhook', await signedRequest(queuedPayload(107, ['macos'], 'in_progress')));
    const late = await app.request('/webhook', await signedRequest(queuedPayload(107, ['macos'])));
    expect(late.status).toBe(200);
    gh.addJob(108, ['macos'], 'completed');
    await app.request('/webhook', await signedRequest(queuedPayload(108, ['macos'])));
    await dispatcher.settled();
    expect(agent.started).toHaveLength(0);
  });

  it('still starts a runner when the GitHub read budget is spent: minting comes first', async () => {
    const { gh, agent, app, dispatcher } = setupApp();
    gh.api.getJobStatus = () => Promise.reject(new DispatcherError('github_read_budget', 'reads held back', true));
    const res = await app.request('/webhook', await signedRequest(queuedPayload(110, ['macos'])));
    expect(res.status).toBe(202);
    await dispatcher.settled();
    expect(agent.started.map((s) => s.name)).toEqual(['tf-macos-j110a0']);
  });

  it('asks for a reconcile pass soon when no host has room, without reading the job from GitHub', async () => {
    const { gh, agent, app, dispatcher, kicks } = setupApp({ total: 0 });
    gh.addJob(109, ['macos']);
    let reads = 0;
    const read = gh.api.getJobStatus.bind(gh.api);
    gh.api.getJobStatus = (repo, id) => (reads++, read(repo, id));
    await app.request('/webhook', await signedRequest(queuedPayload(109, ['macos'])));
    await dispatcher.settled();
    expect(agent.started).toHaveLength(0);
    expect(gh.runners.size).toBe(0);
    expect(kicks()).toBe(1);
    // The job is only re-checked once a slot is held: a burst larger than the fleet costs no reads.
    expect(reads).toBe(0);
  });

  it('does the work before answering in inline mode (Lambda)', async () => {
    const { gh, agent, app } = setupApp({ inline: true });
    gh.addJob(110, ['macos']);
    await app.request('/webhook', await signedRequest(queuedPayload(110, ['macos'])));
    expect(agent.started).toHaveLength(1);
  });

  it('parses every workflow_job example GitHub published', () => {
    for (const example of workflowJobExamples()) expect(parseWorkflowJob(JSON.stringify(example)).ok).toBe(true);
  });
});

describe('GET /metrics, /healthz, /v1/fleet', () => {
  it('exposes webhook results, mint and placement durations and queue wait', async () => {
    const { gh, app, dispatcher } = setupApp();
    gh.addJob(201, ['macos']);
    await app.request('/webhook', await signedRequest(queuedPayload(201, ['macos'])));
    await app.request('/webhook', await signedRequest('{}', { secret: 'bad' }));
    const progress = JSON.parse(queuedPayload(201, ['macos'], 'in_progress')) as { workflow_job: Record<string, unknown> };
    progress.workflow_job.created_at = '2026-01-01T00:00:00Z';
    progress.workflow_job.started_at = '2026-01-01T00:00:07Z';
    await app.request('/webhook', await signedRequest(JSON.stringify(progress)));
    await dispatcher.settled();
    const text = await (await app.request('/metrics')).text();
    expect(text).toContain('dispatcher_webhooks_total{result="started"} 1');
    expect(text).toContain('dispatcher_webhooks_total{result="bad_signature"} 1');
    expect(text).toMatch(/dispatcher_jit_mint_duration_seconds_count\{pool="macos",outcome="ok"\} 1/);
    expect(text).toMatch(/dispatcher_placement_duration_seconds_count\{pool="macos",outcome="placed"\} 1/);
    expect(text).toContain('runner_queue_wait_seconds_sum{pool="macos"} 7');
    expect(text).toContain('dispatcher_github_rate_limit_remaining 4999');
    expect(text).not.toMatch(/j201|tf-macos/);
  });

  it('answers /healthz without auth and /v1/fleet only with the fleet token', async () => {
    const { app } = setupApp();
    expect((await app.request('/healthz')).status).toBe(200);
    expect((await app.request('/v1/fleet')).status).toBe(401);
    expect((await app.request('/v1/fleet', { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const res = await app.request('/v1/fleet', { headers: { authorization: 'Bearer fleet-token-0123456789' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { hosts: { host: string; info: { slots: { total: number } } }[] };
    expect(body.hosts[0]).toMatchObject({ host: 'http://127.0.0.1:1', info: { slots: { total: 2 } } });
  });
});
