/**
 * GitHubApi over Octokit: `@octokit/rest` + retry + throttling, token or GitHub App auth.
 *
 * - generate-jitconfig runs with `retries: 0`: a POST that failed after GitHub created the runner
 *   would meet a 409 when retried blindly (docs/reference/github-api.md §1). The caller retries with a new name.
 * - Writes go through our own limiter below GitHub's per-endpoint budget; 403/429 rate limits are
 *   waited out by plugin-throttling a bounded number of times.
 * - Reads are conditional and cached (queued-jobs-reader.ts, conditional-pages.ts) and may take only
 *   a share of the rate limit (read-budget.ts); every request has a deadline and is counted
 *   (instrumented-fetch.ts).
 */
import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { createAppAuth } from '@octokit/auth-app';
import type { DispatcherConfig } from '../config';
import { errorMessage, errorStatus } from '../../../core/errors';
import { DispatcherError } from '../errors';
import type { DeleteOutcome, GitHubApi, GitHubRunner } from './github-api';
import { createConcurrencyLimiter, createRetryScheduler, createWriteLimiter } from './write-limiter';
import { systemClock, type Clock } from '../../../core/clock';
import { createListCache, getPages, type GitHubRequest } from './conditional-pages';
import { createInstrumentedFetch } from './instrumented-fetch';
import { createQueuedJobsReader } from './queued-jobs-reader';
import { createReadBudget } from './read-budget';

const ThrottledOctokit = Octokit.plugin(retry, throttling);
type Kit = InstanceType<typeof ThrottledOctokit>;

/** How Octokit's request log words a 304 answer: `GET /path - 304 with id … in 2ms`. */
const NOT_MODIFIED_LOG = / - 304 with id /;

export interface OctokitGitHubOptions {
  github: DispatcherConfig['github'];
  /** Scale for Retry-After / backoff waits (1000 = real seconds); tests pass a small value. */
  retryAfterBaseValue?: number;
  /** How many times a rate-limited request is retried before giving up. */
  rateLimitRetries?: number;
  fetch?: typeof fetch;
  log?: { warn(msg: string): void };
  /** Request deadlines (default: real time). */
  clock?: Clock;
  /** Every response (and failed request), by route template (`GET /repos/{owner}/{repo}/…`) and
   * status; 0 when no response came. */
  onResponse?(endpoint: string, status: number): void;
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
  const budget = createReadBudget({ share: cfg.readShare, clock: options.clock ?? systemClock });
  const instrumented = createInstrumentedFetch({
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    clock: options.clock ?? systemClock,
    timeoutMs: cfg.requestTimeoutMs,
    budget,
    onRateLimit: (r) => {
      remaining = r;
    },
  });
  let limit: number | undefined;
  // On the injected clock like every other wait (real time in production; compressed in bench:fleet).
  const write = createWriteLimiter({ perMinute: cfg.writesPerMinute, burst: Math.min(20, cfg.writesPerMinute), ...(options.clock ? { clock: options.clock } : {}) });

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
    request: { fetch: instrumented },
    headers: { 'x-github-api-version': '2022-11-28' },
    // A 304 (an ETag matched: nothing changed) reaches Octokit's request log as an error; it is the
    // cheap answer the conditional reads ask for, not a problem.
    log: { debug: () => {}, info: () => {}, warn: (m: string) => options.log?.warn(m), error: (m: string) => (NOT_MODIFIED_LOG.test(m) ? undefined : options.log?.warn(m)) },
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

  const request = kit.request as unknown as GitHubRequest;
  const reader = createQueuedJobsReader(request, budget);
  const repoList = createListCache<string>(1);
  const runnerList = createListCache<GitHubRunner>(1);

  async function repos(): Promise<string[]> {
    if (cfg.repos) return [...cfg.repos];
    if (cfg.repo) return [cfg.repo];
    return repoList.get('repos', (etag) =>
      getPages(request, budget, 'GET /installation/repositories', {}, { field: 'repositories', map: (r) => String(r.full_name) }, etag),
    );
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
      const shape = { field: 'runners', map: (r: Record<string, unknown>) => toRunner(r as unknown as GitHubRunner) };
      return runnerList.get('runners', (etag) =>
        scope.kind === 'org'
          ? getPages(request, budget, 'GET /orgs/{org}/actions/runners', { org: scope.org }, shape, etag)
          : getPages(request, budget, 'GET /repos/{owner}/{repo}/actions/runners', { owner: scope.owner, repo: scope.repo }, shape, etag),
      );
    },

    async listQueuedJobs(wanted = () => true) {
      return reader.list(await repos(), wanted);
    },

    async getJobStatus(repoFull, jobId) {
      const { owner, repo } = splitRepo(repoFull);
      budget.assertRead(`reading job ${jobId}`);
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
