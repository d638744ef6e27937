/**
 * Watching a VM adopted after an agent restart. This agent did not start its `tart run`, so it
 * cannot wait for that process: it polls `tart get` until the VM stops (the guest powers itself off
 * when the runner exits), bounded by the job deadline counted from when the runner came online. It
 * also re-reads the runner console over SSH, best effort, to learn the job's result.
 */
import { TartError } from '../tart/tart-error';
import { errorMessage } from '../../../core/errors';
import { parseConsoleLine } from './console-parser';
import { vmNameOf, type LifecycleContext, type RunnerState } from './context';
import { Interrupt, StageFailure } from '../vm/stage-failure';
import { guestConnectOptions } from '../ssh/guest-connect-options';

const CONSOLE_COMMAND = 'tail -n +1 -f "$HOME/.tartfleet/runner-console.log"';

/** Follows the runner console (written by the bootstrap in the guest) over a new SSH session, best effort. */
export function reattachConsole(ctx: LifecycleContext, r: RunnerState): void {
  const ip = r.ip;
  if (!ip) return;
  const { ssh } = ctx.config;
  void (async () => {
    try {
      const session = await ctx.vm.shell.connect(
        guestConnectOptions(ssh, { host: ip, privateKey: ctx.vm.sshPrivateKey, deadlineMs: Math.min(ctx.config.deadlines.sshMs, 15_000), signal: r.controller.signal }),
      );
      r.session = session;
      await session.exec(CONSOLE_COMMAND, {
        signal: r.controller.signal,
        onLine: (line) => {
          const event = parseConsoleLine(line);
          if (event?.type === 'job-started' && r.record.stage === 'online') ctx.enter(r, 'running');
          if (event?.type === 'job-completed') {
            r.record = { ...r.record, jobResult: event.result };
            ctx.persist(r);
          }
        },
      });
    } catch (error: unknown) {
      r.log.debug({ error: errorMessage(error) }, 'could not re-attach to the runner console of an adopted VM');
    }
  })();
}

/** Resolves when the adopted VM has stopped or vanished; throws StageFailure on deadline or interrupt. */
export async function watchAdopted(ctx: LifecycleContext, r: RunnerState): Promise<void> {
  const name = vmNameOf(r);
  const signal = r.controller.signal;
  const onlineAt = Date.parse(r.record.timestamps.online ?? r.record.timestamps.running ?? new Date(ctx.clock.now()).toISOString());
  const deadline = onlineAt + ctx.config.deadlines.jobMs;
  reattachConsole(ctx, r);
  for (;;) {
    const stage = r.record.stage === 'running' ? 'running' : 'online';
    if (signal.aborted) {
      const reason: unknown = signal.reason;
      const kind = reason instanceof Interrupt ? reason.kind : 'canceled';
      throw new StageFailure(stage, kind === 'agent-shutdown' ? 'agent-shutdown' : 'canceled', reason instanceof Error ? reason.message : 'canceled');
    }
    if (ctx.clock.now() >= deadline) throw new StageFailure(stage, 'job-timeout', `job on adopted VM ${name} ran past the job deadline (${ctx.config.deadlines.jobMs} ms)`);
    try {
      const info = await ctx.deps.tart.get(name, { timeoutMs: 15_000, signal });
      if (info.state !== 'running') return;
    } catch (error: unknown) {
      if (error instanceof TartError && error.kind === 'vm-missing') return;
      if (!signal.aborted) r.log.warn({ error: errorMessage(error) }, 'tart get failed while watching an adopted VM');
    }
    await ctx.clock.sleep(ctx.timing.adoptPollMs, signal).catch(() => undefined);
  }
}
