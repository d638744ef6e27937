/**
 * Which image each pool clones (`current`) and the one before it (`previous`, kept for rollback),
 * persisted in `<stateDir>/pool-images.json` with write-then-rename so a crash leaves either the old
 * or the new file, never a torn one. A pool without an entry uses its configured image.
 * Also remembers which image each runner was cloned from, so pruning never removes it, and the build
 * date a smoke test read from each image's metadata (the image age metrics prefer it).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PoolImage } from '../../../core/agent-api/contract';
import { TartfleetError } from '../../../core/errors';
import type { PoolConfig } from '../config/schema';

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
  /** Makes `image` the pool's current image; the old current becomes previous. No-op when equal. */
  switchTo(pool: PoolConfig, image: string): PoolImage;
  /** Swaps current and previous; throws when there is no previous. */
  rollback(pool: PoolConfig): PoolImage;
  /** The image each named runner was cloned from (only runners still passed in `keep` are kept). */
  clonedFrom(keep: ReadonlySet<string>): Map<string, string>;
  /** Remembers the build date (ISO-8601) an image's metadata records; the newest few are kept. */
  recordBuildDate(image: string, buildDate: string): void;
  buildDateOf(image: string): string | undefined;
}

/** Build dates kept: rollouts test a handful of images, never hundreds. */
const MAX_BUILD_DATES = 50;

interface StoreFile {
  pools: Record<string, { current: string; previous: string | null }>;
  clonedFrom: Record<string, string>;
  buildDates: Record<string, string>;
}

/** Thrown by `rollback` when a pool has nothing to go back to. */
export class NoPreviousImageError extends TartfleetError {
  override readonly name = 'NoPreviousImageError';
  constructor(message: string) {
    super('no_previous_image', message);
  }
}

/** Opens (or starts) the store in `stateDir`. A corrupt file is an error: silently falling back to
 * the configured images would roll the fleet back without anyone asking. */
export function openPoolImageStore(stateDir: string, pools: readonly PoolConfig[]): PoolImageStore {
  const file = path.join(stateDir, 'pool-images.json');
  let data: StoreFile = { pools: {}, clonedFrom: {}, buildDates: {} };
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<StoreFile>;
    data = { pools: parsed.pools ?? {}, clonedFrom: parsed.clonedFrom ?? {}, buildDates: parsed.buildDates ?? {} };
  } catch (error: unknown) {
    if ((error as { code?: string }).code !== 'ENOENT') {
      throw new Error(`${file} must be the agent's pool image state (JSON), but it could not be read: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  function save(): void {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(data, null, 2), { mode: 0o600 });
    renameSync(tmp, file);
  }

  function entry(pool: PoolConfig): { current: string; previous: string | null } {
    return data.pools[pool.name] ?? { current: pool.image, previous: null };
  }

  return {
    currentOf: (pool) => entry(pool).current,
    imageFor(pool, runner) {
      const image = entry(pool).current;
      data.clonedFrom[runner] = image;
      save();
      return image;
    },
    all: () => pools.map((p) => ({ pool: p.name, ...entry(p) })),
    switchTo(pool, image) {
      const e = entry(pool);
      if (e.current !== image) {
        data.pools[pool.name] = { current: image, previous: e.current };
        save();
      }
      return { pool: pool.name, ...entry(pool) };
    },
    rollback(pool) {
      const e = entry(pool);
      if (e.previous === null) throw new NoPreviousImageError(`pool '${pool.name}' has no previous image to roll back to (current: ${e.current})`);
      data.pools[pool.name] = { current: e.previous, previous: e.current };
      save();
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
      if (changed) save();
      return new Map(Object.entries(data.clonedFrom));
    },
    recordBuildDate(image, buildDate) {
      if (data.buildDates[image] === buildDate) return;
      delete data.buildDates[image];
      data.buildDates[image] = buildDate;
      const names = Object.keys(data.buildDates);
      for (const name of names.slice(0, Math.max(0, names.length - MAX_BUILD_DATES))) delete data.buildDates[name];
      save();
    },
    buildDateOf: (image) => data.buildDates[image],
  };
}
