/**
 * Durable writes for the agent's small state files (journal entries, pool images, the replay floor):
 * a power loss leaves either the old text or the new one, never an empty or torn file.
 */
import { renameSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import path from 'node:path';

/** fsync a folder, so a rename or unlink in it survives a power loss (not only the file's bytes). */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Temp file, fsync, rename, fsync of the folder: after a crash the old or the new text, never half.
 * Callers serialise writes to one file (the temp name is per process, not per call). */
export async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
  await fsyncDir(path.dirname(file));
}

/** Moves an unreadable state file aside as `<file>.corrupt-<UTC time>` (kept for a post-mortem, out
 * of the way of the next write) and returns the new path. */
export function quarantineFile(file: string, nowMs: number): string {
  const target = `${file}.corrupt-${new Date(nowMs).toISOString().replace(/[:.]/g, '-')}`;
  renameSync(file, target);
  return target;
}
