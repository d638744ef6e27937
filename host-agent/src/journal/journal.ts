/**
 * A small on-disk journal of runner records, one JSON file per runner, so a restarted agent knows
 * what it owned (docs/architecture.md, "Lifecycle"). Writes are atomic (temp file, fsync, rename, fsync of the folder), so a
 * crash leaves either the old record or the new one. It never holds the JIT config: entries are
 * built from RunnerRecord, which has no field for it.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { runnerRecordSchema, type RunnerRecord } from '../../../core/agent-api/contract';
import { parseName } from '../../../core/names';
import { errorMessage } from '../../../core/errors';
import type { Logger } from '../../../core/logger';
import { fsyncDir, writeAtomic } from '../state/write-atomic';

/** What the journal keeps per runner. */
export interface JournalEntry {
  record: RunnerRecord;
  /** PID (= process group) of the `tart run` the agent started, to kill it if `tart stop` hangs after a restart. */
  runPid?: number;
  /** Guest address, to re-attach to the runner console after a restart. */
  ip?: string;
  /** The VM has stopped (its delete may be pending): after a restart it holds no slot. */
  vmStopped?: boolean;
  /** Set for a warm VM (booted before any runner; `record.name` is the VM's name): after a crash it is
   * torn down, never counted as a runner. */
  warm?: { image: string };
}

const entrySchema = z.object({
  record: runnerRecordSchema,
  runPid: z.number().int().positive().optional(),
  ip: z.string().optional(),
  vmStopped: z.boolean().optional(),
  warm: z.object({ image: z.string() }).optional(),
});

/** The journal's operations. */
export interface Journal {
  /** The folder holding the entries. */
  readonly dir: string;
  /** Every readable entry; unreadable files are renamed `*.corrupt` and reported. */
  load(): JournalEntry[];
  /** Writes an entry atomically. Writes for one runner land in call order. */
  save(entry: JournalEntry): Promise<void>;
  /** Deletes an entry (idempotent). */
  remove(name: string): Promise<void>;
  /** Resolves when every write issued so far has landed. */
  flush(): Promise<void>;
}

/** Builds the file journal under `<stateDir>/runners/`. */
export function createFileJournal(options: { stateDir: string; logger: Logger }): Journal {
  const dir = path.join(options.stateDir, 'runners');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const log = options.logger.child({ module: 'journal' });
  const chains = new Map<string, Promise<void>>();

  const fileOf = (name: string): string => {
    // Names reach the file system: only managed names, which have no path separators or dots.
    if (!parseName(name)) throw new Error(`journal entries are named after managed runners (tf-<pool>-<id>), got '${name}'`);
    return path.join(dir, `${name}.json`);
  };

  // Writes are async (fsync must not stall the event loop) and chained per runner, so they land in order.
  const enqueue = (name: string, work: () => Promise<void>): Promise<void> => {
    const previous = chains.get(name) ?? Promise.resolve();
    const next = previous.then(work).catch((error: unknown) => log.error({ runner: name, error: errorMessage(error) }, 'journal write failed'));
    chains.set(name, next);
    void next.then(() => {
      if (chains.get(name) === next) chains.delete(name);
    });
    return next;
  };

  return {
    dir,
    load() {
      const entries: JournalEntry[] = [];
      for (const file of readdirSync(dir)) {
        const full = path.join(dir, file);
        if (file.includes('.tmp-')) {
          // A write the crash interrupted before its rename: the previous version is still in place.
          try {
            unlinkSync(full);
          } catch {
            // Already gone.
          }
          continue;
        }
        if (!file.endsWith('.json')) continue;
        try {
          const entry = entrySchema.parse(JSON.parse(readFileSync(full, 'utf8')));
          if (`${entry.record.name}.json` !== file) throw new Error(`record name '${entry.record.name}' does not match the file name`);
          entries.push(entry);
        } catch (error: unknown) {
          log.error({ file: full, error: errorMessage(error) }, 'unreadable journal entry; renamed to .corrupt');
          try {
            renameSync(full, `${full}.corrupt`);
          } catch {
            // Leave it.
          }
        }
      }
      return entries;
    },
    save(entry) {
      const file = fileOf(entry.record.name);
      const text = `${JSON.stringify(entry, null, 2)}\n`;
      return enqueue(entry.record.name, () => writeAtomic(file, text));
    },
    remove(name) {
      const file = fileOf(name);
      return enqueue(name, async () => {
        try {
          await unlink(file);
          await fsyncDir(dir);
        } catch (error: unknown) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
      });
    },
    async flush() {
      await Promise.all([...chains.values()]);
    },
  };
}
