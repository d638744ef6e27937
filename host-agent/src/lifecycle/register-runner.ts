/**
 * Registering: the JIT config goes to the guest over SSH stdin (nowhere else), the bootstrap starts
 * the runner, and the runner's console lines move the record to `online` and `running`.
 */
import type { RemoteExecResult, RemoteSession } from '../ssh/remote-shell';
import { runnerEnvForVm } from '../cache/mirror-env';
import { errorMessage } from '../../../core/errors';
import { isWarmVmName } from '../../../core/names';
import { withDeadline } from '../../../core/deadline';
import { vmFailure } from '../vm/vm-session';
import { StageFailure } from '../vm/stage-failure';
import { createConsoleTracker } from './console-parser';
import type { LifecycleContext, RunnerState } from './context';

const DEFAULT_BOOTSTRAP = '"$HOME/.tartfleet/runner-bootstrap.sh"';
/** How much of the console a registration failure quotes (guest bytes: bounded). */
const TAIL_LINES = 5;
const TAIL_LINE_CHARS = 300;

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

/** How the bootstrap session ended: a result, or the error that ended it. */
export type BootstrapEnd = { result: RemoteExecResult | undefined; error: unknown };

/**
 * Hands `jit` to the guest and waits until the runner is online. Resolves with the bootstrap
 * session, which lives on for the whole job (`ended` settles with it); throws StageFailure.
 */
export async function registerRunner(ctx: LifecycleContext, r: RunnerState, session: RemoteSession, jit: string): Promise<{ ended: Promise<BootstrapEnd> }> {
  const name = r.record.name;
  ctx.enter(r, 'registering');
  let online!: () => void;
  const isOnline = new Promise<void>((resolve) => (online = resolve));
  // The last console lines, both streams: the bootstrap sends the runner's own errors (and run.sh's
  // verdict on its exit code) to stdout, so stderr alone would not say why the runner stopped.
  const tail: string[] = [];
  const runnerConsole = createConsoleTracker();
  const exec = session.exec(ctx.deps.bootstrapCommand ?? DEFAULT_BOOTSTRAP, {
    stdin: bootstrapInput(ctx, jit, r.ip ?? ''),
    onLine: (raw, stream, truncated) => {
      if (truncated) ctx.deps.observer.guestLineTruncated?.();
      // Defence in depth: the runner never prints its config, but no log line may carry it.
      const line = jit && raw.includes(jit) ? raw.split(jit).join('[REDACTED]') : raw;
      r.log.debug({ stream, line }, 'runner console');
      tail.push(line.length > TAIL_LINE_CHARS ? `${line.slice(0, TAIL_LINE_CHARS)}…` : line);
      if (tail.length > TAIL_LINES) tail.shift();
      const event = runnerConsole.read(line);
      if (!event) return;
      // Stages move here, synchronously, so lines arriving in one chunk keep their order.
      if (event.type === 'online' || event.type === 'job-started') {
        if (r.record.stage === 'registering') {
          ctx.enter(r, 'online');
          const requested = Date.parse(r.record.timestamps.requested ?? '');
          if (Number.isFinite(requested)) ctx.deps.observer.runnerOnline(r.record.pool, r.record.vm && isWarmVmName(r.record.vm) ? 'warm' : 'cold', (ctx.clock.now() - requested) / 1000);
        }
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
  const ended: Promise<BootstrapEnd> = exec.then(
    (result) => ({ result, error: undefined }),
    (error: unknown) => ({ result: undefined, error }),
  );
  try {
    await withDeadline(ctx.clock, `runner ${name} online`, ctx.config.deadlines.onlineMs, r.controller.signal, () =>
      Promise.race([
        isOnline,
        ended.then(({ result, error }) => {
          const why = error ? errorMessage(error) : `exit ${result?.exitCode ?? result?.signal ?? 'unknown'}`;
          throw new StageFailure('registering', 'register-failed', `the bootstrap ended before the runner was online (${why}): ${tail.join(' | ') || 'no output'}`);
        }),
      ]),
    );
  } catch (error: unknown) {
    throw vmFailure('registering', error, r.vmExit, { deadline: 'online-timeout', other: 'register-failed' });
  }
  return { ended };
}
