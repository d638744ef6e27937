import { Hono, type Context } from 'hono';
import { authorize, type Identity } from '../auth';
import type { FakeContext } from '../context';
import { okJson } from '../json-response';
import { notFound, validationFailed } from '../github-error';
import { paginate } from '../pagination';
import { jobJson, runJson, runStatus } from '../serialize';
import type { JobRecord } from '../types';

type Env = { Variables: { identity: Identity } };

const DOC_RUNS = '/actions/workflow-runs';
const DOC_JOBS = '/actions/workflow-jobs';
/** `status` values GitHub accepts on the list-runs filter. */
const RUN_STATUSES = new Set(['completed', 'action_required', 'cancelled', 'failure', 'neutral', 'skipped', 'stale', 'success', 'timed_out', 'in_progress', 'queued', 'requested', 'waiting', 'pending']);

/** Workflow runs and jobs (repository-scoped, `actions: read`). */
export function actionsRunRoutes(ctx: FakeContext): Hono<Env> {
  const app = new Hono<Env>();
  const { state } = ctx;

  const repoFor = (c: Context<Env>, doc: string): string | Response => {
    const owner = c.req.param('owner') ?? '';
    const full = `${owner}/${c.req.param('repo') ?? ''}`;
    const denied = authorize(c, state, c.get('identity'), owner, 'actions', 'read');
    if (denied && denied.status === 401) return denied;
    if (!state.repos.has(full)) return notFound(c, doc);
    return denied ?? full;
  };

  app.get('/repos/:owner/:repo/actions/runs', (c) => {
    const repo = repoFor(c, DOC_RUNS);
    if (repo instanceof Response) return repo;
    const status = c.req.query('status');
    if (status !== undefined && !RUN_STATUSES.has(status)) {
      return validationFailed(c, `Invalid property /status: \`${status}\` is not a possible value.`, DOC_RUNS);
    }
    const base = ctx.publicUrl(c);
    const matches = [...state.runs.values()]
      .filter((r) => r.repo === repo)
      .filter((r) => {
        if (status === undefined) return true;
        const s = runStatus(r, state);
        return s.status === status || s.conclusion === status;
      })
      .sort((a, b) => b.id - a.id);
    // GitHub returns at most 1,000 results when a filter such as `status` is used.
    const all = status === undefined ? matches : matches.slice(0, 1000);
    const page = paginate(c, all, base);
    if (page instanceof Response) return page;
    return okJson(c, { total_count: all.length, workflow_runs: page.map((r) => runJson(r, state, base)) });
  });

  app.get('/repos/:owner/:repo/actions/runs/:runId{[0-9]+}', (c) => {
    const repo = repoFor(c, DOC_RUNS);
    if (repo instanceof Response) return repo;
    const run = state.runs.get(Number(c.req.param('runId')));
    if (!run || run.repo !== repo) return notFound(c, DOC_RUNS);
    return okJson(c, runJson(run, state, ctx.publicUrl(c)));
  });

  app.get('/repos/:owner/:repo/actions/runs/:runId{[0-9]+}/jobs', (c) => {
    const repo = repoFor(c, DOC_JOBS);
    if (repo instanceof Response) return repo;
    const run = state.runs.get(Number(c.req.param('runId')));
    if (!run || run.repo !== repo) return notFound(c, DOC_JOBS);
    const jobs = run.jobIds.map((id) => state.jobs.get(id)).filter((j): j is JobRecord => j !== undefined);
    const page = paginate(c, jobs, ctx.publicUrl(c));
    if (page instanceof Response) return page;
    return okJson(c, { total_count: jobs.length, jobs: page.map((j) => jobJson(j, ctx.publicUrl(c))) });
  });

  app.get('/repos/:owner/:repo/actions/jobs/:jobId{[0-9]+}', (c) => {
    const repo = repoFor(c, DOC_JOBS);
    if (repo instanceof Response) return repo;
    const job = state.jobs.get(Number(c.req.param('jobId')));
    if (!job || job.repo !== repo) return notFound(c, DOC_JOBS);
    return okJson(c, jobJson(job, ctx.publicUrl(c)));
  });

  return app;
}
