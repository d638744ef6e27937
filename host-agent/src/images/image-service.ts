/**
 * Images on one host (issue 7): prefetch with `tart pull` (one at a time, refused on low disk), the
 * list with sizes and users, pool image switches and rollback, disk-aware pruning and smoke tests.
 *
 * Choices, documented in host-agent/README.md terms:
 * - Pulls run in the background, one at a time. A request for the image already being pulled answers
 *   with its status; a request for another image is refused with 409 `pull_in_progress`.
 * - Pruning is disk-aware: it runs after every pull and switch (and on request), and deletes OCI
 *   images no pool uses (current or previous), no active runner was cloned from, and no smoke test or
 *   pull is using (the last prefetched image counts as in use until the next pull), oldest access
 *   first, only while free disk under TART_HOME is below `images.pruneBelowFreeBytes`. Local VMs are
 *   never pruned.
 */
import type { ImageEntry, ImageList, PoolImage, PruneResult, PullImageRequest, PullStatus, SmokeResult } from '../../../core/agent-api/contract';
import type { AgentConfig, PoolConfig } from '../config/schema';
import type { RemoteShell } from '../ssh/remote-shell';
import type { TartCli, TartImageOps } from '../tart/tart-cli';
import { TartError } from '../tart/tart-error';
import type { TartImage } from '../tart/parse-image-list';
import type { Clock } from '../../../core/clock';
import { errorMessage } from '../../../core/errors';
import type { Logger } from '../../../core/logger';
import { ImageError } from './image-error';
import { resolveOciDigest } from './oci-digest';
import { NoPreviousImageError, type PoolImageStore } from './pool-image-store';
import { SMOKE_VM_PREFIX, smokeImage } from './smoke-image';

/** What the HTTP routes call. */
export interface ImageService {
  list(): Promise<ImageList>;
  /** Starts a pull in the background; resolves with its status once the disk check passed. */
  pull(request: PullImageRequest): Promise<PullStatus>;
  /** Resolves when the running pull (if any) has ended (tests, shutdown). */
  idle(): Promise<void>;
  switchPool(pool: string, image: string): Promise<PoolImage>;
  rollback(pool: string): Promise<PoolImage>;
  prune(): Promise<PruneResult>;
  smoke(image: string): Promise<SmokeResult>;
  /** Deletes smoke VMs a crashed agent left behind. */
  cleanupLeftovers(): Promise<void>;
}

export interface ImageServiceDeps {
  config: Pick<AgentConfig, 'hostId' | 'pools' | 'images' | 'ssh' | 'deadlines'>;
  tart: Pick<TartCli, 'clone' | 'set' | 'run' | 'ip' | 'get' | 'stopAndDelete' | 'stopForTeardown' | 'deleteForTeardown' | 'list'> & TartImageOps;
  shell: RemoteShell;
  store: PoolImageStore;
  /** TART_HOME: free disk is measured there and tag symlinks are read there. */
  tartHome: string;
  freeBytes: (path: string) => Promise<number>;
  /** VMs that still exist (or may), by VM name, with who uses each (`runner tf-…`, `warm VM`,
   * `spare clone`): what `usedBy` says. */
  activeVms: () => ReadonlyMap<string, string>;
  /** A pool's image changed (switch or rollback): called before pruning looks at users. */
  poolImageSwitched?: () => void;
  /** Takes a VM slot from the lifecycle for a smoke VM; undefined when none is free. */
  reserveSlot: () => (() => void) | undefined;
  clock: Clock;
  logger: Logger;
  sshPrivateKey?: string;
  logFileOf: (vm: string) => string;
}

const GB = 1e9;
const gb = (bytes: number): string => `${(bytes / GB).toFixed(1)} GB`;
const iso = (ms: number): string => new Date(ms).toISOString();

export function createImageService(deps: ImageServiceDeps): ImageService {
  const { config, tart, store, clock } = deps;
  const log = deps.logger.child({ module: 'images' });
  let pull: PullStatus | null = null;
  let pulling: Promise<void> | undefined;
  /** Set synchronously while a pull request is being checked, so two requests cannot both start. */
  let claiming: string | undefined;
  const smoking = new Map<string, number>();

  function poolNamed(name: string): PoolConfig {
    const pool = config.pools.find((p) => p.name === name);
    if (!pool) throw new ImageError(422, 'unknown_pool', `pool '${name}' is not configured on host ${config.hostId}; configured: ${config.pools.map((p) => p.name).join(', ')}`);
    return pool;
  }

  /** Why each image must stay, by name (before digest resolution). */
  function users(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    const add = (image: string, why: string): void => {
      out.set(image, [...(out.get(image) ?? []), why]);
    };
    for (const p of store.all()) {
      add(p.current, `pool ${p.pool} current`);
      if (p.previous !== null) add(p.previous, `pool ${p.pool} previous`);
    }
    const vms = deps.activeVms();
    for (const [vm, image] of store.clonedFrom(new Set(vms.keys()))) add(image, vms.get(vm) ?? `VM ${vm}`);
    for (const image of smoking.keys()) add(image, 'smoke');
    // The last prefetch is for a rollout that has not switched a pool yet: keep it until the next.
    if (pull?.state === 'pulling') add(pull.image, 'pull');
    else if (pull?.state === 'done') add(pull.image, 'prefetched');
    if (claiming !== undefined) add(claiming, 'pull');
    return out;
  }

  /** Users of each listed image, following tags to digests both ways. */
  function usage(images: readonly TartImage[]): Map<string, string[]> {
    const byName = users();
    const digestUsers = new Map<string, string[]>();
    const unresolvedRepos = new Set<string>();
    for (const [name, why] of byName) {
      const digest = resolveOciDigest(deps.tartHome, name);
      if (digest !== undefined) digestUsers.set(digest, [...(digestUsers.get(digest) ?? []), ...why]);
      else if (name.includes('/')) unresolvedRepos.add(name.replace(/[@:][^/]*$/, ''));
    }
    const out = new Map<string, string[]>();
    for (const image of images) {
      const why = [...(byName.get(image.name) ?? [])];
      if (image.source === 'oci') {
        const digest = resolveOciDigest(deps.tartHome, image.name);
        if (digest !== undefined) for (const w of digestUsers.get(digest) ?? []) if (!why.includes(w)) why.push(w);
        // A used name we could not resolve: keep everything of its repository rather than guess.
        if (digest === undefined || unresolvedRepos.has(image.name.replace(/[@:][^/]*$/, ''))) {
          for (const [name, w] of byName) if (name.replace(/[@:][^/]*$/, '') === image.name.replace(/[@:][^/]*$/, '')) for (const x of w) if (!why.includes(x)) why.push(x);
        }
      }
      out.set(image.name, why);
    }
    return out;
  }

  async function listImages(): Promise<TartImage[]> {
    return (await tart.listImages({ timeoutMs: 30_000 })).filter((i) => !i.name.startsWith(SMOKE_VM_PREFIX) && (i.source === 'oci' || !/^tf-/.test(i.name)));
  }

  async function present(image: string): Promise<boolean> {
    return (await listImages()).some((i) => i.name === image);
  }

  async function requirePresent(image: string, what: string): Promise<void> {
    if (!(await present(image))) {
      throw new ImageError(409, 'image_not_present', `image '${image}' is not present on host ${config.hostId}; pull it first (POST /v1/images/pull) before ${what}`);
    }
  }

  async function prune(): Promise<PruneResult> {
    const threshold = config.images.pruneBelowFreeBytes;
    let free = await deps.freeBytes(deps.tartHome);
    const removed: string[] = [];
    if (free >= threshold) return { removed, freeBytes: free };
    const images = await listImages();
    const used = usage(images);
    const candidates = images
      .filter((i) => i.source === 'oci' && (used.get(i.name) ?? []).length === 0)
      // Oldest access first, like tart's own pruning; tags before digests so tart's GC does the rest.
      .sort((a, b) => (a.accessed ?? '').localeCompare(b.accessed ?? '') || Number(a.name.includes('@')) - Number(b.name.includes('@')));
    for (const image of candidates) {
      if (free >= threshold) break;
      try {
        await tart.delete(image.name, { timeoutMs: 120_000 });
        removed.push(image.name);
        log.info({ image: image.name, freeBytes: free }, 'pruned an unused image');
      } catch (error: unknown) {
        if (error instanceof TartError && error.kind === 'vm-missing') continue; // gone with its tag
        log.warn({ image: image.name, err: errorMessage(error) }, 'could not prune an image');
      }
      free = await deps.freeBytes(deps.tartHome);
    }
    return { removed, freeBytes: free };
  }

  const pruneQuietly = (): void => {
    void prune().catch((error: unknown) => log.warn({ err: errorMessage(error) }, 'pruning failed'));
  };

  return {
    async list() {
      const images = await listImages();
      const used = usage(images);
      const entries: ImageEntry[] = images.map((i) => {
        const why = used.get(i.name) ?? [];
        return {
          name: i.name,
          source: i.source,
          diskBytes: i.diskGb * GB,
          sizeBytes: i.sizeGb * GB,
          ...(i.accessed === undefined ? {} : { accessed: i.accessed }),
          usedBy: why,
          inUse: why.length > 0,
        };
      });
      return { images: entries, pools: store.all(), pull: pull ? { ...pull } : null, freeBytes: await deps.freeBytes(deps.tartHome) };
    },

    async pull(request) {
      const { image } = request;
      if (pull?.state === 'pulling' || claiming !== undefined) {
        const current = pull?.state === 'pulling' ? pull : undefined;
        if (current?.image === image) return { ...current };
        throw new ImageError(409, 'pull_in_progress', `host ${config.hostId} is already pulling '${current?.image ?? claiming}' (pulls run one at a time); try again when it is done`);
      }
      claiming = image;
      try {
        const [free, images] = await Promise.all([deps.freeBytes(deps.tartHome), listImages()]);
        let need = request.sizeBytes;
        let how = 'as given in the request';
        if (need === undefined) {
          const largest = images.reduce<TartImage | undefined>((a, b) => (a === undefined || b.sizeGb > a.sizeGb || (b.sizeGb === a.sizeGb && a.name.includes('@') && !b.name.includes('@')) ? b : a), undefined);
          need = (largest?.sizeGb ?? 0) * GB;
          how = largest ? `estimated from the largest image present, '${largest.name}'; send sizeBytes for the real size` : 'no image present to estimate from; send sizeBytes';
        }
        const margin = config.images.freeMarginBytes;
        if (free < need + margin) {
          throw new ImageError(
            507,
            'insufficient_storage',
            `not enough free disk on host ${config.hostId} to pull '${image}': ${gb(free)} free under ${deps.tartHome}, need ${gb(need)} for the image (${how}) plus a margin of ${gb(margin)} (images.freeMarginBytes)`,
          );
        }
        pull = { image, state: 'pulling', startedAt: iso(clock.now()) };
      } finally {
        claiming = undefined;
      }
      const status = pull;
      log.info({ image }, 'pulling image');
      pulling = tart.pull(image).then(
        () => {
          status.state = 'done';
          status.finishedAt = iso(clock.now());
          log.info({ image }, 'image pulled');
          pruneQuietly();
        },
        (error: unknown) => {
          status.state = 'failed';
          status.finishedAt = iso(clock.now());
          status.message = error instanceof TartError ? error.detail : errorMessage(error);
          log.warn({ image, err: status.message }, 'image pull failed');
        },
      );
      return { ...status };
    },

    async idle() {
      await pulling;
    },

    async switchPool(poolName, image) {
      const pool = poolNamed(poolName);
      await requirePresent(image, `switching pool '${pool.name}' to it`);
      const result = await store.switchTo(pool, image);
      log.info({ pool: pool.name, current: result.current, previous: result.previous }, 'pool image switched');
      deps.poolImageSwitched?.();
      pruneQuietly();
      return result;
    },

    async rollback(poolName) {
      const pool = poolNamed(poolName);
      const previous = store.all().find((p) => p.pool === pool.name)?.previous;
      if (previous === null || previous === undefined) {
        throw new ImageError(409, 'conflict', new NoPreviousImageError(`pool '${pool.name}' has no previous image to roll back to (current: ${store.currentOf(pool)})`).message);
      }
      await requirePresent(previous, `rolling pool '${pool.name}' back to it`);
      const result = await store.rollback(pool);
      log.info({ pool: pool.name, current: result.current, previous: result.previous }, 'pool image rolled back');
      deps.poolImageSwitched?.();
      return result;
    },

    prune,

    async smoke(image) {
      await requirePresent(image, 'smoke-testing it');
      const release = deps.reserveSlot();
      if (!release) throw new ImageError(503, 'no_slot', `no free VM slot on host ${config.hostId} for a smoke VM (all busy, or the host is draining); try again when a job has ended`);
      smoking.set(image, (smoking.get(image) ?? 0) + 1);
      try {
        const vm = { tart, shell: deps.shell, clock, config, sshPrivateKey: deps.sshPrivateKey, stopTimeoutSeconds: 0 };
        const result = await smokeImage({ config, vm, logger: log, logFileOf: deps.logFileOf }, image);
        const built = result.ok ? Date.parse(result.metadata?.buildDate ?? '') : NaN;
        if (Number.isFinite(built)) await store.recordBuildDate(image, new Date(built).toISOString()).catch(() => undefined);
        return result;
      } finally {
        const n = (smoking.get(image) ?? 1) - 1;
        if (n <= 0) smoking.delete(image);
        else smoking.set(image, n);
        release();
      }
    },

    async cleanupLeftovers() {
      try {
        for (const vm of await tart.list({ timeoutMs: 30_000 })) {
          if (!vm.name.startsWith(SMOKE_VM_PREFIX)) continue;
          log.warn({ vm: vm.name }, 'deleting a smoke VM left behind by a previous agent life');
          await tart.stopAndDelete(vm.name, { stopTimeoutSeconds: 0, deadlineMs: config.deadlines.teardownMs }).catch((error: unknown) => log.warn({ vm: vm.name, err: errorMessage(error) }, 'could not delete a leftover smoke VM'));
        }
      } catch (error: unknown) {
        log.warn({ err: errorMessage(error) }, 'could not look for leftover smoke VMs');
      }
    },
  };
}
