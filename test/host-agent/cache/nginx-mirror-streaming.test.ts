/**
 * A 200 MB object goes through the mirror as a stream: the client gets its first bytes before the
 * upstream has finished sending, and neither nginx nor the upstream process grows by anything near
 * the object's size, on the miss (fill), the hit (served from the cache file) or a bypass.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGeneratedUpstream, type GeneratedUpstream } from './helpers/generated-upstream';
import { httpGet } from './helpers/http-get';
import { loopbackHost, makeTempDir, removeDir, startMirror, type Mirror } from './helpers/nginx-harness';
import { patternChunk } from './helpers/upstream-server';

const SIZE = 200 * 1024 * 1024;
const MB = 1024 * 1024;

function expectedSha256(size: number): string {
  const hash = createHash('sha256');
  for (let offset = 0; offset < size; offset += 1024 * 1024) hash.update(patternChunk(offset, Math.min(1024 * 1024, size - offset)));
  return hash.digest('hex');
}

/** Samples `measure` every 20 ms while `work` runs; resolves to the work's result and the peak. */
async function peakDuring<T>(measure: () => number, work: Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = measure();
  const timer = setInterval(() => {
    peak = Math.max(peak, measure());
  }, 20);
  try {
    const result = await work;
    return { result, peak: Math.max(peak, measure()) };
  } finally {
    clearInterval(timer);
  }
}

describe('nginx mirror streaming a 200 MB object', () => {
  let dir: string;
  let upstream: GeneratedUpstream;
  let mirror: Mirror;
  let expected: string;

  beforeAll(async () => {
    dir = makeTempDir('tf-mirror-big-');
    upstream = await startGeneratedUpstream(loopbackHost(), SIZE);
    mirror = await startMirror({ prefixes: [{ name: 'xcode', url: upstream.url, ttl: '1h' }] }, { dir });
    expected = expectedSha256(SIZE);
  }, 120_000);
  afterAll(async () => {
    await mirror?.stop();
    await upstream?.stop();
    removeDir(dir);
  });

  it('streams the miss without holding the object in nginx or the upstream, serves the hit from disk, and passes a bypass through', async () => {
    const path = '/xcode/iOS_18.2_Simulator_Runtime.dmg';
    const nginxBefore = mirror.rssBytes();
    const upstreamBefore = upstream.rssBytes();
    let firstByteAt = 0;

    const miss = await peakDuring(
      () => mirror.rssBytes(),
      peakDuring(
        () => upstream.rssBytes(),
        httpGet(mirror.baseUrl, path, {
          hashOnly: true,
          onChunk: () => {
            if (firstByteAt === 0) firstByteAt = Date.now();
          },
        }),
      ),
    );
    const fetched = miss.result.result;
    // The upstream reports the end of its body on stdout; give the line a moment to arrive.
    const deadline = Date.now() + 10_000;
    while (!upstream.done.has('/iOS_18.2_Simulator_Runtime.dmg') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const upstreamDoneAt = upstream.done.get('/iOS_18.2_Simulator_Runtime.dmg');

    expect(fetched.status).toBe(200);
    expect(fetched.headers['x-cache-status']).toBe('MISS');
    expect(fetched.size).toBe(SIZE);
    expect(fetched.sha256).toBe(expected);
    expect(upstreamDoneAt).toBeDefined();
    expect(firstByteAt).toBeLessThan(upstreamDoneAt ?? 0);
    // Holding the object would add 200 MB. nginx needs only its proxy buffers; the node upstream's
    // garbage collector lets some 64 KB chunks pile up before it runs.
    expect(miss.peak - nginxBefore).toBeLessThan(48 * MB);
    expect(miss.result.peak - upstreamBefore).toBeLessThan(100 * MB);

    const hit = await peakDuring(() => mirror.rssBytes(), httpGet(mirror.baseUrl, path, { hashOnly: true }));

    expect(hit.result.headers['x-cache-status']).toBe('HIT');
    expect(hit.result.sha256).toBe(expected);
    expect(hit.peak - nginxBefore).toBeLessThan(48 * MB);

    // With credentials nothing is cached: the body goes straight through, still in small buffers.
    const bypass = await peakDuring(() => mirror.rssBytes(), httpGet(mirror.baseUrl, path, { hashOnly: true, headers: { authorization: 'Bearer t' } }));

    expect(bypass.result.headers['x-cache-status']).toBe('BYPASS');
    expect(bypass.result.sha256).toBe(expected);
    expect(bypass.peak - nginxBefore).toBeLessThan(48 * MB);
    console.log(
      `200 MB object: nginx RSS ${(nginxBefore / MB).toFixed(1)} MB before, peak ${(miss.peak / MB).toFixed(1)} MB on the miss, ${(hit.peak / MB).toFixed(1)} MB on the hit; ` +
        `${(bypass.peak / MB).toFixed(1)} MB on a bypass; upstream RSS ${(upstreamBefore / MB).toFixed(1)} → peak ${(miss.result.peak / MB).toFixed(1)} MB; ` +
        `miss ${fetched.ms.toFixed(0)} ms, hit ${hit.result.ms.toFixed(0)} ms, bypass ${bypass.result.ms.toFixed(0)} ms`,
    );
  }, 180_000);
});
