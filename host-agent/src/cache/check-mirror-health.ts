/**
 * Is the host mirror answering where the VMs will look for it? For `tartfleet-agent doctor` and the
 * agent's start-up log: a mirror that is down only slows jobs (every tool falls back or fails over
 * to its origin), so this is a warning, never a reason to refuse work.
 */
import type { CacheConfig } from './cache-config-schema';
import { HEALTH_PATH } from './render-nginx-config';
import { mirrorBaseUrl } from './mirror-env';
import { systemClock, type Clock } from '../../../core/clock';
import { deadlineSignal } from '../../../core/deadline';
import { errorMessage } from '../../../core/errors';

export interface MirrorHealth {
  ok: boolean;
  /** One line for a human: where it looked and what it found. */
  message: string;
}

/** GETs the health path on every listen address; `fetchFn` is injected for tests and the CLI. */
export async function checkMirrorHealth(cache: Pick<CacheConfig, 'listen'>, fetchFn: typeof fetch = fetch, timeoutMs = 3_000, clock: Clock = systemClock): Promise<MirrorHealth> {
  const problems: string[] = [];
  for (const l of cache.listen) {
    const url = `${mirrorBaseUrl(l.address, l.port)}${HEALTH_PATH}`;
    const deadline = deadlineSignal(clock, `GET ${url}`, timeoutMs);
    try {
      const res = await fetchFn(url, { signal: deadline.signal });
      const body = (await res.text()).trim();
      if (res.status !== 200 || body !== 'ok') problems.push(`${url} answered ${res.status} '${body.slice(0, 80)}', expected 200 'ok' (is another server on that port?)`);
    } catch (error: unknown) {
      // fetch reports "fetch failed"; the reason (ECONNREFUSED, EADDRNOTAVAIL…) is in its cause.
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${errorMessage(error.cause)}` : '';
      problems.push(`${url} did not answer (${errorMessage(error)}${cause}); is the dev.tartfleet.mirror launchd job loaded, and does the address exist yet (ifconfig bridge100)?`);
    } finally {
      deadline.cancel();
    }
  }
  if (problems.length > 0) return { ok: false, message: `cache mirror: ${problems.join('; ')}` };
  return { ok: true, message: `cache mirror answers on ${cache.listen.map((l) => mirrorBaseUrl(l.address, l.port)).join(', ')}` };
}
