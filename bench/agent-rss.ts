/**
 * Resident memory of the real agent process (`tartfleet-agent serve`: HTTP app, metrics, lifecycle,
 * journal) while it runs two VMs, each with a job in progress, on the tart simulator. Target: ≤ 80 MB.
 * Samples /proc/<pid>/status VmRSS every 200 ms for the whole time both jobs run; prints the median
 * and the maximum, and writes bench/results/agent-rss.json. Run: npm run bench:agent-rss
 */
import { writeFileSync } from 'node:fs';
import { startFleet } from '../demo/src/fleet';
import { waitFor } from '../demo/src/proc';
import { procMemoryMb, resultsFile, size } from './bench-env';

const root = process.env.TARTFLEET_ROOT ?? process.cwd();

const rssMb = (pid: number): number => procMemoryMb(pid, 'VmRSS');

const fleet = await startFleet({ root, hosts: 1, pools: [{ name: 'macos', labels: ['macOS'] }], bootMs: size(1_000, 200) });
try {
  const agent = fleet.agents[0]!;
  const pid = agent.proc.child.pid!;
  const idle = rssMb(pid);
  const { jobIds } = fleet.github.enqueueRun({ jobs: [0, 1].map((i) => ({ name: `hold-${i}`, labels: ['self-hosted', 'macOS'], durationMs: size(15_000, 1_500) })) });
  await waitFor('both jobs running', () => jobIds.every((id) => fleet.github.job(id)?.status === 'in_progress'), 90_000, 100);
  const samples: number[] = [];
  while (jobIds.some((id) => fleet.github.job(id)?.status === 'in_progress')) {
    samples.push(rssMb(pid));
    await new Promise((r) => setTimeout(r, 200));
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)] ?? NaN;
  const max = samples.at(-1) ?? NaN;
  console.log(`agent RSS idle ${idle.toFixed(1)} MB; with 2 VMs running: median ${median.toFixed(1)} MB, max ${max.toFixed(1)} MB over ${samples.length} samples (target <= 80 MB)`);
  console.log(max <= 80 ? 'PASS' : 'FAIL');
  writeFileSync(resultsFile('agent-rss.json'), `${JSON.stringify({ date: new Date().toISOString(), idleMb: idle, withTwoVms: { medianMb: median, maxMb: max, samples: samples.length }, targetMb: 80 }, null, 2)}\n`);
} finally {
  await fleet.close();
}
