/**
 * Agent lifecycle benchmarks on the tart simulator (issue 4, "Performance"):
 *
 * 1. Overhead. BENCH_RUNS runners one after another, simulated boot time fixed at BOOT_MS. For each:
 *      overhead = (online − requested) − cloning stage − BOOT_MS − R
 *    where R is the runner stand-in's own time from start to `Listening for Jobs` (median of direct
 *    runs without the agent, same guest, same fake GitHub). What is left is the agent's share: tart
 *    calls around the clone, `tart ip` polling, the SSH dial/handshake, the bootstrap exec and
 *    console parsing. BOOT_MS is 5 s so the lease (at 80 % of boot) is visible a full `tart ip`
 *    poll interval (1 s, tart's own) before SSH answers. Target: p95 ≤ 300 ms.
 * 2. Memory. The lifecycle service in its own process (test/host-agent/core/harness) with 2 VMs
 *    running jobs; VmRSS sampled every 100 ms. Target: ≤ 80 MB. (The HTTP app and metrics are not in
 *    that process; see bench/agent-http-host.* for the API side.)
 *
 * Writes bench/results/agent-lifecycle.json. Run: node scripts/build.mjs sim && node bench/agent-lifecycle-run.mjs
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createFileJournal } from '../host-agent/src/journal/journal';
import { createRunnerService } from '../host-agent/src/lifecycle/runner-service';
import { createSsh2RemoteShell } from '../host-agent/src/ssh/remote-shell';
import { silentLogger } from '../host-agent/src/util/logger';
import { createRecordingObserver } from '../test/fakes/recording-observer';
import { killAgentProcesses, startAgentProcess } from '../test/host-agent/core/helpers/agent-process';
import { createSimEnv, repoRoot } from '../test/host-agent/core/helpers/sim-env';
import { waitFor } from '../test/host-agent/core/helpers/wait-for';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const BOOT_MS = Number(process.env.BOOT_MS ?? 5_000);

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
};

const env = await createSimEnv({ bootMs: BOOT_MS, env: { TART_SIM_MAX_DARWIN_VMS: '2' } });
try {
  // R: the runner stand-in alone, from start to `Listening for Jobs`.
  const guestHome = path.join(env.tartHome, 'vms/base/guest/Users/admin');
  const runnerOnly: number[] = [];
  for (let i = 0; i < 7; i++) {
    const jit = await env.mint(`tf-mac-r${i}`, ['self-hosted', 'macos']);
    const started = performance.now();
    const child = spawn('/bin/bash', [path.join(guestHome, 'actions-runner/run.sh')], { cwd: guestHome, env: { HOME: guestHome, PATH: '/usr/bin:/bin', ACTIONS_RUNNER_INPUT_JITCONFIG: jit }, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor('stand-in listening', () => out.includes('Listening for Jobs'), 30_000, 5);
    runnerOnly.push(performance.now() - started);
    child.kill('SIGKILL');
  }
  const R = pct(runnerOnly, 50);

  const config = env.config({ deadlines: { cloneMs: 30_000, bootMs: 30_000, sshMs: 30_000, onlineMs: 30_000, jobMs: 60_000, teardownMs: 30_000 } });
  const service = createRunnerService({
    config,
    tart: env.tart,
    shell: createSsh2RemoteShell({ logger: silentLogger }),
    journal: createFileJournal({ stateDir: config.stateDir, logger: silentLogger }),
    observer: createRecordingObserver(),
    logger: silentLogger,
    version: 'bench',
  });
  await service.ready;
  const rows: { total: number; clone: number; booting: number; registering: number; overhead: number }[] = [];
  for (let i = 0; i < RUNS; i++) {
    const name = `tf-mac-b${i}`;
    const jit = await env.mint(name, ['self-hosted', 'macos']);
    service.start({ name, pool: 'mac', labels: ['self-hosted', 'macos'], jitConfig: jit });
    const rec = await waitFor(`${name} online`, () => {
      const r = service.get(name);
      if (r?.failure) throw new Error(`${name} failed: ${r.failure.reason} ${r.failure.message}`);
      return r?.timestamps.online ? r : undefined;
    }, 60_000, 5);
    const t = (s: keyof typeof rec.timestamps): number => Date.parse(rec.timestamps[s] ?? '');
    const total = t('online') - t('requested');
    const clone = t('booting') - t('cloning');
    rows.push({ total, clone, booting: t('ssh-ready') - t('booting'), registering: t('online') - t('registering'), overhead: total - clone - BOOT_MS - R });
    await service.cancel(name);
  }
  await service.shutdown(1_000);

  // RSS with two VMs running jobs, the lifecycle in its own process.
  env.github.enqueueRun({ jobs: [0, 1].map((i) => ({ name: `rss-${i}`, labels: ['self-hosted', 'macos', 'rss'], durationMs: 8_000 })) });
  const agent = await startAgentProcess({ config: { ...config, stateDir: path.join(env.root, 'state-rss') } });
  await agent.waitEvent('ready');
  for (const i of [0, 1]) {
    const name = `tf-mac-rss${i}`;
    agent.send({ op: 'start', request: { name, pool: 'mac', labels: ['self-hosted', 'macos', 'rss'], jitConfig: await env.mint(name, ['self-hosted', 'macos', 'rss']) } });
  }
  const rssKb: number[] = [];
  const vmsRunning = async (): Promise<number> => (await env.tart.list()).filter((vm) => vm.state === 'running').length;
  await waitFor('2 VMs running', async () => (await vmsRunning()) === 2, 60_000, 100);
  while ((await vmsRunning()) === 2) {
    const status = readFileSync(`/proc/${agent.child.pid}/status`, 'utf8');
    rssKb.push(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0));
    await new Promise((r) => setTimeout(r, 100));
  }
  await killAgentProcesses();

  const overheads = rows.map((r) => r.overhead);
  const result = {
    date: new Date().toISOString(),
    runs: RUNS,
    bootMs: BOOT_MS,
    runnerStandInToListeningMs: { p50: Math.round(R), samples: runnerOnly.map(Math.round) },
    overheadMs: { p50: pct(overheads, 50), p95: pct(overheads, 95), max: Math.max(...overheads), target_p95: 300 },
    stagesMs: {
      cloning_p50: pct(rows.map((r) => r.clone), 50),
      booting_p50: pct(rows.map((r) => r.booting), 50),
      registering_p50: pct(rows.map((r) => r.registering), 50),
      requestedToOnline_p95: pct(rows.map((r) => r.total), 95),
    },
    rssMbWith2Vms: { max: Math.round(Math.max(...rssKb) / 1024), samples: rssKb.length, target: 80 },
  };
  console.table(rows);
  console.log(JSON.stringify(result, null, 2));
  writeFileSync(path.join(repoRoot, 'bench/results/agent-lifecycle.json'), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await killAgentProcesses();
  await env.close();
}
