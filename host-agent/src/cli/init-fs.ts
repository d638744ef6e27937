import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { InitFs } from './run-init';

/** The real filesystem for `init`; a written file gets exactly `mode` (umask and an older file's mode notwithstanding). */
export const realInitFs: InitFs = {
  exists: (file) => existsSync(file),
  read: (file) => readFileSync(file, 'utf8'),
  write(file, text, mode) {
    writeFileSync(file, text, { mode });
    chmodSync(file, mode);
  },
  mkdir: (dir, mode) => void mkdirSync(dir, { recursive: true, mode }),
};
