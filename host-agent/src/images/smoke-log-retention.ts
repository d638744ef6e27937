/**
 * The console logs of failed smoke tests stay for whoever investigates, but on the disk the clones
 * need: each is cut to its last `maxBytes` (the end says why the VM failed) and only the newest
 * `keep` of them stay (docs/security.md, "Disks and logs").
 */
import { open, readdir, rm, stat, truncate } from 'node:fs/promises';
import path from 'node:path';

export const KEPT_SMOKE_LOGS = 5;
export const SMOKE_LOG_MAX_BYTES = 1024 * 1024;

export interface SmokeLogRetention {
  /** File names of smoke logs start with this (the smoke VM name prefix). */
  prefix: string;
  keep?: number;
  maxBytes?: number;
}

/** Keeps the last `maxBytes` of `file`. */
async function keepTail(file: string, maxBytes: number): Promise<void> {
  const size = (await stat(file)).size;
  if (size <= maxBytes) return;
  const handle = await open(file, 'r+');
  try {
    const tail = Buffer.alloc(maxBytes);
    await handle.read(tail, 0, maxBytes, size - maxBytes);
    await handle.write(tail, 0, maxBytes, 0);
  } finally {
    await handle.close();
  }
  await truncate(file, maxBytes);
}

/** Caps the just-kept log `file`, then deletes all but the newest `keep` smoke logs beside it. */
export async function retainSmokeLog(file: string, options: SmokeLogRetention): Promise<void> {
  const keep = options.keep ?? KEPT_SMOKE_LOGS;
  await keepTail(file, options.maxBytes ?? SMOKE_LOG_MAX_BYTES).catch(() => undefined);
  const dir = path.dirname(file);
  const names = (await readdir(dir)).filter((n) => n.startsWith(options.prefix) && n.endsWith('.log'));
  const dated = await Promise.all(names.map(async (n) => ({ n, at: await stat(path.join(dir, n)).then((s) => s.mtimeMs, () => 0) })));
  dated.sort((a, b) => b.at - a.at || (a.n < b.n ? 1 : -1));
  await Promise.all(dated.slice(keep).map(({ n }) => rm(path.join(dir, n), { force: true })));
}
