/** The few GitHub REST calls the baselines make, as plain requests with the fleet's one token. */
import { GITHUB_ORIGIN, GITHUB_TOKEN, ORG, REPO } from './bench-github';

export interface GitHubRest {
  /** Queued jobs (ids) found by listing runs (queued and in progress) and then jobs per run, until `enough`. */
  queuedJobs(enough: number): Promise<number[] | 'throttled'>;
  /** A JIT registration: its id and config, or why not. */
  mint(name: string, labels: string[]): Promise<{ runnerId: number; jitConfig: string } | 'throttled' | 'taken'>;
  deleteRunner(runnerId: number): Promise<void>;
}

const throttledStatus = (status: number): boolean => status === 403 || status === 429;

export function createGitHubRest(fetch: typeof globalThis.fetch): GitHubRest {
  const headers = { authorization: `token ${GITHUB_TOKEN}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' };
  const get = (path: string): Promise<Response> => fetch(`${GITHUB_ORIGIN}${path}`, { headers });
  return {
    async queuedJobs(enough) {
      const found: number[] = [];
      for (const status of ['queued', 'in_progress']) {
        const runsRes = await get(`/repos/${REPO}/actions/runs?status=${status}&per_page=100`);
        if (throttledStatus(runsRes.status)) return 'throttled';
        const { workflow_runs: runs } = (await runsRes.json()) as { workflow_runs: { id: number }[] };
        // GitHub lists newest first; the oldest runs wait longest.
        for (const run of runs.reverse()) {
          const jobsRes = await get(`/repos/${REPO}/actions/runs/${run.id}/jobs?per_page=100`);
          if (throttledStatus(jobsRes.status)) return 'throttled';
          const { jobs } = (await jobsRes.json()) as { jobs: { id: number; status: string }[] };
          found.push(...jobs.filter((j) => j.status === 'queued').map((j) => j.id));
          if (found.length >= enough) return found;
        }
      }
      return found;
    },
    async mint(name, labels) {
      const res = await fetch(`${GITHUB_ORIGIN}/orgs/${ORG}/actions/runners/generate-jitconfig`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ name, runner_group_id: 1, labels }),
      });
      if (throttledStatus(res.status)) return 'throttled';
      if (res.status === 409) return 'taken';
      if (res.status !== 201) throw new Error(`generate-jitconfig answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
      const body = (await res.json()) as { runner: { id: number }; encoded_jit_config: string };
      return { runnerId: body.runner.id, jitConfig: body.encoded_jit_config };
    },
    async deleteRunner(runnerId) {
      await fetch(`${GITHUB_ORIGIN}/orgs/${ORG}/actions/runners/${runnerId}`, { method: 'DELETE', headers });
    },
  };
}
