/**
 * Which image each pool clones (`current`) and the one before it (`previous`, kept for rollback),
 * persisted in `<stateDir>/pool-images.json` with an fsynced atomic write, so a crash or a power
 * loss leaves either the old or the new file. A pool without an entry uses its configured image.
 * Also remembers which image each recent runner was cloned from, so pruning never removes it, and the
 * build date a smoke test read from each image's metadata (the image age metrics prefer it).
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { PoolImage } from '../../../core/agent-api/contract';
import { errorMessage, TartfleetError } from '../../../core/errors';
import { silentLogger, type Logger } from '../../../core/logger';
import type { PoolConfig } from '../config/schema';
import { quarantineFile, writeAtomic } from '../state/write-atomic';

/** Runners whose image is remembered. A host runs at most 64 VMs at once (maxVms), so the newest 256
 * always include every live one; older entries are dropped first. */
export const MAX_CLONED_FROM = 256;

/** What the lifecycle asks at clone time (injected into the runner service). */
export interface PoolImageResolver {
  /** The image a new runner of `pool` clones; records that `runner` was cloned from it. */
  imageFor(pool: PoolConfig, runner: string): string;
  /** The image new runners of `pool` would clone now. */
  currentOf(pool: PoolConfig): string;
}

export interface PoolImageStore extends PoolImageResolver {
  /** current/previous of every configured pool. */
  all(): PoolImage[];
  /** Makes `image` the pool's current image; the old current becomes previous. No-op when equal.
   * Resolves once the change is on disk. */
  switchTo(pool: PoolConfig, image: string): Promise<PoolImage>;
  /** Swaps current and previous; throws when there is no previous. Resolves once on disk. */
  rollback(pool: PoolConfig): Promise<PoolImage>;
  /** The image each named runner was cloned from; runners not in `keep` are forgotten. */
  clonedFrom(keep: ReadonlySet<string>): Map<string, string>;
  /** Resolves when every write issued so far has landed. */
  flush(): Promise<void>;
  /** Remembers the build date (ISO-8601) an image's metadata records; the newest few are kept. */
  /** Resolves once it is on disk. */
  recordBuildDate(image: string, buildDate: string): Promise<void>;
  buildDateOf(image: string): string | undefined;
}

/** Build dates kept: rollouts test a handful of images, never hundreds. */
const MAX_BUILD_DATES = 50;

const storeFileSchema = z.strictObject({
  pools: z.record(z.string(), z.strictObject({ current: z.string().min(1), previous: z.string().min(1).nullable() })),
  clonedFrom: z.record(z.string(), z.string()),
  // Files written before build dates were kept have none.
  buildDates: z.record(z.string(), z.string()).default({}),
});
type StoreFile = z.infer<typeof storeFileSchema>;

/** Thrown by `rollback` when a pool has nothing to go back to. */
export class NoPreviousImageError extends TartfleetError {
  override readonly name = 'NoPreviousImageError';
  constructor(message: string) {
    super('no_previous_image', message);
  }
}

export interface PoolImageStoreOptions {
  /** Where a quarantined file is reported. */
  logger?: Logger;
  /** Names the quarantined file; injected for tests. */
  now?: () => number;
}

/** Reads the file; a missing one is a fresh start, an unreadable one is quarantined (so the agent
 * starts, from its configured images, instead of failing in a launchd restart loop) and logged. */
function load(file: string, options: PoolImageStoreOptions): StoreFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error: unknown) {
    if ((error as { code?: string }).code === 'ENOENT') return { pools: {}, clonedFrom: {}, buildDates: {} };
    throw new Error(`${file}: the agent's pool image state cannot be read: ${errorMessage(error)}`, { cause: error });
  }
  try {
    return storeFileSchema.parse(JSON.parse(text));
  } catch (error: unknown) {
    const movedTo = quarantineFile(file, (options.now ?? Date.now)());
    const reason = text.trim() === '' ? 'the file is empty' : error instanceof z.ZodError ? z.prettifyError(error).replace(/\n/g, ' ') : errorMessage(error);
    (options.logger ?? silentLogger).error(
      { file, movedTo, reason },
      'pool image state is unreadable: moved aside; every pool starts from its configured image (switch pools again if they had been switched)',
    );
    return { pools: {}, clonedFrom: {}, buildDates: {} };
  }
}

/** Opens (or starts) the store in `stateDir`. */
export function openPoolImageStore(stateDir: string, pools: readonly PoolConfig[], options: PoolImageStoreOptions = {}): PoolImageStore {
  const file = path.join(stateDir, 'pool-images.json');
  const data = load(file, options);
  const log = (options.logger ?? silentLogger).child({ module: 'pool-images' });
  let writes: Promise<void> = Promise.resolve();
  let queued: Promise<void> | undefined;

  // Writes are async (fsync must not stall the event loop) and one at a time. A save asked for while
  // another waits joins it: the state is serialised when the write starts, so it carries both.
  function save(): Promise<void> {
    if (queued !== undefined) return queued;
    const next = writes.then(async () => {
      queued = undefined;
      const text = `${JSON.stringify(data, null, 2)}\n`;
      await mkdir(stateDir, { recursive: true, mode: 0o700 });
      await writeAtomic(file, text);
    });
    queued = next;
    writes = next.catch((error: unknown) => log.error({ file, err: errorMessage(error) }, 'pool image state write failed'));
    return next;
  }

  function entry(pool: PoolConfig): { current: string; previous: string | null } {
    return data.pools[pool.name] ?? { current: pool.image, previous: null };
  }

  function remember(runner: string, image: string): void {
    delete data.clonedFrom[runner];
    data.clonedFrom[runner] = image;
    const names = Object.keys(data.clonedFrom);
    for (const old of names.slice(0, Math.max(0, names.length - MAX_CLONED_FROM))) delete data.clonedFrom[old];
  }

  return {
    currentOf: (pool) => entry(pool).current,
    imageFor(pool, runner) {
      const image = entry(pool).current;
      remember(runner, image);
      // The clone goes ahead meanwhile: losing this entry costs at most a prune protection.
      void save().catch(() => {});
      return image;
    },
    all: () => pools.map((p) => ({ pool: p.name, ...entry(p) })),
    async switchTo(pool, image) {
      const e = entry(pool);
      if (e.current !== image) {
        data.pools[pool.name] = { current: image, previous: e.current };
        await save();
      }
      return { pool: pool.name, ...entry(pool) };
    },
    async rollback(pool) {
      const e = entry(pool);
      if (e.previous === null) throw new NoPreviousImageError(`pool '${pool.name}' has no previous image to roll back to (current: ${e.current})`);
      data.pools[pool.name] = { current: e.previous, previous: e.current };
      await save();
      return { pool: pool.name, ...entry(pool) };
    },
    clonedFrom(keep) {
      let changed = false;
      for (const name of Object.keys(data.clonedFrom)) {
        if (!keep.has(name)) {
          delete data.clonedFrom[name];
          changed = true;
        }
      }
      if (changed) void save().catch(() => {});
      return new Map(Object.entries(data.clonedFrom));
    },
    flush: () => writes,
    async recordBuildDate(image, buildDate) {
      if (data.buildDates[image] === buildDate) return;
      delete data.buildDates[image];
      data.buildDates[image] = buildDate;
      const names = Object.keys(data.buildDates);
      for (const name of names.slice(0, Math.max(0, names.length - MAX_BUILD_DATES))) delete data.buildDates[name];
      await save();
    },
    buildDateOf: (image) => data.buildDates[image],
  };
}
