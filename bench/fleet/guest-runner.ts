/**
 * The guest double behind the fake SSH shell: what the image's bootstrap and runner do once the agent
 * has handed the JIT config over stdin. The runner connects to the fake GitHub, prints the console
 * lines the agent parses (online, running, completed), "runs" its job for the job's duration on the
 * simulated clock, reports it, and the guest powers itself off so the agent's `tart run` ends.
 */
import type { Clock } from '../../core/clock';
import type { FakeGuestIo } from '../../test/fakes/fake-remote-shell';
import { connectRunner, type JobMessage } from './runner-client';

export interface GuestDeps {
  fetch: typeof globalThis.fetch;
  clock: Clock;
  /** The guest at this address powers off (its VM's `tart run` exits 0). */
  powerOff(ip: string): void;
}

/** The runner's console time stamp, `2026-11-28 01:02:03Z`. */
const stamp = (clock: Clock): string => new Date(clock.now()).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');

async function takeOneJob(stdin: string | undefined, io: FakeGuestIo, deps: GuestDeps): Promise<void> {
  const runner = await connectRunner((stdin ?? '').split('\n')[0] ?? '', deps);
  io.line('√ Connected to GitHub');
  io.line(`${stamp(deps.clock)}: Listening for Jobs`);
  const hungUp = new AbortController();
  void io.closed.then(() => hungUp.abort());
  let job: JobMessage | undefined;
  while (!job && !hungUp.signal.aborted) job = await runner.poll(hungUp.signal);
  if (job) {
    io.line(`${stamp(deps.clock)}: Running job: ${job.jobDisplayName}`);
    await deps.clock.sleep(job.durationMs, hungUp.signal).catch(() => undefined);
    const result = hungUp.signal.aborted ? 'Canceled' : 'Succeeded';
    await runner.complete(job.jobId, result);
    io.line(`${stamp(deps.clock)}: Job ${job.jobDisplayName} completed with result: ${result}`);
  }
  await runner.close();
}

/** The fake shell's guest: one runner, one job, then power off (also after a runner error). */
export function createGuestRunner(deps: GuestDeps) {
  return async (_command: string, stdin: string | undefined, io: FakeGuestIo, host: string): Promise<number | null> => {
    let code = 0;
    try {
      await takeOneJob(stdin, io, deps);
    } catch (error: unknown) {
      io.stderr(`An error occurred: ${error instanceof Error ? error.message : String(error)}`);
      code = 1;
    }
    io.line(`runner-bootstrap: runner exited with code ${code}; powering the guest off`);
    deps.powerOff(host);
    return null;
  };
}
