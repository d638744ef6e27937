import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { runtimeError } from './errors';
import { probeLock } from './pid-lock';

/** Paths of one `TART_HOME`. */
export interface TartHome {
  /** `$TART_HOME` (default `~/.tart`). */
  root: string;
  /** `vms/`: local VMs. */
  vms: string;
  /** `cache/OCIs/`: pulled images. */
  ocis: string;
  /** `tmp/`: in-progress clone, create and pull work. */
  tmp: string;
  /** `.sim/`: the simulator's own state (leases, faults, global lock); not part of tart's layout. */
  sim: string;
  /** The simulator's stand-in for `$TART_HOME`'s flock(2). */
  globalLock: string;
}

/** Resolves `TART_HOME` and creates `cache/` and `tmp/` like tart's Config() does on every command. */
export function openTartHome(env: NodeJS.ProcessEnv): TartHome {
  const root = path.resolve(env.TART_HOME !== undefined && env.TART_HOME !== '' ? env.TART_HOME : path.join(homedir(), '.tart'));
  const home: TartHome = {
    root,
    vms: path.join(root, 'vms'),
    ocis: path.join(root, 'cache', 'OCIs'),
    tmp: path.join(root, 'tmp'),
    sim: path.join(root, '.sim'),
    globalLock: path.join(root, '.sim', 'global.lock'),
  };
  try {
    for (const dir of [home.vms, home.ocis, home.tmp, home.sim]) mkdirSync(dir, { recursive: true });
  } catch (error: unknown) {
    throw runtimeError(`TART_HOME is invalid: ${root} does not exist, yet we can't create it: ${(error as Error).message}`);
  }
  return home;
}

/** Owner file that marks a `tmp/` entry as in use (tart flocks the entry itself). */
export function tmpOwnerPath(home: TartHome, entry: string): string {
  return path.join(home.tmp, `.${entry}.owner`);
}

/**
 * Config().gc(): removes every `tmp/` entry that is not in use. Failures are reported, not fatal,
 * exactly as tart writes `Failed to perform garbage collection: …` and carries on.
 */
export function gcTmp(home: TartHome): void {
  try {
    for (const entry of readdirSync(home.tmp)) {
      if (entry.startsWith('.')) {
        const owned = /^\.(.+)\.owner$/.exec(entry);
        if (owned !== null && probeLock(path.join(home.tmp, entry)) === undefined) {
          rmSync(path.join(home.tmp, owned[1] as string), { recursive: true, force: true });
          rmSync(path.join(home.tmp, entry), { force: true });
        }
        continue;
      }
      if (probeLock(tmpOwnerPath(home, entry)) !== undefined) continue;
      rmSync(path.join(home.tmp, entry), { recursive: true, force: true });
    }
  } catch (error: unknown) {
    process.stderr.write(`Failed to perform garbage collection: ${(error as Error).message}\n`);
  }
}
