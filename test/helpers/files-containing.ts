import { readdirSync, readFileSync, lstatSync } from 'node:fs';
import path from 'node:path';

/** Every regular file under `root` whose bytes contain `needle` (sparse multi-GB disk images skipped by size). */
export function filesContaining(root: string, needle: string, maxBytes = 64 * 1024 * 1024): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of entries) {
      const file = path.join(dir, name);
      let st;
      try {
        st = lstatSync(file);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(file);
      else if (st.isFile() && st.blocks * 512 <= maxBytes && st.size <= 4 * maxBytes) {
        try {
          if (readFileSync(file).includes(needle)) found.push(file);
        } catch {
          // Vanished.
        }
      }
    }
  };
  walk(root);
  return found;
}
