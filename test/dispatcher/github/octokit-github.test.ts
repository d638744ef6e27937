import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../dispatcher/src/config';
import { DispatcherError } from '../../../dispatcher/src/errors';
import { createOctokitGitHub } from '../../../dispatcher/src/github/create-octokit-github';
import { silentLogger } from '../../../core/logger';
import { systemClock } from '../../../core/clock';
import { noopMetrics } from '../../../dispatcher/src/metrics';
import { createPlacer } from '../../../dispatcher/src/placement';
import { createRunnerStarter } from '../../../dispatcher/src/start-runner';
import { makeAppKey } from '../../fake-github/helpers/app-key';
import { startFakeGitHub, type RunningFakeGitHub } from '../../fake-github/src';
import { createFakeAgent } from '../../fakes/fake-agent';

let gh: RunningFakeGitHub | undefined;
afterEach(async () => {
  await gh?.close();
  gh = undefined;
});

function githubConfig(url: string, extra: Record<string, unknown> = {}) {
  return parseConfig({
    github: { apiUrl: url, auth: { token: 'test-token' }, org: 'acme', repos: ['acme/app'], ...extra },
    pools: [{ name: 'macos', labels: ['macos'], image: 'img', hosts: [{ url: 'http://127.0.0.1:1', secret: 'x'.repeat(32) }] }],
  }).github;
}

async function expectError(p: Promise<unknown>): Promise<DispatcherError> {
  try {
    await p;
  } catch (error: unknown) {
    expect(error).toBeInstanceOf(DispatcherError);
    return error as DispatcherError;
  }
  throw new Error('expected a DispatcherError, got success');
}

describe('Octokit GitHub against the fake GitHub', () => {
  it('mints, finds, lists and deletes org runners; a taken name is a conflict', async () => {
    gh = await startFakeGitHub({ jitKeyBits: 1024 });
    const api = createOctokitGitHub({ github: githubConfig(gh.url), retryAfterBaseValue: 1 });
    const minted = await api.generateJitConfig({ name: 'tf-macos-j1a0', labels: ['self-hosted', 'macos'] });
    expect(minted.encodedJitConfig.length).toBeGreaterThan(100);
    expect(gh.runners().map((r) => r.name)).toEqual(['tf-macos-j1a0']);
    expect((await expectError(api.generateJitConfig({ name: 'tf-macos-j1a0', labels: ['macos'] }))).code).toBe('github_conflict');
    expect(await api.findRunnerByName('tf-macos-j1a0')).toMatchObject({ id: minted.runnerId, status: 'offline', busy: false });
    expect((await api.listRunners()).map((r) => r.name)).toEqual(['tf-macos-j1a0']);
    expect(await api.deleteRunner(minted.runnerId)).toBe('deleted');
    expect(await api.deleteRunner(minted.runnerId)).toBe('gone');
    expect(api.rateLimitRemaining()).toBeGreaterThan(0);
  });

  it('resolves the configured runner group by name, once', async () => {
    gh = await startFakeGitHub({ jitKeyBits: 1024 });
    const group = gh.addRunnerGroup('acme', 'macs');
    const api = createOctokitGitHub({ github: githubConfig(gh.url, { runnerGroup: 'macs' }), retryAfterBaseValue: 1 });
    await api.generateJitConfig({ name: 'tf-macos-j1a0', labels: ['macos'] });
    await api.generateJitConfig({ name: 'tf-macos-j2a0', labels: ['macos'] });
    expect(gh.runners().map((r) => r.runnerGroupId)).toEqual([group.id, group.id]);
    const missing = createOctokitGitHub({ github: githubConfig(gh.url, { runnerGroup: 'nope' }), retryAfterBaseValue: 1 });
    expect((await expectError(missing.generateJitConfig({ name: 'tf-macos-j3a0', labels: ['macos'] }))).message).toMatch(/runner group 'nope' not found/);
  });

  it('lists queued jobs of queued and in-progress runs with their labels', async () => {
    gh = await startFakeGitHub({ jitKeyBits: 1024 });
    const { jobIds } = gh.enqueueRun({ jobs: [{ name: 'a', labels: ['self-hosted', 'macos'] }, { name: 'b', labels: ['ubuntu-latest'] }] });
    const api = createOctokitGitHub({ github: githubConfig(gh.url), retryAfterBaseValue: 1 });
    const jobs = await api.listQueuedJobs();
    expect(jobs.map((j) => [j.id, j.labels])).toEqual([
      [jobIds[0], ['self-hosted', 'macos']],
      [jobIds[1], ['ubuntu-latest']],
    ]);
    expect(await api.getJobStatus('acme/app', jobIds[0]!)).toBe('queued');
    expect(await api.getJobStatus('acme/app', 999_999)).toBeUndefined();
  });

  it('does not retry generate-jitconfig itself: a 502 after commit is one request', async () => {
    gh = await startFakeGitHub({ jitKeyBits: 1024 });
    gh.faults.add({ method: 'POST', path: /generate-jitconfig/, status: 502, afterCommit: true });
    const api = createOctokitGitHub({ github: githubConfig(gh.url), retryAfterBaseValue: 1 });
    const err = await expectError(api.generateJitConfig({ name: 'tf-macos-j1a0', labels: ['macos'] }));
    expect(err).toMatchObject({ code: 'github', retryable: true, status: 502 });
    // GitHub created it anyway; the starter finds and deletes it (below).
    expect(gh.runners().map((r) => r.name)).toEqual(['tf-macos-j1a0']);
  });

  it('rides out a 5xx after commit and a secondary rate limit when starting a runner', async () => {
    gh = await startFakeGitHub({ jitKeyBits: 1024, secondaryRateLimit: { retryAfterSeconds: 1 } });
    gh.faults.add({ method: 'POST', path: /generate-jitconfig/, status: 502, afterCommit: true });
    gh.rateLimits.forceSecondary({ count: 1, path: /generate-jitconfig/ });
    const api = createOctokitGitHub({ github: githubConfig(gh.url), retryAfterBaseValue: 10 });
    const agent = createFakeAgent('http://127.0.0.1:1', { total: 2 });
    const placer = createPlacer({ agents: new Map([[agent.client.baseUrl, agent.client]]), poolHosts: new Map([['macos', [agent.client.baseUrl]]]), clock: systemClock, cacheMs: 0, timeoutMs: 500 });
    const start = createRunnerStarter({ github: api, placer, metrics: noopMetrics, logger: silentLogger, clock: systemClock });
    const r = await start({ pool: { name: 'macos', labels: ['macos'] }, jobId: 5, attempt: 0, via: 'webhook' });
    expect(r).toMatchObject({ outcome: 'started', name: 'tf-macos-j5a1' });
    expect(gh.runners().map((x) => x.name)).toEqual(['tf-macos-j5a1']);
    expect(agent.started.map((s) => s.name)).toEqual(['tf-macos-j5a1']);
  });

  it('authenticates as a GitHub App installation', async () => {
    const key = makeAppKey();
    gh = await startFakeGitHub({ jitKeyBits: 1024, apps: [{ id: 4242, key: key.publicKey, installations: [{ id: 77, account: 'acme' }] }] });
    const api = createOctokitGitHub({
      github: parseConfig({
        github: { apiUrl: gh.url, auth: { appId: 4242, privateKey: key.privateKey, installationId: 77 }, org: 'acme' },
        pools: [{ name: 'macos', labels: ['macos'], image: 'img', hosts: [{ url: 'http://127.0.0.1:1', secret: 'x'.repeat(32) }] }],
      }).github,
      retryAfterBaseValue: 1,
    });
    await api.generateJitConfig({ name: 'tf-macos-j1a0', labels: ['macos'] });
    gh.enqueueRun({ jobs: [{ name: 'a', labels: ['macos'] }] });
    // Org + App: the repositories come from the installation.
    expect((await api.listQueuedJobs()).map((j) => j.repo)).toEqual(['acme/app']);
  });
});
