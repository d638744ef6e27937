/**
 * Queued jobs of the configured repositories at a cost of O(repositories) per pass in steady state:
 *
 * - per repository, the runs `queued` and the runs `in_progress` (a run in progress can still hold
 *   queued jobs: later jobs of a needs chain or a matrix), each one conditional list;
 * - a run's job list is read once and kept by run id: a job's labels never change. It is read again
 *   (conditionally) only while the run still has a job we serve that has not started, or when the
 *   run's `updated_at` moved (new jobs may have appeared). A run whose jobs none of our pools serve
 *   costs nothing more until it changes.
 * A run of status `queued` has no job started, so its cached queued jobs stay valid as long as the
 * run is listed unchanged.
 */
import type { QueuedJob } from './github-api';
import { createListCache, getPages, type GitHubRequest } from './conditional-pages';
import type { ReadBudget } from './read-budget';

interface RunRef {
  id: number;
  status: string;
  updatedAt: string;
}

interface CachedJob {
  id: number;
  status: string;
  labels: string[];
  createdAt: string;
}

interface RunEntry {
  updatedAt: string;
  etag: string | undefined;
  /** Only the jobs one of our pools serves. */
  jobs: CachedJob[];
}

const NOT_STARTED = new Set(['queued', 'waiting', 'pending', 'requested']);

/** Caps: GitHub lists at most 1,000 runs per status filter and repository. */
const MAX_RUN_ENTRIES = 50_000;

export interface QueuedJobsReader {
  list(repos: readonly string[], wanted: (labels: string[]) => boolean): Promise<QueuedJob[]>;
}

function splitRepo(full: string): { owner: string; repo: string } {
  const [owner = '', repo = ''] = full.split('/');
  return { owner, repo };
}

export function createQueuedJobsReader(request: GitHubRequest, budget: ReadBudget): QueuedJobsReader {
  const runLists = createListCache<RunRef>(1_000);
  const runs = new Map<string, RunEntry>();

  const runShape = {
    field: 'workflow_runs',
    map: (r: Record<string, unknown>): RunRef => ({ id: Number(r.id), status: String(r.status), updatedAt: String(r.updated_at) }),
  };

  async function jobsOf(owner: string, repo: string, run: RunRef, key: string, wanted: (labels: string[]) => boolean): Promise<CachedJob[]> {
    const entry = runs.get(key);
    const stillWaiting = entry?.jobs.some((j) => NOT_STARTED.has(j.status)) ?? false;
    // A `queued` run has started nothing: what we cached for it is still true while it is unchanged.
    if (entry && entry.updatedAt === run.updatedAt && (!stillWaiting || run.status === 'queued')) return entry.jobs;
    const fresh = await getPages(
      request,
      budget,
      'GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs',
      { owner, repo, run_id: run.id },
      {
        field: 'jobs',
        map: (j: Record<string, unknown>): CachedJob | undefined => {
          const labels = Array.isArray(j.labels) ? j.labels.map(String) : [];
          return wanted(labels) ? { id: Number(j.id), status: String(j.status), labels, createdAt: String(j.created_at) } : undefined;
        },
      },
      entry?.etag,
    );
    const jobs = fresh ? fresh.items : (entry?.jobs ?? []);
    if (runs.size >= MAX_RUN_ENTRIES && !runs.has(key)) runs.delete(runs.keys().next().value as string);
    runs.set(key, { updatedAt: run.updatedAt, etag: fresh ? fresh.etag : entry?.etag, jobs });
    return jobs;
  }

  async function listRepo(full: string, wanted: (labels: string[]) => boolean, out: QueuedJob[]): Promise<void> {
    const { owner, repo } = splitRepo(full);
    const lists = await Promise.all(
      (['queued', 'in_progress'] as const).map((status) =>
        runLists.get(`${full} ${status}`, (etag) => getPages(request, budget, 'GET /repos/{owner}/{repo}/actions/runs', { owner, repo, status }, runShape, etag)),
      ),
    );
    const byId = new Map<number, RunRef>();
    for (const run of lists.flat()) byId.set(run.id, run);
    const prefix = `${full}#`;
    const keep = new Set<string>();
    await Promise.all(
      [...byId.values()].map(async (run) => {
        const key = `${prefix}${run.id}`;
        keep.add(key);
        for (const j of await jobsOf(owner, repo, run, key, wanted)) {
          if (j.status === 'queued') out.push({ id: j.id, runId: run.id, repo: full, labels: j.labels, createdAt: j.createdAt });
        }
      }),
    );
    // Runs no longer queued or in progress are done with.
    for (const key of runs.keys()) if (key.startsWith(prefix) && !keep.has(key)) runs.delete(key);
  }

  return {
    async list(repos, wanted) {
      const out: QueuedJob[] = [];
      await Promise.all(repos.map((full) => listRepo(full, wanted, out)));
      return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id - b.id);
    },
  };
}
