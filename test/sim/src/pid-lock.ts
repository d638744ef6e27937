import { existsSync, linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { procStatFields } from './proc-stat';
import { sleepSync } from './sleep';

/**
 * Who holds a lock. Tart's running-state lock is an fcntl(2) write lock on config.json whose holder
 * PID comes back from F_GETLK. Node can reach neither fcntl nor flock, so the simulator records the
 * holder in a lock file and treats a dead holder as no lock at all: the kernel would have dropped the
 * fcntl lock when that process died, so `kill -9` of `tart run` leaves the VM stopped either way.
 * The process start time guards against a recycled PID. See test/sim/README.md "Locking".
 */
export interface LockOwner {
  /** PID of the holding process (what tart reads with F_GETLK). */
  pid: number;
  /** Process start time from /proc/<pid>/stat (field 22); empty where /proc is missing. */
  start: string;
  /** Extra facts the holder publishes (e.g. whether a `run` got a macOS VM slot). */
  [key: string]: unknown;
}

/** State letter and start time (clock ticks since boot) of a process; undefined without /proc. */
function procStat(pid: number): { state: string; start: string } | undefined {
  const fields = procStatFields(pid);
  return fields === undefined ? undefined : { state: fields[0] ?? '', start: fields[19] ?? '' };
}

/** Start time of a process in clock ticks since boot, or '' where /proc does not exist. */
function processStart(pid: number): string {
  return procStat(pid)?.start ?? '';
}

/**
 * True when the process that wrote `owner` is still alive (and is the same process). A zombie counts
 * as dead: the kernel drops a dead process's fcntl locks at exit, before its parent reaps it.
 */
export function ownerAlive(owner: LockOwner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = procStat(owner.pid);
  if (stat === undefined) return !existsSync('/proc/self/stat');
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return owner.start === '' || stat.start === owner.start;
}

function readOwner(path: string): LockOwner | undefined {
  // Most VMs are stopped: skip the exception a missing file would cost (`tart list` reads 50 of these).
  if (!existsSync(path)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
    return typeof parsed.pid === 'number' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The live holder of the lock at `path`, like F_GETLK; undefined when free. */
export function probeLock(path: string): LockOwner | undefined {
  const owner = readOwner(path);
  return owner !== undefined && ownerAlive(owner) ? owner : undefined;
}

const selfStart = (): string => processStart(process.pid);

/**
 * Takes the lock at `path` for this process if it is free (or held by a dead process), like
 * F_SETLK. Returns false when a live process holds it. Callers that may race for the same lock
 * hold the global lock (tart takes `$TART_HOME`'s flock around the same step), so a stale lock
 * is replaced without a check-then-act race.
 */
export function tryLock(path: string, extra: Record<string, unknown> = {}): boolean {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  writeFileSync(tmp, JSON.stringify({ ...extra, pid: process.pid, start: selfStart() }));
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(tmp, path);
        return true;
      } catch (error: unknown) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = readOwner(path);
      if (owner !== undefined && ownerAlive(owner)) return false;
      if (owner === undefined && attempt === 0) {
        // A holder may be between link() and its first write: give it a moment before calling it stale.
        sleepSync(20);
        continue;
      }
      try {
        unlinkSync(path);
      } catch {
        // Someone else removed it first; try again.
      }
    }
    return false;
  } finally {
    unlinkSync(tmp);
  }
}

/** Rewrites the facts published by the lock this process holds. */
export function updateLock(path: string, extra: Record<string, unknown>): void {
  const tmp = `${path}.${process.pid}.update`;
  writeFileSync(tmp, JSON.stringify({ ...extra, pid: process.pid, start: selfStart() }));
  renameSync(tmp, path);
}

/** Releases the lock at `path` if this process holds it. */
export function unlock(path: string): void {
  const owner = readOwner(path);
  if (owner?.pid !== process.pid) return;
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/** Waits (polling) until the lock at `path` is ours; for the short global lock only. */
export function lockBlocking(path: string, timeoutMs = 60_000): void {
  const deadline = Date.now() + timeoutMs;
  while (!tryLock(path)) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for lock ${path}`);
    sleepSync(5 + Math.random() * 10);
  }
}
