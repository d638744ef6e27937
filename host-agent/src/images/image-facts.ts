/**
 * What the metrics say about a pool's image: its allocated size (what a pull of its successor will
 * need) and how old it is. Age is measured from the build date a smoke test read from the image's
 * metadata when there is one, otherwise from the image directory's creation time in TART_HOME (`vms/<name>` for a local image, the `sha256:` directory of the OCI cache for a pulled
 * one, docs/reference/tart-cli.md §1), falling back to its modification time where the filesystem
 * keeps no birth time: a rollout that never lands shows up as an image that keeps ageing.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { PoolConfig } from '../config/schema';
import type { TartImage } from '../tart/parse-image-list';
import type { TartImageOps } from '../tart/tart-cli';
import { ociImageDir } from './oci-digest';
import type { PoolImageResolver, PoolImageStore } from './pool-image-store';

export interface ImageFacts {
  /** Allocated size (`tart list` Size), bytes. */
  sizeBytes: number;
  /** When the image appeared on this host (ms since the epoch); undefined when its directory is unknown. */
  createdMs: number | undefined;
}

const GB = 1e9;

/** The directory holding `image` in `tartHome`, if tart keeps it where §1 says. */
function imageDir(tartHome: string, image: TartImage): string | undefined {
  if (image.source === 'oci') return ociImageDir(tartHome, image.name);
  return /^[^/]+$/.test(image.name) && image.name !== '..' && image.name !== '.' ? path.join(tartHome, 'vms', image.name) : undefined;
}

async function createdAt(dir: string | undefined): Promise<number | undefined> {
  if (dir === undefined) return undefined;
  try {
    const s = await stat(dir);
    return s.birthtimeMs > 0 ? s.birthtimeMs : s.mtimeMs;
  } catch {
    return undefined;
  }
}

/** Facts for each named image present in `images` (others are left out). */
export async function imageFacts(tartHome: string, images: readonly TartImage[], names: readonly string[]): Promise<Map<string, ImageFacts>> {
  const out = new Map<string, ImageFacts>();
  await Promise.all(
    [...new Set(names)].map(async (name) => {
      const image = images.find((i) => i.name === name);
      if (image) out.set(name, { sizeBytes: image.sizeGb * GB, createdMs: await createdAt(imageDir(tartHome, image)) });
    }),
  );
  return out;
}

/** A pool's current image, as the metrics report it. */
export interface PoolImageFacts {
  pool: string;
  /** Allocated size of the pool's current image; undefined when the image is not on this host. */
  sizeBytes: number | undefined;
  /** When it was built, or else appeared on this host (ms since the epoch); undefined when unknown. */
  createdMs: number | undefined;
}

/** Facts of every pool's current image, from one `tart list`. */
export async function poolImageFacts(deps: { tartHome: string; tart: Pick<TartImageOps, 'listImages'>; store: Pick<PoolImageResolver, 'currentOf'> & Pick<PoolImageStore, 'buildDateOf'>; pools: readonly PoolConfig[] }): Promise<PoolImageFacts[]> {
  const current = deps.pools.map((p) => ({ pool: p.name, image: deps.store.currentOf(p) }));
  const facts = await imageFacts(deps.tartHome, await deps.tart.listImages({ timeoutMs: 30_000 }), current.map((c) => c.image));
  return current.map((c) => {
    const built = Date.parse(deps.store.buildDateOf(c.image) ?? '');
    const f = facts.get(c.image);
    return { pool: c.pool, sizeBytes: f?.sizeBytes, createdMs: f === undefined ? undefined : Number.isFinite(built) ? built : f.createdMs };
  });
}
