/**
 * The agent and the dispatcher sign and check requests with timestamps: beyond 300 s apart
 * (core/agent-api/auth.ts) every signature fails. The dispatcher's HTTP Date header is its clock.
 */
import type { CheckResult } from './doctor-checks';
import type { HostSystem } from './host-system';
import { errorMessage } from '../../../core/errors';

const SIGNATURE_WINDOW_S = 300;
const WARN_S = 30;
const FIX = 'sudo sntp -sS time.apple.com (and keep System Settings → General → Date & Time → Set automatically on)';

export async function checkClockSkew(system: HostSystem, dispatcherUrl: string | undefined): Promise<CheckResult> {
  if (dispatcherUrl === undefined) return { name: 'clock', status: 'skip', detail: 'no dispatcher URL to compare clocks with', fix: 'tartfleet-agent doctor --dispatcher https://<your dispatcher>' };
  const url = `${dispatcherUrl.replace(/\/+$/, '')}/healthz`;
  let answer: Awaited<ReturnType<HostSystem['head']>>;
  try {
    answer = await system.head(url, 10_000);
  } catch (error: unknown) {
    return { name: 'clock', status: 'warn', detail: `HEAD ${url} failed: ${errorMessage(error)}; cannot compare clocks`, fix: 'check the URL and that this Mac can reach the dispatcher' };
  }
  const theirs = answer.date === undefined ? NaN : Date.parse(answer.date);
  if (!Number.isFinite(theirs)) return { name: 'clock', status: 'warn', detail: `HEAD ${url} answered ${answer.status} without a usable Date header` };
  // The Date header has whole seconds and was stamped somewhere between send and receive.
  const ours = (answer.sentAt + answer.receivedAt) / 2;
  const skew = Math.round((ours - theirs) / 1000);
  const detail = `this Mac's clock is ${Math.abs(skew)} s ${skew >= 0 ? 'ahead of' : 'behind'} the dispatcher's (${url})`;
  if (Math.abs(skew) > SIGNATURE_WINDOW_S) return { name: 'clock', status: 'fail', detail: `${detail}: beyond ${SIGNATURE_WINDOW_S} s every signed request is refused`, fix: FIX };
  if (Math.abs(skew) > WARN_S) return { name: 'clock', status: 'warn', detail: `${detail}; signatures fail beyond ${SIGNATURE_WINDOW_S} s`, fix: FIX };
  return { name: 'clock', status: 'ok', detail };
}
