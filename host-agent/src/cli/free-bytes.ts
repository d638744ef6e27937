import { statfs } from 'node:fs/promises';
import path from 'node:path';

/** Free bytes available to this user on the filesystem holding `target`, or on its nearest existing
 * parent (TART_HOME may not exist before tart's first run). */
export async function freeBytes(target: string): Promise<number> {
  let current = path.resolve(target);
  for (;;) {
    try {
      const s = await statfs(current);
      return s.bavail * s.bsize;
    } catch (error: unknown) {
      const parent = path.dirname(current);
      if ((error as { code?: string }).code !== 'ENOENT' || parent === current) throw error;
      current = parent;
    }
  }
}
