/**
 * GitHubApi over Octokit: `@octokit/rest` + retry + throttling, token or GitHub App auth.
 *
 * - generate-jitconfig runs with `retries: 0`: a POST that failed after GitHub created the runner
 *   would meet a 409 when retried blindly (docs/reference/github-api.md §1). The caller retries with a new name.
 * - Writes go through our own limiter below GitHub's per-endpoint budget; 403/429 rate limits are
 *   waited out by plugin-throttling a bounded number of times.
 */
import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { createAppAuth } from '@octokit/auth-app';
import type { DispatcherConfig } from '../config';
import { errorMessage, errorStatus } from '../../../core/errors';
import { DispatcherError } from '../errors';
import type { DeleteOutcome, GitHubApi, GitHubRunner, QueuedJob } from './github-api';
import { createConcurrencyLimiter, createRetryScheduler, createWriteLimiter } from './write-limiter';

const ThrottledOctokit = Octokit.plugin(retry, throttling);
type Kit = InstanceType<typeof ThrottledOctokit>;

export interface OctokitGitHubOptions {
  github: DispatcherConfig['github'];
  /** Scale for Retry-After / backoff waits (1000 = real seconds); tests pass a small value. */
  retryAfterBaseValue?: number;
  /** How many times a rate-limited request is retried before giving up. */
  rateLimitRetries?: number;
  fetch?: typeof fetch;
  log?: { warn(msg: string): void };
  /** Every response (and failed request), by route template (`GET /repos/{owner}/{repo}/…`) and
   * status; 0 when no response came. */
  onResponse?(endpoint: string, status: number): void;
}

interface RawJob {
  id: number;
  run_id: number;
  status: string;
  labels: string[];
  created_at: string;
}

function splitRepo(full: string): { owner: string; repo: string } {
  const [owner = '', repo = ''] = full.split('/');
  return { owner, repo };
}

/** Map an Octokit failure of generate-jitconfig to our error shape. */
function mintError(error: unknown, name: string): DispatcherError {
  const status = errorStatus(error);
  const msg = `generate-jitconfig for runner '${name}' failed: ${errorMessage(error)}`;
  if (status === 409) return new DispatcherError('github_conflict', msg, false, status);
  if (status === 403 || status === 429) return new DispatcherError('github_rate_limited', msg, true, status);
  if (status === undefined || status >= 500) return new DispatcherError('github', msg, true, status);
  return new DispatcherError('github', msg, false, status);
}

export function createOctokitGitHub(options: OctokitGitHubOptions): GitHubApi {
  const cfg = options.github;
  const base = options.retryAfterBaseValue ?? 1000;
  const maxRateRetries = options.rateLimitRetries ?? 3;
  let remaining: number | undefined;
  let limit: number | undefined;
  const write = createWriteLimiter({ perMinute: cfg.writesPerMinute, burst: Math.min(20, cfg.writesPerMinute) });

  const auth =
    'token' in cfg.auth
      ? { auth: cfg.auth.token }
      : {
          authStrategy: createAppAuth,
          auth: { appId: cfg.auth.appId, privateKey: cfg.auth.privateKey, installationId: cfg.auth.installationId },
        };
  const kit: Kit = new ThrottledOctokit({
    ...auth,
    baseUrl: cfg.apiUrl.replace(/\/+$/, ''),
    userAgent: 'tartfleet-dispatcher',
    request: { ...(options.fetch ? { fetch: options.fetch } : {}) },
    headers: { 'x-github-api-version': '2022-11-28' },
    log: { debug: () => {}, info: () => {}, warn: (m: string) => options.log?.warn(m), error: (m: string) => options.log?.warn(m) },
    retry: { retryAfterBaseValue: base },
    throttle: {
      id: `tartfleet-${Math.random().toString(36).slice(2)}`,
      retryAfterBaseValue: base,
      write,
      global: createConcurrencyLimiter(50),
      retryLimiter: createRetryScheduler(),
      auth: createConcurrencyLimiter(1),
      onRateLimit: (after: number, opts: { method: string; url: string }, _kit: unknown, retryCount: number) => {
        const retry = retryCount < maxRateRetries;
        options.log?.warn(`GitHub primary rate limit on ${opts.method} ${opts.url}; ${retry ? `retrying after ${after} s (retry ${retryCount + 1} of ${maxRateRetries})` : 'giving up'}`);
        return retry;
      },
      onSecondaryRateLimit: (after: number, opts: { method: string; url: string }, _kit: unknown, retryCount: number) => {
        const retry = retryCount < maxRateRetries;
        options.log?.warn(`GitHub secondary rate limit on ${opts.method} ${opts.url}; ${retry ? `retrying after ${after} s (retry ${retryCount + 1} of ${maxRateRetries})` : 'giving up'}`);
        return retry;
      },
    } as never,
  });
  /** The headers are absent on some responses (and on network errors): keep the last values. */
  const noteRate = (headers: Record<string, unknown> | undefined): void => {
    const r = Number(headers?.['x-ratelimit-remaining'] ?? NaN);
    if (Number.isFinite(r)) remaining = r;
    const l = Number(headers?.['x-ratelimit-limit'] ?? NaN);
    if (Number.isFinite(l)) limit = l;
  };
  // Before the request is expanded, `options.url` is still Octokit's route template: a bounded label.
  const endpointOf = (o: { method?: string; url?: string }): string => `${o.method ?? 'GET'} ${o.url ?? ''}`;
  kit.hook.after('request', (response, requestOptions) => {
    noteRate(response.headers);
    options.onResponse?.(endpointOf(requestOptions), response.status);
  });
  kit.hook.error('request', (error, requestOptions) => {
    const res = (error as { response?: { headers?: Record<string, string> } }).response;
    noteRate(res?.headers);
    options.onResponse?.(endpointOf(requestOptions), errorStatus(error) ?? 0);
    throw error;
  });

  const scope = cfg.org !== undefined ? ({ kind: 'org', org: cfg.org } as const) : ({ kind: 'repo', ...splitRepo(cfg.repo ?? '') } as const);
  let groupId: Promise<number> | undefined;

  /** Org runner groups have no Octokit method (docs/reference/github-api.md §2); resolved once, retried after failure. */
  function runnerGroupId(): Promise<number> {
    if (scope.kind === 'repo') return Promise.resolve(1);
    groupId ??= (async () => {
      const groups = await kit.paginate('GET /orgs/{org}/actions/runner-groups', { org: scope.org, per_page: 100 });
      const list = groups as unknown as { id: number; name: string }[];
      const found = list.find((g) => g.name.toLowerCase() === cfg.runnerGroup.toLowerCase());
      if (!found) {
        throw new DispatcherError('config', `runner group '${cfg.runnerGroup}' not found in org '${scope.org}', got ${list.map((g) => `'${g.name}'`).join(', ') || 'none'}`);
      }
      return found.id;
    })().catch((error: unknown) => {
      groupId = undefined;
      throw error;
    });
    return groupId;
  }

  async function repos(): Promise<string[]> {
    if (cfg.repos) return [...cfg.repos];
    if (cfg.repo) return [cfg.repo];
    const list = await kit.paginate(kit.rest.apps.listReposAccessibleToInstallation, { per_page: 100 });
    return (list as unknown as { full_name: string }[]).map((r) => r.full_name);
  }

  function toRunner(r: { id: number; name: string; status: string; busy: boolean }): GitHubRunner {
    return { id: r.id, name: r.name, status: r.status, busy: r.busy };
  }

  return {
    async generateJitConfig({ name, labels }) {
      const runner_group_id = await runnerGroupId();
      try {
        const body = { name, labels, runner_group_id, request: { retries: 0 } };
        const res =
          scope.kind === 'org'
            ? await kit.rest.actions.generateRunnerJitconfigForOrg({ org: scope.org, ...body })
            : await kit.rest.actions.generateRunnerJitconfigForRepo({ owner: scope.owner, repo: scope.repo, ...body });
        return { runnerId: res.data.runner.id, encodedJitConfig: res.data.encoded_jit_config };
      } catch (error: unknown) {
        throw mintError(error, name);
      }
    },

    async deleteRunner(runnerId): Promise<DeleteOutcome> {
      try {
        if (scope.kind === 'org') await kit.rest.actions.deleteSelfHostedRunnerFromOrg({ org: scope.org, runner_id: runnerId });
        else await kit.rest.actions.deleteSelfHostedRunnerFromRepo({ owner: scope.owner, repo: scope.repo, runner_id: runnerId });
        return 'deleted';
      } catch (error: unknown) {
        const status = errorStatus(error);
        if (status === 404) return 'gone';
        if (status === 422) return 'busy';
        throw new DispatcherError('github', `deleting runner ${runnerId} failed: ${errorMessage(error)}`, true, status);
      }
    },

    async findRunnerByName(name) {
      const res =
        scope.kind === 'org'
          ? await kit.rest.actions.listSelfHostedRunnersForOrg({ org: scope.org, name, per_page: 100 })
          : await kit.rest.actions.listSelfHostedRunnersForRepo({ owner: scope.owner, repo: scope.repo, name, per_page: 100 });
      const hit = res.data.runners.find((r) => r.name === name);
      return hit ? toRunner(hit) : undefined;
    },

    async listRunners() {
      const list =
        scope.kind === 'org'
          ? await kit.paginate(kit.rest.actions.listSelfHostedRunnersForOrg, { org: scope.org, per_page: 100 })
          : await kit.paginate(kit.rest.actions.listSelfHostedRunnersForRepo, { owner: scope.owner, repo: scope.repo, per_page: 100 });
      return list.map(toRunner);
    },

    async listQueuedJobs() {
      const out: QueuedJob[] = [];
      await Promise.all(
        (await repos()).map(async (full) => {
          const { owner, repo } = splitRepo(full);
          // A run in progress can still hold queued jobs (later jobs of a needs chain or matrix).
          const runs = (
            await Promise.all(
              (['queued', 'in_progress'] as const).map((status) =>
                kit.paginate(kit.rest.actions.listWorkflowRunsForRepo, { owner, repo, status, per_page: 100 }),
              ),
            )
          ).flat();
          const runIds = [...new Set(runs.map((r) => r.id))];
          await Promise.all(
            runIds.map(async (run_id) => {
              const jobs = (await kit.paginate(kit.rest.actions.listJobsForWorkflowRun, { owner, repo, run_id, per_page: 100 })) as unknown as RawJob[];
              for (const j of jobs) {
                if (j.status === 'queued') out.push({ id: j.id, runId: j.run_id, repo: full, labels: j.labels, createdAt: j.created_at });
              }
            }),
          );
        }),
      );
      return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id - b.id);
    },

    async getJobStatus(repoFull, jobId) {
      const { owner, repo } = splitRepo(repoFull);
      try {
        const res = await kit.rest.actions.getJobForWorkflowRun({ owner, repo, job_id: jobId });
        return res.data.status;
      } catch (error: unknown) {
        if (errorStatus(error) === 404) return undefined;
        throw new DispatcherError('github', `reading job ${jobId} of ${repoFull} failed: ${errorMessage(error)}`, true, errorStatus(error));
      }
    },

    rateLimitRemaining: () => remaining,
    rateLimitLimit: () => limit,
  };
}
