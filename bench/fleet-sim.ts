/**
 * A burst on the simulated fleet, all real processes (the fake GitHub sending webhooks, the
 * dispatcher, agents on the tart simulator with sshd-backed guests and runner stand-ins): how close
 * the burst's makespan comes to its ideal, ⌈jobs / slots⌉ × (boot + job), and where each slot's
 * time goes. Agents call the dispatcher back when a slot frees (event-driven refill); reconcile
 * passes run every 30 s, the production default, so they are only the safety net.
 *
 * Per runner, from the agents' stage timestamps: clone (requested → booting), boot → SSH-ready,
 * registering → online, running → slot free (the job, the runner's exit, the guest's shutdown), the
 * delete after the slot is free (stop → gone);
 * fleet-wide, the refill delay: the k-th VM stop to the (slots + k)-th runner request.
 * Run: npm run bench:fleet-sim [-- --hosts 3 --jobs 24 --boot-ms 3000 --job-ms 3000];
 * JSON in bench/results/fleet-sim.json; the last line sums it up.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isSpareVmName } from '../core/names';
import { startFleet } from '../demo/src/fleet';
import { waitFor } from '../demo/src/proc';
import { refillDelays } from '../demo/src/refill-delays';
import { percentile, resultsFile, size } from './bench-env';
import { stageMediansS } from './stage-medians';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: size('3', '1') },
    jobs: { type: 'string', default: size('24', '3') },
    'boot-ms': { type: 'string', default: size('3000', '300') },
    'job-ms': { type: 'string', default: size('3000', '300') },
  },
});
const hosts = Number(values.hosts);
const jobs = Number(values.jobs);
const bootMs = Number(values['boot-ms']);
const jobMs = Number(values['job-ms']);
for (const [name, v] of [['hosts', hosts], ['jobs', jobs], ['boot-ms', bootMs], ['job-ms', jobMs]] as const) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name}: expected a positive integer, got '${String(values[name])}'`);
}
const SLOTS_PER_HOST = 2;
const slots = hosts * SLOTS_PER_HOST;
const root = process.env.TARTFLEET_ROOT ?? process.cwd();
const round = (x: number): number => Math.round(x * 100) / 100;

// One spare clone per slot: a burst frees both slots of a host at once, and each next runner should
// find its VM cloned already.
const fleet = await startFleet({ root, hosts, pools: [{ name: 'macos', labels: ['macOS'], spareClones: SLOTS_PER_HOST }], bootMs, dispatcher: { intervalMs: 30_000, busyIntervalMs: 30_000 } });
try {
  const t0 = Date.now();
  const jobIds = fleet.github.enqueueRun({ jobs: Array.from({ length: jobs }, (_, i) => ({ name: `job-${i}`, labels: ['self-hosted', 'macOS'], durationMs: jobMs })) }).jobIds;
  await waitFor('the burst to complete', () => jobIds.every((id) => fleet.github.job(id)?.status === 'completed'), 20 * 60_000, 100);
  const finished = Math.max(...jobIds.map((id) => fleet.github.job(id)?.completedAt ?? NaN));
  const makespanS = (finished - t0) / 1000;
  const idealS = (Math.ceil(jobs / slots) * (bootMs + jobMs)) / 1000;
  const records = [...(await fleet.records()).values()].flat();
  const refill = refillDelays(records, slots);
  const result = {
    hosts,
    slots,
    jobs,
    bootMs,
    jobMs,
    makespanS: round(makespanS),
    idealS,
    ratio: round(makespanS / idealS),
    runners: records.length,
    fromSpare: records.filter((r) => isSpareVmName(r.vm ?? '')).length,
    failed: jobIds.filter((id) => fleet.github.job(id)?.conclusion !== 'success').length,
    stageMedianS: stageMediansS(records),
    refillMs: { p50: Math.round(percentile(refill, 50)), max: Math.round(Math.max(...refill, 0)), n: refill.length },
  };
  writeFileSync(resultsFile('fleet-sim.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
  console.log(`fleet-sim: hosts=${hosts} slots=${slots} jobs=${jobs} makespan_s=${result.makespanS} ideal_s=${idealS} makespan_ratio=${result.ratio} clone_p50_s=${result.stageMedianS.clone} from_spare=${result.fromSpare}/${result.runners} refill_p50_ms=${result.refillMs.p50} failed=${result.failed}`);
} finally {
  await fleet.close();
}
