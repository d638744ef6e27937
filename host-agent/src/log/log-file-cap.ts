/**
 * A size cap for the agent's own launchd logs (StandardOutPath/StandardErrorPath). launchd opens
 * them once, append-only, and never reopens them, so renaming them away (newsyslog) would leave
 * the agent writing into the renamed file. Instead the agent checks their size on a timer and, past
 * the cap, copies the file to `<file>.1` (the one previous generation kept) and truncates it: an
 * append-only writer simply goes on at the new end. Lines written between the copy and the
 * truncation are lost; the cap is about the disk the clones need, not about every line.
 */
import { copyFileSync, statSync, truncateSync } from 'node:fs';
import type { Clock, Timer } from '../../../core/clock';
import { errorMessage } from '../../../core/errors';

export const DEFAULT_LOG_CAP_BYTES = 50 * 1024 * 1024;
export const LOG_CAP_CHECK_MS = 60_000;

/** Rotates `file` when it is larger than `maxBytes`; returns whether it did. A missing file is fine. */
export function capLogFile(file: string, maxBytes: number): boolean {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return false;
  }
  if (size <= maxBytes) return false;
  copyFileSync(file, `${file}.1`);
  truncateSync(file, 0);
  return true;
}

/** The log files launchd writes for the agent, as the plist names them (path-delimiter separated). */
export function logFilesFromEnv(value: string | undefined): string[] {
  return (value ?? '').split(':').filter((p) => p.startsWith('/'));
}

/** Checks `files` now and every `intervalMs`; `stop()` ends it. */
export function startLogFileCap(options: { files: readonly string[]; clock: Clock; maxBytes?: number; intervalMs?: number; onError: (message: string) => void }): { stop(): void } {
  const maxBytes = options.maxBytes ?? DEFAULT_LOG_CAP_BYTES;
  let timer: Timer | undefined;
  let stopped = options.files.length === 0;
  const check = (): void => {
    for (const file of options.files) {
      try {
        capLogFile(file, maxBytes);
      } catch (error: unknown) {
        options.onError(`could not cap log file ${file}: ${errorMessage(error)}`);
      }
    }
    if (!stopped) timer = options.clock.setTimer(options.intervalMs ?? LOG_CAP_CHECK_MS, check, { unref: true });
  };
  if (!stopped) check();
  return {
    stop() {
      stopped = true;
      timer?.cancel();
    },
  };
}
