/**
 * Placement: which host of a pool starts a runner. Hosts are asked `GET /v1/host` in parallel (short
 * timeout, short cache); a host with a ready warm VM of the pool wins (the job starts without a boot),
 * then the one with the most room (free slots plus warm VMs, which give way to any pool's runner),
 * ties broken at random so a burst spreads; a host that answers 503 (no slot, draining), times out or fails is skipped for the next.
 * The cache is debited on every placement so a burst within one cache period does not pile onto the
 * host that looked emptiest. Slots held for a runner still being minted or posted are counted apart
 * from the cache: a host's fresh answer cannot know about them, so a refresh in the middle of a burst
 * would otherwise hand the same slot out twice (a mint the host then refuses, and a delete).
 */
import type { AgentClient } from '../../core/agent-api/client';
import type { HostInfo, RunnerRecord, StartRunnerRequest } from '../../core/agent-api/contract';
import type { Clock } from '../../core/clock';
import { DeadlineError, raceDeadline } from '../../core/deadline';
import { errorMessage } from '../../core/errors';

/** The agent calls placement needs; `AgentClient` from host-agent/src/api satisfies it. */
export type PlacementAgent = Pick<AgentClient, 'baseUrl' | 'host' | 'startRunner'>;

export interface PlacerOptions {
  /** Agents by host URL. */
  agents: ReadonlyMap<string, PlacementAgent>;
  /** Host URLs of each pool. */
  poolHosts: ReadonlyMap<string, readonly string[]>;
  clock: Clock;
  /** [0,1); injected so tests can pin tie-breaks. */
  random?: () => number;
  cacheMs: number;
  timeoutMs: number;
  onHostError?: (host: string, error: unknown) => void;
}

export type PlaceResult =
  | { placed: true; host: string; record: RunnerRecord }
  /** The host already knows this runner name (409): names must never be reused. */
  | { placed: false; reason: 'name_taken'; host: string; tried: string[] }
  | { placed: false; reason: 'no_capacity'; tried: string[] }
  /** The POST timed out: the agent may have taken the runner, so it is not offered to another host
   * (two VMs for one registration); the reconciler sorts it out from the agent's records. */
  | { placed: false; reason: 'uncertain'; host: string; tried: string[] };

interface CacheEntry {
  at: number;
  /** When its `GET /v1/host` was sent: placements the host accepted after this are not in `info`. */
  askedAt: number;
  info: HostInfo | undefined;
  /** Room as last seen (free slots plus warm VMs, which any pool's runner may take over), minus
   * placements the host accepted since. Holds in flight are not in it (see `holds`). */
  free: number;
  /** Ready warm VMs per pool as last seen, minus placements since. */
  warm: Record<string, number>;
  pending?: Promise<CacheEntry>;
}

export interface Placer {
  /** Free slots across the pool's reachable, non-draining hosts (cached). */
  freeSlots(pool: string): Promise<number>;
  /** Hold a slot on the best host before minting, so a burst of webhooks does not mint more
   * registrations than there are slots. Undefined when no host has room. */
  reserve(pool: string): Promise<string | undefined>;
  /** Hold a slot on this host if it serves the pool and has room; undefined otherwise. */
  reserveOn(pool: string, host: string): Promise<string | undefined>;
  /** Whether every reachable host of the pool reports freed slots itself (HostInfo.slotCallbacks):
   * then jobs waiting for a slot are refilled by those reports, not by fast reconcile passes. */
  callsBack(pool: string): Promise<boolean>;
  /** Forget what the host said last, so the next placement asks it again (it reported free slots). */
  refresh(host: string): void;
  /** hostId → host URL, from the hosts' last `GET /v1/host` answers (no request made). */
  hostIds(): ReadonlyMap<string, string>;
  /** Give back a reservation that will not be used (minting failed). */
  release(host: string): void;
  /** Start the runner, on the reserved host first, then on the best other host; never throws for
   * host trouble. */
  place(request: StartRunnerRequest, reservedHost?: string): Promise<PlaceResult>;
  /** Latest known state of every host (for /v1/fleet). */
  snapshot(): Promise<{ host: string; info?: HostInfo; error?: string }[]>;
}

/** The host may have acted on a request we stopped waiting for. */
function isTimeout(error: unknown): boolean {
  return error instanceof DeadlineError || (error as { code?: unknown }).code === 'timeout';
}

export function createPlacer(options: PlacerOptions): Placer {
  const random = options.random ?? Math.random;
  const cache = new Map<string, CacheEntry>();
  const errors = new Map<string, string>();
  /** Slots held per host whose `POST /v1/runners` has not been answered yet (minting, or posting). */
  const holds = new Map<string, number>();

  const held = (host: string) => holds.get(host) ?? 0;
  const room = (host: string, e: CacheEntry) => e.free - held(host);

  /** Holds one slot of `host` for `pool` (and one of its ready warm VMs, if any). */
  function hold(host: string, e: CacheEntry, pool: string): void {
    holds.set(host, held(host) + 1);
    if ((e.warm[pool] ?? 0) > 0) e.warm[pool] = (e.warm[pool] ?? 0) - 1;
  }

  function unhold(host: string): void {
    const n = held(host) - 1;
    if (n > 0) holds.set(host, n);
    else holds.delete(host);
  }

  /** The host took a runner at `at`: debit the cached view unless that view was asked for later. */
  function accepted(host: string, at: number): void {
    unhold(host);
    const e = cache.get(host);
    if (e && e.askedAt <= at) e.free -= 1;
  }

  async function entry(host: string): Promise<CacheEntry> {
    const now = options.clock.now();
    const hit = cache.get(host);
    if (hit && now - hit.at < options.cacheMs) return hit;
    if (hit?.pending) return hit.pending;
    const agent = options.agents.get(host);
    const askedAt = now;
    const pending = (async (): Promise<CacheEntry> => {
      let info: HostInfo | undefined;
      try {
        if (!agent) throw new Error(`no agent client for host ${host}`);
        info = await raceDeadline(options.clock, `GET ${host}/v1/host`, options.timeoutMs, agent.host());
        errors.delete(host);
      } catch (error: unknown) {
        errors.set(host, errorMessage(error));
        options.onHostError?.(host, error);
      }
      const room = info && !info.draining ? info.slots.free + info.slots.warm : 0;
      const warm = Object.fromEntries((info?.pools ?? []).map((p) => [p.name, info?.draining ? 0 : p.warmReady]));
      const fresh: CacheEntry = { at: options.clock.now(), askedAt, info, free: room, warm };
      cache.set(host, fresh);
      return fresh;
    })();
    if (hit) hit.pending = pending;
    else cache.set(host, { at: -Infinity, askedAt: -Infinity, info: undefined, free: 0, warm: {}, pending });
    return pending;
  }

  async function ranked(pool: string): Promise<{ host: string; e: CacheEntry; room: number }[]> {
    const hosts = options.poolHosts.get(pool) ?? [];
    const entries = await Promise.all(hosts.map(async (host) => ({ host, e: await entry(host), tie: random() })));
    return entries
      .map((x) => ({ ...x, room: room(x.host, x.e) }))
      .filter((x) => x.room > 0)
      .sort((a, b) => Number((b.e.warm[pool] ?? 0) > 0) - Number((a.e.warm[pool] ?? 0) > 0) || b.room - a.room || a.tie - b.tie)
      .map(({ host, e, room }) => ({ host, e, room }));
  }

  return {
    async freeSlots(pool) {
      return (await ranked(pool)).reduce((sum, x) => sum + x.room, 0);
    },

    async reserve(pool) {
      // Room is checked again here: other reservations may have been made while the ranking waited.
      const best = (await ranked(pool)).find((x) => room(x.host, x.e) > 0);
      if (!best) return undefined;
      hold(best.host, best.e, pool);
      return best.host;
    },

    async reserveOn(pool, host) {
      if (!(options.poolHosts.get(pool) ?? []).includes(host)) return undefined;
      const e = await entry(host);
      if (room(host, e) <= 0) return undefined;
      hold(host, e, pool);
      return host;
    },

    async callsBack(pool) {
      const infos = (await Promise.all((options.poolHosts.get(pool) ?? []).map(async (host) => (await entry(host)).info))).filter((i) => i !== undefined);
      return infos.length > 0 && infos.every((i) => i.slotCallbacks);
    },

    refresh(host) {
      const e = cache.get(host);
      if (e && !e.pending) e.at = -Infinity;
    },

    hostIds() {
      const ids = new Map<string, string>();
      for (const [host, e] of cache) if (e.info) ids.set(e.info.id, host);
      return ids;
    },

    release(host) {
      unhold(host);
    },

    async place(request, reservedHost) {
      const tried: string[] = [];
      const others = (await ranked(request.pool)).filter((x) => x.host !== reservedHost);
      const reserved = reservedHost !== undefined ? cache.get(reservedHost) : undefined;
      const candidates = reserved && reservedHost !== undefined ? [{ host: reservedHost, e: reserved, held: true }, ...others.map((x) => ({ ...x, held: false }))] : others.map((x) => ({ ...x, held: false }));
      for (const { host, e, held: mine } of candidates) {
        // Another placement may have taken the last slot while we waited.
        if (!mine && room(host, e) <= 0) continue;
        tried.push(host);
        const agent = options.agents.get(host);
        if (!agent) {
          if (mine) unhold(host);
          continue;
        }
        if (!mine) hold(host, e, request.pool);
        try {
          const record = await raceDeadline(options.clock, `POST ${host}/v1/runners`, options.timeoutMs * 3, agent.startRunner(request));
          accepted(host, options.clock.now());
          return { placed: true, host, record };
        } catch (error: unknown) {
          unhold(host);
          const status = (error as { status?: unknown }).status;
          // The host already had a VM by this name: a name we used before (a finished runner).
          if (status === 409) return { placed: false, reason: 'name_taken', host, tried };
          const current = cache.get(host);
          if (current) current.free = 0;
          errors.set(host, errorMessage(error));
          options.onHostError?.(host, error);
          if (isTimeout(error)) return { placed: false, reason: 'uncertain', host, tried };
          // 503 (no slot, draining), refused connection, 5xx: that host did not take it; next one.
        }
      }
      return { placed: false, reason: 'no_capacity', tried };
    },

    async snapshot() {
      const hosts = [...new Set([...options.poolHosts.values()].flat())];
      return Promise.all(
        hosts.map(async (host) => {
          const e = await entry(host);
          const err = errors.get(host);
          return { host, ...(e.info ? { info: e.info } : {}), ...(err ? { error: err } : {}) };
        }),
      );
    },
  };
}
