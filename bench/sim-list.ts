/**
 * `tart list --format json` with 50 VMs on the simulator (issue 2: ≤ 100 ms). Builds a TART_HOME
 * with one created VM and 49 clones, then times the bundle, the bin wrapper and a bare `node -e 0`
 * (the floor no Node CLI can beat), interleaved so machine load hits all three alike. Prints a table
 * and writes bench/results/sim-list.json. Run: npm run bench:sim
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { percentile, resultsFile, size } from './bench-env';

const root = process.env.TARTFLEET_ROOT ?? process.cwd();
const RUNS = Number(process.env.BENCH_RUNS ?? size(41, 3));
const VMS = size(50, 5);
const home = mkdtempSync(path.join(tmpdir(), 'bench-sim-list-'));
const env = { ...process.env, TART_HOME: home };
const bundle = path.join(root, 'build', 'sim', 'tart.mjs');
const bin = path.join(root, 'test', 'sim', 'bin', 'tart');

function tart(args: string[]): string {
  const r = spawnSync(process.execPath, [bundle, ...args], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tart ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function time(cmd: string, args: string[]): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}


try {
  tart(['create', '--from-ipsw', 'latest', 'base']);
  for (let i = 1; i < VMS; i++) tart(['clone', 'base', `vm-${i}`]);
  const listed = JSON.parse(tart(['list', '--format', 'json'])) as unknown[];
  if (listed.length !== VMS) throw new Error(`expected ${VMS} VMs in the list, got ${listed.length}`);
  const subjects: Record<string, [string, string[]]> = {
    'node build/sim/tart.mjs list --format json': [process.execPath, [bundle, 'list', '--format', 'json']],
    'test/sim/bin/tart list --format json': [bin, ['list', '--format', 'json']],
    'node -e 0 (floor)': [process.execPath, ['-e', '0']],
  };
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(subjects).map((k) => [k, []]));
  for (const [cmd, args] of Object.values(subjects)) time(cmd, args);
  for (let i = 0; i < RUNS; i++) {
    for (const [name, [cmd, args]] of Object.entries(subjects)) samples[name]?.push(time(cmd, args));
  }
  const rows = Object.entries(samples).map(([name, xs]) => ({ name, median: percentile(xs, 50), p90: percentile(xs, 90), min: Math.min(...xs) }));
  console.log(`tart list --format json, ${VMS} VMs, ${RUNS} runs each (ms)`);
  console.log(`${'command'.padEnd(46)} ${'median'.padStart(7)} ${'p90'.padStart(7)} ${'min'.padStart(7)}`);
  for (const r of rows) console.log(`${r.name.padEnd(46)} ${r.median.toFixed(1).padStart(7)} ${r.p90.toFixed(1).padStart(7)} ${r.min.toFixed(1).padStart(7)}`);
  const floor = rows[2]?.median ?? 0;
  console.log(`simulator cost above the node floor (median): ${((rows[0]?.median ?? 0) - floor).toFixed(1)} ms`);
  writeFileSync(resultsFile('sim-list.json'), JSON.stringify({ vms: VMS, runs: RUNS, rows }, null, 2));
} finally {
  rmSync(home, { recursive: true, force: true });
}
