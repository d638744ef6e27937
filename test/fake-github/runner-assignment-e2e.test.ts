import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runnerMatchesJob, startFakeGitHub, type RunningFakeGitHub } from './src';
import { killAllRunners, startRunner, type RunnerProcess } from './helpers/runner-process';
import { startReceiver } from './helpers/webhook-receiver';
import { waitFor } from './helpers/wait-for';
import { validateWorkflowJobStrict } from './helpers/workflow-job-validator';

let fake: RunningFakeGitHub;
let home: string;
const closers: Array<() => Promise<void>> = [];

beforeEach(async () => {
  home = mkdtempSync(path.join(os.tmpdir(), 'fgh-e2e-'));
  fake = await startFakeGitHub({ jitKeyBits: 1024 });
});
afterEach(async () => {
  await killAllRunners();
  await fake.close();
  for (const close of closers.splice(0)) await close();
  rmSync(home, { recursive: true, force: true });
});

async function mint(name: string, labels: string[]): Promise<{ id: number; config: string }> {
  const res = await fetch(`${fake.url}/orgs/acme/actions/runners/generate-jitconfig`, {
    method: 'POST',
    headers: { authorization: 'Bearer test-token', 'content-type': 'application/json' },
    body: JSON.stringify({ name, runner_group_id: 1, labels }),
  });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { runner: { id: number }; encoded_jit_config: string };
  return { id: body.runner.id, config: body.encoded_jit_config };
}

const LINE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z: /;

describe('JIT runners started by hand take jobs exactly by GitHub’s label rule', () => {
  it('20 jobs with mixed labels all complete on matching runners; a wrong-labels runner takes nothing', async () => {
    const receiver = await startReceiver();
    closers.push(receiver.close);
    fake.addWebhook({ url: receiver.url, secret: 'e2e', org: 'acme' });

    const jobLabelSets = [
      ['self-hosted', 'macOS'],
      ['self-hosted', 'macOS', 'ARM64'],
      ['self-hosted', 'xcode-16'],
      ['Self-Hosted', 'Linux'],
    ];
    const runnerLabelsFor = (job: string[]): string[] =>
      job.includes('xcode-16') ? ['self-hosted', 'macOS', 'ARM64', 'xcode-16'] : job.map((l) => l.toLowerCase()).includes('linux') ? ['self-hosted', 'linux', 'x64'] : ['self-hosted', 'macOS', 'ARM64'];
    const specs = Array.from({ length: 20 }, (_, i) => ({
      name: `job-${String(i).padStart(2, '0')}`,
      labels: jobLabelSets[i % jobLabelSets.length] ?? [],
      durationMs: 200 + (i % 3) * 100,
      result: i % 7 === 3 ? ('failure' as const) : ('success' as const),
    }));
    const { jobIds } = fake.enqueueRun({ jobs: specs });

    // The runner nobody's job asks for: online, idle, forever.
    const wrong = await mint('wrong-windows', ['self-hosted', 'windows']);
    const wrongProc = startRunner(wrong.config, { home });
    await waitFor('the wrong-labels runner to listen', () => wrongProc.stdout().includes('Listening for Jobs'));

    // Start one matching runner per queued job, round after round, like a reconciler would: GitHub does
    // not reserve jobs, so a broader runner may take a job another runner was started for.
    const procs = new Map<string, RunnerProcess>();
    const mintedLabels = new Map<string, string[]>();
    let n = 0;
    await waitFor('all 20 jobs to complete', async () => {
      const queued = fake.jobs().filter((j) => j.status === 'queued');
      // Runners registered but idle (or still starting) that could take one of the queued jobs. One
      // whose process has exited takes nothing any more (a reconciler sees its VM gone): it does not
      // count, or a runner that died under load would stall the loop until the deadline.
      const alive = (name: string) => {
        const child = procs.get(name)?.child;
        return child !== undefined && child.exitCode === null && child.signalCode === null;
      };
      const useful = fake.runners().filter((r) => r.jobId === null && !r.consumed && alive(r.name) && queued.some((j) => runnerMatchesJob(r, j))).length;
      if (useful === 0) {
        for (const job of queued) {
          const name = `mac-${n++}`;
          const labels = runnerLabelsFor(job.labels);
          mintedLabels.set(name, labels);
          const { config } = await mint(name, labels);
          procs.set(name, startRunner(config, { home }));
        }
      }
      return jobIds.every((id) => fake.job(id)?.status === 'completed');
    }, 120_000, 200);

    for (const [i, id] of jobIds.entries()) {
      const job = fake.job(id);
      expect(job?.status).toBe('completed');
      expect(job?.conclusion).toBe(specs[i]?.result);
      const runnerName = job?.runnerName ?? '';
      expect(runnerName).toMatch(/^mac-\d+$/);
      const proc = procs.get(runnerName);
      await proc?.exited;
      expect(proc?.stdout()).toContain(`Running job: ${job?.name}`);
      expect(proc?.stdout()).toContain(`Job ${job?.name} completed with result: ${specs[i]?.result === 'failure' ? 'Failed' : 'Succeeded'}`);
      expect(job?.startedAt).toBeGreaterThanOrEqual(job?.createdAt ?? Infinity);
      expect(job?.completedAt).toBeGreaterThanOrEqual(job?.startedAt ?? Infinity);
    }
    // Every runner that ran a job had labels ⊇ the job's labels (case-insensitive), per its registration.
    for (const id of jobIds) {
      const job = fake.job(id);
      const labels = new Set((mintedLabels.get(job?.runnerName ?? '') ?? []).map((l) => l.toLowerCase()));
      expect(job?.labels.every((l) => labels.has(l.toLowerCase())), `${job?.name} [${job?.labels.join(',')}] ran on ${job?.runnerName} [${[...labels].join(',')}]`).toBe(true);
    }
    for (const id of jobIds) {
      const job = fake.job(id);
      const ran = await fetch(`${fake.url}/repos/acme/app/actions/jobs/${id}`, { headers: { authorization: 'token test-token' } });
      expect(((await ran.json()) as { runner_name: string }).runner_name).toBe(job?.runnerName);
    }

    // Each JIT runner ran exactly one job and exited 0; the spent registrations are gone.
    const jobsPerRunner = new Map<string, number>();
    for (const id of jobIds) jobsPerRunner.set(fake.job(id)?.runnerName ?? '', (jobsPerRunner.get(fake.job(id)?.runnerName ?? '') ?? 0) + 1);
    expect([...jobsPerRunner.values()].every((c) => c === 1)).toBe(true);
    for (const name of jobsPerRunner.keys()) expect(await procs.get(name)?.exited).toBe(0);

    // The wrong-labels runner is still online, idle and has taken nothing.
    const list = await fetch(`${fake.url}/orgs/acme/actions/runners?name=wrong-windows`, { headers: { authorization: 'token test-token' } });
    const [w] = ((await list.json()) as { runners: Array<{ status: string; busy: boolean }> }).runners;
    expect(w).toMatchObject({ status: 'online', busy: false });
    expect(wrongProc.stdout()).not.toContain('Running job');
    expect(fake.jobs().some((j) => j.runnerName === 'wrong-windows')).toBe(false);

    // Webhooks: in_progress and completed for every job, all valid against the strict schema.
    await fake.webhooks.idle();
    const payloads = receiver.received.map((r) => JSON.parse(r.body) as { action: string; workflow_job: { id: number; runner_name: string | null } });
    for (const id of jobIds) {
      const actions = payloads.filter((p) => p.workflow_job.id === id).map((p) => p.action);
      expect(actions).toEqual(['queued', 'in_progress', 'completed']);
    }
    for (const p of payloads) expect(validateWorkflowJobStrict(p)).toEqual([]);
    expect(payloads.filter((p) => p.action === 'in_progress').every((p) => /^mac-\d+$/.test(p.workflow_job.runner_name ?? ''))).toBe(true);
  }, 180_000);

  it('a runner takes the oldest matching job first', async () => {
    const { jobIds: [older] = [] } = fake.enqueueRun({ jobs: [{ name: 'older', labels: ['self-hosted'], durationMs: 100 }] });
    const { jobIds: [newer] = [] } = fake.enqueueRun({ jobs: [{ name: 'newer', labels: ['SELF-HOSTED'], durationMs: 100 }] });
    const { config } = await mint('r', ['self-hosted']);
    const proc = startRunner(config, { home });
    expect(await proc.exited).toBe(0);
    expect(fake.job(older ?? 0)?.runnerName).toBe('r');
    expect(fake.job(newer ?? 0)?.status).toBe('queued');
    const lines = proc.stdout().split('\n');
    expect(lines.slice(0, 5)).toEqual(['', '√ Connected to GitHub', '', "Current runner version: '2.330.0'", expect.stringMatching(LINE)]);
    expect(lines[4]).toMatch(/Z: Listening for Jobs$/);
    expect(lines[5]).toMatch(new RegExp(`${LINE.source}Running job: older$`));
    expect(lines[6]).toMatch(new RegExp(`${LINE.source}Job older completed with result: Succeeded$`));
  });
});
