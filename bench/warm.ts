/**
 * Warm capacity against cold starts on the simulated fleet (real agent processes on the tart
 * simulator, the dispatcher with webhooks, the fake GitHub), in one run:
 * 1. cold: jobs one at a time with no warm VMs: job start = queued → running (fake GitHub's
 *    created/started times), p50 and p95;
 * 2. warm: the same with one warm VM per host, each job sent once a warm VM is ready; beside it the
 *    runner stand-in's own start (bootstrap → `Listening for Jobs`, from the agents' records);
 * 3. steady: ~50 % load with warm capacity on: the share of slot-time spent on jobs, and the warm
 *    hit ratio from the agents' `runner_warm_handoffs_total`.
 * Run: npm run bench:warm [-- --boot-ms 5000 --jobs 8 --steady-s 60]; JSON in bench/results/warm.json
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { AgentImageClient } from '../core/agent-api/client';
import { startFleet, type Fleet } from '../demo/src/fleet';
import { waitFor } from '../demo/src/proc';
import { percentile, resultsFile, size } from './bench-env';

const { values } = parseArgs({ options: { 'boot-ms': { type: 'string', default: size('5000', '500') }, jobs: { type: 'string', default: size('8', '1') }, 'steady-s': { type: 'string', default: size('60', '4') } } });
const bootMs = Number(values['boot-ms']);
const jobs = Number(values.jobs);
const steadyS = Number(values['steady-s']);
const root = process.env.TARTFLEET_ROOT ?? process.cwd();
const LABELS = ['self-hosted', 'macOS'];
const SLOTS = 2;

const round = (x: number): number => Math.round(x * 100) / 100;

async function runOne(fleet: Fleet, durationMs: number): Promise<number> {
  const [id] = fleet.github.enqueueRun({ jobs: [{ name: 'bench', labels: LABELS, durationMs }] }).jobIds;
  await waitFor('the job to complete', () => fleet.github.job(id!)?.status === 'completed', 120_000, 50);
  const job = fleet.github.job(id!)!;
  return ((job.startedAt ?? NaN) - job.createdAt) / 1000;
}

async function warmReady(fleet: Fleet): Promise<boolean> {
  const infos = await Promise.all(fleet.agents.map((a) => a.client.host()));
  return infos.some((i) => (i.pools[0]?.warmReady ?? 0) > 0);
}

async function handoffs(fleet: Fleet): Promise<Record<string, number>> {
  const totals: Record<string, number> = {};
  for (const a of fleet.agents) {
    const text = await (await fetch(`${a.url}/metrics`)).text();
    for (const m of text.matchAll(/^runner_warm_handoffs_total\{pool="macos",result="(\w+)"\} (\d+)/gm)) totals[m[1]!] = (totals[m[1]!] ?? 0) + Number(m[2]);
  }
  return totals;
}

const fleet = await startFleet({ root, hosts: 2, pools: [{ name: 'macos', labels: ['macOS'] }], bootMs, dispatcher: { intervalMs: 30_000, busyIntervalMs: 1_000 } });
try {
  const setWarm = (n: number) => Promise.all(fleet.agents.map((a) => (a.adminClient as unknown as AgentImageClient).setWarmTarget('macos', n)));

  const cold: number[] = [];
  for (let i = 0; i < jobs; i++) cold.push(await runOne(fleet, 500));

  await setWarm(1);
  const warm: number[] = [];
  for (let i = 0; i < jobs; i++) {
    await waitFor('a ready warm VM', () => warmReady(fleet), 120_000, 50);
    warm.push(await runOne(fleet, 500));
  }
  const records = [...(await fleet.records()).values()].flat().filter((r) => r.vm && r.timestamps.registering && r.timestamps.online);
  const runnerStart = records.map((r) => (Date.parse(r.timestamps.online!) - Date.parse(r.timestamps.registering!)) / 1000);

  // Steady ~50 % load: a 4 s job every 2 s over 4 slots keeps about two busy.
  const before = await handoffs(fleet);
  const started = Date.now();
  const ids: number[] = [];
  while (Date.now() - started < steadyS * 1000) {
    ids.push(...fleet.github.enqueueRun({ jobs: [{ name: 'steady', labels: LABELS, durationMs: 4_000 }] }).jobIds);
    await new Promise((r) => setTimeout(r, 2_000));
  }
  await waitFor('the steady jobs to complete', () => ids.every((id) => fleet.github.job(id)?.status === 'completed'), 180_000, 100);
  const wall = (Math.max(...ids.map((id) => fleet.github.job(id)!.completedAt ?? 0)) - started) / 1000;
  const onJobs = ids.reduce((sum, id) => sum + ((fleet.github.job(id)!.completedAt ?? 0) - (fleet.github.job(id)!.startedAt ?? 0)) / 1000, 0);
  const after = await handoffs(fleet);
  const delta = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
  const requests = delta('hit') + delta('miss') + delta('evicted') + delta('unhealthy');
  const steadyStarts = ids.map((id) => ((fleet.github.job(id)!.startedAt ?? NaN) - fleet.github.job(id)!.createdAt) / 1000);

  const result = {
    bootMs,
    jobs,
    cold: { p50: round(percentile(cold, 50)), p95: round(percentile(cold, 95)), targetP50: round(bootMs / 1000 + 1) },
    warm: { p50: round(percentile(warm, 50)), p95: round(percentile(warm, 95)), targetP50: 1.5, runnerStartP50: round(percentile(runnerStart, 50)) },
    steady: {
      seconds: round(wall),
      jobs: ids.length,
      slotTimeOnJobs: round(onJobs / (fleet.agents.length * SLOTS * wall)),
      warmHitRatio: requests === 0 ? null : round(delta('hit') / requests),
      handoffs: { hit: delta('hit'), miss: delta('miss'), evicted: delta('evicted'), unhealthy: delta('unhealthy') },
      startP50: round(percentile(steadyStarts, 50)),
      startP95: round(percentile(steadyStarts, 95)),
    },
  };
  console.log(JSON.stringify(result, null, 2));
  writeFileSync(resultsFile('warm.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    `warm: boot_ms=${bootMs} cold_p50_s=${result.cold.p50} cold_p95_s=${result.cold.p95} warm_p50_s=${result.warm.p50} warm_p95_s=${result.warm.p95} runner_start_p50_s=${result.warm.runnerStartP50} slot_time_on_jobs=${result.steady.slotTimeOnJobs} warm_hit_ratio=${result.steady.warmHitRatio}`,
  );
} finally {
  await fleet.close();
}
