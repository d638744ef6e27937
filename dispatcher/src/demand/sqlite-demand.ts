/**
 * Pending demand in a SQLite file (Node): it survives a restart of the dispatcher. WAL mode, one
 * prepared statement per operation; the calls are synchronous under the async port.
 *
 * better-sqlite3 is a native addon: the dispatcher bundle keeps it external and loads it only here,
 * so a missing module is one clear error at start instead of a crash on import.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { DispatcherError } from '../errors';
import { errorMessage } from '../../../core/errors';
import { COUNT, COUNTS, DELETE, DROP_OLDEST, EXISTS, fromRow, INSERT, insertParams, oldestQuery, RAISE_ATTEMPT, SCHEMA, type DemandRow } from './demand-sql';
import { checkMaxEntries, clampLimit, DEFAULT_MAX_PENDING, queryPools, type PendingDemand } from './pending-demand';

export interface SqliteDemand extends PendingDemand {
  close(): void;
}

type DatabaseCtor = typeof BetterSqlite3;

async function loadDriver(): Promise<DatabaseCtor> {
  try {
    const mod = (await import('better-sqlite3')) as { default: DatabaseCtor };
    return mod.default;
  } catch (error: unknown) {
    throw new DispatcherError('config', `pending demand needs the better-sqlite3 module next to the dispatcher (npm install better-sqlite3@12; docs/deploy.md), and it could not be loaded: ${errorMessage(error)}`);
  }
}

/** Opens (or creates) the file at `path`; the caller has validated the path and made its folder. */
export async function openSqliteDemand(options: { path: string; maxEntries?: number }): Promise<SqliteDemand> {
  const maxEntries = checkMaxEntries(options.maxEntries ?? DEFAULT_MAX_PENDING);
  const Database = await loadDriver();
  let db: BetterSqlite3.Database;
  try {
    db = new Database(options.path);
    db.pragma('journal_mode = WAL');
    // WAL with NORMAL is durable across a process crash; only an OS crash may lose the last
    // commits, and the reconcile pass finds those jobs again.
    db.pragma('synchronous = NORMAL');
    for (const statement of SCHEMA) db.exec(statement);
  } catch (error: unknown) {
    throw new DispatcherError('config', `demand.sqlitePath: cannot open a SQLite database at ${options.path}: ${errorMessage(error)}`);
  }
  const insert = db.prepare(INSERT);
  const count = db.prepare<[], { n: number }>(COUNT);
  const dropOldest = db.prepare(DROP_OLDEST);
  const exists = db.prepare(EXISTS);
  const del = db.prepare(DELETE);
  const raiseAttempt = db.prepare(RAISE_ATTEMPT);
  const counts = db.prepare<[], { pool: string; n: number }>(COUNTS);
  const oldestByPools = new Map<number, BetterSqlite3.Statement<unknown[], DemandRow>>();

  const addTx = db.transaction((params: ReturnType<typeof insertParams>) => {
    if (insert.run(...params).changes === 0) {
      raiseAttempt.run(params[6], params[0], params[6]);
      return { added: false, dropped: 0 };
    }
    const over = (count.get() as { n: number }).n - maxEntries;
    const dropped = over > 0 ? dropOldest.run(over).changes : 0;
    return { added: exists.get(params[0]) !== undefined, dropped };
  });

  return {
    async add(job) {
      return addTx(insertParams(job));
    },
    async remove(jobId) {
      return del.run(jobId).changes > 0;
    },
    async oldest(pools, limit) {
      const n = clampLimit(limit, maxEntries);
      const unique = queryPools(pools);
      if (n === 0 || unique.length === 0) return [];
      let stmt = oldestByPools.get(unique.length);
      if (!stmt) {
        stmt = db.prepare<unknown[], DemandRow>(oldestQuery(unique.length));
        oldestByPools.set(unique.length, stmt);
      }
      return stmt.all(...unique, n).map(fromRow);
    },
    async counts() {
      return Object.fromEntries(counts.all().map((r) => [r.pool, r.n]));
    },
    close() {
      db.close();
    },
  };
}
