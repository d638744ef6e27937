/**
 * Follows the mirror's access log like `tail -F`: reads what nginx appended since the last look,
 * hands each complete line on, and starts over when the file is rotated or truncated (newsyslog on
 * macOS renames it; nginx reopens on USR1).
 */
import { open, stat } from 'node:fs/promises';
import { systemClock, type Clock, type Timer } from '../../../core/clock';
import { errorMessage } from '../../../core/errors';

export interface FollowCacheLogOptions {
  path: string;
  /** Called for every complete line, without its newline. */
  onLine(line: string): void;
  /** Poll period; 0 means no timer (the caller drives `poll()`). */
  intervalMs?: number;
  /** Count lines already in the file. Default false: only what is written from now on, so a restart
   * of the agent does not count old requests twice. */
  fromStart?: boolean;
  /** Reports read failures other than "the file does not exist yet". */
  onError?(message: string): void;
  /** Drives the poll timer; real time unless a test injects one. */
  clock?: Clock;
}

export interface CacheLogFollower {
  /** Reads whatever is new now. */
  poll(): Promise<void>;
  /** Stops the timer; a poll in progress finishes. */
  stop(): Promise<void>;
}

const MAX_READ = 1 << 20;
/** An access log line is a few hundred bytes; anything longer than this is dropped, not buffered. */
const MAX_LINE = 64 * 1024;

/** Starts following `path`. The first look happens before this resolves. */
export async function followCacheLog(options: FollowCacheLogOptions): Promise<CacheLogFollower> {
  let offset = 0;
  let inode: number | undefined;
  let partial = Buffer.alloc(0);
  let running: Promise<void> = Promise.resolve();
  let timer: Timer | undefined;
  const clock = options.clock ?? systemClock;
  let stopped = false;

  if (options.fromStart !== true) {
    try {
      const s = await stat(options.path);
      offset = s.size;
      inode = s.ino;
    } catch {
      // not there yet: everything it will contain is new
    }
  }

  const readNew = async (): Promise<void> => {
    let s;
    try {
      s = await stat(options.path);
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') options.onError?.(`cannot stat ${options.path}: ${errorMessage(error)}`);
      return;
    }
    if (inode !== s.ino || s.size < offset) {
      offset = 0;
      partial = Buffer.alloc(0);
      inode = s.ino;
    }
    if (s.size === offset) return;
    const handle = await open(options.path, 'r');
    try {
      const buffer = Buffer.allocUnsafe(MAX_READ);
      while (offset < s.size) {
        const { bytesRead } = await handle.read(buffer, 0, Math.min(MAX_READ, s.size - offset), offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
        // Split on bytes, not decoded text: a read boundary may fall inside a UTF-8 character.
        let data = Buffer.concat([partial, buffer.subarray(0, bytesRead)]);
        for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a)) {
          if (nl > 0) options.onLine(data.subarray(0, nl).toString('utf8'));
          data = data.subarray(nl + 1);
        }
        partial = data.length > MAX_LINE ? Buffer.alloc(0) : Buffer.from(data);
      }
    } finally {
      await handle.close();
    }
  };

  const poll = (): Promise<void> => {
    running = running.then(readNew).catch((error: unknown) => options.onError?.(`cannot read ${options.path}: ${errorMessage(error)}`));
    return running;
  };

  const schedule = (): void => {
    if (stopped || !options.intervalMs) return;
    timer = clock.setTimer(options.intervalMs, () => void poll().then(schedule), { unref: true });
  };

  await poll();
  schedule();
  return {
    poll,
    stop: async () => {
      stopped = true;
      timer?.cancel();
      await running;
    },
  };
}
