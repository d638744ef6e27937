/**
 * The reconcile pass's cost on GitHub, counted by the fake GitHub: 10 repositories, 1,000 queued runs
 * of which 20 have a job our pools serve, 200 runs in progress. Steady state costs O(repositories);
 * with the rate limit nearly spent, minting and deleting go on and reads back off.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { buildDispatcher } from '../../../dispatcher/src/build-dispatcher';
import { parseConfig } from '../../../dispatcher/src/config';
import { DispatcherError } from '../../../dispatcher/src/errors';
import { createOctokitGitHub } from '../../../dispatcher/src/github/create-octokit-github';
import { createMetrics, noopMetrics } from '../../../dispatcher/src/metrics';
import { createPlacer } from '../../../dispatcher/src/placement';
import { createReconciler } from '../../../dispatcher/src/reconciler';
import { createRunnerStarter } from '../../../dispatcher/src/start-runner';
import { silentLogger } from '../../../core/logger';
import { systemClock } from '../../../core/clock';
import { startFakeGitHub, type RunningFakeGitHub } from '../../fake-github/src';
import { createFakeAgent } from '../../fakes/fake-agent';

const REPOS = Array.from({ length: 10 }, (_, i) => `acme/repo-${i}`);

let gh: RunningFakeGitHub | undefined;
afterEach(async () => {
  await gh?.close();
  gh = undefined;
});

function config(url: string) {
  return parseConfig({
    github: { apiUrl: url, auth: { token: 'test-token' }, org: 'acme', repos: REPOS },
    pools: [{ name: 'macos', labels: ['macos'], image: 'img', hosts: [{ url: 'http://127.0.0.1:1', secret: 'x'.repeat(32) }] }],
    reconcile: { offlineGraceMs: 600_000, idleGraceMs: 600_000 },
  });
}

/** Per repository: 100 queued runs (2 with a macOS job), 20 runs in progress (one job done, one Linux job queued). */
function seed(fake: RunningFakeGitHub): number[] {
  const matching: number[] = [];
  for (const repo of REPOS) {
    for (let i = 0; i < 20; i++) {
      const run = fake.enqueueRun({ repo, jobs: [{ name: 'build', labels: ['ubuntu-latest'] }, { name: 'lint', labels: ['ubuntu-latest'] }] });
      fake.cancelJob(run.jobIds[0] as number);
    }
    for (let i = 0; i < 100; i++) {
      const mac = i % 50 === 7;
      const run = fake.enqueueRun({ repo, jobs: [{ name: 'test', labels: mac ? ['self-hosted', 'macos'] : ['ubuntu-latest'] }] });
      if (mac) matching.push(run.runId);
    }
  }
  return matching;
}

const total = (fake: RunningFakeGitHub): number => [...fake.requests.values()].reduce((a, b) => a + b, 0);

function wire(fake: RunningFakeGitHub, slots: number, metrics = noopMetrics) {
  const cfg = config(fake.url);
  const github = createOctokitGitHub({ github: cfg.github, retryAfterBaseValue: 1, onResponse: (e, s) => metrics.githubRequest(e, s) });
  const agent = createFakeAgent('http://127.0.0.1:1', { total: slots });
  const agents = new Map([[agent.client.baseUrl, agent.client]]);
  const placer = createPlacer({ agents, poolHosts: new Map([['macos', [agent.client.baseUrl]]]), clock: systemClock, cacheMs: 0, timeoutMs: 500 });
  const startRunner = createRunnerStarter({ github, placer, metrics, logger: silentLogger, clock: systemClock });
  const reconciler = createReconciler({
    github, placer, startRunner, agents, pools: cfg.pools, settings: cfg.reconcile, agentTimeoutMs: 500, clock: systemClock, logger: silentLogger, metrics,
  });
  return { github, agent, reconciler };
}

describe('GitHub read budget of a reconcile pass', () => {
  it('costs at most 2 requests per repository plus 1 per matching run in steady state, none of them against the rate limit', async () => {
    gh = await startFakeGitHub({ repos: REPOS, jitKeyBits: 1024 });
    const matching = seed(gh);
    expect(matching).toHaveLength(20);
    const registry = new Registry();
    const { github, reconciler } = wire(gh, 0, createMetrics(registry));

    const first = await reconciler.reconcile();
    expect(first.pools.macos).toMatchObject({ queued: 20, started: 0, waiting: 20 });
    const firstCost = total(gh);
    // The first pass reads every run's jobs once: 20 run lists + 1,200 job lists + the runner list.
    expect(firstCost).toBe(20 + 1_200 + 1);

    gh.requests.clear();
    const remainingBefore = github.rateLimitRemaining();
    const second = await reconciler.reconcile();
    expect(second.pools.macos).toMatchObject({ queued: 20 });
    const steady = total(gh);
    expect(steady).toBeLessThanOrEqual(2 * REPOS.length + matching.length);
    // Queued runs have started nothing, so their cached jobs still hold: the two run lists per
    // repository and the runner list, each answered 304.
    expect(steady).toBe(2 * REPOS.length + 1);
    expect([...gh.requests.keys()].every((k) => k.endsWith(' 304'))).toBe(true);
    expect(github.rateLimitRemaining()).toBe(remainingBefore);

    // A macOS job starts in one run, a Linux job in another: only what changed is read again.
    gh.requests.clear();
    const mac = gh.jobs().find((j) => j.runId === matching[0]);
    gh.cancelJob(mac?.id as number);
    const third = await reconciler.reconcile();
    expect(third.pools.macos).toMatchObject({ queued: 19 });
    expect(total(gh)).toBeLessThanOrEqual(2 * REPOS.length + matching.length);

    // A run in progress with a macOS job still queued is read again (conditionally) on every pass.
    const chain = gh.enqueueRun({ repo: REPOS[0] as string, jobs: [{ name: 'build', labels: ['ubuntu-latest'] }, { name: 'test', labels: ['self-hosted', 'macos'] }] });
    gh.cancelJob(chain.jobIds[0] as number);
    expect((await reconciler.reconcile()).pools.macos).toMatchObject({ queued: 20 });
    gh.requests.clear();
    expect((await reconciler.reconcile()).pools.macos).toMatchObject({ queued: 20 });
    expect(gh.requests.get('GET /repos/acme/repo-0/actions/runs/{id}/jobs 304')).toBe(1);
    expect(total(gh)).toBe(2 * REPOS.length + 1 + 1);

    const text = await registry.metrics();
    expect(text).toContain('dispatcher_github_requests_total{endpoint="GET /repos/{owner}/{repo}/actions/runs",status="304"} 78');
    expect(text).toContain('dispatcher_github_requests_total{endpoint="GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs",status="200"} 1201');
  }, 120_000);

  it('with the rate limit nearly spent, mints and deletes while reads back off', async () => {
    gh = await startFakeGitHub({ repos: REPOS, jitKeyBits: 1024 });
    seed(gh);
    const { github, reconciler } = wire(gh, 2);
    await reconciler.reconcile();
    gh.rateLimits.setRemaining('pat:octocat', 40);

    const minted = await github.generateJitConfig({ name: 'tf-macos-j1a0', labels: ['self-hosted', 'macos'] });
    expect(github.rateLimitRemaining()).toBe(39);
    gh.requests.clear();
    const refused = await reconciler.reconcile().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(DispatcherError);
    expect((refused as DispatcherError).code).toBe('github_read_budget');
    expect((refused as DispatcherError).message).toMatch(/reads may take at most 50 %/);
    expect(total(gh)).toBe(0);
    await expect(github.getJobStatus('acme/repo-0', 1)).rejects.toMatchObject({ code: 'github_read_budget' });

    expect(await github.deleteRunner(minted.runnerId)).toBe('deleted');
    const again = await github.generateJitConfig({ name: 'tf-macos-j2a0', labels: ['self-hosted', 'macos'] });
    expect(again.encodedJitConfig.length).toBeGreaterThan(100);
    expect(total(gh)).toBe(2);
  }, 120_000);

  it('costs the same through the dispatcher as built for every runtime (buildDispatcher)', async () => {
    gh = await startFakeGitHub({ repos: REPOS, jitKeyBits: 1024 });
    seed(gh);
    const built = buildDispatcher({ config: config(gh.url), retryAfterBaseValue: 1 });
    expect((await built.reconciler.reconcile()).pools.macos).toMatchObject({ queued: 20 });
    gh.requests.clear();
    expect((await built.reconciler.reconcile()).pools.macos).toMatchObject({ queued: 20 });
    expect(total(gh)).toBe(2 * REPOS.length + 1);
  }, 120_000);
});
