/**
 * The agent's replay floor on disk (core/agent-api/auth.ts, ReplayFloor): `<stateDir>/replay-floor`
 * holds one unix second, a mark at or above every timestamp this agent has accepted. A restarted
 * agent refuses timestamps up to the mark (and before its own start), so a request captured before a
 * restart cannot be replayed after it, even after kill -9 or a power loss: the mark is written with
 * fsync before the request it covers is served.
 *
 * The mark is leased ahead (up to a minute past the request, never past the signature window) so one
 * small write covers a minute of traffic instead of one per request. The price: after a restart,
 * clients are told to sign with a later timestamp (401 + X-Tartfleet-Not-Before) for up to that
 * minute, which the client does by itself, once.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { SIGNATURE_WINDOW_SECONDS, type ReplayFloor } from '../../../core/agent-api/auth';
import { errorMessage } from '../../../core/errors';
import type { Logger } from '../../../core/logger';
import { quarantineFile, writeAtomic } from './write-atomic';

/** How far past an accepted timestamp one write reaches. */
export const REPLAY_FLOOR_LEASE_SECONDS = 60;

export interface ReplayFloorOptions {
  stateDir: string;
  /** Agent start, unix milliseconds. */
  nowMs: number;
  logger: Logger;
  windowSeconds?: number;
}

/** The mark an earlier run left; unreadable → as if it had accepted everything up to the window's end. */
function readMark(file: string, options: ReplayFloorOptions, windowSeconds: number): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error: unknown) {
    if ((error as { code?: string }).code === 'ENOENT') return 0;
    throw new Error(`${file}: the agent's replay floor cannot be read: ${errorMessage(error)}`, { cause: error });
  }
  if (/^\d{1,12}\n?$/.test(text)) return Number(text.trim());
  const movedTo = quarantineFile(file, options.nowMs);
  const refusedUntil = Math.floor(options.nowMs / 1000) + windowSeconds;
  options.logger.error({ file, movedTo, refusedUntil }, 'replay floor is unreadable: moved aside; refusing every signature up to the end of the window (clients re-sign once)');
  return refusedUntil;
}

/** Reads the previous run's mark and returns this run's floor. */
export function openReplayFloor(options: ReplayFloorOptions): ReplayFloor {
  const windowSeconds = options.windowSeconds ?? SIGNATURE_WINDOW_SECONDS;
  const file = path.join(options.stateDir, 'replay-floor');
  const previous = readMark(file, options, windowSeconds);
  const log = options.logger.child({ module: 'replay-floor' });
  let persisted = previous;
  let target = previous;
  let latest: Promise<void> = Promise.resolve();

  return {
    notBefore: Math.max(previous + 1, Math.floor(options.nowMs / 1000)),
    async cover(timestamp, nowSeconds) {
      if (timestamp <= persisted) return;
      if (timestamp > target) {
        const value = Math.max(timestamp, Math.min(timestamp + REPLAY_FLOOR_LEASE_SECONDS, nowSeconds + windowSeconds));
        target = value;
        latest = latest
          .catch(() => {})
          .then(async () => {
            await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
            await writeAtomic(file, `${value}\n`);
            persisted = Math.max(persisted, value);
          })
          .catch((error: unknown) => {
            // Fail closed: the request waiting on this write is refused (500); the next one retries.
            target = persisted;
            log.error({ file, err: errorMessage(error) }, 'replay floor write failed');
            throw error;
          });
      }
      await latest;
    },
  };
}
