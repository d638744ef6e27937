import { lazy } from './lazy-node';
import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Copies a VM's files (and its guest root) from `srcDir` into the existing directory `dstDir`.
 * tart relies on APFS clonefile(2); on Linux `cp --reflink=auto` clones on btrfs/XFS and otherwise
 * falls back to a sparse-aware copy (SEEK_DATA/SEEK_HOLE), so a multi-GB sparse disk copies in
 * milliseconds either way. `cp -c` is the macOS equivalent when the simulator runs there.
 */
export function copyVmFiles(srcDir: string, dstDir: string, names = ['config.json', 'nvram.bin', 'disk.img', 'state.vzvmsave', 'guest']): void {
  const sources = names.map((n) => path.join(srcDir, n)).filter((p) => existsSync(p));
  if (sources.length === 0) return;
  const args = process.platform === 'darwin' ? ['-c', '-R', '-p'] : ['-a', '--reflink=auto', '--sparse=always'];
  lazy.childProcess().execFileSync('cp', [...args, ...sources, dstDir + '/'], { stdio: ['ignore', 'ignore', 'pipe'] });
}
