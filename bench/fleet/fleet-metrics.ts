/** The numbers of one variant's run, from the fake GitHub's jobs and counters and the hosts' doubles. */
import { percentile } from '../bench-env';
import type { FakeGitHub } from '../../test/fake-github/src/create-fake-github';
import { requestCounts } from './bench-github';
import { SLOTS_PER_HOST, type SimHost } from './sim-host';
import type { Workload } from './variant';

const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** ⌈jobs / slots⌉ × (boot + job), in simulated seconds. */
export function idealSeconds(w: Workload): number {
  return (Math.ceil(w.jobs / (w.hosts * SLOTS_PER_HOST)) * (w.bootMs + w.jobMs)) / 1000;
}

export interface JobMetrics {
  completed: number;
  failed: number;
  makespanS: number;
  idealS: number;
  makespanRatio: number;
  startP50S: number;
  startP95S: number;
  startMaxS: number;
}

/** Makespan from the burst's enqueue (`t0`, simulated ms) to the last completion; start latency = queued → in_progress. */
export function jobMetrics(github: FakeGitHub, jobIds: number[], t0: number, w: Workload): JobMetrics {
  const jobs = jobIds.map((id) => github.job(id)).filter((j) => j !== undefined);
  const done = jobs.filter((j) => j.status === 'completed');
  const starts = jobs.filter((j) => j.startedAt !== null).map((j) => ((j.startedAt ?? 0) - j.createdAt) / 1000);
  const makespanS = (Math.max(...done.map((j) => j.completedAt ?? 0)) - t0) / 1000;
  const idealS = idealSeconds(w);
  return {
    completed: done.length,
    failed: done.filter((j) => j.conclusion !== 'success').length,
    makespanS: round(makespanS, 1),
    idealS,
    makespanRatio: round(makespanS / idealS),
    startP50S: round(percentile(starts, 50), 1),
    startP95S: round(percentile(starts, 95), 1),
    startMaxS: round(Math.max(...starts), 1),
  };
}

export interface GitHubMetrics {
  requests: number;
  requestsPerJob: number;
  throttled: number;
  /** 304 answers among them (free of the hourly limit). */
  notModified: number;
  /** Requests by `METHOD /path STATUS`, most first. */
  byEndpoint: Record<string, number>;
}

export function githubMetrics(github: FakeGitHub, jobs: number): GitHubMetrics {
  const { total, throttled, notModified } = requestCounts(github);
  const byEndpoint = Object.fromEntries([...github.requests].sort((a, b) => b[1] - a[1]));
  return { requests: total, requestsPerJob: round(total / jobs, 3), throttled, notModified, byEndpoint };
}

/** VMs still in the tart doubles and registrations still on the fake GitHub. */
export function leftovers(github: FakeGitHub, hosts: SimHost[]): { vms: number; registrations: number } {
  return { vms: hosts.reduce((n, h) => n + h.vms(), 0), registrations: github.runners().length };
}
