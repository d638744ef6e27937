import { mkdir, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { poolImageFacts } from '../../../host-agent/src/images/image-facts';
import { registerHostGauges } from '../../../host-agent/src/metrics/host-gauges';
import type { TartImage } from '../../../host-agent/src/tart/parse-image-list';
import { createFakeClock } from '../../fakes/fake-clock';
import { promtoolCheckMetrics, sample } from '../../helpers/promtool';
import { useTempDirs } from '../../helpers/temp-dir';

const pool = (name: string, image: string) => ({ name, image, labels: ['self-hosted'] }) as never;
const img = (name: string, source: 'local' | 'oci', sizeGb: number): TartImage => ({ name, source, state: 'stopped', diskGb: 50, sizeGb, accessed: undefined });

const tempDir = useTempDirs('tf-facts-');

describe('host gauges', () => {
  it("reads each pool's image size and age from TART_HOME (local VMs, the OCI cache through tags), preferring a smoke-tested build date", async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'vms', 'base-macos'), { recursive: true });
    const digestDir = path.join(dir, 'cache', 'OCIs', 'ghcr.io', 'acme', 'runner', 'sha256:' + 'a'.repeat(64));
    await mkdir(digestDir, { recursive: true });
    await symlink(digestDir, path.join(dir, 'cache', 'OCIs', 'ghcr.io', 'acme', 'runner', 'v1'));
    await mkdir(path.join(dir, 'vms', 'tested'), { recursive: true });
    const listImages = () => Promise.resolve([img('base-macos', 'local', 31), img('ghcr.io/acme/runner:v1', 'oci', 40), img('tested', 'local', 5)]);
    const buildDates = new Map([['tested', '2026-11-01T00:00:00.000Z'], ['never-pulled', '2026-11-02T00:00:00.000Z']]);
    const store = { currentOf: (p: { image: string }) => p.image, buildDateOf: (image: string) => buildDates.get(image) };
    const pools = [pool('macos', 'base-macos'), pool('xl', 'ghcr.io/acme/runner:v1'), pool('tested', 'tested'), pool('gone', 'never-pulled')];
    const facts = await poolImageFacts({ tartHome: dir, tart: { listImages }, store, pools });
    const born = async (p: string) => {
      const s = await stat(p);
      return s.birthtimeMs > 0 ? s.birthtimeMs : s.mtimeMs;
    };
    expect(facts).toEqual([
      { pool: 'macos', sizeBytes: 31e9, createdMs: await born(path.join(dir, 'vms', 'base-macos')) },
      { pool: 'xl', sizeBytes: 40e9, createdMs: await born(digestDir) },
      { pool: 'tested', sizeBytes: 5e9, createdMs: Date.parse('2026-11-01T00:00:00Z') },
      { pool: 'gone', sizeBytes: undefined, createdMs: undefined },
    ]);
  });

  it('exposes free disk, margin, image size and age; caches image facts; keeps the last values on errors', async () => {
    const clock = createFakeClock({ start: Date.parse('2026-11-29T00:00:00Z') });
    const registry = new Registry();
    let calls = 0;
    let fail = false;
    const errors: string[] = [];
    registerHostGauges(registry, {
      freeBytes: () => (fail ? Promise.reject(new Error('EIO')) : Promise.resolve(123e9)),
      freeMarginBytes: 20e9,
      poolImages: () => {
        calls++;
        if (fail) return Promise.reject(new Error('tart list timed out'));
        // The second read: macos's image is gone from the host.
        return Promise.resolve([
          calls === 3 ? { pool: 'macos', sizeBytes: undefined, createdMs: undefined } : { pool: 'macos', sizeBytes: 31e9, createdMs: clock.now() - 26 * 86400_000 },
          { pool: 'xl', sizeBytes: undefined, createdMs: undefined },
        ]);
      },
      clock,
      cacheMs: 60_000,
      onError: (m) => errors.push(m),
    });
    let text = await registry.metrics();
    expect(sample(text, 'runner_disk_free_bytes')).toBe(123e9);
    expect(sample(text, 'runner_disk_free_margin_bytes')).toBe(20e9);
    expect(sample(text, 'runner_image_size_bytes{pool="macos"}')).toBe(31e9);
    expect(sample(text, 'runner_image_age_seconds{pool="macos"}')).toBe(26 * 86400);
    expect(text).not.toContain('pool="xl"');
    clock.advance(30_000);
    text = await registry.metrics();
    expect(calls).toBe(1);
    expect(sample(text, 'runner_image_age_seconds{pool="macos"}')).toBe(26 * 86400 + 30);
    fail = true;
    clock.advance(60_000);
    text = await registry.metrics();
    expect(calls).toBe(2);
    expect(sample(text, 'runner_disk_free_bytes')).toBe(123e9);
    expect(sample(text, 'runner_image_size_bytes{pool="macos"}')).toBe(31e9);
    expect(errors).toEqual(['free disk for metrics: EIO', 'image facts for metrics: tart list timed out']);
    const check = await promtoolCheckMetrics(text);
    expect(check.output).toBe('');
    expect(check.code).toBe(0);
    fail = false;
    clock.advance(60_000);
    text = await registry.metrics();
    expect(calls).toBe(3);
    expect(text).not.toMatch(/runner_image_(size_bytes|age_seconds)\{/);
  });
});
