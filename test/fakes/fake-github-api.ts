import { DispatcherError } from '../../dispatcher/src/errors';
import type { GitHubApi, GitHubRunner, QueuedJob } from '../../dispatcher/src/github/github-api';

/** In-memory GitHubApi with GitHub's naming rules (409 on a taken name) and injectable failures. */
export function createFakeGitHubApi() {
  let nextId = 100;
  const runners = new Map<number, GitHubRunner & { labels: string[] }>();
  const jobs: (QueuedJob & { status: string })[] = [];
  const calls: string[] = [];
  /** Errors thrown by the next generateJitConfig calls, in order. */
  const mintFailures: { error: DispatcherError; createAnyway: boolean }[] = [];
  const api: GitHubApi = {
    async generateJitConfig({ name, labels }) {
      calls.push(`mint ${name}`);
      if ([...runners.values()].some((r) => r.name === name)) {
        throw new DispatcherError('github_conflict', `Already exists - A runner with the name ${name} already exists.`, false, 409);
      }
      const failure = mintFailures.shift();
      if (failure) {
        if (failure.createAnyway) runners.set(nextId, { id: nextId++, name, status: 'offline', busy: false, labels });
        throw failure.error;
      }
      const id = nextId++;
      runners.set(id, { id, name, status: 'offline', busy: false, labels });
      return { runnerId: id, encodedJitConfig: Buffer.from(`jit-${name}`).toString('base64') };
    },
    async deleteRunner(id) {
      calls.push(`delete ${id}`);
      const r = runners.get(id);
      if (!r) return 'gone';
      if (r.busy) return 'busy';
      runners.delete(id);
      return 'deleted';
    },
    async findRunnerByName(name) {
      return [...runners.values()].find((r) => r.name === name);
    },
    async listRunners() {
      return [...runners.values()].map(({ id, name, status, busy }) => ({ id, name, status, busy }));
    },
    async listQueuedJobs() {
      return jobs.filter((j) => j.status === 'queued').map(({ status: _s, ...j }) => j);
    },
    async getJobStatus(_repo, id) {
      return jobs.find((j) => j.id === id)?.status;
    },
    rateLimitRemaining: () => 4999,
  };
  return {
    api,
    runners,
    jobs,
    calls,
    mintFailures,
    addJob(id: number, labels: string[], status = 'queued') {
      jobs.push({ id, runId: id * 10, repo: 'acme/app', labels, createdAt: new Date(1_700_000_000_000 + id * 1000).toISOString(), status });
    },
    byName(name: string) {
      return [...runners.values()].find((r) => r.name === name);
    },
  };
}
