/**
 * Automatic warm sizing (pools with `warm.mode: auto`): from a moving window of job arrivals and the
 * runners' hold time (requested → gone: boot plus job), Little's law gives how many runners the pool
 * keeps busy; spread over its hosts, clamped to `[warm.min, warm.max]` and to each host's room, that
 * is the warm target pushed to every host (`PUT /v1/pools/:pool/warm`, source `auto`) at most once a
 * minute. Auto targets expire on the hosts after a few minutes, so a dispatcher that stops pushing
 * leaves the fleet at its manual floor; the hosts keep the larger of the two.
 */
import type { AgentImageClient } from '../../core/agent-api/client';
import type { HostInfo, RunnerRecord } from '../../core/agent-api/contract';
import type { Clock } from '../../core/clock';
import { errorMessage } from '../../core/errors';
import type { Logger } from '../../core/logger';
import type { PoolConfig } from './config';

/** Arrivals counted over this window. */
const WINDOW_MS = 15 * 60_000;
/** Targets are recomputed and pushed at most this often. */
const PUSH_EVERY_MS = 60_000;
/** A pushed target lives this long on a host unless pushed again. */
const AUTO_TTL_MS = 5 * 60_000;
/** Remembered job ids (arrivals are counted once) and runner names (holds are counted once). */
const MAX_REMEMBERED = 20_000;
/** Until holds are observed: a macOS boot plus a short job. */
const DEFAULT_HOLD_SECONDS = 120;

export interface WarmSizerDeps {
  pools: readonly PoolConfig[];
  /** Agents by host URL. */
  agents: ReadonlyMap<string, Pick<AgentImageClient, 'setWarmTarget'>>;
  clock: Clock;
  logger: Logger;
}

export interface WarmSizer {
  /** Jobs seen queued (webhook or reconcile); each id counts once. */
  arrived(pool: string, jobId: number, createdAtMs: number): void;
  /** Runner records from the agents; each finished runner's hold counts once. */
  observe(records: Iterable<RunnerRecord>): void;
  /** Pushes targets when a minute has passed since the last push; returns what it pushed. */
  maybePush(hosts: readonly { host: string; info?: HostInfo }[]): Promise<Record<string, Record<string, number>>>;
}

/** A set that forgets its oldest entries past `cap`. */
function boundedSet<T>(cap: number): { add(v: T): boolean } {
  const items = new Set<T>();
  return {
    add(v) {
      if (items.has(v)) return false;
      items.add(v);
      if (items.size > cap) items.delete(items.values().next().value as T);
      return true;
    },
  };
}

export function createWarmSizer(deps: WarmSizerDeps): WarmSizer {
  const auto = deps.pools.filter((p) => p.warm.mode === 'auto');
  const arrivals = new Map<string, number[]>(auto.map((p) => [p.name, []]));
  const holdEwma = new Map<string, number>();
  const seenJobs = boundedSet<number>(MAX_REMEMBERED);
  const seenRunners = boundedSet<string>(MAX_REMEMBERED);
  let lastPush = -Infinity;

  /** Per-host target for a pool now. */
  function perHost(pool: PoolConfig, hostCount: number): number {
    const now = deps.clock.now();
    const list = (arrivals.get(pool.name) ?? []).filter((t) => t > now - WINDOW_MS);
    arrivals.set(pool.name, list);
    const perSecond = list.length / (WINDOW_MS / 1000);
    const busy = perSecond * (holdEwma.get(pool.name) ?? DEFAULT_HOLD_SECONDS);
    return Math.min(pool.warm.max, Math.max(pool.warm.min, Math.ceil(busy / Math.max(1, hostCount))));
  }

  return {
    arrived(pool, jobId, createdAtMs) {
      const list = arrivals.get(pool);
      if (!list || !seenJobs.add(jobId)) return;
      list.push(Number.isFinite(createdAtMs) ? createdAtMs : deps.clock.now());
      if (list.length > MAX_REMEMBERED) list.splice(0, list.length - MAX_REMEMBERED);
    },
    observe(records) {
      for (const r of records) {
        if (!arrivals.has(r.pool) || r.stage !== 'gone' || !seenRunners.add(r.name)) continue;
        const seconds = (Date.parse(r.timestamps.gone ?? '') - Date.parse(r.timestamps.requested ?? '')) / 1000;
        if (!Number.isFinite(seconds) || seconds <= 0) continue;
        const prev = holdEwma.get(r.pool);
        holdEwma.set(r.pool, prev === undefined ? seconds : prev * 0.8 + seconds * 0.2);
      }
    },
    async maybePush(hosts) {
      const now = deps.clock.now();
      if (auto.length === 0 || now - lastPush < PUSH_EVERY_MS) return {};
      lastPush = now;
      const pushed: Record<string, Record<string, number>> = {};
      for (const pool of auto) {
        const urls = pool.hosts.map((h) => h.url.replace(/\/+$/, ''));
        const want = perHost(pool, urls.length);
        pushed[pool.name] = {};
        await Promise.all(
          urls.map(async (url) => {
            const info = hosts.find((h) => h.host === url)?.info;
            if (!info || info.draining) return;
            // Never more than the host can hold besides its busy slots.
            const n = Math.min(want, info.slots.total - info.slots.busy);
            try {
              await deps.agents.get(url)?.setWarmTarget(pool.name, n, now + AUTO_TTL_MS, 'auto');
              (pushed[pool.name] as Record<string, number>)[url] = n;
            } catch (error: unknown) {
              deps.logger.warn({ host: url, pool: pool.name, err: errorMessage(error) }, 'could not push the automatic warm target');
            }
          }),
        );
      }
      deps.logger.info({ pushed }, 'automatic warm targets pushed');
      return pushed;
    },
  };
}
