import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryDemand } from '../../../dispatcher/src/demand/memory-demand';
import type { PendingDemand, PendingJob } from '../../../dispatcher/src/demand/pending-demand';
import { openSqliteDemand, type SqliteDemand } from '../../../dispatcher/src/demand/sqlite-demand';

const dirs: string[] = [];
const open: SqliteDemand[] = [];
afterAll(async () => {
  for (const s of open) s.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempFile(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tf-demand-'));
  dirs.push(dir);
  return path.join(dir, 'pending-demand.sqlite');
}

async function sqlite(maxEntries?: number, file?: string): Promise<SqliteDemand> {
  const s = await openSqliteDemand({ path: file ?? (await tempFile()), ...(maxEntries !== undefined ? { maxEntries } : {}) });
  open.push(s);
  return s;
}

const job = (jobId: number, pool = 'macos', createdAt = 1_000 + jobId): PendingJob => ({ jobId, pool, repo: 'acme/app', runId: 7, labels: ['self-hosted', pool], createdAt });

const stores: [string, (maxEntries?: number) => Promise<PendingDemand>][] = [
  ['memory', async (maxEntries) => createMemoryDemand(maxEntries !== undefined ? { maxEntries } : {})],
  ['sqlite', (maxEntries) => sqlite(maxEntries)],
];

describe.each(stores)('pending demand contract (%s)', (_name, make) => {
  it('keeps what it was given and hands back the oldest first, per set of pools', async () => {
    const d = await make();
    await d.add(job(3, 'macos', 300));
    await d.add(job(1, 'macos', 100));
    await d.add(job(2, 'xcode', 200));
    await d.add(job(4, 'macos', 100));
    expect(await d.oldest(['macos'], 10)).toEqual([job(1, 'macos', 100), job(4, 'macos', 100), job(3, 'macos', 300)]);
    expect((await d.oldest(['macos', 'xcode'], 2)).map((j) => j.jobId)).toEqual([1, 4]);
    expect((await d.oldest(['xcode', 'other'], 5)).map((j) => j.jobId)).toEqual([2]);
    expect(await d.oldest([], 5)).toEqual([]);
    expect(await d.oldest(['macos'], 0)).toEqual([]);
    expect(await d.counts()).toEqual({ macos: 3, xcode: 1 });
  });

  it("keeps a job's next attempt (its earlier runner took another job)", async () => {
    const d = await make();
    await d.add({ ...job(6), attempt: 2 });
    await d.add(job(7));
    expect(await d.oldest(['macos'], 10)).toEqual([{ ...job(6), attempt: 2 }, job(7)]);
    // Adding again keeps the entry but never lowers its attempt; a higher one replaces it.
    expect(await d.add(job(6))).toEqual({ added: false, dropped: 0 });
    expect(await d.add({ ...job(7), attempt: 1 })).toEqual({ added: false, dropped: 0 });
    expect(await d.oldest(['macos'], 10)).toEqual([{ ...job(6), attempt: 2 }, { ...job(7), attempt: 1 }]);
  });

  it('is idempotent by job id: a second add changes nothing', async () => {
    const d = await make();
    expect(await d.add(job(5, 'macos', 500))).toEqual({ added: true, dropped: 0 });
    expect(await d.add({ ...job(5, 'xcode', 1), labels: ['other'] })).toEqual({ added: false, dropped: 0 });
    expect(await d.oldest(['macos', 'xcode'], 10)).toEqual([job(5, 'macos', 500)]);
  });

  it('removes by job id, and oldest never takes anything out', async () => {
    const d = await make();
    await d.add(job(6));
    await d.add(job(7));
    await d.oldest(['macos'], 10);
    expect(await d.remove(6)).toBe(true);
    expect(await d.remove(6)).toBe(false);
    expect(await d.remove(999)).toBe(false);
    expect((await d.oldest(['macos'], 10)).map((j) => j.jobId)).toEqual([7]);
  });

  it('drops the oldest beyond its cap and says how many', async () => {
    const d = await make(3);
    for (const id of [10, 11, 12]) expect(await d.add(job(id))).toEqual({ added: true, dropped: 0 });
    expect(await d.add(job(13))).toEqual({ added: true, dropped: 1 });
    expect((await d.oldest(['macos'], 10)).map((j) => j.jobId)).toEqual([11, 12, 13]);
    // A job older than everything kept is itself the one dropped.
    expect(await d.add(job(9, 'macos', 1))).toEqual({ added: false, dropped: 1 });
    expect((await d.oldest(['macos'], 10)).map((j) => j.jobId)).toEqual([11, 12, 13]);
    expect(await d.counts()).toEqual({ macos: 3 });
  });

  it('refuses a nonsensical cap and too many pools in one query, naming them', async () => {
    await expect(make(0)).rejects.toThrow(/maxEntries must be a positive integer, got 0/);
    const d = await make();
    await expect(d.oldest(Array.from({ length: 65 }, (_, i) => `p${i}`), 1)).rejects.toThrow(/at most 64 pools per query, got 65/);
  });
});

describe('pending demand in SQLite', () => {
  it('survives closing and reopening the file (a dispatcher restart)', async () => {
    const file = await tempFile();
    const first = await openSqliteDemand({ path: file });
    await first.add(job(21, 'macos', 50));
    await first.add(job(22, 'xcode', 60));
    await first.add(job(23, 'macos', 70));
    await first.remove(23);
    first.close();
    const second = await sqlite(undefined, file);
    expect(await second.oldest(['macos', 'xcode'], 10)).toEqual([job(21, 'macos', 50), job(22, 'xcode', 60)]);
    expect(await second.add(job(21))).toEqual({ added: false, dropped: 0 });
  });

  it('runs in WAL mode', async () => {
    const file = await tempFile();
    const s = await sqlite(undefined, file);
    await s.add(job(31));
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'pending_demand'").all() as { name: string }[];
      expect(indexes.map((i) => i.name)).toContain('pending_demand_pool_created');
    } finally {
      db.close();
    }
  });

  it('names the path when the file cannot be opened', async () => {
    await expect(openSqliteDemand({ path: '/proc/no-such-dir/pending-demand.sqlite' })).rejects.toThrow(/demand\.sqlitePath: cannot open a SQLite database at \/proc\/no-such-dir\/pending-demand\.sqlite/);
  });
});
