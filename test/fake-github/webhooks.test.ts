import { createHmac } from 'node:crypto';
import { sign, verify } from '@octokit/webhooks-methods';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeGitHub, type RunningFakeGitHub } from './src';
import { startReceiver } from './helpers/webhook-receiver';
import { waitFor } from './helpers/wait-for';
import { keysMissingFromRealExamples, validateWorkflowJob, validateWorkflowJobStrict, workflowJobExamples as examples } from './helpers/workflow-job-validator';

let fake: RunningFakeGitHub | undefined;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  for (const close of closers.splice(0)) await close();
});

describe('workflow_job validator', () => {
  it('accepts every workflow_job example of @octokit/webhooks-examples (not too strict)', () => {
    expect(examples.length).toBeGreaterThanOrEqual(8);
    // The only relaxation: keys one older real payload lacks. Our own payloads pass the strict schema.
    expect(keysMissingFromRealExamples).toEqual({
      'workflow-job': ['run_attempt', 'created_at', 'workflow_name', 'head_branch'],
      repository: ['is_template', 'web_commit_signoff_required', 'topics', 'visibility', 'custom_properties'],
    });
    for (const example of examples) expect(validateWorkflowJob(example), example.action).toEqual([]);
  });

  it('rejects a payload missing workflow_job (not too lax)', () => {
    const [example] = examples;
    const broken: Record<string, unknown> = { ...(example as object) };
    delete broken.workflow_job;
    expect(validateWorkflowJob(broken as { action: string }).length).toBeGreaterThan(0);
    const noId = structuredClone(example) as unknown as { action: string; workflow_job: Record<string, unknown> };
    delete noId.workflow_job.id;
    expect(validateWorkflowJob(noId)).toEqual(["/workflow_job must have required property 'id'"]);
  });
});

describe('signatures', () => {
  it("GitHub's published test vector signs and verifies", async () => {
    const expected = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    expect(await sign("It's a Secret to Everybody", 'Hello, World!')).toBe(expected);
    expect(await verify("It's a Secret to Everybody", 'Hello, World!', expected)).toBe(true);
    expect(await verify('wrong secret', 'Hello, World!', expected)).toBe(false);
  });
});

describe('webhook deliveries', () => {
  it('sends queued, waiting and completed (in_progress: runner-e2e test) with GitHub headers, valid bodies and signatures', async () => {
    const receiver = await startReceiver();
    closers.push(receiver.close);
    fake = await startFakeGitHub({ jitKeyBits: 1024 });
    const hookId = fake.addWebhook({ url: receiver.url, secret: 's3cret', org: 'acme' });
    const { jobIds } = fake.enqueueRun({ jobs: [{ name: 'gated', labels: ['self-hosted'], waiting: true }, { name: 'plain', labels: ['self-hosted'] }] });
    fake.approveJob(jobIds[0] ?? 0);
    fake.cancelRun(fake.job(jobIds[0] ?? 0)?.runId ?? 0);
    await fake.webhooks.idle();
    const actions = receiver.received.map((r) => `${(JSON.parse(r.body) as { action: string; workflow_job: { name: string } }).workflow_job.name}:${(JSON.parse(r.body) as { action: string }).action}`);
    expect(actions).toEqual(['gated:queued', 'gated:waiting', 'plain:queued', 'gated:queued', 'gated:completed', 'plain:completed']);
    for (const r of receiver.received) {
      expect(r.headers['x-github-event']).toBe('workflow_job');
      expect(r.headers['x-github-delivery']).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.headers['x-github-hook-id']).toBe(String(hookId));
      expect(r.headers['x-github-hook-installation-target-type']).toBe('organization');
      expect(r.headers['x-github-hook-installation-target-id']).toBe(String((JSON.parse(r.body) as { organization: { id: number } }).organization.id));
      expect(r.headers['user-agent']).toMatch(/^GitHub-Hookshot\//);
      expect(await verify('s3cret', r.body, String(r.headers['x-hub-signature-256']))).toBe(true);
      expect(r.headers['x-hub-signature']).toBe(`sha1=${createHmac('sha1', 's3cret').update(r.body).digest('hex')}`);
      expect(validateWorkflowJobStrict(JSON.parse(r.body) as { action: string })).toEqual([]);
    }
    const completed = JSON.parse(receiver.received[4]?.body ?? '{}') as { workflow_job: { conclusion: string; status: string } };
    expect(completed.workflow_job).toMatchObject({ status: 'completed', conclusion: 'cancelled' });
  });

  it('records a slow receiver as failed after the timeout and does not retry; redelivery keeps the GUID', async () => {
    let slow = true;
    const receiver = await startReceiver(() => (slow ? { status: 200, delayMs: 5_000 } : { status: 200 }));
    closers.push(receiver.close);
    fake = await startFakeGitHub({ webhookTimeoutMs: 300 });
    fake.addWebhook({ url: receiver.url, secret: 'x', repo: 'acme/app' });
    fake.enqueueRun({ jobs: [{ name: 'one', labels: ['a'] }] });
    await fake.webhooks.idle();
    const [failed] = fake.webhooks.deliveries();
    expect(failed?.status).toMatch(/timed out/);
    expect(fake.webhooks.deliveries()).toHaveLength(1);
    slow = false;
    const again = await fake.webhooks.redeliver(failed?.id ?? 0);
    expect(again).toMatchObject({ redelivery: true, guid: failed?.guid, statusCode: 200, status: 'OK' });
    expect(receiver.received.at(-1)?.headers['x-github-delivery']).toBe(failed?.guid);
  });

  it('records non-2xx answers as failed', async () => {
    const receiver = await startReceiver(() => ({ status: 500 }));
    closers.push(receiver.close);
    fake = await startFakeGitHub();
    fake.addWebhook({ url: receiver.url, org: 'acme' });
    fake.enqueueRun({ jobs: [{ name: 'one', labels: ['a'] }] });
    await fake.webhooks.idle();
    expect(fake.webhooks.deliveries().map((d) => [d.statusCode, d.status])).toEqual([[500, 'Invalid HTTP Response: 500']]);
  });

  it('injects drop, duplicate, delay and reorder', async () => {
    const receiver = await startReceiver();
    closers.push(receiver.close);
    fake = await startFakeGitHub();
    fake.addWebhook({ url: receiver.url, org: 'acme' });
    const names = (): string[] => receiver.received.map((r) => (JSON.parse(r.body) as { workflow_job: { name: string } }).workflow_job.name);

    fake.webhooks.inject({ kind: 'drop' });
    fake.enqueueRun({ jobs: [{ name: 'dropped', labels: ['a'] }] });
    await fake.webhooks.idle();
    expect(names()).toEqual([]);

    fake.webhooks.inject({ kind: 'duplicate' });
    fake.enqueueRun({ jobs: [{ name: 'twice', labels: ['a'] }] });
    await fake.webhooks.idle();
    expect(names()).toEqual(['twice', 'twice']);
    expect(receiver.received[0]?.headers['x-github-delivery']).toBe(receiver.received[1]?.headers['x-github-delivery']);

    fake.webhooks.inject({ kind: 'delay', delayMs: 2000 });
    fake.enqueueRun({ jobs: [{ name: 'late', labels: ['a'] }, { name: 'early', labels: ['a'] }] });
    await waitFor('the undelayed delivery', () => names().includes('early'));
    expect(names()).not.toContain('late');
    await fake.webhooks.idle();
    expect(names().slice(2)).toEqual(['early', 'late']);

    fake.webhooks.inject({ kind: 'reorder', count: 2 });
    fake.enqueueRun({ jobs: [{ name: 'first', labels: ['a'] }, { name: 'second', labels: ['a'] }] });
    await fake.webhooks.idle();
    await waitFor('both reordered deliveries', () => names().length === 6);
    expect(names().slice(4)).toEqual(['second', 'first']);
  });

  it('app webhooks carry the installation and validate', async () => {
    const receiver = await startReceiver();
    closers.push(receiver.close);
    const { makeAppKey } = await import('./helpers/app-key');
    fake = await startFakeGitHub({ apps: [{ id: 9, key: makeAppKey().privateKey, installations: [{ id: 55, account: 'acme' }] }] });
    fake.addWebhook({ url: receiver.url, appId: 9, secret: 'k' });
    fake.enqueueRun({ jobs: [{ name: 'j', labels: ['a'] }] });
    await fake.webhooks.idle();
    const payload = JSON.parse(receiver.received[0]?.body ?? '{}') as { action: string; installation: { id: number } };
    expect(payload.installation.id).toBe(55);
    expect(validateWorkflowJobStrict(payload)).toEqual([]);
    expect(receiver.received[0]?.headers['x-github-hook-installation-target-type']).toBe('integration');
  });
});
