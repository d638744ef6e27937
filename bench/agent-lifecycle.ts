/**
 * Agent lifecycle benchmarks on the tart simulator (issue 4, "Performance"):
 *
 * 1. Overhead. BENCH_RUNS runners one after another, simulated boot time fixed at BOOT_MS. The driver
 *    and the SSH client are wrapped to time what the agent waits on, per runner:
 *      overhead = (online − requested) − tart clone − tart set
 *                 − (tart run spawned → both `tart ip` answered and the guest's sshd sends its banner)
 *                 − (bootstrap exec started → `Listening for Jobs` line)
 *    i.e. everything that is not tart working or the guest working: scheduling gaps, journal writes,
 *    the SSH handshake and auth, the bootstrap exec. The banner probe (every 20 ms) runs inside the
 *    wrapped `ip`, so the agent dials once sshd is up: its re-dial delay while sshd is still down
 *    (backoff capped at 100 ms) is not in this number. Also reported: the cruder
 *      (online − requested) − cloning stage − BOOT_MS − R
 *    with R the runner stand-in's own start → `Listening for Jobs` (median of direct runs), which
 *    also charges the simulator's process start and `tart ip`'s 1 s poll to the agent. Target: p95 ≤ 300 ms.
 * 2. Memory. The lifecycle service in its own process (test/helpers/harness) with 2 VMs
 *    running jobs; VmRSS sampled every 100 ms. Target: ≤ 80 MB. (The HTTP app and metrics are not in
 *    that process; see bench/agent-http-host.* for the API side.)
 *
 * Writes bench/results/agent-lifecycle.json. Run: npm run bench:agent
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createFileJournal } from '../host-agent/src/journal/journal';
import { createRunnerService } from '../host-agent/src/lifecycle/runner-service';
import { createSsh2RemoteShell } from '../host-agent/src/ssh/remote-shell';
import type { RemoteShell } from '../host-agent/src/ssh/remote-shell';
import type { TartCli } from '../host-agent/src/tart/tart-cli';
import { silentLogger } from '../core/logger';
import { createRecordingObserver } from '../test/fakes/recording-observer';
import { killAgentProcesses, startAgentProcess } from '../test/helpers/agent-process';
import { createSimEnv } from '../test/helpers/sim-env';
import { waitFor } from '../test/helpers/wait-for';
import { percentile, resultsFile, size } from './bench-env';

const RUNS = Number(process.env.BENCH_RUNS ?? size(20, 2));
const BOOT_MS = Number(process.env.BOOT_MS ?? size(5_000, 200));


/** True when something at host:port greets like an SSH server within 200 ms. */
function sshBanner(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(200, () => done(false));
    socket.once('data', (d: Buffer) => done(d.toString('latin1').startsWith('SSH-')));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

const env = await createSimEnv({ bootMs: BOOT_MS, env: { TART_SIM_MAX_DARWIN_VMS: '2' } });
try {
  // R: the runner stand-in alone, from start to `Listening for Jobs`.
  const guestHome = path.join(env.tartHome, 'vms/base/guest/Users/admin');
  const runnerOnly: number[] = [];
  for (let i = 0; i < size(7, 1); i++) {
    const jit = await env.mint(`tf-mac-r${i}`, ['self-hosted', 'macos']);
    const started = performance.now();
    const child = spawn('/bin/bash', [path.join(guestHome, 'actions-runner/run.sh')], { cwd: guestHome, env: { HOME: guestHome, PATH: '/usr/bin:/bin', ACTIONS_RUNNER_INPUT_JITCONFIG: jit }, stdio: ['ignore', 'pipe', 'ignore'], detached: true });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor('stand-in listening', () => out.includes('Listening for Jobs'), 30_000, 5);
    runnerOnly.push(performance.now() - started);
    // run.sh starts the listener through run-helper.sh, as the real one does: kill the whole group.
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    child.stdout.destroy();
  }
  const R = percentile(runnerOnly, 50);

  const config = env.config({ deadlines: { cloneMs: 30_000, bootMs: 30_000, sshMs: 30_000, onlineMs: 30_000, jobMs: 60_000, teardownMs: 30_000 } });
  // What tart and the guest spend, per runner (ms).
  const waited = new Map<string, { tart: number; runAt?: number; guest: number }>();
  const spent = (name: string) => waited.get(name) ?? waited.set(name, { tart: 0, guest: 0 }).get(name)!;
  const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      spent(name).tart += performance.now() - t0;
    }
  };
  const tart: TartCli = {
    ...env.tart,
    clone: (source, name, o) => timed(name, () => env.tart.clone(source, name, o)),
    set: (name, c, o) => timed(name, () => env.tart.set(name, c, o)),
    run(name, o) {
      spent(name).runAt = performance.now();
      return env.tart.run(name, o);
    },
    async ip(name, wait, o) {
      const ip = await env.tart.ip(name, wait, o);
      // The guest is booted when its sshd talks, which may be after the lease tart reads.
      await waitFor('sshd banner', () => sshBanner(ip, config.ssh.port), 30_000, 20);
      const w = spent(name);
      w.tart += performance.now() - (w.runAt ?? performance.now());
      return ip;
    },
  };
  const realShell = createSsh2RemoteShell({ logger: silentLogger });
  let current = '';
  const shell: RemoteShell = {
    async connect(options) {
      const session = await realShell.connect(options);
      return {
        hostKeyFingerprint: session.hostKeyFingerprint,
        close: () => session.close(),
        exec(command, execOptions) {
          const name = current;
          const t0 = performance.now();
          let seen = false;
          return session.exec(command, {
            ...execOptions,
            onLine(line, stream, truncated) {
              if (!seen && line.includes('Listening for Jobs')) {
                seen = true;
                spent(name).guest += performance.now() - t0;
              }
              execOptions?.onLine?.(line, stream, truncated);
            },
          });
        },
      };
    },
  };
  const service = createRunnerService({
    config,
    tart,
    shell,
    journal: createFileJournal({ stateDir: config.stateDir, logger: silentLogger }),
    observer: createRecordingObserver(),
    logger: silentLogger,
    version: 'bench',
  });
  await service.ready;
  const rows: { total: number; tart: number; guest: number; overhead: number; crude: number }[] = [];
  const failures: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    const name = `tf-mac-b${i}`;
    current = name;
    const jit = await env.mint(name, ['self-hosted', 'macos']);
    const t0 = performance.now();
    service.start({ name, pool: 'mac', labels: ['self-hosted', 'macos'], jitConfig: jit });
    const rec = await waitFor(`${name} online or failed`, () => {
      const r = service.get(name);
      return r?.timestamps.online || r?.failure ? r : undefined;
    }, 60_000, 2);
    if (rec.failure) {
      failures.push(`${name}: ${rec.failure.reason}: ${rec.failure.message}`);
      await service.cancel(name);
      continue;
    }
    const total = performance.now() - t0;
    const t = (st: keyof typeof rec.timestamps): number => Date.parse(rec.timestamps[st] ?? '');
    const w = spent(name);
    rows.push({
      total: Math.round(total),
      tart: Math.round(w.tart),
      guest: Math.round(w.guest),
      overhead: Math.round(total - w.tart - w.guest),
      crude: Math.round(t('online') - t('requested') - (t('booting') - t('cloning')) - BOOT_MS - R),
    });
    await service.cancel(name);
  }
  await service.shutdown(1_000);

  // RSS with two VMs running jobs, the lifecycle in its own process.
  env.github.enqueueRun({ jobs: [0, 1].map((i) => ({ name: `rss-${i}`, labels: ['self-hosted', 'macos', 'rss'], durationMs: size(8_000, 1_500) })) });
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
  const crude = rows.map((r) => r.crude);
  const result = {
    date: new Date().toISOString(),
    runs: RUNS,
    bootMs: BOOT_MS,
    runnerStandInToListeningMs: { p50: Math.round(R), samples: runnerOnly.map(Math.round) },
    overheadMs: { p50: percentile(overheads, 50), p95: percentile(overheads, 95), max: Math.max(...overheads), target_p95: 300 },
    crudeOverheadMs: { p50: percentile(crude, 50), p95: percentile(crude, 95) },
    requestedToOnlineMs: { p50: percentile(rows.map((r) => r.total), 50), p95: percentile(rows.map((r) => r.total), 95) },
    loadavg: readFileSync('/proc/loadavg', 'utf8').trim(),
    failedRunners: failures,
    rssMbWith2Vms: { max: Math.round(Math.max(...rssKb) / 1024), samples: rssKb.length, target: 80 },
  };
  console.table(rows);
  console.log(JSON.stringify(result, null, 2));
  writeFileSync(resultsFile('agent-lifecycle.json'), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await killAgentProcesses();
  await env.close();
}
