/**
 * The status view from one fleet snapshot and what the job tracker has seen. Slot states come from
 * the host's own counts (`GET /v1/host`: busy, warm, suspect, free); the busy ones whose runner is
 * still before `online` show as booting; the free ones of a draining host as draining.
 */
import type { HostInfo, RunnerRecord, RunnerStage } from '../../../core/agent-api/contract';
import { parseJobRunnerName } from '../../../core/names';
import type { FleetHost, FleetSnapshot } from '../fleet-snapshot';
import type { JobLog } from './job-log';
import type { SlotState, StatusHost, StatusView } from './status-model';

const BOOTING: ReadonlySet<RunnerStage> = new Set(['requested', 'cloning', 'booting', 'ssh-ready', 'registering']);
/** Cells drawn per host at most (a host has two slots; a misconfigured one cannot blow up the page). */
const MAX_CELLS = 64;
const RECENT_JOBS = 20;

/** The job a runner was started for: its record says, or its name does (`tf-<pool>-j<job>a<n>`). */
export const jobOf = (r: Pick<RunnerRecord, 'jobId' | 'name'>): number | undefined => r.jobId ?? parseJobRunnerName(r.name)?.jobId;
const alive = (r: RunnerRecord): boolean => r.stage !== 'gone';
const seconds = (ms: number): number => Math.max(0, Math.round(ms / 100) / 10);

function hostSlots(info: HostInfo, runners: readonly RunnerRecord[]): StatusHost['slots'] {
  const { total, busy, warm, free, suspect } = info.slots;
  const booting = Math.min(busy, runners.filter((r) => BOOTING.has(r.stage)).length);
  return { total, busy: busy - booting, booting, warm, free, suspect };
}

function cells(slots: StatusHost['slots'], draining: boolean): SlotState[] {
  const out: SlotState[] = [];
  const push = (state: SlotState, n: number) => {
    for (let i = 0; i < n && out.length < Math.min(slots.total, MAX_CELLS); i++) out.push(state);
  };
  push('busy', slots.busy);
  push('booting', slots.booting);
  push('warm', slots.warm);
  push('suspect', slots.suspect);
  // Whatever the counts leave over is free: the host's total is the truth about how many slots exist.
  push(draining ? 'draining' : 'free', slots.total);
  return out;
}

function statusHost(h: FleetHost): StatusHost {
  if (!h.info) {
    return { url: h.host, draining: false, error: h.error ?? 'no answer yet', slots: { total: 0, busy: 0, booting: 0, warm: 0, free: 0, suspect: 0 }, cells: [] };
  }
  const slots = hostSlots(h.info, h.runners.filter(alive));
  return { url: h.host, id: h.info.id, draining: h.info.draining, ...(h.error ? { error: h.error } : {}), slots, cells: cells(slots, h.info.draining) };
}

function images(snapshot: FleetSnapshot): StatusView['images'] {
  const byPool = new Map<string, Map<string, string[]>>();
  for (const h of snapshot.hosts) {
    for (const p of h.info?.pools ?? []) {
      const imgs = byPool.get(p.name) ?? new Map<string, string[]>();
      byPool.set(p.name, imgs);
      imgs.set(p.image, [...(imgs.get(p.image) ?? []), h.info?.id ?? h.host]);
    }
  }
  return [...byPool].map(([pool, imgs]) => ({ pool, images: [...imgs].map(([image, hosts]) => ({ image, hosts })) }));
}

export function buildStatus(snapshot: FleetSnapshot, tracker: JobLog, pools: readonly string[], now: number): StatusView {
  for (const h of snapshot.hosts) tracker.sawRecords(h.info?.id ?? h.host, h.runners);
  const hosts = snapshot.hosts.map(statusHost);
  const sum = (f: (h: StatusHost) => number) => hosts.reduce((n, h) => n + f(h), 0);
  const runners = snapshot.hosts.flatMap((h) =>
    h.runners.filter(alive).map((r) => {
      const requested = Date.parse(r.timestamps.requested ?? '');
      return { host: h.info?.id ?? h.host, name: r.name, pool: r.pool, jobId: jobOf(r) ?? null, stage: r.failure ? `failed in ${r.failure.stage}: ${r.failure.reason}` : r.stage, ageSeconds: Number.isFinite(requested) ? seconds(now - requested) : 0 };
    }),
  );
  const queued = tracker.queuedJobs();
  const queue = pools.map((pool) => {
    const mine = queued.filter((q) => q.pool === pool);
    const oldest = mine.length > 0 ? Math.min(...mine.map((q) => q.createdAt)) : undefined;
    return { pool, depth: mine.length, oldestWaitSeconds: oldest === undefined ? null : seconds(now - oldest) };
  });
  const recentJobs = tracker.recentStarts().slice(0, RECENT_JOBS).map((s) => {
    const from = s.createdAt ?? s.requestedAt;
    return {
      jobId: s.jobId,
      pool: s.pool,
      runner: s.runner ?? null,
      host: s.host ?? null,
      startedAt: new Date(s.startedAt).toISOString(),
      startLatencySeconds: from === undefined ? null : seconds(s.startedAt - from),
      latencyFrom: s.createdAt !== undefined ? ('created' as const) : s.requestedAt !== undefined ? ('requested' as const) : null,
    };
  });
  const gh = snapshot.github.runners;
  return {
    generatedAt: new Date(now).toISOString(),
    totals: {
      hosts: hosts.length,
      reachable: hosts.filter((h) => h.id !== undefined).length,
      slots: sum((h) => h.slots.total),
      busy: sum((h) => h.slots.busy),
      booting: sum((h) => h.slots.booting),
      warm: sum((h) => h.slots.warm),
      free: sum((h) => (h.draining ? 0 : h.slots.free)),
      suspect: sum((h) => h.slots.suspect),
      draining: sum((h) => (h.draining ? h.slots.free : 0)),
    },
    hosts,
    runners,
    queue,
    recentJobs,
    images: images(snapshot),
    github: Array.isArray(gh) ? { registrations: gh.length, rateLimitRemaining: snapshot.github.rateLimitRemaining } : { registrations: null, error: gh.error, rateLimitRemaining: snapshot.github.rateLimitRemaining },
  };
}
