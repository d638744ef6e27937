import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunnerRecord } from '../../core/agent-api/contract';
import { parseConfig } from '../../dispatcher/src/config';
import { createOctokitGitHub } from '../../dispatcher/src/github/create-octokit-github';
import { createJobTracker } from '../../dispatcher/src/job-tracker';
import { collectCleanDefaultMetrics, createMetrics } from '../../dispatcher/src/metrics';
import { startFakeGitHub, type RunningFakeGitHub } from '../fake-github/src';
import { promtoolCheckMetrics, sample, samples } from '../helpers/promtool';

const T0 = Date.parse('2026-11-29T12:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const pools = [{ name: 'macos' }, { name: 'xl' }];

function job(id: number, createdMs: number, repo = 'acme/app') {
  return { id, runId: 1, repo, labels: ['macos'], createdAt: iso(createdMs) };
}

function ended(name: string, result: RunnerRecord['jobResult'], runningMs: number, endMs: number): RunnerRecord {
  return {
    name, pool: 'macos', labels: [], stage: 'gone', registrationLeftBehind: false, adopted: false,
    timestamps: { requested: iso(runningMs - 20_000), running: iso(runningMs), 'tearing-down': iso(endMs), gone: iso(endMs + 1000) },
    ...(result ? { jobResult: result } : {}),
  };
}

let gh: RunningFakeGitHub | undefined;
afterEach(async () => {
  await gh?.close();
  gh = undefined;
});

describe('dispatcher metrics', () => {
  it('poll-only: a job that leaves the queue is counted once, its wait measured from created_at', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry, { repositories: ['acme/app'] });
    const tracker = createJobTracker({ metrics, pools });
    tracker.pass({ now: T0, queued: [{ job: job(1, T0 - 30_000), pool: 'macos' }, { job: job(2, T0 - 5_000, 'evil/x'), pool: 'macos' }], runners: [], records: [] });
    let text = await registry.metrics();
    expect(sample(text, 'dispatcher_queued_jobs{pool="macos"}')).toBe(2);
    expect(sample(text, 'dispatcher_oldest_queued_job_seconds{pool="macos"}')).toBe(30);
    expect(sample(text, 'dispatcher_queued_jobs{pool="xl"}')).toBe(0);
    expect(sample(text, 'runner_queue_wait_seconds_count{pool="macos"}')).toBeUndefined();

    // Job 2's in_progress webhook arrives first with the exact wait; job 1 is only seen leaving.
    tracker.started(2, 'macos', 'evil/x', 7);
    const runners = [{ pool: 'macos', status: 'online', busy: true }, { pool: 'macos', status: 'online', busy: false }, { pool: 'macos', status: 'offline', busy: false }];
    tracker.pass({ now: T0 + 10_000, queued: [], runners, records: [] });
    tracker.pass({ now: T0 + 20_000, queued: [], runners, records: [] });
    text = await registry.metrics();
    const want = {
      'runner_queue_wait_seconds_count{pool="macos"}': 2,
      'runner_queue_wait_seconds_sum{pool="macos"}': 47,
      'gha_started_jobs_total{pool="macos",repository="acme/app"}': 1,
      // A repository the config does not list cannot grow the label set.
      'gha_started_jobs_total{pool="macos",repository="other"}': 1,
      'gha_job_startup_duration_seconds_bucket{le="45",pool="macos",repository="acme/app"}': 1,
      'gha_registered_runners{pool="macos"}': 3,
      'gha_busy_runners{pool="macos"}': 1,
      'gha_idle_runners{pool="macos"}': 1,
      'gha_running_jobs{pool="macos"}': 1,
      'gha_assigned_jobs{pool="macos"}': 1,
      'dispatcher_queued_jobs{pool="macos"}': 0,
    };
    expect(samples(text, want)).toEqual(want);
    expect(text).not.toContain('evil/x');
  });

  it('counts completed jobs from agent records once, but not those already ended at start-up', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    const tracker = createJobTracker({ metrics, pools });
    const old = ended('tf-macos-j1a0', 'Failed', T0 - 60_000, T0 - 30_000);
    tracker.pass({ now: T0, queued: [], runners: [], records: [old] });
    const fresh = ended('tf-macos-j2a0', 'Succeeded', T0, T0 + 95_000);
    const noJob = ended('tf-macos-j3a0', undefined, T0, T0 + 1000);
    tracker.pass({ now: T0 + 100_000, queued: [], runners: [], records: [old, fresh, noJob] });
    tracker.pass({ now: T0 + 110_000, queued: [], runners: [], records: [old, fresh, noJob] });
    const text = await registry.metrics();
    expect(sample(text, 'gha_completed_jobs_total{pool="macos",result="succeeded"}')).toBe(1);
    expect(sample(text, 'gha_completed_jobs_total{pool="macos",result="failed"}')).toBe(0);
    expect(sample(text, 'gha_job_execution_duration_seconds_sum{pool="macos"}')).toBe(95);
    // Without configured repositories there is no repository label at all.
    expect(text).not.toContain('repository=');
  });

  it('counts GitHub requests by route template and keeps the rate-limit budget', async () => {
    gh = await startFakeGitHub({ jitKeyBits: 1024 });
    const registry = new Registry();
    const metrics = createMetrics(registry);
    const github = parseConfig({
      github: { apiUrl: gh.url, auth: { token: 'test-token' }, org: 'acme', repos: ['acme/app'] },
      pools: [{ name: 'macos', labels: ['macos'], image: 'img', hosts: [{ url: 'http://127.0.0.1:1', secret: 'x'.repeat(32) }] }],
    }).github;
    const api = createOctokitGitHub({ github, retryAfterBaseValue: 1, onResponse: (e, s) => metrics.githubRequest(e, s) });
    await api.listRunners();
    await api.findRunnerByName('tf-macos-j9a0');
    expect(await api.deleteRunner(424242)).toBe('gone');
    const text = await registry.metrics();
    expect(sample(text, 'dispatcher_github_requests_total{endpoint="GET /orgs/{org}/actions/runners",status="200"}')).toBe(2);
    expect(sample(text, 'dispatcher_github_requests_total{endpoint="DELETE /orgs/{org}/actions/runners/{runner_id}",status="404"}')).toBe(1);
    expect(text).not.toContain('424242');
    expect(api.rateLimitLimit?.()).toBeGreaterThan(0);
  });

  it('the Node exposition, defaults included, passes promtool check metrics', async () => {
    const registry = new Registry();
    collectCleanDefaultMetrics(registry);
    const metrics = createMetrics(registry, { repositories: ['acme/app'] });
    const tracker = createJobTracker({ metrics, pools });
    tracker.pass({ now: T0, queued: [{ job: job(1, T0 - 3000), pool: 'macos' }], runners: [], records: [] });
    tracker.pass({ now: T0 + 1000, queued: [], runners: [{ pool: 'macos', status: 'online', busy: true }], records: [ended('tf-macos-j1a0', 'Succeeded', T0, T0 + 1)] });
    metrics.githubRequest('GET /orgs/{org}/actions/runners', 200);
    metrics.githubRequest('GET https://api.github.com/orgs/acme/actions/runners?page=2', 200);
    metrics.githubRequest('GET /evil path\n{', 200);
    metrics.rateLimitRemaining(4000);
    metrics.rateLimitLimit(5000);
    metrics.discrepancies('vm_without_registration', 0);
    metrics.pendingDemand('macos', 3);
    metrics.demandDropped(2);
    const text = await registry.metrics();
    expect(sample(text, 'dispatcher_pending_demand{pool="macos"}')).toBe(3);
    expect(sample(text, 'dispatcher_demand_dropped_total')).toBe(2);
    expect(text).toContain('process_resident_memory_bytes');
    expect(sample(text, 'dispatcher_github_requests_total{endpoint="GET /orgs/{org}/actions/runners",status="200"}')).toBe(2);
    expect(sample(text, 'dispatcher_github_requests_total{endpoint="other",status="200"}')).toBe(1);
    const check = await promtoolCheckMetrics(text);
    expect(check.output).toBe('');
    expect(check.code).toBe(0);
  });
});
