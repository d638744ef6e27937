/**
 * Issue #16's benchmark: a burst of M jobs (in runs of 100) for one pool on N hosts × 2 slots, in
 * compressed time, in one process, three ways side by side: our design (tartfleet), per-host polling,
 * and always-on runners. Each runs on a fresh fleet of the same kind (own fake GitHub, hosts, counters).
 *
 * Real: the agent's Hono app (request signing, routes) and its runner lifecycle (slots, the delete
 * queue, the slot-free callback; warm pool off); the dispatcher's core (buildDispatcher: webhook
 * route, placer, start-runner, pending demand in memory, slot-free route, reconciler, and the Node
 * adapter's reconcile loop); the agent client; Octokit; the fake GitHub (REST, rate limits, runner
 * protocol, signed workflow_job webhooks).
 * Doubles: tart (in memory, test/fakes/fake-tart.ts: a VM boots for `boot`), SSH and the guest
 * (test/fakes/fake-remote-shell.ts + bench/fleet/guest-runner.ts: the runner takes its job from the
 * fake GitHub, runs `job`, powers off), the agent's journal (memory), the network (bench/fleet/
 * in-process-net.ts hands each request to the app serving its origin), time (bench/fleet/
 * scaled-clock.ts: simulated time runs `scale`× real time for every timer and rate-limit window;
 * latency guards stay in real time). 100 Macs with real sshd do not fit on 2 cores.
 * One process: the RSS reported is the whole fleet's (agents, dispatcher, fake GitHub), not the
 * dispatcher's.
 *
 * CPU time is not compressed: every millisecond the process spends is `scale` simulated ms, so a
 * saturated CPU shows up as simulated latency (and widens every race). The defaults keep the CPU
 * below saturation on 2 shared cores and finish in about 5 minutes: 1,000 jobs (5 rounds of 200
 * slots), 10-minute jobs, scale 40. `--jobs 10000` is the issue's size; each agent-based variant then
 * needs several minutes of CPU alone.
 *
 * Run: npm run bench:fleet [-- --hosts 100 --jobs 1000 --boot-s 30 --job-s 600 --scale 40
 * --variants tartfleet,polling,always-on]; JSON in bench/results/fleet.json; the last line is ours.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { resultsFile, size } from './bench-env';
import { alwaysOnVariant } from './fleet/always-on-variant';
import { pollingVariant } from './fleet/polling-variant';
import { runVariant } from './fleet/run-variant';
import { tartfleetVariant } from './fleet/tartfleet-variant';
import type { Variant, Workload } from './fleet/variant';

const VARIANTS: Variant[] = [tartfleetVariant, pollingVariant, alwaysOnVariant];

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: size('100', '5') },
    jobs: { type: 'string', default: size('1000', '50') },
    'run-size': { type: 'string', default: size('100', '10') },
    'boot-s': { type: 'string', default: '30' },
    'job-s': { type: 'string', default: '600' },
    scale: { type: 'string', default: size('40', '1000') },
    variants: { type: 'string', default: VARIANTS.map((v) => v.name).join(',') },
  },
});
const num = (name: keyof typeof values): number => {
  const v = Number(values[name]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name}: expected a positive number, got '${String(values[name])}'`);
  return v;
};
const workload: Workload = {
  hosts: num('hosts'),
  jobs: num('jobs'),
  runSize: num('run-size'),
  bootMs: num('boot-s') * 1000,
  jobMs: num('job-s') * 1000,
  scale: num('scale'),
};
const chosen = String(values.variants).split(',');
const unknown = chosen.filter((name) => !VARIANTS.some((v) => v.name === name));
if (unknown.length > 0) throw new Error(`--variants: unknown ${unknown.join(', ')}; expected some of ${VARIANTS.map((v) => v.name).join(', ')}`);

console.log(`fleet: ${workload.hosts} hosts x 2 slots, ${workload.jobs} jobs; simulated time runs ${workload.scale}x real time (boot ${workload.bootMs / 1000} s = ${workload.bootMs / workload.scale} ms real, job ${workload.jobMs / 1000} s = ${workload.jobMs / workload.scale} ms real)`);
const results: Record<string, unknown>[] = [];
for (const variant of VARIANTS.filter((v) => chosen.includes(v.name))) {
  const result = await runVariant(variant, workload);
  console.log(`fleet: ${variant.name} done in ${String(result.realSeconds)} s real`);
  results.push(result);
}
const output = {
  workload: { ...workload, slots: workload.hosts * 2, idealS: (Math.ceil(workload.jobs / (workload.hosts * 2)) * (workload.bootMs + workload.jobMs)) / 1000 },
  time: `simulated seconds; simulated time runs ${workload.scale}x real time`,
  real: ['agent Hono app + request signing', 'agent runner lifecycle (slots, delete queue, slot-free callback; warm pool off)', 'dispatcher core (buildDispatcher, placer, start-runner, pending demand in memory, reconciler, reconcile loop)', 'agent client', 'Octokit', 'fake GitHub (REST, rate limits, runner protocol, webhooks)'],
  doubles: ['tart (in memory; boot = tart ip answering after boot)', 'SSH + guest (runner double takes its job from the fake GitHub over its runner protocol)', 'agent journal (memory)', 'network (in-process fetch by origin)', 'time (scaled clock; latency guards in real time)'],
  rss: 'process RSS of the whole fleet in one process (agents, dispatcher, fake GitHub): the dispatcher alone is not separable here',
  variants: results,
};
writeFileSync(resultsFile('fleet.json'), `${JSON.stringify(output, null, 2)}\n`);
console.log(JSON.stringify(output, null, 2));
const ours = results.find((r) => r.variant === 'tartfleet');
if (ours) {
  console.log(
    `fleet: hosts=${workload.hosts} jobs=${workload.jobs} makespan_ratio=${String(ours.makespanRatio)} start_p50_s=${String(ours.startP50S)} start_p95_s=${String(ours.startP95S)} github_requests_per_job=${String(ours.githubRequestsPerJob)} throttled=${String(ours.throttled)} leaks=${String(ours.leaks)}`,
  );
}
