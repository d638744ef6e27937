/**
 * One runner's way from `requested` to the end of its job (DESIGN §5). Every wait is bounded by a
 * deadline from config; every way out throws a StageFailure or returns, and the caller tears down.
 */
import type { RunnerStage } from '../api/contract';
import { SshError } from '../ssh/ssh-error';
import type { RemoteExecResult } from '../ssh/remote-shell';
import { TartError } from '../tart/tart-error';
import { waitForIp } from '../tart/wait-for-ip';
import { DeadlineError, errorMessage } from '../util/errors';
import { runnerEnvForVm } from '../cache/mirror-env';
import { tartDirArgs } from '../cache/host-dirs';
import { reattachConsole } from './adopt';
import { parseConsoleLine } from './console-parser';
import type { LifecycleContext, RunnerState } from './context';
import { whenAborted, withDeadline } from './deadline';
import { Interrupt, StageFailure } from './stage-failure';
import { guestConnectOptions } from '../ssh/guest-connect-options';

const DEFAULT_BOOTSTRAP = '"$HOME/.tartfleet/runner-bootstrap.sh"';

/** The runner's environment: the host mirror's settings as this VM reaches the host (derived from its
 * IP), overridden by the operator's own `runnerEnv`. */
function runnerEnvFor(ctx: LifecycleContext, ip: string): Record<string, string> {
  try {
    return runnerEnvForVm(ctx.config.cache, ctx.config.runnerEnv, ip);
  } catch (error: unknown) {
    // A mirror we cannot point at only makes jobs slower; the job itself must still run.
    ctx.log.warn({ err: errorMessage(error) }, 'no cache mirror settings for this VM; the runner uses the origins');
    return { ...ctx.config.runnerEnv };
  }
}

/** The stdin of the bootstrap: JIT config on line 1, then the runner's .env lines (protocol in the script). */
function bootstrapInput(ctx: LifecycleContext, jit: string, ip: string): string {
  const lines = [jit];
  for (const [key, value] of Object.entries(runnerEnvFor(ctx, ip))) {
    if (/[\r\n]/.test(value)) {
      ctx.log.warn({ key }, 'runnerEnv value contains a line break; left out of the runner .env');
      continue;
    }
    lines.push(`${key}=${value}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Turns whatever interrupted a stage into the failure to record. */
function toFailure(r: RunnerState, stage: RunnerStage, error: unknown, reasons: { deadline: StageFailure['reason']; other: StageFailure['reason'] }): StageFailure {
  if (error instanceof StageFailure) return error;
  if (error instanceof Interrupt) {
    if (error.kind === 'canceled') return new StageFailure(stage, 'canceled', error.message);
    if (error.kind === 'agent-shutdown') return new StageFailure(stage, 'agent-shutdown', error.message);
    const exit = r.vmExit;
    if (exit?.error?.kind === 'vm-limit') return new StageFailure(stage, 'vm-limit', exit.error.detail);
    if (stage === 'booting' && exit && exit.exitCode !== 0) return new StageFailure(stage, 'boot-failed', exit.error?.detail ?? `tart run exited with ${exit.exitCode ?? exit.signal}`);
    return new StageFailure(stage, 'guest-died', exit ? `the VM stopped: ${exit.error?.detail ?? (exit.output.trim().split('\n').at(-1) || 'tart run exited')}` : error.message);
  }
  if (error instanceof DeadlineError) return new StageFailure(stage, reasons.deadline, error.message, { cause: error });
  if (error instanceof TartError && error.kind === 'vm-limit') return new StageFailure(stage, 'vm-limit', error.detail, { cause: error });
  return new StageFailure(stage, reasons.other, errorMessage(error), { cause: error });
}

/**
 * Drives a runner up to the end of its job. Returns normally when the job ended (the record says
 * how); throws StageFailure otherwise. Never tears down: the caller does, on every path.
 */
export async function driveRunner(ctx: LifecycleContext, r: RunnerState): Promise<void> {
  const { tart, shell } = ctx.deps;
  const { deadlines, ssh } = ctx.config;
  const name = r.record.name;
  const signal = r.controller.signal;
  const pool = r.pool;
  if (!pool) throw new StageFailure('requested', 'internal', `pool '${r.record.pool}' is not configured`);

  // cloning
  ctx.enter(r, 'cloning');
  const cloneStarted = ctx.clock.now();
  try {
    await withDeadline(`clone of ${name}`, deadlines.cloneMs, signal, async (s) => {
      // The pool's current image (a rollout may have switched it since the config was written).
      const image = ctx.deps.poolImages?.imageFor(pool, name) ?? pool.image;
      await tart.clone(image, name, { signal: s, timeoutMs: deadlines.cloneMs });
      await tart.set(name, { cpu: pool.cpu, memoryMb: pool.memoryMb, randomMac: true }, { signal: s });
    });
  } catch (error: unknown) {
    throw toFailure(r, 'cloning', error, { deadline: 'clone-failed', other: 'clone-failed' });
  }

  // booting: `tart run` in the background; its exit interrupts whatever stage we are in.
  ctx.enter(r, 'booting');
  const run = tart.run(name, { logFile: ctx.logFileOf(name), extraArgs: tartDirArgs(pool.dirs) });
  r.run = run;
  r.runPid = run.pid;
  ctx.persist(r);
  void run.exited.then((exit) => {
    r.vmExit = exit;
    r.controller.abort(new Interrupt('vm-stopped', `tart run exited (${exit.exitCode ?? exit.signal})`));
  });
  try {
    r.ip = await withDeadline(`boot of ${name} (guest IP)`, deadlines.bootMs, signal, (s) => waitForIp(ctx.deps.tart, ctx.clock, name, s));
    ctx.persist(r);
  } catch (error: unknown) {
    throw toFailure(r, 'booting', error, { deadline: 'ip-timeout', other: 'boot-failed' });
  }
  try {
    r.session = await shell.connect(guestConnectOptions(ssh, { host: r.ip, privateKey: ctx.deps.sshPrivateKey, deadlineMs: deadlines.sshMs, signal }));
  } catch (error: unknown) {
    if (signal.aborted) throw toFailure(r, 'booting', signal.reason, { deadline: 'ssh-timeout', other: 'ssh-failed' });
    const permanent = error instanceof SshError && !error.retryable;
    throw toFailure(r, 'booting', error, { deadline: permanent ? 'ssh-failed' : 'ssh-timeout', other: 'ssh-failed' });
  }
  ctx.enter(r, 'ssh-ready');
  ctx.deps.observer.vmBooted(pool.name, (ctx.clock.now() - cloneStarted) / 1000);

  // registering: the JIT config goes over SSH stdin, nowhere else.
  ctx.enter(r, 'registering');
  const jit = r.jitConfig ?? '';
  r.jitConfig = undefined;
  let online!: () => void;
  const isOnline = new Promise<void>((resolve) => (online = resolve));
  const stderrTail: string[] = [];
  const session = r.session;
  const exec: Promise<RemoteExecResult> = session.exec(ctx.deps.bootstrapCommand ?? DEFAULT_BOOTSTRAP, {
    stdin: bootstrapInput(ctx, jit, r.ip ?? ''),
    onLine: (raw, stream) => {
      // Defence in depth: the runner never prints its config, but no log line may carry it.
      const line = jit && raw.includes(jit) ? raw.split(jit).join('[REDACTED]') : raw;
      r.log.debug({ stream, line }, 'runner console');
      if (stream === 'stderr') {
        stderrTail.push(line);
        if (stderrTail.length > 5) stderrTail.shift();
      }
      const event = parseConsoleLine(line);
      if (!event) return;
      // Stages move here, synchronously, so lines arriving in one chunk keep their order.
      if (event.type === 'online' || event.type === 'job-started') {
        if (r.record.stage === 'registering') ctx.enter(r, 'online');
        online();
      }
      if (event.type === 'job-started') {
        if (r.record.stage === 'online') ctx.enter(r, 'running');
      } else if (event.type === 'job-completed') {
        r.record = { ...r.record, jobResult: event.result };
        ctx.persist(r);
      }
    },
  });
  const execEnded = exec.then(
    (result) => ({ result, error: undefined }),
    (error: unknown) => ({ result: undefined, error }),
  );
  try {
    await withDeadline(`runner ${name} online`, deadlines.onlineMs, signal, () =>
      Promise.race([
        isOnline,
        execEnded.then(({ result, error }) => {
          const why = error ? errorMessage(error) : `exit ${result?.exitCode ?? result?.signal ?? 'unknown'}`;
          throw new StageFailure('registering', 'register-failed', `the bootstrap ended before the runner was online (${why}): ${stderrTail.join(' | ') || 'no error output'}`);
        }),
      ]),
    );
  } catch (error: unknown) {
    throw toFailure(r, 'registering', error, { deadline: 'online-timeout', other: 'register-failed' });
  }

  // online → running → the runner exits and the guest powers itself off, which ends `tart run`.
  void execEnded.then(async ({ result }) => {
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
    await withDeadline(`job on ${name}`, deadlines.jobMs, signal, (s) => whenAborted(s).then(() => undefined));
  } catch (error: unknown) {
    const stage = r.record.stage === 'running' ? 'running' : 'online';
    if (error instanceof Interrupt && (error.kind === 'vm-stopped' || error.kind === 'session-ended') && r.record.jobResult) {
      r.log.info({ jobResult: r.record.jobResult, seconds: (ctx.clock.now() - onlineAt) / 1000 }, 'job finished');
      return;
    }
    throw toFailure(r, stage, error, { deadline: 'job-timeout', other: 'internal' });
  }
}
