import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createJobEngine, runnerMatchesJob } from './src/job-engine';
import { addRepo, createState } from './src/state';
import type { JobRecord, RunnerRecord } from './src/types';

const UNIVERSE = ['self-hosted', 'macOS', 'ARM64', 'xcode-16', 'gpu'];

function runner(id: number, labels: string[]): RunnerRecord {
  return {
    id, name: `r${id}`, scope: 'org:acme', labels, runnerGroupId: 1, ephemeral: true, os: 'macos', version: '2.330.0', clientId: `c${id}`,
    publicKeyPem: '', sessionId: 's', lastSeenAt: 0, polling: false, jobId: null, consumed: false, createdAt: 0,
  };
}

type Op = { kind: 'job'; labels: string[] } | { kind: 'runner'; labels: string[] } | { kind: 'finish' };

// Labels in random case: matching must ignore it.
const labelSet = fc.subarray(UNIVERSE, { minLength: 1 }).chain((ls) => fc.tuple(...ls.map((l) => fc.constantFrom(l, l.toUpperCase(), l.toLowerCase()))));
const op: fc.Arbitrary<Op> = fc.oneof(
  labelSet.map((labels) => ({ kind: 'job' as const, labels })),
  labelSet.map((labels) => ({ kind: 'runner' as const, labels })),
  fc.constant({ kind: 'finish' as const }),
);

describe('job engine: GitHub’s assignment rule', () => {
  it('assigns only to runners whose labels include all job labels, oldest job first, never leaving a match idle', async () => {
    await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
      let t = 0;
      const state = createState({ now: () => t });
      addRepo(state, 'acme/app');
      const engine = createJobEngine({ state, jobLostTimeoutMs: 60_000, onJobEvent: () => undefined });
      const assigned = new Map<number, string[]>(); // job id → labels of the runner that took it
      const polls: Array<Promise<void>> = [];
      let nextRunner = 1;
      const running: JobRecord[] = [];
      for (const o of ops) {
        t += 1000;
        if (o.kind === 'job') {
          engine.enqueueRun({ jobs: [{ name: `j${t}`, labels: o.labels }] });
        } else if (o.kind === 'runner') {
          const r = runner(nextRunner++, o.labels);
          state.runners.set(r.id, r);
          const queuedBefore = [...state.jobs.values()].filter((j) => j.status === 'queued' && runnerMatchesJob(r, j)).sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
          const p = engine.poll(r, 60_000).then((job) => {
            if (!job) return;
            expect(assigned.has(job.id)).toBe(false);
            assigned.set(job.id, [...r.labels]);
            running.push(job);
          });
          polls.push(p);
          await Promise.resolve();
          if (queuedBefore.length > 0) {
            await p;
            // A runner that polls while matching jobs are queued takes the oldest of them at once.
            expect(r.jobId).toBe(queuedBefore[0]?.id);
          }
        } else {
          const job = running.shift();
          const r = job && job.runnerId !== null ? state.runners.get(job.runnerId) : undefined;
          if (job && r) expect(engine.complete(r, job.id, 'success')).toBe(true);
        }
        await Promise.resolve();
        // Invariant 1: every assignment satisfies the label rule (case-insensitive).
        for (const [jobId, runnerLabels] of assigned) {
          const have = new Set(runnerLabels.map((l) => l.toLowerCase()));
          expect(state.jobs.get(jobId)?.labels.every((l) => have.has(l.toLowerCase()))).toBe(true);
        }
        // Invariant 2: no idle runner is waiting while a job it matches is queued.
        const queued = [...state.jobs.values()].filter((j) => j.status === 'queued');
        for (const r of state.runners.values()) {
          if (r.polling && r.jobId === null && !r.consumed) expect(queued.some((j) => runnerMatchesJob(r, j))).toBe(false);
        }
      }
      engine.close();
      await Promise.all(polls);
    }), { numRuns: 150 });
  });

  it('a waiting (environment-gated) job is not assignable until approved; a JIT runner takes one job only', async () => {
    const state = createState({ now: () => Date.now() });
    addRepo(state, 'acme/app');
    const events: string[] = [];
    const engine = createJobEngine({ state, jobLostTimeoutMs: 60_000, onJobEvent: (a, j) => events.push(`${j.name}:${a}`) });
    const [gated = 0, other = 0] = engine.enqueueRun({ jobs: [{ name: 'gated', labels: ['self-hosted'], waiting: true }, { name: 'other', labels: ['self-hosted'] }] }).jobIds;
    const r = runner(1, ['self-hosted']);
    state.runners.set(1, r);
    expect((await engine.poll(r, 10))?.id).toBe(other);
    engine.complete(r, other, 'success');
    expect(state.runners.has(1)).toBe(false);
    const r2 = runner(2, ['self-hosted']);
    state.runners.set(2, r2);
    expect(await engine.poll(r2, 20)).toBeNull();
    const pending = engine.poll(r2, 5000);
    engine.approve(gated);
    expect((await pending)?.id).toBe(gated);
    expect(await engine.poll(r2, 20)).toBeNull();
    expect(events).toEqual(['gated:queued', 'gated:waiting', 'other:queued', 'other:in_progress', 'other:completed', 'gated:queued', 'gated:in_progress']);
    engine.close();
  });
});
