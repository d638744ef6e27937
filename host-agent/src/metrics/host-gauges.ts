/**
 * Gauges read at scrape time: free disk on the TART_HOME volume (a full disk is how a Tart host
 * usually dies), what a pull of a pool's next image needs, and how old each pool's image is. The
 * image facts cost a `tart list`, so they are cached for `cacheMs`; a failed read keeps the last
 * values and is reported once per failure through `onError`.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Clock } from '../../../core/clock';
import { errorMessage } from '../../../core/errors';
import type { PoolImageFacts } from '../images/image-facts';

export interface HostGaugeSources {
  /** Free bytes on the TART_HOME volume. */
  freeBytes(): Promise<number>;
  /** What a pull keeps free besides the image itself (`images.freeMarginBytes`). */
  freeMarginBytes: number;
  /** Every configured pool with its current image's facts. */
  poolImages(): Promise<PoolImageFacts[]>;
  clock: Clock;
  /** How long image facts are reused between scrapes. */
  cacheMs?: number;
  onError?(message: string): void;
}

export function registerHostGauges(registry: Registry, sources: HostGaugeSources): void {
  const registers = [registry];
  const cacheMs = sources.cacheMs ?? 60_000;
  let cached: { at: number; facts: Promise<PoolImageFacts[]> } | undefined;
  let last: PoolImageFacts[] = [];

  /** One read per `cacheMs`, shared by the gauges of one scrape (they collect concurrently). */
  function facts(): Promise<PoolImageFacts[]> {
    const now = sources.clock.now();
    if (cached && now - cached.at < cacheMs) return cached.facts;
    const read = sources.poolImages().then(
      (f) => (last = f),
      (error: unknown) => {
        sources.onError?.(`image facts for metrics: ${errorMessage(error)}`);
        return last;
      },
    );
    cached = { at: now, facts: read };
    return read;
  }

  new Gauge({
    name: 'runner_disk_free_bytes',
    help: 'Free bytes on the volume holding TART_HOME.',
    registers,
    async collect() {
      try {
        this.set(await sources.freeBytes());
      } catch (error: unknown) {
        sources.onError?.(`free disk for metrics: ${errorMessage(error)}`);
      }
    },
  });
  new Gauge({ name: 'runner_disk_free_margin_bytes', help: 'Free bytes a pull keeps besides the image itself (images.freeMarginBytes).', registers }).set(sources.freeMarginBytes);
  new Gauge({
    name: 'runner_image_size_bytes',
    help: "Allocated size of each pool's current image on this host.",
    labelNames: ['pool'],
    registers,
    async collect() {
      const all = await facts();
      // A pool whose image left the host (or the config) must not keep its last value.
      this.reset();
      for (const f of all) if (f.sizeBytes !== undefined) this.set({ pool: f.pool }, f.sizeBytes);
    },
  });
  new Gauge({
    name: 'runner_image_age_seconds',
    help: "Seconds since each pool's current image appeared on this host (created or pulled).",
    labelNames: ['pool'],
    registers,
    async collect() {
      const now = sources.clock.now();
      const all = await facts();
      this.reset();
      for (const f of all) if (f.createdMs !== undefined) this.set({ pool: f.pool }, Math.max(0, (now - f.createdMs) / 1000));
    },
  });
}
