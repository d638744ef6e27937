import { createHash } from 'node:crypto';
import { orgOfScope, type FakeState } from './state';
import type { JobRecord, JobResult, RunRecord, RunSpec, RunnerRecord } from './types';

/** The four `workflow_job` webhook actions. */
export type JobAction = 'queued' | 'waiting' | 'in_progress' | 'completed';

/** Collaborators and timings of the engine. */
export interface JobEngineOptions {
  state: FakeState;
  /** A busy runner that sends no heartbeat for this long loses its job (conclusion `failure`). */
  jobLostTimeoutMs: number;
  /** Called on every job transition, in order; the webhook sender subscribes here. */
  onJobEvent: (action: JobAction, job: JobRecord) => void;
}

interface Waiter {
  runner: RunnerRecord;
  resolve: (job: JobRecord | null) => void;
}

/** Runs the job side of the fake: queue, GitHub's assignment rule, heartbeats, completion, cancel. */
export interface JobEngine {
  enqueueRun(spec: RunSpec): RunRecord;
  /** Releases an environment-gated (`waiting`) job into the queue. */
  approve(jobId: number): void;
  cancelJob(jobId: number): void;
  cancelRun(runId: number): void;
  /** Long poll of a connected runner: resolves with its assigned job, or null after `timeoutMs`/abort. */
  poll(runner: RunnerRecord, timeoutMs: number, signal?: AbortSignal): Promise<JobRecord | null>;
  /** Job lock renewal from the runner; tells it whether the job was cancelled. */
  heartbeat(runner: RunnerRecord, jobId: number): { cancelRequested: boolean } | undefined;
  /** The runner reports the end of its job. */
  complete(runner: RunnerRecord, jobId: number, result: JobResult): boolean;
  /** After a state restore: queue the still-queued jobs (oldest first) and watch the running ones. */
  resume(queuedIds: number[]): void;
  /** A runner registration was deleted: stop waiting for it. */
  forgetRunner(runnerId: number): void;
  close(): void;
}

const lower = (labels: string[]): string[] => labels.map((l) => l.toLowerCase());

/** True when `runner` may take `job` under GitHub's rule: same scope and job labels ⊆ runner labels, case-insensitive. */
export function runnerMatchesJob(runner: RunnerRecord, job: JobRecord): boolean {
  const scope = runner.scope.slice(runner.scope.indexOf(':') + 1);
  const inScope = runner.scope.startsWith('org:') ? orgOfScope(`repo:${job.repo}`) === scope : job.repo === scope;
  if (!inScope) return false;
  const have = new Set(lower(runner.labels));
  return lower(job.labels).every((l) => have.has(l));
}

const lostMessage = (name: string): string =>
  `The self-hosted runner: ${name} lost communication with the server. Verify the machine is running and has a healthy network connection. Anything in your workflow that terminates the runner process, starves it for CPU/Memory, or blocks its network access can cause this error.`;

/** Creates the engine over `state`. */
export function createJobEngine(options: JobEngineOptions): JobEngine {
  const { state, onJobEvent } = options;
  const queue: number[] = []; // queued job ids, oldest first
  const waiters: Waiter[] = [];
  const lostTimers = new Map<number, NodeJS.Timeout>();
  const now = (): number => state.clock.now();

  const armLostTimer = (job: JobRecord): void => {
    clearTimeout(lostTimers.get(job.id));
    const timer = setTimeout(() => {
      lostTimers.delete(job.id);
      const runner = job.runnerId === null ? undefined : state.runners.get(job.runnerId);
      finish(job, job.cancelRequested ? 'cancelled' : 'failure', lostMessage(job.runnerName ?? 'unknown'));
      if (runner?.ephemeral) removeRunner(runner);
    }, options.jobLostTimeoutMs);
    timer.unref();
    lostTimers.set(job.id, timer);
  };

  const removeRunner = (runner: RunnerRecord): void => {
    state.runners.delete(runner.id);
    engine.forgetRunner(runner.id);
  };

  const assign = (job: JobRecord, runner: RunnerRecord): void => {
    const queuedAt = queue.indexOf(job.id);
    if (queuedAt >= 0) queue.splice(queuedAt, 1);
    const group = state.groups.get(runner.runnerGroupId);
    job.status = 'in_progress';
    job.startedAt = now();
    job.runnerId = runner.id;
    job.runnerName = runner.name;
    job.runnerGroupId = runner.runnerGroupId;
    job.runnerGroupName = group?.name ?? null;
    runner.jobId = job.id;
    if (runner.ephemeral) runner.consumed = true;
    armLostTimer(job);
    onJobEvent('in_progress', job);
  };

  const finish = (job: JobRecord, conclusion: string, reason: string | null = null): void => {
    clearTimeout(lostTimers.get(job.id));
    lostTimers.delete(job.id);
    const queuedAt = queue.indexOf(job.id);
    if (queuedAt >= 0) queue.splice(queuedAt, 1);
    job.status = 'completed';
    job.conclusion = conclusion;
    job.completedAt = now();
    job.failureReason = reason;
    if (job.startedAt === null) job.startedAt = job.completedAt;
    const runner = job.runnerId === null ? undefined : state.runners.get(job.runnerId);
    if (runner && runner.jobId === job.id) runner.jobId = null;
    const run = state.runs.get(job.runId);
    if (run) run.updatedAt = job.completedAt;
    onJobEvent('completed', job);
  };

  /** Hands a newly queued job to the longest-waiting idle runner that matches it. */
  const offer = (job: JobRecord): void => {
    const index = waiters.findIndex((w) => runnerMatchesJob(w.runner, job));
    if (index < 0) return;
    const [waiter] = waiters.splice(index, 1);
    if (!waiter) return;
    assign(job, waiter.runner);
    waiter.resolve(job);
  };

  const engine: JobEngine = {
    enqueueRun(spec) {
      const repo = spec.repo ?? 'acme/app';
      if (!state.repos.has(repo)) throw new Error(`enqueueRun: unknown repo '${repo}', expected one of ${[...state.repos.keys()].join(', ')}`);
      if (spec.jobs.length === 0) throw new Error('enqueueRun: a run needs at least one job, got 0');
      const t = now();
      const run: RunRecord = {
        id: state.nextId(), repo, workflowName: spec.workflowName ?? 'CI', headBranch: spec.headBranch ?? 'main',
        headSha: '', event: spec.event ?? 'push', runAttempt: 1, createdAt: t, updatedAt: t, jobIds: [],
      };
      run.headSha = createHash('sha1').update(`${run.id}`).digest('hex');
      state.runs.set(run.id, run);
      for (const js of spec.jobs) {
        if (js.labels.length === 0) throw new Error(`enqueueRun: job '${js.name}' needs at least one label, got []`);
        const job: JobRecord = {
          id: state.nextId(), runId: run.id, runAttempt: 1, repo, workflowName: run.workflowName, headBranch: run.headBranch,
          headSha: run.headSha, name: js.name, labels: [...js.labels], durationMs: js.durationMs ?? 1000, result: js.result ?? 'success',
          script: js.script, status: js.waiting ? 'waiting' : 'queued', conclusion: null, createdAt: t, startedAt: null,
          completedAt: null, runnerId: null, runnerName: null, runnerGroupId: null, runnerGroupName: null, cancelRequested: false,
          failureReason: null,
        };
        state.jobs.set(job.id, job);
        run.jobIds.push(job.id);
        onJobEvent('queued', job);
        if (js.waiting) {
          onJobEvent('waiting', job);
        } else {
          queue.push(job.id);
          offer(job);
        }
      }
      return run;
    },

    approve(jobId) {
      const job = state.jobs.get(jobId);
      if (!job || job.status !== 'waiting') throw new Error(`approve: job ${jobId} must be waiting, got ${job?.status ?? 'no such job'}`);
      job.status = 'queued';
      onJobEvent('queued', job);
      queue.push(job.id);
      offer(job);
    },

    cancelJob(jobId) {
      const job = state.jobs.get(jobId);
      if (!job) throw new Error(`cancelJob: no job ${jobId}`);
      if (job.status === 'completed') return;
      if (job.status === 'in_progress') {
        job.cancelRequested = true;
        return;
      }
      finish(job, 'cancelled');
    },

    cancelRun(runId) {
      const run = state.runs.get(runId);
      if (!run) throw new Error(`cancelRun: no run ${runId}`);
      for (const id of run.jobIds) engine.cancelJob(id);
    },

    poll(runner, timeoutMs, signal) {
      if (runner.jobId === null && !runner.consumed) {
        for (const id of queue) {
          const job = state.jobs.get(id);
          if (job && runnerMatchesJob(runner, job)) {
            assign(job, runner);
            return Promise.resolve(job);
          }
        }
      }
      return new Promise((resolve) => {
        runner.polling = true;
        const done = (job: JobRecord | null): void => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          runner.polling = false;
          runner.lastSeenAt = now();
          resolve(job);
        };
        const waiter: Waiter = { runner, resolve: done };
        const onAbort = (): void => {
          const i = waiters.indexOf(waiter);
          if (i >= 0) waiters.splice(i, 1);
          done(null);
        };
        const timer = setTimeout(onAbort, timeoutMs);
        signal?.addEventListener('abort', onAbort);
        // A busy or spent runner keeps its connection open but is never offered work.
        if (runner.jobId === null && !runner.consumed) waiters.push(waiter);
      });
    },

    heartbeat(runner, jobId) {
      const job = state.jobs.get(jobId);
      if (!job || job.runnerId !== runner.id || job.status !== 'in_progress') return undefined;
      runner.lastSeenAt = now();
      armLostTimer(job);
      return { cancelRequested: job.cancelRequested };
    },

    complete(runner, jobId, result) {
      const job = state.jobs.get(jobId);
      if (!job || job.runnerId !== runner.id || job.status !== 'in_progress') return false;
      runner.lastSeenAt = now();
      finish(job, job.cancelRequested ? 'cancelled' : result);
      if (runner.ephemeral) removeRunner(runner);
      return true;
    },

    resume(queuedIds) {
      for (const id of queuedIds) if (!queue.includes(id)) queue.push(id);
      for (const job of state.jobs.values()) if (job.status === 'in_progress') armLostTimer(job);
    },

    forgetRunner(runnerId) {
      for (let i = waiters.length - 1; i >= 0; i--) {
        const w = waiters[i];
        if (w && w.runner.id === runnerId) {
          waiters.splice(i, 1);
          w.resolve(null);
        }
      }
    },

    close() {
      for (const t of lostTimers.values()) clearTimeout(t);
      lostTimers.clear();
      for (const w of waiters.splice(0)) w.resolve(null);
    },
  };
  return engine;
}
