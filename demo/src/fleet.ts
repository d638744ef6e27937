/**
 * A whole simulated fleet on one machine, as real processes: the fake GitHub (in this process),
 * the dispatcher (`tartfleet-dispatcher serve`) and N host agents (`tartfleet-agent serve`), each
 * agent with its own TART_HOME on the tart simulator. Used by the demo and the end-to-end tests.
 * Everything it starts is stopped by `close()`, which also reports what was left behind.
 * Over 300 lines: one fleet's whole life (start, kill and restart of its parts, settle, close) kept
 * in one place, since each step depends on what the others started.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createAgentClient, type AgentClient } from '../../core/agent-api/client';
import type { RunnerRecord } from '../../core/agent-api/contract';
import { isSpareVmName } from '../../core/names';
import { startFakeGitHub, type FakeGitHubOptions, type RunningFakeGitHub } from '../../test/fake-github/src';
import { freeLoopbackPort } from './free-port';
import { startProc, type Proc } from './proc';
import { waitFor } from './wait-for';

const run = promisify(execFile);

export interface FleetPool {
  name: string;
  /** Runner labels (besides `self-hosted`). */
  labels: string[];
  /** The agents' `pools[].spareClones` (their default when absent). */
  spareClones?: number;
}

export interface FleetOptions {
  /** Repository root (bundles under build/, the simulator under test/sim/bin). */
  root: string;
  hosts: number;
  pools: FleetPool[];
  /** Simulated boot time of a VM. */
  bootMs: number;
  /** Per host; at most 2 (Apple's macOS licence). */
  slotsPerHost?: number;
  dispatcher?: { intervalMs?: number; busyIntervalMs?: number; offlineGraceMs?: number; idleGraceMs?: number; hostGraceMs?: number; verifyJobStatus?: boolean; timeoutMs?: number };
  /** Register a webhook from the fake GitHub to the dispatcher (false: poll-only mode). */
  webhooks?: boolean;
  github?: FakeGitHubOptions;
  /** More host URLs for every pool, with no agent behind them (fault tests: a host that hangs). */
  extraHosts?: { url: string; secret: string }[];
  /** Extra environment for agent processes (e.g. TART_SIM_FAULTS). */
  agentEnv?: (index: number) => NodeJS.ProcessEnv;
  /** Lines from every process, prefixed with its name. */
  onLine?: (line: string) => void;
  /** One HMAC secret for every agent (as the action, which has one `agent-secret`, needs); each
   * agent gets its own random secret otherwise. */
  sharedSecret?: string;
  /** The same for the admin scope (images, pools, drain, resume): the action's `admin-secret`. */
  sharedAdminSecret?: string;
  /** Extra top-level settings merged into each agent's config file (e.g. `images`). */
  agentConfig?: (index: number) => Record<string, unknown>;
  /** The dispatcher's fleet token (random when absent). */
  fleetToken?: string;
  /** Agents call the dispatcher back when a slot frees (`dispatcher.url` in their config); default true. */
  slotCallbacks?: boolean;
}

export interface FleetAgent {
  id: string;
  url: string;
  tartHome: string;
  proc: Proc;
  /** Signs with the runner-scope secret (what the dispatcher holds). */
  client: AgentClient;
  /** Signs with the admin-scope secret: drain, resume, images and pools. */
  adminClient: AgentClient;
}

export interface Leftovers {
  /** VMs still in any agent's TART_HOME. */
  vms: string[];
  /** Our runner registrations still on GitHub. */
  registrations: string[];
  /** Processes still alive that belong to this fleet (agents, tart, guests, runners, dispatcher). */
  processes: string[];
  /** From `close()`: VMs still in a TART_HOME after the agents stopped (their drain tears VMs down). */
  vmsAfterStop?: string[];
}

export interface Fleet {
  github: RunningFakeGitHub;
  agents: FleetAgent[];
  dispatcherUrl(): string;
  dispatcher(): Proc;
  /** kill -9 the dispatcher (a crash), or stop it gracefully. */
  stopDispatcher(how: 'crash' | 'graceful'): Promise<void>;
  startDispatcher(): Promise<void>;
  /** kill -9 the agent of host `index` (a crashed or vanished Mac). */
  killAgent(index: number): Promise<void>;
  /** Start that agent again, on the same port with the same secret and state. */
  restartAgent(index: number): Promise<FleetAgent>;
  /** VM names per host right now (`tart list`), without the stopped spare clones the agents keep on
   * purpose (`tf-<pool>-c<hex>`; one a runner took runs, and counts) unless `withSpares`. */
  vms(options?: { withSpares?: boolean }): Promise<Map<string, string[]>>;
  records(): Promise<Map<string, RunnerRecord[]>>;
  /** Runner registrations whose names are ours. */
  registrations(): string[];
  /** Wait until no VM exists and no registration of ours remains. */
  settle(timeoutMs: number): Promise<Leftovers>;
  leftovers(): Promise<Leftovers>;
  /** Stop everything; returns processes that had to be killed or survived. */
  close(): Promise<Leftovers>;
  workDir: string;
  /** The dispatcher's fleet token (`/v1/fleet`, `/status`); random per fleet unless given. */
  fleetToken: string;
}

export const AGENT_SECRET_ENV = 'TARTFLEET_AGENT_SECRET';

/** The guest's SSH port: the simulator binds 22 as root and 2222 otherwise; we pin it explicitly. */
function sshPort(): number {
  return process.getuid?.() === 0 ? 22 : 2222;
}

function randomSecret(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(24)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Processes whose command line or environment mentions `marker` (our work dir), except ourselves. */
async function processesMentioning(marker: string): Promise<string[]> {
  const out: string[] = [];
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const [cmdline, environ] = await Promise.all([readFile(`/proc/${pid}/cmdline`, 'utf8'), readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '')]);
      if (cmdline.includes(marker) || environ.includes(marker)) out.push(`${pid} ${cmdline.replace(/\0/g, ' ').trim().slice(0, 160)}`);
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return out;
}

export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const workDir = await mkdtemp(path.join(tmpdir(), 'tartfleet-fleet-'));
  const procs: Proc[] = [];
  const tart = path.join(options.root, 'test/sim/bin/tart');
  // TARTFLEET_AGENT_BUNDLE runs the fleet against another agent build (e.g. a released one).
  const agentBundle = process.env.TARTFLEET_AGENT_BUNDLE ?? path.join(options.root, 'build/host-agent/tartfleet-agent.mjs');
  const dispatcherBundle = path.join(options.root, 'build/dispatcher/tartfleet-dispatcher.mjs');
  const webhookSecret = randomSecret();
  const fleetToken = options.fleetToken ?? randomSecret();
  const port = sshPort();
  const line = (name: string) => (l: string) => options.onLine?.(`${name} ${l}`);
  let github: RunningFakeGitHub | undefined;
  const agents: FleetAgent[] = [];
  let dispatcherProc: Proc | undefined;
  let dispatcherUrl = '';
  // Known before the agents start, so their config can name the dispatcher for slot-free callbacks.
  let dispatcherPort = await freeLoopbackPort();
  let hookId: number | undefined;

  const closeAll = async (): Promise<void> => {
    await dispatcherProc?.stop(5_000);
    // Agents drain: running jobs are torn down after the drain timeout.
    await Promise.all(agents.map((a) => a.proc.stop(20_000)));
    for (const p of procs) await p.kill9();
    await github?.close();
  };

  try {
    github = await startFakeGitHub({ jitKeyBits: 1024, ...options.github });
    const gh = github;

    /** Start (or, after `killAgent`, restart on the same port) the agent of host `i`. */
    const startAgent = async (i: number, listenPort = 0, secret = options.sharedSecret ?? randomSecret(), adminSecret = options.sharedAdminSecret ?? randomSecret()): Promise<FleetAgent> => {
      const id = `mini-${i + 1}`;
      const tartHome = path.join(workDir, id, 'tart');
      const stateDir = path.join(workDir, id, 'state');
      const env = { ...process.env, TART_HOME: tartHome, TART_SIM_BOOT_MS: String(options.bootMs), TART_SIM_SSH_PORT: String(port), ...options.agentEnv?.(i) };
      if (listenPort === 0) {
        await mkdir(tartHome, { recursive: true });
        await mkdir(stateDir, { recursive: true });
        // Each pool's base image, as `tart create` makes it (guest scripts + runner stand-in).
        for (const pool of options.pools) await run(tart, ['create', `base-${pool.name}`, '--from-ipsw', 'latest'], { env });
      }
      const configFile = path.join(workDir, id, 'agent.json');
      await writeFile(
        configFile,
        JSON.stringify({
          hostId: id,
          listen: { host: '127.0.0.1', port: listenPort },
          tart: { bin: tart, home: tartHome },
          stateDir,
          maxVms: options.slotsPerHost ?? 2,
          pools: options.pools.map((p) => ({ name: p.name, image: `base-${p.name}`, labels: ['self-hosted', ...p.labels], ...(p.spareClones === undefined ? {} : { spareClones: p.spareClones }) })),
          ssh: { user: 'admin', port, hostKeyPolicy: 'accept-new' },
          deadlines: { cloneMs: 30_000, bootMs: 30_000, sshMs: 30_000, onlineMs: 30_000, jobMs: 120_000, teardownMs: 30_000 },
          reconcileIntervalMs: 5_000,
          drainTimeoutMs: 10_000,
          ...(options.slotCallbacks === false ? {} : { dispatcher: { url: `http://127.0.0.1:${dispatcherPort}` } }),
          ...options.agentConfig?.(i),
        }),
      );
      const proc = startProc(process.execPath, [agentBundle, 'serve', '--config', configFile], {
        env: { ...env, [AGENT_SECRET_ENV]: secret, TARTFLEET_AGENT_ADMIN_SECRET: adminSecret, TARTFLEET_SSH_PASSWORD: 'admin', LOG_LEVEL: 'info' },
        onLine: line(id),
      });
      procs.push(proc);
      const m = await proc.waitForLine(/"msg":"agent listening"/, 30_000);
      const url = (JSON.parse(m.input) as { url: string }).url;
      const agent: FleetAgent = {
        id,
        url,
        tartHome,
        proc,
        client: createAgentClient({ baseUrl: url, secret, timeoutMs: 5_000 }),
        adminClient: createAgentClient({ baseUrl: url, secret: adminSecret, timeoutMs: 5_000 }),
      };
      // Secrets are kept only in memory here and in the processes' environment.
      Object.assign(agent, { secret, adminSecret });
      agents[i] = agent;
      return agent;
    };
    for (let i = 0; i < options.hosts; i++) await startAgent(i);

    const d = options.dispatcher ?? {};
    const configFile = path.join(workDir, 'dispatcher.json');
    const writeDispatcherConfig = () =>
      writeFile(
        configFile,
        JSON.stringify({
          github: { apiUrl: gh.url, auth: { token: 'env:GH_TOKEN' }, org: 'acme', repos: ['acme/app'] },
          ...(options.webhooks === false ? {} : { webhook: { secrets: ['env:WEBHOOK_SECRET'] } }),
          fleetToken: 'env:FLEET_TOKEN',
          pools: options.pools.map((p) => ({
            name: p.name,
            labels: p.labels,
            image: `base-${p.name}`,
            hosts: [...agents.map((a, i) => ({ url: a.url, secret: `env:AGENT_SECRET_${i}` })), ...(options.extraHosts ?? []).map((h, i) => ({ url: h.url, secret: `env:EXTRA_HOST_SECRET_${i}` }))],
          })),
          reconcile: {
            intervalMs: d.intervalMs ?? 5_000,
            busyIntervalMs: d.busyIntervalMs ?? 1_000,
            offlineGraceMs: d.offlineGraceMs ?? 30_000,
            idleGraceMs: d.idleGraceMs ?? 60_000,
            ...(d.hostGraceMs !== undefined ? { hostGraceMs: d.hostGraceMs } : {}),
          },
          placement: { timeoutMs: d.timeoutMs ?? 1_000, cacheMs: 500 },
          verifyJobStatus: d.verifyJobStatus ?? true,
          // Survives the dispatcher's restarts, as a state directory would.
          demand: { sqlitePath: path.join(workDir, 'dispatcher-state', 'pending-demand.sqlite') },
          listen: { host: '127.0.0.1', port: dispatcherPort },
        }),
      );
    const dispatcherEnv = {
      ...process.env,
      GH_TOKEN: 'test-token',
      WEBHOOK_SECRET: webhookSecret,
      FLEET_TOKEN: fleetToken,
      TARTFLEET_GITHUB_RETRY_BASE_MS: '100',
      ...Object.fromEntries(agents.map((a, i) => [`AGENT_SECRET_${i}`, (a as FleetAgent & { secret: string }).secret])),
      ...Object.fromEntries((options.extraHosts ?? []).map((h, i) => [`EXTRA_HOST_SECRET_${i}`, h.secret])),
    };
    const startDispatcher = async (): Promise<void> => {
      await writeDispatcherConfig();
      const proc = startProc(process.execPath, [dispatcherBundle, 'serve', '--config', configFile], { env: dispatcherEnv, onLine: line('dispatcher') });
      procs.push(proc);
      dispatcherProc = proc;
      const m = await proc.waitForLine(/"msg":"listening"/, 30_000);
      dispatcherUrl = (JSON.parse(m.input) as { url: string }).url;
      // Restarts keep the port, so the webhook configured on GitHub stays right.
      dispatcherPort = Number(new URL(dispatcherUrl).port);
      if (options.webhooks !== false && hookId === undefined) hookId = gh.addWebhook({ url: `${dispatcherUrl}/webhook`, secret: webhookSecret, org: 'acme' });
    };
    await startDispatcher();

    const ours = () => gh.runners().filter((r) => /^tf-[a-z0-9-]+-j\d+a\d+$/.test(r.name)).map((r) => r.name);
    const vms = async (options: { withSpares?: boolean } = {}): Promise<Map<string, string[]>> => {
      const out = new Map<string, string[]>();
      await Promise.all(
        agents.map(async (a) => {
          const { stdout } = await run(tart, ['list', '--format', 'json', '--source', 'local'], { env: { ...process.env, TART_HOME: a.tartHome } });
          const list = JSON.parse(stdout) as { Name: string; Running?: boolean }[];
          // A spare a runner took runs under its own name: only a stopped one is a spare in waiting.
          const waitingSpare = (v: { Name: string; Running?: boolean }) => isSpareVmName(v.Name) && v.Running !== true;
          out.set(a.id, list.filter((v) => !v.Name.startsWith('base-') && (options.withSpares === true || !waitingSpare(v))).map((v) => v.Name));
        }),
      );
      return out;
    };
    const leftovers = async (): Promise<Leftovers> => ({
      vms: [...(await vms()).values()].flat(),
      registrations: ours(),
      processes: [],
    });

    return {
      github: gh,
      agents,
      workDir,
      fleetToken,
      dispatcherUrl: () => dispatcherUrl,
      dispatcher: () => dispatcherProc as Proc,
      async stopDispatcher(how) {
        if (how === 'crash') await dispatcherProc?.kill9();
        else await dispatcherProc?.stop(10_000);
      },
      startDispatcher,
      async killAgent(index) {
        await agents[index]?.proc.kill9();
      },
      async restartAgent(index) {
        const old = agents[index] as FleetAgent & { secret: string; adminSecret: string };
        return startAgent(index, Number(new URL(old.url).port), old.secret, old.adminSecret);
      },
      vms,
      async records() {
        const out = new Map<string, RunnerRecord[]>();
        await Promise.all(agents.map(async (a) => out.set(a.id, await a.client.listRunners().catch(() => []))));
        return out;
      },
      registrations: ours,
      async settle(timeoutMs) {
        // Registrations are read in memory; VMs cost a `tart list` (a Node start) per host. So the
        // VMs are listed only once no registration is left (a runner's registration goes before its
        // VM does); waitFor backs off between checks.
        const clean = async (): Promise<Leftovers | undefined> => {
          if (ours().length > 0) return undefined;
          const left = await leftovers();
          return left.vms.length === 0 && left.registrations.length === 0 ? left : undefined;
        };
        return waitFor('the fleet to settle', clean, timeoutMs).catch(() => leftovers());
      },
      leftovers,
      async close() {
        const left = await leftovers().catch((): Leftovers => ({ vms: [], registrations: [], processes: [] }));
        await closeAll();
        // Stopped agents keep no spare clone (drain and shutdown delete them): any left is a leak.
        left.vmsAfterStop = [...(await vms({ withSpares: true }).catch(() => new Map<string, string[]>())).values()].flat();
        // Guests and runners exit shortly after their `tart run`; give them a moment, then report and
        // kill (by pid) whatever of ours is still there.
        let alive = await processesMentioning(workDir);
        const deadline = Date.now() + 10_000;
        while (alive.length > 0 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 200));
          alive = await processesMentioning(workDir);
        }
        for (const p of alive) {
          try {
            process.kill(Number(p.split(' ')[0]), 'SIGKILL');
          } catch {
            // Already gone.
          }
        }
        left.processes = alive;
        await rm(workDir, { recursive: true, force: true });
        return left;
      },
    };
  } catch (error: unknown) {
    await closeAll().catch(() => {});
    await rm(workDir, { recursive: true, force: true }).catch(() => {});
    throw error;
  }
}
