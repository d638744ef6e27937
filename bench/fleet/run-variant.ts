/**
 * Runs one variant on a fresh fleet (its own fake GitHub, hosts and network, so no counter or rate
 * limit carries over): the burst enqueued at once, wait for every job (or give up after 5× the ideal
 * in simulated time), then a settle period for the variant to clean up before leftovers are counted.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as realSleep } from 'node:timers/promises';
import type { FakeGitHub } from '../../test/fake-github/src/create-fake-github';
import { createBenchGitHub, REPO } from './bench-github';
import { githubMetrics, idealSeconds, jobMetrics, leftovers } from './fleet-metrics';
import { createInProcessNet } from './in-process-net';
import { createScaledClock } from './scaled-clock';
import { createSimHost } from './sim-host';
import { DISPATCHER_URL, type Variant, type Workload } from './variant';
import { refillDelays } from '../../demo/src/refill-delays';
import { percentile } from '../bench-env';
import { stageMediansS } from '../stage-medians';

/** Simulated time the variant gets after the last job to remove idle runners and VMs: twice the
 * dispatcher's webhook-time interval (180 s) plus its idle grace (60 s) and a regular pass (30 s). */
const SETTLE_MS = 600_000;

function enqueueBurst(github: FakeGitHub, w: Workload): number[] {
  const ids: number[] = [];
  for (let first = 0; first < w.jobs; first += w.runSize) {
    const count = Math.min(w.runSize, w.jobs - first);
    const jobs = Array.from({ length: count }, (_, i) => ({ name: `job-${first + i}`, labels: ['self-hosted', 'macOS'], durationMs: w.jobMs }));
    ids.push(...github.enqueueRun({ repo: REPO, jobs }).jobIds);
  }
  return ids;
}

/** Polls `done` every 50 ms of real time until it holds or `maxSimMs` of simulated time passed. */
async function until(clock: { now(): number }, maxSimMs: number, done: () => boolean): Promise<boolean> {
  const end = clock.now() + maxSimMs;
  while (!done()) {
    if (clock.now() >= end) return false;
    await realSleep(50);
  }
  return true;
}

export async function runVariant(variant: Variant, w: Workload): Promise<Record<string, unknown>> {
  const net = createInProcessNet();
  const restoreFetch = net.installGlobally();
  const clock = createScaledClock(w.scale);
  const github = createBenchGitHub(net, clock);
  const stateRoot = mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'tf-bench-fleet-'));
  const hosts = variant.agents
    ? Array.from({ length: w.hosts }, (_, index) => createSimHost({ index, net, clock, bootMs: w.bootMs, stateRoot, ...(variant.slotCallback ? { dispatcherUrl: DISPATCHER_URL } : {}) }))
    : [];
  try {
    await Promise.all(hosts.map((h) => h.service.ready));
    const controller = await variant.start({ net, clock, github, hosts, workload: w });
    const cpu0 = process.cpuUsage();
    const real0 = performance.now();
    let peakRss = process.memoryUsage().rss;
    const rssSampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
    const t0 = clock.now();
    const jobIds = enqueueBurst(github, w);
    const allDone = (): boolean => jobIds.every((id) => github.job(id)?.status === 'completed');
    const finished = await until(clock, 5 * idealSeconds(w) * 1000, allDone);
    const burstRealS = (performance.now() - real0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const jobs = jobMetrics(github, jobIds, t0, w);
    const requests = githubMetrics(github, w.jobs);
    // Where the agents' slot time went (simulated seconds), and how long a stopped VM's slot waited
    // for its next runner request.
    const records = hosts.flatMap((h) => h.service.list());
    const refill = refillDelays(records, w.hosts * 2).map((x) => x / 1000);
    const slotTime = hosts.length === 0 ? {} : { stageMedianS: stageMediansS(records), refillS: { p50: Math.round(percentile(refill, 50) * 10) / 10, p95: Math.round(percentile(refill, 95) * 10) / 10, n: refill.length } };
    const settleMs = variant.keepsRegistrations ? 0 : SETTLE_MS;
    await until(clock, settleMs, () => {
      const left = leftovers(github, hosts);
      return left.vms === 0 && left.registrations === 0;
    });
    const left = leftovers(github, hosts);
    clearInterval(rssSampler);
    const extra = controller.report?.() ?? {};
    await controller.stop();
    return {
      variant: variant.name,
      design: variant.design,
      finished,
      ...jobs,
      githubRequests: requests.requests,
      githubRequestsPerJob: requests.requestsPerJob,
      throttled: requests.throttled,
      githubNotModified: requests.notModified,
      leftovers: { ...left, keptByDesign: variant.keepsRegistrations, settleSimS: settleMs / 1000 },
      leaks: variant.keepsRegistrations ? left.vms : left.vms + left.registrations,
      realSeconds: Math.round(burstRealS * 10) / 10,
      cpuSeconds: Math.round(((cpu.user + cpu.system) / 1e6) * 10) / 10,
      processPeakRssMb: Math.round(peakRss / 1024 / 1024),
      ...slotTime,
      githubRequestsByEndpoint: requests.byEndpoint,
      ...extra,
    };
  } finally {
    await Promise.all(hosts.map((h) => h.shutdown().catch(() => undefined)));
    github.close();
    restoreFetch();
    rmSync(stateRoot, { recursive: true, force: true });
  }
}
