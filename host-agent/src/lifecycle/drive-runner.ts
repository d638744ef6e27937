/**
 * One runner's way from `requested` to the end of its job (docs/architecture.md, "Lifecycle"):
 * a VM (vm/vm-session.ts), the JIT config handed over, the job watched. Every wait is bounded by a
 * deadline from config; every way out throws a StageFailure or returns, and the caller tears down.
 */
import { withDeadline, whenAborted } from '../../../core/deadline';
import { tartDirArgs } from '../cache/host-dirs';
import { bootVm, describeExit, vmFailure, type BootedVm } from '../vm/vm-session';
import { Interrupt, StageFailure } from '../vm/stage-failure';
import type { TartRunHandle } from '../tart/tart-cli';
import { reattachConsole } from './adopt';
import type { LifecycleContext, RunnerState } from './context';
import { markVmStopped } from './vm-stopped';
import { registerRunner, type BootstrapEnd } from './register-runner';
import type { WarmVm } from '../warm/warm-pool';
import type { SpareVm } from '../spare/spare-clones';

/** The VM's `tart run` ending interrupts whatever stage the runner is in. */
export function watchRun(ctx: LifecycleContext, r: RunnerState, run: TartRunHandle): void {
  r.run = run;
  r.runPid = run.pid;
  void run.exited.then((exit) => {
    r.vmExit = exit;
    // Free now, not once teardown's `tart stop` returns.
    markVmStopped(ctx, r);
    r.controller.abort(new Interrupt('vm-stopped', `the VM stopped: ${describeExit(exit)}`));
  });
}

/** How a runner gets its VM, decided when it was admitted. */
export type Handoff =
  /** Clone (or take the spare clone, cloned and set up ahead) and boot into a free slot. */
  | { kind: 'cold'; spare?: SpareVm }
  /** Take over this ready warm VM (claimed from the warm pool). */
  | { kind: 'warm'; warm: WarmVm }
  /** Clone now, but run only once the VM whose slot this runner took (an evicted warm VM) has stopped. */
  | { kind: 'cold-after'; slotFreed: Promise<void>; spare?: SpareVm };

/** A fresh VM for the runner: clone (or take the spare clone), boot, SSH. */
async function coldVm(ctx: LifecycleContext, r: RunnerState, slotFreed: Promise<void> | undefined, spare?: SpareVm): Promise<BootedVm> {
  const pool = r.pool;
  if (!pool) throw new StageFailure('requested', 'internal', `pool '${r.record.pool}' is not configured`);
  // The spare keeps its own name (the record's `vm`); it was cloned from the pool's current image.
  const name = spare?.name ?? r.record.name;
  const cloneStarted = ctx.clock.now();
  // The pool's current image (a rollout may have switched it since the config was written).
  const image = spare?.image ?? ctx.deps.poolImages?.imageFor(pool, name) ?? pool.image;
  const spec = { name, image, cpu: pool.cpu, memoryMb: pool.memoryMb, runArgs: tartDirArgs(pool.dirs), logFile: ctx.logFileOf(name), prepared: spare !== undefined };
  const vm = await bootVm(ctx.vm, spec, r.controller.signal, {
    stage: (stage) => ctx.enter(r, stage),
    ...(slotFreed ? { beforeRun: () => slotFreed } : {}),
    started: (run) => {
      watchRun(ctx, r, run);
      ctx.persist(r);
    },
    addressed: (ip) => {
      r.ip = ip;
      ctx.persist(r);
    },
  });
  r.session = vm.session;
  ctx.enter(r, 'ssh-ready');
  ctx.deps.observer.vmBooted(pool.name, (ctx.clock.now() - cloneStarted) / 1000);
  return vm;
}

/** The runner takes over a warm VM: no clone, no boot; its `tart run` now ends the runner. */
function takeOver(ctx: LifecycleContext, r: RunnerState, w: WarmVm, vm: BootedVm): BootedVm {
  if (w.run) watchRun(ctx, r, w.run);
  r.ip = vm.ip;
  r.session = vm.session;
  ctx.enter(r, 'ssh-ready');
  // The runner's record (with `vm`) is journaled by `enter`; the warm entry can go.
  void ctx.deps.journal.remove(w.name);
  return vm;
}

/** The runner's VM: the claimed warm VM when it is alive, else a cold start. */
async function acquireVm(ctx: LifecycleContext, r: RunnerState, handoff: Handoff): Promise<BootedVm> {
  if (handoff.kind === 'cold') return coldVm(ctx, r, undefined, handoff.spare);
  if (handoff.kind === 'cold-after') return coldVm(ctx, r, handoff.slotFreed, handoff.spare);
  const w = handoff.warm;
  if (w.vm && (await ctx.warm.alive(w))) {
    ctx.deps.observer.warmHandoff(r.record.pool, 'hit');
    return takeOver(ctx, r, w, w.vm);
  }
  ctx.deps.observer.warmHandoff(r.record.pool, 'unhealthy');
  r.log.warn({ vm: w.name }, 'the warm VM failed its liveness probe; tearing it down and starting cold in its slot');
  const { vm: _dead, ...record } = r.record;
  r.record = record;
  ctx.persist(r);
  return coldVm(ctx, r, ctx.warm.discard(w, 'failed its liveness probe at hand-off'));
}

/** online → running → the runner exits and the guest powers itself off, which ends `tart run`. */
async function watchJob(ctx: LifecycleContext, r: RunnerState, bootstrap: Promise<BootstrapEnd>): Promise<void> {
  const signal = r.controller.signal;
  void bootstrap.then(async ({ result }) => {
    if (signal.aborted) return;
    if (result && result.exitCode !== null) {
      // The bootstrap itself ended (it only does once the runner has exited) and the guest did not
      // power off (no sudo rights?): give the poweroff a grace period, then treat the runner as done.
      await ctx.clock.sleep(ctx.timing.poweroffGraceMs, signal).catch(() => undefined);
      r.controller.abort(new Interrupt('session-ended', `the bootstrap exited (${result.exitCode}) and the guest did not power off`));
      return;
    }
    // The connection dropped. The runner runs detached from it in the guest, so the job goes on:
    // keep waiting for the VM to stop and re-read the console over a new session, best effort.
    r.log.warn({}, 'lost the SSH session to the guest; waiting for the VM to stop, re-attaching to the console');
    reattachConsole(ctx, r);
  });
  const onlineAt = ctx.clock.now();
  try {
    await withDeadline(ctx.clock, `job on ${r.record.name}`, ctx.config.deadlines.jobMs, signal, (s) => whenAborted(s).then(() => undefined));
  } catch (error: unknown) {
    const stage = r.record.stage === 'running' ? 'running' : 'online';
    if (error instanceof Interrupt && (error.kind === 'vm-stopped' || error.kind === 'session-ended') && r.record.jobResult) {
      r.log.info({ jobResult: r.record.jobResult, seconds: (ctx.clock.now() - onlineAt) / 1000 }, 'job finished');
      return;
    }
    throw vmFailure(stage, error, r.vmExit, { deadline: 'job-timeout', other: 'internal' });
  }
}

/**
 * Drives a runner up to the end of its job. Returns normally when the job ended (the record says
 * how); throws StageFailure otherwise. Never tears down: the caller does, on every path.
 */
export async function driveRunner(ctx: LifecycleContext, r: RunnerState, jitConfig: string, handoff: Handoff = { kind: 'cold' }): Promise<void> {
  const vm = await acquireVm(ctx, r, handoff);
  const bootstrap = await registerRunner(ctx, r, vm.session, jitConfig);
  await watchJob(ctx, r, bootstrap.ended);
}
