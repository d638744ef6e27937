import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The runner stand-in as the simulated image installs it. */
export const RUNNER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../sim/image/actions-runner');
export const RUN_SH = path.join(RUNNER_DIR, 'run.sh');

/** A copy of the stand-in in `home`: like the real runner, it writes into its own folder (run-helper.sh, state). */
function installedRunSh(home: string): string {
  const dir = path.join(home, 'actions-runner');
  if (!existsSync(dir)) cpSync(RUNNER_DIR, dir, { recursive: true });
  return path.join(dir, 'run.sh');
}

/** A runner stand-in process started by a test. */
export interface RunnerProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

const started = new Set<RunnerProcess>();

/**
 * Starts `run.sh` the way the guest bootstrap does: JIT config in ACTIONS_RUNNER_INPUT_JITCONFIG
 * (or as `--jitconfig` when `viaArgv`), its own process group so a kill reaches its children.
 */
export function startRunner(jitConfig: string | undefined, options: { home: string; viaArgv?: boolean; runSh?: string; env?: NodeJS.ProcessEnv }): RunnerProcess {
  const env: NodeJS.ProcessEnv = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: options.home, USER: 'admin', ...options.env };
  if (jitConfig !== undefined && !options.viaArgv) env.ACTIONS_RUNNER_INPUT_JITCONFIG = jitConfig;
  const args = jitConfig !== undefined && options.viaArgv ? ['--jitconfig', jitConfig] : [];
  const child = spawn(options.runSh ?? installedRunSh(options.home), args, { env, cwd: options.home, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const proc: RunnerProcess = {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        try {
          process.kill(-child.pid, signal);
        } catch {
          // already gone
        }
      }
    },
  };
  started.add(proc);
  void exited.then(() => started.delete(proc));
  return proc;
}

/** Kills every runner process a test started and still running (call in afterEach). */
export async function killAllRunners(): Promise<void> {
  const procs = [...started];
  for (const p of procs) p.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
}
