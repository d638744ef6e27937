/**
 * Pending demand on Cloudflare Workers: one Durable Object holds the queue in its SQLite storage,
 * so it survives isolates, deploys and restarts; every isolate of the dispatcher reaches it through
 * the `PENDING_DEMAND` binding. The object speaks plain fetch (`POST /<op>` with a JSON body), which
 * needs no `cloudflare:workers` import and keeps this file runtime-free.
 */
import { COUNT, COUNTS, DELETE, DROP_OLDEST, EXISTS, fromRow, INSERT, insertParams, oldestQuery, RAISE_ATTEMPT, SCHEMA, type DemandRow } from './demand-sql';
import { checkMaxEntries, clampLimit, DEFAULT_MAX_PENDING, queryPools, type AddResult, type PendingDemand, type PendingJob } from './pending-demand';

/** The binding name in wrangler.toml. */
export const DEMAND_BINDING = 'PENDING_DEMAND';
/** The one object every isolate talks to. */
const OBJECT_NAME = 'pending-demand';
/** Requests to the object are ours alone; their bodies stay small. */
const MAX_REQUEST_BYTES = 16 * 1024;

// The slices of the Workers runtime used here, spelled out so no Workers types are needed.
interface SqlCursor {
  toArray(): Record<string, unknown>[];
  readonly rowsWritten: number;
}
interface DurableObjectStateLike {
  storage: { sql: { exec(query: string, ...bindings: unknown[]): SqlCursor } };
}
interface DurableObjectStubLike {
  fetch(url: string, init: { method: string; body: string; headers: Record<string, string> }): Promise<Response>;
}
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): DurableObjectStubLike;
}

type Op = { op: 'add'; job: PendingJob; maxEntries: number } | { op: 'remove'; jobId: number } | { op: 'oldest'; pools: string[]; limit: number; maxEntries: number } | { op: 'counts' };

/** The Durable Object class (exported from the Worker entry, named in wrangler.toml's migration). */
export class PendingDemandObject {
  private readonly sql: DurableObjectStateLike['storage']['sql'];

  constructor(state: DurableObjectStateLike) {
    this.sql = state.storage.sql;
    for (const statement of SCHEMA) this.sql.exec(statement);
  }

  /** One operation per request; the object runs them one at a time, so `add` and its cap are atomic. */
  async fetch(request: Request): Promise<Response> {
    const text = await request.text();
    if (text.length > MAX_REQUEST_BYTES) return Response.json({ error: { code: 'payload_too_large', message: `pending-demand request must be at most ${MAX_REQUEST_BYTES} bytes, got ${text.length}` } }, { status: 413 });
    let op: Op;
    try {
      op = JSON.parse(text) as Op;
    } catch {
      return Response.json({ error: { code: 'bad_request', message: 'pending-demand request must be JSON' } }, { status: 400 });
    }
    switch (op.op) {
      case 'add':
        return Response.json(this.add(op.job, checkMaxEntries(op.maxEntries)));
      case 'remove':
        return Response.json({ removed: this.sql.exec(DELETE, op.jobId).rowsWritten > 0 });
      case 'oldest': {
        const pools = queryPools(op.pools);
        const n = clampLimit(op.limit, checkMaxEntries(op.maxEntries));
        if (n === 0 || pools.length === 0) return Response.json({ jobs: [] });
        const rows = this.sql.exec(oldestQuery(pools.length), ...pools, n).toArray() as unknown as DemandRow[];
        return Response.json({ jobs: rows.map(fromRow) });
      }
      case 'counts':
        return Response.json({ counts: Object.fromEntries(this.sql.exec(COUNTS).toArray().map((r) => [String(r.pool), Number(r.n)])) });
      default:
        return Response.json({ error: { code: 'bad_request', message: `pending-demand op must be add, remove, oldest or counts, got ${String((op as { op?: unknown }).op)}` } }, { status: 400 });
    }
  }

  private add(job: PendingJob, maxEntries: number): AddResult {
    if (this.sql.exec(INSERT, ...insertParams(job)).rowsWritten === 0) {
      const attempt = job.attempt ?? 0;
      this.sql.exec(RAISE_ATTEMPT, attempt, job.jobId, attempt);
      return { added: false, dropped: 0 };
    }
    const total = Number(this.sql.exec(COUNT).toArray()[0]?.n ?? 0);
    const dropped = total > maxEntries ? this.sql.exec(DROP_OLDEST, total - maxEntries).rowsWritten : 0;
    return { added: this.sql.exec(EXISTS, job.jobId).toArray().length > 0, dropped };
  }
}

/** The port over the object's binding. */
export function createDurableDemand(namespace: DurableObjectNamespaceLike, options: { maxEntries?: number } = {}): PendingDemand {
  const maxEntries = checkMaxEntries(options.maxEntries ?? DEFAULT_MAX_PENDING);
  const stub = namespace.get(namespace.idFromName(OBJECT_NAME));

  async function call<T>(op: Op): Promise<T> {
    const res = await stub.fetch(`https://${OBJECT_NAME}/${op.op}`, { method: 'POST', body: JSON.stringify(op), headers: { 'content-type': 'application/json' } });
    const body = (await res.json()) as T & { error?: { message?: string } };
    if (!res.ok) throw new Error(`pending-demand ${op.op} failed with HTTP ${res.status}: ${body.error?.message ?? 'no message'}`);
    return body;
  }

  return {
    add: (job) => call<AddResult>({ op: 'add', job, maxEntries }),
    remove: async (jobId) => (await call<{ removed: boolean }>({ op: 'remove', jobId })).removed,
    oldest: async (pools, limit) => (await call<{ jobs: PendingJob[] }>({ op: 'oldest', pools: [...pools], limit, maxEntries })).jobs,
    counts: async () => (await call<{ counts: Record<string, number> }>({ op: 'counts' })).counts,
  };
}
