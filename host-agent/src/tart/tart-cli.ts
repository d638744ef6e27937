/**
 * The only module that runs `tart`: every other module gets a TartCli. Argument arrays, never a shell; a timeout and
 * an abort signal on every call; JSON output parsed into types; every failure a TartError.
 *
 * Longer than 300 lines on purpose: the project's rule is that exactly one module runs tart, so
 * every subcommand's argv, timeout and error mapping sits here where a review sees them together.
 */
import { spawn as spawnProcess, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { execa as realExeca, ExecaError } from 'execa';
import type { Logger } from '../../../core/logger';
import { systemClock, type Clock, type Timer } from '../../../core/clock';
import { deadlineSignal } from '../../../core/deadline';
import { classifyTartMessage, firstNonEmptyLine, TartError } from './tart-error';
import { parseVmInfo, parseVmList, type TartVm, type TartVmInfo } from './parse-vm-list';
import { parseImageList, type TartImage } from './parse-image-list';
import { DEFAULT_VM_NETWORK, tartNetworkArgs, type VmNetwork } from './vm-network';

/** Per-call controls. */
export interface TartCallOptions {
  /** Kill the call after this long (default: the driver's `defaultTimeoutMs`). */
  timeoutMs?: number;
  /** Abort the call (SIGTERM, then SIGKILL). */
  signal?: AbortSignal;
}

/** How a background `tart run` ended. */
export interface TartRunExit {
  /** Exit code when it exited by itself (0 after a guest poweroff or a `tart stop`). */
  exitCode: number | undefined;
  /** Signal that killed it, if any. */
  signal: string | undefined;
  /** The tail of its stdout/stderr (e.g. `guest has stopped the virtual machine`). */
  output: string;
  /** Set when the exit was a failure (non-zero code, spawn error), classified like any tart error. */
  error: TartError | undefined;
}

/** A `tart run` started in the background. */
export interface TartRunHandle {
  /** PID of the `tart run` process; also its process group (it runs in its own session). */
  pid: number | undefined;
  /** Resolves (never rejects) when `tart run` exits. */
  exited: Promise<TartRunExit>;
  /** Signals the `tart run` process group; a no-op once it has exited. */
  kill(signal: NodeJS.Signals): void;
}

/** `tart set` changes applied after a clone. */
export interface TartSetOptions {
  cpu?: number;
  memoryMb?: number;
  /** A fresh MAC avoids DHCP lease and ARP collisions between clones (docs/reference/tart-cli.md §3 `set`). */
  randomMac?: boolean;
}

/** Controls for `stopAndDelete`. */
export interface StopAndDeleteOptions {
  /** `tart stop --timeout`: seconds of grace before tart SIGKILLs its `tart run`. */
  stopTimeoutSeconds: number;
  /** Upper bound for the whole stop + delete. */
  deadlineMs: number;
  signal?: AbortSignal;
  /** Called when `tart stop` itself failed or hung; the caller kills the `tart run` it knows of. */
  onStopFailed?: (error: TartError) => void | Promise<void>;
}

/** Everything the agent asks of tart. One real implementation (below) and fakes in test/fakes/. */
export interface TartCli {
  /** `tart --version`, e.g. `2.32.1`. */
  version(options?: TartCallOptions): Promise<string>;
  /** `tart clone <source> <name>`; pulls the source first when it is a remote name not cached. */
  clone(source: string, name: string, options?: TartCallOptions): Promise<void>;
  /** `tart set <name> [--cpu N] [--memory MB] [--random-mac]`. */
  set(name: string, changes: TartSetOptions, options?: TartCallOptions): Promise<void>;
  /**
   * Starts `tart run --no-graphics <network flags> <name>` (Softnet unless the VM's pool says
   * otherwise) in its own session with stdout and stderr appended to
   * `logFile`, so the VM outlives an agent crash (the restarted agent adopts it) and the agent
   * notices through `exited` when the guest powers off.
   */
  run(name: string, options: { logFile: string; extraArgs?: readonly string[] }): TartRunHandle;
  /** `tart ip <name> --wait <s>`: the guest's IPv4 address. */
  ip(name: string, waitSeconds: number, options?: TartCallOptions): Promise<string>;
  /** `tart stop <name> --timeout <s>`. */
  stop(name: string, timeoutSeconds: number, options?: TartCallOptions): Promise<void>;
  /** `tart delete <name>`. */
  delete(name: string, options?: TartCallOptions): Promise<void>;
  /**
   * Stop, then delete, retrying delete briefly on `VM "x" is running` (tart does not wait after
   * its SIGKILL). A VM that is already stopped or already gone is not an error.
   */
  stopAndDelete(name: string, options: StopAndDeleteOptions): Promise<void>;
  /**
   * The first half of `stopAndDelete`: `tart stop` within two thirds of `deadlineMs`, `onStopFailed`
   * when it fails or hangs. A VM already stopped is not an error; `missing` when it does not exist.
   * Tart does not wait after its SIGKILL, so the caller confirms the VM no longer runs.
   */
  stopForTeardown(name: string, options: StopAndDeleteOptions): Promise<'stopped' | 'missing'>;
  /** The second half: `tart delete`, retried briefly on `VM "x" is running` within `deadlineMs`. A VM
   * already gone is not an error. */
  deleteForTeardown(name: string, options: { deadlineMs: number; signal?: AbortSignal }): Promise<void>;
  /** Local VMs (`tart list --source local --format json`). */
  list(options?: TartCallOptions): Promise<TartVm[]>;
  /** Every entry, local and OCI (images present on this host). */
  listAll(options?: TartCallOptions): Promise<TartVm[]>;
  /** `tart get <name> --format json`. */
  get(name: string, options?: TartCallOptions): Promise<TartVmInfo>;
}

/** Image housekeeping (rollout): separate from TartCli so the lifecycle's fakes need not grow. */
export interface TartImageOps {
  /** `tart pull <image>`: fetches (or refreshes) an OCI image into the cache. */
  pull(image: string, options?: TartCallOptions): Promise<void>;
  /** Every entry, local and OCI, with allocated size and last access. */
  listImages(options?: TartCallOptions): Promise<TartImage[]>;
  /** `tart delete <name>`: for an OCI name, removes the cache entry (tart GCs unreferenced digests). */
  delete(name: string, options?: TartCallOptions): Promise<void>;
}

/** Dependencies of the real driver. */
export interface TartCliDeps {
  /** Path of the tart binary (config `tart.bin`; the simulator in tests). */
  bin: string;
  /** TART_HOME for every call; tart's own default when unset. */
  home?: string;
  /** Injected for tests; the real execa otherwise. */
  execa?: typeof realExeca;
  logger: Logger;
  clock?: Clock;
  /** Timeout of a call without its own (default 60 s). */
  defaultTimeoutMs?: number;
  /** The networking of the VM `tart run` starts (its pool's); Softnet isolation when unset. */
  networkFor?: (vmName: string) => VmNetwork;
}

const OUTPUT_TAIL_BYTES = 8192;

function readTail(path: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const length = Math.min(size, OUTPUT_TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Builds the real driver. */
export function createTartCli(deps: TartCliDeps): TartCli & TartImageOps {
  const execa = deps.execa ?? realExeca;
  const clock = deps.clock ?? systemClock;
  const defaultTimeoutMs = deps.defaultTimeoutMs ?? 60_000;
  const env: Record<string, string> = deps.home ? { TART_HOME: deps.home } : {};
  const log = deps.logger.child({ module: 'tart' });

  function commandText(args: readonly string[]): string {
    return ['tart', ...args].join(' ');
  }

  function toTartError(args: readonly string[], error: unknown, timeoutMs: number, timedOut: boolean): TartError {
    const command = commandText(args);
    if (error instanceof ExecaError) {
      if (error.code === 'ENOENT') return new TartError('not-installed', command, undefined, `tart binary '${deps.bin}' was not found (ENOENT)`);
      if (error.timedOut || (error.isCanceled && timedOut)) return new TartError('timeout', command, undefined, `no answer within ${timeoutMs} ms`);
      if (error.isCanceled) return new TartError('canceled', command, undefined, 'canceled by the caller');
      const detail = firstNonEmptyLine(String(error.stderr ?? '')) ?? firstNonEmptyLine(String(error.stdout ?? '')) ?? error.shortMessage;
      return new TartError(classifyTartMessage(detail), command, error.exitCode, detail);
    }
    return new TartError('other', command, undefined, error instanceof Error ? error.message : String(error));
  }

  async function call(args: readonly string[], options: TartCallOptions = {}): Promise<string> {
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    const started = clock.now();
    const timeout = deadlineSignal(clock, commandText(args), Math.max(1, Math.round(timeoutMs)));
    const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;
    // Its own process group, so a timeout or cancel kills whatever the call spawned too (a wrapper
    // script's children would otherwise hold its output pipe open past the kill).
    const subprocess = execa(deps.bin, args, { env, cancelSignal: signal, forceKillAfterDelay: 2_000, detached: true, stdin: 'ignore', stripFinalNewline: true });
    const killGroup = (sig: NodeJS.Signals): void => {
      try {
        if (subprocess.pid !== undefined) process.kill(-subprocess.pid, sig);
      } catch {
        // Already exited.
      }
    };
    let forceKill: Timer | undefined;
    const onAbort = (): void => {
      killGroup('SIGTERM');
      forceKill = clock.setTimer(2_000, () => killGroup('SIGKILL'), { unref: true });
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await subprocess;
      log.debug({ command: commandText(args), ms: clock.now() - started }, 'tart call done');
      return String(result.stdout ?? '');
    } catch (error: unknown) {
      const tartError = toTartError(args, error, timeoutMs, timeout.signal.aborted);
      log.debug({ command: tartError.command, kind: tartError.kind, exitCode: tartError.exitCode, detail: tartError.detail }, 'tart call failed');
      throw tartError;
    } finally {
      timeout.cancel();
      signal.removeEventListener('abort', onAbort);
      if (forceKill) {
        forceKill.cancel();
        killGroup('SIGKILL');
      }
    }
  }

  const tart: TartCli & TartImageOps = {
    async version(options) {
      return (await call(['--version'], options)).trim();
    },

    async clone(source, name, options) {
      await call(['clone', source, name], options);
    },

    async set(name, changes, options) {
      const args = ['set', name];
      if (changes.cpu !== undefined) args.push('--cpu', String(changes.cpu));
      if (changes.memoryMb !== undefined) args.push('--memory', String(changes.memoryMb));
      if (changes.randomMac) args.push('--random-mac');
      if (args.length === 2) return;
      await call(args, options);
    },

    run(name, options) {
      const args = ['run', '--no-graphics', ...tartNetworkArgs(deps.networkFor?.(name) ?? DEFAULT_VM_NETWORK), ...(options.extraArgs ?? []), name];
      const fd = openSync(options.logFile, 'a', 0o600);
      // Own session (setsid) and no pipes to us: `tart run` must survive an agent crash, and a
      // closed pipe must not SIGPIPE it (docs/reference/tart-cli.md §6: setsid, output to a log file). Plain
      // spawn here because execa would pipe a file target through this process.
      let child: ChildProcess;
      try {
        child = spawnProcess(deps.bin, args, { env: { ...process.env, ...env }, detached: true, stdio: ['ignore', fd, fd] });
      } finally {
        closeSync(fd);
      }
      const pid = child.pid;
      let done = false;
      log.debug({ command: commandText(args), pid }, 'tart run started');
      const exited = new Promise<TartRunExit>((resolve) => {
        let spawnError: NodeJS.ErrnoException | undefined;
        child.once('error', (error: NodeJS.ErrnoException) => {
          spawnError = error;
          // 'close' does not follow a failed spawn.
          if (pid === undefined) finish(null, null);
        });
        child.once('exit', (code, sig) => finish(code, sig));
        function finish(code: number | null, sig: NodeJS.Signals | null): void {
          if (done) return;
          done = true;
          const output = readTail(options.logFile);
          const exitCode = code ?? undefined;
          const signal = sig ?? undefined;
          const command = commandText(args);
          let error: TartError | undefined;
          if (spawnError?.code === 'ENOENT') {
            error = new TartError('not-installed', command, undefined, `tart binary '${deps.bin}' was not found (ENOENT)`);
          } else if (spawnError || exitCode !== 0) {
            const detail = firstNonEmptyLine(output) ?? (signal ? `killed by ${signal}` : spawnError?.message ?? `exit ${exitCode}`);
            error = new TartError(classifyTartMessage(detail), command, exitCode, detail);
          }
          log.debug({ command, exitCode, signal }, 'tart run exited');
          resolve({ exitCode, signal, output, error });
        }
      });
      return {
        pid,
        exited,
        kill(sig) {
          if (done || pid === undefined) return;
          try {
            process.kill(-pid, sig);
          } catch {
            // Already gone: nothing to kill.
          }
        },
      };
    },

    async ip(name, waitSeconds, options) {
      // `--wait` is a UInt16; tart sleeps 1 s after the last miss, so give the call some slack.
      const wait = Math.max(0, Math.min(65_535, Math.ceil(waitSeconds)));
      const stdout = await call(['ip', name, '--wait', String(wait)], { timeoutMs: (wait + 10) * 1000, ...options });
      const ip = firstNonEmptyLine(stdout);
      if (!ip || !/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) {
        throw new TartError('other', commandText(['ip', name]), 0, `expected an IPv4 address on stdout, got '${stdout.slice(0, 80)}'`);
      }
      return ip;
    },

    async stop(name, timeoutSeconds, options) {
      const t = Math.max(0, Math.ceil(timeoutSeconds));
      await call(['stop', name, '--timeout', String(t)], { timeoutMs: (t + 10) * 1000, ...options });
    },

    async delete(name, options) {
      await call(['delete', name], options);
    },

    async stopAndDelete(name, options) {
      const deadline = clock.now() + options.deadlineMs;
      if ((await tart.stopForTeardown(name, options)) === 'missing') return;
      await tart.deleteForTeardown(name, { deadlineMs: Math.max(1, deadline - clock.now()), ...(options.signal ? { signal: options.signal } : {}) });
    },

    async stopForTeardown(name, options) {
      try {
        await tart.stop(name, options.stopTimeoutSeconds, {
          signal: options.signal,
          // Keep a third of the budget for delete: a hung stop must not eat the whole teardown.
          timeoutMs: Math.max(500, Math.min(Math.floor((options.deadlineMs * 2) / 3), (options.stopTimeoutSeconds + 10) * 1000)),
        });
      } catch (error: unknown) {
        if (!(error instanceof TartError)) throw error;
        if (error.kind === 'vm-missing') return 'missing';
        if (error.kind !== 'not-running') {
          log.warn({ vm: name, kind: error.kind, detail: error.detail }, 'tart stop failed; killing tart run and deleting anyway');
          await options.onStopFailed?.(error);
        }
      }
      return 'stopped';
    },

    async deleteForTeardown(name, options) {
      const deadline = clock.now() + options.deadlineMs;
      const remaining = (): number => Math.max(1, deadline - clock.now());
      let delay = 100;
      for (;;) {
        try {
          await tart.delete(name, { signal: options.signal, timeoutMs: Math.min(Math.max(remaining(), 5_000), 30_000) });
          return;
        } catch (error: unknown) {
          if (error instanceof TartError && error.kind === 'vm-missing') return;
          const retryable = error instanceof TartError && error.retryable;
          if (!retryable || clock.now() + delay >= deadline) throw error;
          await clock.sleep(delay, options.signal);
          delay = Math.min(delay * 2, 1_000);
        }
      }
    },

    async list(options) {
      return parseVmList(await call(['list', '--source', 'local', '--format', 'json'], options));
    },

    async listAll(options) {
      return parseVmList(await call(['list', '--format', 'json'], options));
    },

    async get(name, options) {
      return parseVmInfo(await call(['get', name, '--format', 'json'], options));
    },

    async pull(image, options) {
      // Pulls of 60-120 GB images take long: no default timeout short enough to cut one off.
      await call(['pull', image], { timeoutMs: 6 * 3600_000, ...options });
    },

    async listImages(options) {
      return parseImageList(await call(['list', '--format', 'json'], options));
    },
  };
  return tart;
}
