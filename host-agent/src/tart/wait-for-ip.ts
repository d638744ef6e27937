import type { Clock } from '../../../core/clock';
import type { TartCli } from './tart-cli';
import { TartError } from './tart-error';

/** Polls `tart ip --wait` until the guest has an address; tart's own wait is capped per call, and
 * `no IP address found` is the normal answer while the guest boots. Ends only with an address, a
 * different tart error, or `signal` (the caller's deadline). */
export async function waitForIp(tart: Pick<TartCli, 'ip'>, clock: Pick<Clock, 'sleep'>, name: string, signal: AbortSignal): Promise<string> {
  for (;;) {
    signal.throwIfAborted();
    try {
      return await tart.ip(name, 10, { signal });
    } catch (error: unknown) {
      if (signal.aborted) throw signal.reason;
      if (!(error instanceof TartError) || (error.kind !== 'other' && error.kind !== 'timeout')) throw error;
      await clock.sleep(250, signal);
    }
  }
}
