/**
 * `npm run demo`: a burst of jobs across several workflows on a simulated fleet of three Mac minis,
 * with live progress and a closing summary. Exit 0 only when every job completed and nothing leaked.
 */
import type { RunnerStage } from '../../core/agent-api/contract';
import { startFleet, type Fleet, type FleetPool } from './fleet';
import { percentile, renderTable } from './report';

export interface DemoOptions {
  root: string;
  jobs: number;
  hosts: number;
  bootMs: number;
  /** Give up after this long. */
  deadlineMs: number;
  out: (text: string) => void;
  /** Redraw progress in place (a terminal) rather than print a line every few seconds. */
  tty: boolean;
  /** Resolves when the user asks to stop (Ctrl-C). */
  interrupted: Promise<void>;
  /** Where process logs go (a file), for when something fails. */
  logLine?: (line: string) => void;
  /** After the summary, keep the fleet (and its status page) up until `interrupted`. */
  keep?: boolean;
  /** The dispatcher's fleet token (the status page's login); a random throwaway, printed, when absent. */
  fleetToken?: string;
}

export interface DemoResult {
  ok: boolean;
  /** Stopped by Ctrl-C (exit 130). */
  interrupted?: boolean;
  jobs: number;
  completed: number;
  vmsLeaked: number;
  runnersLeaked: number;
  processesLeaked: number;
  startLatencyP50: number;
  startLatencyP95: number;
  bootP50: number;
  wallSeconds: number;
}

const POOLS: FleetPool[] = [
  { name: 'macos-15', labels: ['macOS', 'arm64', 'macos-15'] },
  { name: 'xcode-16', labels: ['macOS', 'arm64', 'xcode-16'] },
];

/** Workflows of the burst: name, runs-on labels, share of the jobs. */
const WORKFLOWS = [
  { name: 'CI / unit tests', labels: ['self-hosted', 'macOS', 'arm64'], share: 0.35 },
  { name: 'Release / archive', labels: ['self-hosted', 'macOS', 'xcode-16'], share: 0.25 },
  { name: 'Nightly / UI tests', labels: ['self-hosted', 'macos-15'], share: 0.25 },
  { name: 'Lint', labels: ['self-hosted', 'macOS'], share: 0.15 },
];
/** A job no pool serves: the dispatcher must leave it alone. */
const FOREIGN = { name: 'Windows smoke', labels: ['self-hosted', 'windows'] };

const BOOTING: ReadonlySet<RunnerStage> = new Set(['requested', 'cloning', 'booting', 'ssh-ready', 'registering']);
const ALIVE: ReadonlySet<RunnerStage> = new Set([...BOOTING, 'online', 'running', 'tearing-down']);

/** Where to look at the fleet while it runs. A token generated for this demo is shown so the page can
 * be opened at all; one the user chose (TARTFLEET_FLEET_TOKEN) never is. */
function statusHint(url: string, throwawayToken: string | undefined): string {
  const token = throwawayToken === undefined ? 'the token in $TARTFLEET_FLEET_TOKEN' : `the throwaway token ${throwawayToken} (set TARTFLEET_FLEET_TOKEN to choose one)`;
  return [
    `status page: ${url}/status  (log in with ${token})`,
    `in a terminal: TARTFLEET_FLEET_TOKEN=… node build/dispatcher/tartfleet-dispatcher.mjs status --url ${url}`,
    '',
  ].join('\n');
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const t0 = Date.now();
  o.out(`tartfleet demo: ${o.hosts} simulated Mac minis × 2 slots, VM boot ${(o.bootMs / 1000).toFixed(1)} s, ${o.jobs} jobs in ${WORKFLOWS.length} workflows\n`);
  o.out('starting fake GitHub, dispatcher and host agents…\n');
  let fleet: Fleet | undefined;
  let stopped = false;
  void o.interrupted.then(() => {
    stopped = true;
  });
  try {
    fleet = await startFleet({ root: o.root, hosts: o.hosts, pools: POOLS, bootMs: o.bootMs, onLine: o.logLine, ...(o.fleetToken ? { fleetToken: o.fleetToken } : {}), // A short idle grace: a runner whose job was taken by another pool's runner (any runner whose
    // labels match may take any job) is removed soon after the demand is gone.
    dispatcher: { intervalMs: 5_000, busyIntervalMs: 1_000, idleGraceMs: 5_000 } });
    const gh = fleet.github;
    o.out(`dispatcher ${fleet.dispatcherUrl()}, agents ${fleet.agents.map((a) => a.url).join(' ')}\n`);
    o.out(statusHint(fleet.dispatcherUrl(), o.fleetToken ? undefined : fleet.fleetToken) + '\n');

    // The burst: one run per workflow, jobs of 1.5-4 s.
    const jobIds: number[] = [];
    let left = o.jobs;
    WORKFLOWS.forEach((wf, i) => {
      const n = i === WORKFLOWS.length - 1 ? left : Math.max(1, Math.round(o.jobs * wf.share));
      left -= n;
      if (n <= 0) return;
      const { jobIds: ids } = gh.enqueueRun({
        workflowName: wf.name,
        jobs: Array.from({ length: n }, (_, k) => ({ name: `${wf.name.split(' / ').pop()} #${k + 1}`, labels: wf.labels, durationMs: 1_500 + Math.floor(Math.random() * 2_500) })),
      });
      jobIds.push(...ids);
    });
    const foreign = gh.enqueueRun({ workflowName: FOREIGN.name, jobs: [{ name: FOREIGN.name, labels: FOREIGN.labels }] }).jobIds[0] as number;
    const queuedAt = Date.now();
    for (const wf of WORKFLOWS) {
      const n = jobIds.filter((id) => gh.job(id)?.workflowName === wf.name).length;
      o.out(`  queued ${String(n).padStart(3)} × ${wf.name.padEnd(20)} runs-on [${wf.labels.join(', ')}]\n`);
    }
    o.out(`  queued   1 × ${FOREIGN.name.padEnd(20)} runs-on [${FOREIGN.labels.join(', ')}]  (no pool serves it)\n\n`);

    const boots = new Map<string, number>();
    let lastPrint = 0;
    let drawn = 0;
    const deadline = t0 + o.deadlineMs;
    for (;;) {
      const jobs = jobIds.map((id) => gh.job(id)).filter((j) => j !== undefined);
      const done = jobs.filter((j) => j.status === 'completed').length;
      const running = jobs.filter((j) => j.status === 'in_progress').length;
      const queued = jobs.length - done - running;
      const records = await fleet.records();
      const hostLines: string[] = [];
      const compact: string[] = [];
      for (const a of fleet.agents) {
        const rs = records.get(a.id) ?? [];
        for (const r of rs) {
          const from = r.timestamps.cloning ?? r.timestamps.requested;
          const to = r.timestamps['ssh-ready'];
          if (from && to && !boots.has(r.name)) boots.set(r.name, (Date.parse(to) - Date.parse(from)) / 1000);
        }
        // A VM holds its slot until it stops (vmStoppedAt); its delete may still be running.
        const alive = rs.filter((r) => ALIVE.has(r.stage) && r.vmStoppedAt === undefined).length;
        const booting = rs.filter((r) => BOOTING.has(r.stage)).length;
        const jobsRunning = rs.filter((r) => r.stage === 'running').length;
        hostLines.push(`  ${a.id}  slots ${'■'.repeat(alive)}${'□'.repeat(Math.max(0, 2 - alive))} ${alive}/2 busy   booting ${booting}   running ${jobsRunning}`);
        compact.push(`${a.id} ${alive}/2 busy, ${booting} booting`);
      }
      const secs = ((Date.now() - queuedAt) / 1000).toFixed(1).padStart(5);
      const bar = `  jobs  queued ${String(queued).padStart(3)}   running ${String(running).padStart(3)}   done ${String(done).padStart(3)}/${jobs.length}   t=${secs}s`;
      const frame = [...hostLines, bar, `  left alone: 1 job with labels [${FOREIGN.labels.join(', ')}] (no pool serves them): ${gh.job(foreign)?.status}`];
      if (o.tty) {
        if (drawn > 0) o.out(`\x1b[${drawn}A`);
        o.out(frame.map((l) => `\x1b[2K${l}`).join('\n') + '\n');
        drawn = frame.length;
      } else if (Date.now() - lastPrint > 3_000 || done === jobs.length) {
        o.out(`${bar.trim()}  |  ${compact.join('  ')}\n`);
        lastPrint = Date.now();
      }
      if (done === jobs.length || stopped || Date.now() > deadline) break;
      await sleep(250);
    }
    if (stopped) {
      o.out('\ninterrupted: stopping the dispatcher and draining the agents (their VMs are torn down)…\n');
      const closed = await fleet.close();
      fleet = undefined;
      const clean = (closed.vmsAfterStop ?? []).length === 0 && closed.processes.length === 0;
      o.out(`stopped. VMs left: ${(closed.vmsAfterStop ?? []).length}, processes left: ${closed.processes.length}${clean ? ' — nothing left behind' : ''}\n`);
      return { ok: false, interrupted: true, jobs: jobIds.length, completed: 0, vmsLeaked: (closed.vmsAfterStop ?? []).length, runnersLeaked: 0, processesLeaked: closed.processes.length, startLatencyP50: 0, startLatencyP95: 0, bootP50: 0, wallSeconds: (Date.now() - t0) / 1000 };
    }

    const allDone = jobIds.every((id) => gh.job(id)?.status === 'completed');
    if (!allDone && !stopped) o.out(`\ngave up after ${Math.round(o.deadlineMs / 1000)} s: ${jobIds.filter((id) => gh.job(id)?.status !== 'completed').length} jobs not completed\n`);
    // Teardown after the last job, then: what is left is leaked.
    const settled = await fleet.settle(30_000);
    const foreignUntouched = gh.job(foreign)?.status === 'queued' && gh.job(foreign)?.runnerName === null;
    gh.cancelJob(foreign);
    const latencies = jobIds.map((id) => gh.job(id)).filter((j) => j?.startedAt != null).map((j) => ((j!.startedAt as number) - j!.createdAt) / 1000);
    const completed = jobIds.filter((id) => gh.job(id)?.status === 'completed').length;
    // Each runner is one VM: a runner name is the VM's name, used once.
    const runnersUsed = new Set(jobIds.map((id) => gh.job(id)?.runnerName).filter((n) => n)).size;
    if (o.keep && !stopped) {
      o.out(`\n--keep: the fleet stays up. Status page ${fleet.dispatcherUrl()}/status — Ctrl-C to stop.\n`);
      await o.interrupted;
    }
    const closed = await fleet.close();
    fleet = undefined;
    const result: DemoResult = {
      ok: allDone && runnersUsed === completed && settled.vms.length === 0 && settled.registrations.length === 0 && closed.processes.length === 0 && (closed.vmsAfterStop ?? []).length === 0 && foreignUntouched,
      jobs: jobIds.length,
      completed,
      vmsLeaked: settled.vms.length,
      runnersLeaked: settled.registrations.length,
      processesLeaked: closed.processes.length,
      startLatencyP50: percentile(latencies, 50),
      startLatencyP95: percentile(latencies, 95),
      bootP50: percentile([...boots.values()], 50),
      wallSeconds: (Date.now() - t0) / 1000,
    };
    o.out('\n' + renderTable([
      ['jobs', `${result.jobs} (${result.completed} completed) in ${WORKFLOWS.length} workflows; 1 foreign job ${foreignUntouched ? 'left alone' : 'TOUCHED'}`],
      ['VMs (runners) used', `${runnersUsed} for ${completed} jobs${runnersUsed === completed ? ' (one per job)' : ''}`],
      ['job start latency p50', `${result.startLatencyP50.toFixed(1)} s`],
      ['job start latency p95', `${result.startLatencyP95.toFixed(1)} s`],
      ['VM boot p50', `${result.bootP50.toFixed(1)} s`],
      ['VMs leaked', String(result.vmsLeaked + (closed.vmsAfterStop ?? []).length)],
      ['runners leaked', String(result.runnersLeaked)],
      ['processes leaked', String(result.processesLeaked)],
      ['wall time', `${result.wallSeconds.toFixed(1)} s`],
    ]) + '\n');
    o.out(result.ok ? 'demo OK\n' : 'demo FAILED\n');
    return result;
  } finally {
    await fleet?.close().catch(() => {});
  }
}
