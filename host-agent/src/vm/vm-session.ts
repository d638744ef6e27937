/**
 * One VM session: clone → boot → SSH → teardown. The runner lifecycle, the image smoke test and warm
 * capacity start and end their VMs here; what each does over the SSH session is its own business.
 * Every wait has a deadline on the injected clock, and `tart run` stopping interrupts whatever stage
 * is waiting for the guest.
 */
import { rm } from 'node:fs/promises';
import type { FailureReason, RunnerStage } from '../../../core/agent-api/contract';
import type { Clock } from '../../../core/clock';
import { DeadlineError, settlesWithin, withDeadline } from '../../../core/deadline';
import { errorMessage } from '../../../core/errors';
import type { AgentConfig } from '../config/schema';
import { guestConnectOptions } from '../ssh/guest-connect-options';
import type { RemoteSession, RemoteShell } from '../ssh/remote-shell';
import { SshError } from '../ssh/ssh-error';
import type { TartCli, TartRunExit, TartRunHandle } from '../tart/tart-cli';
import { TartError } from '../tart/tart-error';
import { waitForIp } from '../tart/wait-for-ip';
import { Interrupt, StageFailure } from './stage-failure';

/** What a VM session runs on. */
export interface VmDeps {
  tart: Pick<TartCli, 'clone' | 'set' | 'run' | 'ip' | 'stopForTeardown' | 'deleteForTeardown' | 'get'>;
  shell: RemoteShell;
  clock: Clock;
  config: Pick<AgentConfig, 'ssh' | 'deadlines'>;
  sshPrivateKey?: string | undefined;
  /** `tart stop --timeout`: the guest needs no clean shutdown, it is deleted next. */
  stopTimeoutSeconds: number;
}

/** The VM to start. */
export interface VmSpec {
  name: string;
  image: string;
  cpu?: number | undefined;
  memoryMb?: number | undefined;
  /** Extra `tart run` arguments (the pool's host folders). */
  runArgs?: readonly string[];
  /** Where `tart run` writes its output. */
  logFile: string;
  /** `name` already exists, cloned from `image` and set up (CPU, memory, a fresh MAC) ahead of time:
   * a spare clone. No `tart clone` and no `tart set` then. */
  prepared?: boolean;
}

/** A VM up to a ready SSH session. */
export interface BootedVm {
  readonly name: string;
  readonly ip: string;
  readonly session: RemoteSession;
  readonly run: TartRunHandle;
  /** Aborts (with an Interrupt `vm-stopped`) when `tart run` exits: the guest powered off or died. */
  readonly stopped: AbortSignal;
}

/** Progress callbacks (the runner lifecycle records stages and journals the PID and address). */
export interface BootHooks {
  stage?(stage: 'cloning' | 'booting'): void;
  /** Awaited after the clone, before `tart run`: a slot handed over by a VM still stopping. */
  beforeRun?(): Promise<void>;
  /** `tart run` started. */
  started?(run: TartRunHandle): void;
  /** The guest has an address. */
  addressed?(ip: string): void;
}

type Reasons = { deadline: FailureReason; other: FailureReason };

/** Why a VM stopped, in a few words: tart's error, else the last line `tart run` printed. */
export function describeExit(exit: TartRunExit): string {
  return exit.error?.detail ?? (exit.output.trim().split('\n').at(-1) || `tart run exited ${exit.exitCode ?? exit.signal}`);
}

/** Turns whatever stopped a stage into the failure to record; `exit` is how `tart run` ended, if it did. */
export function vmFailure(stage: RunnerStage, error: unknown, exit: TartRunExit | undefined, reasons: Reasons): StageFailure {
  if (error instanceof StageFailure) return error;
  if (error instanceof Interrupt) {
    if (error.kind === 'canceled') return new StageFailure(stage, 'canceled', error.message);
    if (error.kind === 'agent-shutdown') return new StageFailure(stage, 'agent-shutdown', error.message);
    if (exit?.error?.kind === 'vm-limit') return new StageFailure(stage, 'vm-limit', exit.error.detail);
    if (stage === 'booting' && exit && exit.exitCode !== 0) return new StageFailure(stage, 'boot-failed', exit.error?.detail ?? `tart run exited with ${exit.exitCode ?? exit.signal}`);
    return new StageFailure(stage, 'guest-died', exit ? `the VM stopped: ${describeExit(exit)}` : error.message);
  }
  if (error instanceof DeadlineError) return new StageFailure(stage, reasons.deadline, error.message, { cause: error });
  if (error instanceof TartError && error.kind === 'vm-limit') return new StageFailure(stage, 'vm-limit', error.detail, { cause: error });
  return new StageFailure(stage, reasons.other, errorMessage(error), { cause: error });
}

/** `tart clone`, then `tart set`: the pool's CPU and memory, and a fresh MAC (a clone may carry its
 * source's, and two guests with one MAC collide in DHCP and ARP). Within the caller's deadline. */
export async function cloneVm(tart: Pick<TartCli, 'clone' | 'set'>, spec: Pick<VmSpec, 'name' | 'image' | 'cpu' | 'memoryMb'>, signal: AbortSignal, timeoutMs: number): Promise<void> {
  await tart.clone(spec.image, spec.name, { signal, timeoutMs });
  await tart.set(spec.name, { cpu: spec.cpu, memoryMb: spec.memoryMb, randomMac: true }, { signal });
}

/**
 * Clones `spec.image` to `spec.name` (unless `spec.prepared`), starts it and connects over SSH.
 * Throws StageFailure (stage `cloning` or `booting`) on any failure, deadline or abort of `parent`. Never tears down: the
 * caller destroys the VM on every path, also after a failure here.
 */
export async function bootVm(deps: VmDeps, spec: VmSpec, parent: AbortSignal, hooks: BootHooks = {}): Promise<BootedVm> {
  const { tart, clock } = deps;
  const { deadlines, ssh } = deps.config;
  hooks.stage?.('cloning');
  try {
    if (spec.prepared) parent.throwIfAborted();
    else await withDeadline(clock, `clone of ${spec.name}`, deadlines.cloneMs, parent, (signal) => cloneVm(tart, spec, signal, deadlines.cloneMs));
  } catch (error: unknown) {
    throw vmFailure('cloning', error, undefined, { deadline: 'clone-failed', other: 'clone-failed' });
  }

  if (hooks.beforeRun) {
    const waitForSlot = hooks.beforeRun;
    try {
      await withDeadline(clock, `the slot handed over to ${spec.name}`, deadlines.teardownMs, parent, () => waitForSlot());
    } catch (error: unknown) {
      throw vmFailure('cloning', error, undefined, { deadline: 'clone-failed', other: 'clone-failed' });
    }
  }
  hooks.stage?.('booting');
  const run = tart.run(spec.name, { logFile: spec.logFile, extraArgs: spec.runArgs ?? [] });
  // Registered before the caller's own handlers, so the exit is known when their interrupt lands.
  let exit: TartRunExit | undefined;
  const stopped = new AbortController();
  void run.exited.then((e) => {
    exit = e;
    stopped.abort(new Interrupt('vm-stopped', `the VM stopped: ${describeExit(e)}`));
  });
  hooks.started?.(run);
  const signal = AbortSignal.any([parent, stopped.signal]);
  let ip: string;
  try {
    ip = await withDeadline(clock, `boot of ${spec.name} (guest IP)`, deadlines.bootMs, signal, (s) => waitForIp(tart, clock, spec.name, s));
  } catch (error: unknown) {
    throw vmFailure('booting', error, exit, { deadline: 'ip-timeout', other: 'boot-failed' });
  }
  hooks.addressed?.(ip);
  try {
    const session = await deps.shell.connect(guestConnectOptions(ssh, { host: ip, privateKey: deps.sshPrivateKey, deadlineMs: deadlines.sshMs, signal }));
    return { name: spec.name, ip, session, run, stopped: stopped.signal };
  } catch (error: unknown) {
    if (signal.aborted) throw vmFailure('booting', signal.reason, exit, { deadline: 'ssh-timeout', other: 'ssh-failed' });
    const permanent = error instanceof SshError && !error.retryable;
    throw vmFailure('booting', error, exit, { deadline: permanent ? 'ssh-failed' : 'ssh-timeout', other: 'ssh-failed' });
  }
}

/** A VM to destroy: its name, and what this agent knows of its `tart run`. */
export interface VmHandle {
  name: string;
  /** Our own `tart run`, when this agent life started it. */
  run?: TartRunHandle | undefined;
  /** PID (= process group) of a `tart run` from a previous agent life, for a last-resort kill. */
  runPid?: number | undefined;
  logFile?: string | undefined;
}

/** Kills a `tart run` we no longer have a handle for, if tart still sees the VM running. */
async function killStrayRun(deps: VmDeps, vm: VmHandle): Promise<void> {
  if (vm.runPid === undefined) return;
  const info = await deps.tart.get(vm.name, { timeoutMs: 10_000 }).catch(() => undefined);
  if (info?.state !== 'running') return;
  try {
    process.kill(-vm.runPid, 'SIGKILL');
  } catch {
    // Not ours any more, or gone.
  }
}

/** Polls `tart get` until the VM is not running (or gone), for a VM whose `tart run` is not ours:
 * `tart stop` does not wait after its SIGKILL (docs/reference/tart-cli.md §3 `stop`). */
async function confirmStopped(deps: VmDeps, name: string, deadlineMs: number): Promise<void> {
  const deadline = deps.clock.now() + deadlineMs;
  let delay = 100;
  for (;;) {
    try {
      if ((await deps.tart.get(name, { timeoutMs: 10_000 })).state !== 'running') return;
    } catch (error: unknown) {
      if (error instanceof TartError && error.kind === 'vm-missing') return;
      if (deps.clock.now() + delay >= deadline) throw error;
    }
    if (deps.clock.now() + delay >= deadline) throw new TartError('timeout', `tart get ${name}`, undefined, `the VM still runs ${deadlineMs} ms after tart stop`);
    await deps.clock.sleep(delay);
    delay = Math.min(delay * 2, 1_000);
  }
}

/**
 * The first half of a teardown (docs/reference/tart-cli.md §6: stop; if stop fails, kill the `tart
 * run` process): resolves once the VM no longer runs, which is when its slot is free, or with
 * `missing` when it no longer exists. Throws when that cannot be confirmed: the caller must go on
 * counting the VM as running.
 */
export async function stopVm(deps: VmDeps, vm: VmHandle, options: { deadlineMs?: number } = {}): Promise<'stopped' | 'missing'> {
  const deadlineMs = options.deadlineMs ?? deps.config.deadlines.teardownMs;
  const result = await deps.tart.stopForTeardown(vm.name, {
    stopTimeoutSeconds: deps.stopTimeoutSeconds,
    deadlineMs,
    onStopFailed: async () => {
      if (vm.run) vm.run.kill('SIGKILL');
      else await killStrayRun(deps, vm);
    },
  });
  if (vm.run) {
    // Our own `tart run` holds the VM's lock: the VM runs exactly as long as that process lives.
    if (await settlesWithin(deps.clock, 5_000, vm.run.exited)) return result;
    vm.run.kill('SIGKILL');
    if (await settlesWithin(deps.clock, 5_000, vm.run.exited)) return result;
    throw new TartError('timeout', `tart run ${vm.name}`, undefined, 'tart run did not exit after tart stop and SIGKILL');
  }
  if (result === 'stopped') await confirmStopped(deps, vm.name, Math.max(5_000, Math.floor(deadlineMs / 3)));
  return result;
}

/**
 * The second half: `tart delete` (skipped when the VM is already `missing`), then the VM's log goes
 * unless `keepLog`. Throws the tart error when the VM could not be deleted; the caller keeps it for a retry.
 */
export async function deleteVm(deps: VmDeps, vm: VmHandle, options: { keepLog?: boolean; deadlineMs?: number; missing?: boolean } = {}): Promise<void> {
  if (!options.missing) await deps.tart.deleteForTeardown(vm.name, { deadlineMs: options.deadlineMs ?? deps.config.deadlines.teardownMs });
  // The VM is gone once deleted; its log file goes in the background (nothing waits on disk I/O).
  if (vm.logFile && !options.keepLog) void rm(vm.logFile, { force: true }).catch(() => undefined);
}

/** Stop + delete in one go, for VMs whose slot nothing else waits for (smoke tests, redeletes).
 * Throws the tart error when the VM could not be deleted. */
export async function destroyVm(deps: VmDeps, vm: VmHandle, options: { keepLog?: boolean; deadlineMs?: number } = {}): Promise<void> {
  const missing = (await stopVm(deps, vm, options)) === 'missing';
  await deleteVm(deps, vm, { ...options, missing });
}
