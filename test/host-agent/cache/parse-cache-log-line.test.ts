/**
 * The access-log parser on lines real nginx wrote (fixtures/nginx-access.jsonl), and the follower on a
 * file that grows, is rotated and truncated.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createCacheMetrics } from '../../../host-agent/src/cache/cache-metrics';
import { followCacheLog } from '../../../host-agent/src/cache/follow-cache-log';
import { parseCacheLogLine } from '../../../host-agent/src/cache/parse-cache-log-line';
import { cacheConfigSchema } from '../../../host-agent/src/cache/cache-config-schema';
import { startCacheLogMetrics } from '../../../host-agent/src/cache/start-cache-log-metrics';

const fixture = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/nginx-access.jsonl'), 'utf8');

describe('parseCacheLogLine', () => {
  it('reads every line nginx wrote, mapping $upstream_cache_status to a result', () => {
    const entries = fixture.split('\n').filter(Boolean).map(parseCacheLogLine);
    expect(entries.map((e) => e?.result)).toEqual(['miss', 'hit', 'bypass', 'miss', 'miss', 'uncached', 'stale', 'stale', 'stale', 'miss']);
    expect(entries[0]).toEqual({ result: 'miss', upstream: 'npm', status: 200, bytes: 16, method: 'GET', path: '/npm/react', seconds: 0.003, setsCookie: false });
    expect(entries[3]?.path).toBe('/npm/café/-/café-1.0.0.tgz');
    expect(entries[4]).toMatchObject({ path: '/npm/cookie-pkg', setsCookie: true });
    expect(entries[5]).toMatchObject({ upstream: 'homebrew', status: 404, path: '/homebrew/https:/example.com/"quoted".tar.gz' });
    expect(entries[9]).toMatchObject({ result: 'miss', status: 502 });
  });

  it('maps every cache status nginx documents', () => {
    const line = (cache: string): string => JSON.stringify({ upstream: 'npm', cache, status: 200, bytes: 1 });
    expect(['HIT', 'MISS', 'EXPIRED', 'STALE', 'UPDATING', 'REVALIDATED', 'BYPASS', ''].map((c) => parseCacheLogLine(line(c))?.result)).toEqual([
      'hit',
      'miss',
      'expired',
      'stale',
      'updating',
      'revalidated',
      'bypass',
      'uncached',
    ]);
  });

  it('ignores lines that are not its own, without throwing', () => {
    for (const line of ['', '   ', '127.0.0.1 - - [28/Nov/2026:01:30:28 +0000] "GET / HTTP/1.1" 404', '{"truncated":', '[1,2]', '{"cache":"HIT"}', 'null']) {
      expect(parseCacheLogLine(line)).toBeUndefined();
    }
  });

  it('feeds the counters with bounded labels', async () => {
    const registry = new Registry();
    const metrics = createCacheMetrics(registry, ['npm']);
    for (const line of fixture.split('\n')) {
      const entry = parseCacheLogLine(line);
      if (entry) metrics.record(entry);
    }
    const text = await registry.metrics();
    expect(text).toContain('runner_cache_requests_total{result="stale",upstream="npm"} 3');
    expect(text).toContain('runner_cache_requests_total{result="miss",upstream="npm"} 4');
    expect(text).toContain('runner_cache_set_cookie_responses_total{upstream="npm"} 1');
    expect(text).toContain('runner_cache_requests_total{result="uncached",upstream="other"} 1');
    expect(text).toContain('runner_cache_requests_total{result="revalidated",upstream="npm"} 0');
    expect(text).not.toContain('upstream="homebrew"');
    // Prometheus' own linter accepts the exposition (names, units, help texts).
    expect(execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 })).toBe('');
  });
});

describe('followCacheLog', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('hands on complete new lines only, and starts over after rotation and truncation', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tf-follow-'));
    const file = path.join(dir, 'access.log');
    writeFileSync(file, 'old line\n');
    const lines: string[] = [];
    const follower = await followCacheLog({ path: file, onLine: (l) => lines.push(l), intervalMs: 0 });

    appendFileSync(file, 'one\ntw');
    await follower.poll();
    expect(lines).toEqual(['one']);

    // A UTF-8 character split across two writes arrives whole.
    const cafe = Buffer.from('o café\n');
    appendFileSync(file, cafe.subarray(0, 5));
    await follower.poll();
    appendFileSync(file, cafe.subarray(5));
    await follower.poll();
    expect(lines).toEqual(['one', 'two café']);

    renameSync(file, `${file}.0`);
    writeFileSync(file, 'after rotation\n');
    await follower.poll();
    writeFileSync(file, 'x\n');
    await follower.poll();
    await follower.stop();

    expect(lines).toEqual(['one', 'two café', 'after rotation', 'x']);
  });

  it('waits for a file that does not exist yet, then reads it from the start', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tf-follow-'));
    const file = path.join(dir, 'later.log');
    const lines: string[] = [];
    const errors: string[] = [];
    const follower = await followCacheLog({ path: file, onLine: (l) => lines.push(l), intervalMs: 10, onError: (e) => errors.push(e) });

    writeFileSync(file, 'first\n');
    const deadline = Date.now() + 5000;
    while (lines.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await follower.stop();

    expect(lines).toEqual(['first']);
    expect(errors).toEqual([]);
  });
});

describe('startCacheLogMetrics', () => {
  it('counts what nginx appends to the configured access log, by configured mirror', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tf-follow-'));
    try {
      const accessLog = path.join(dir, 'access.log');
      writeFileSync(accessLog, fixture);
      const registry = new Registry();
      const cache = cacheConfigSchema.parse({ accessLog });
      const started = await startCacheLogMetrics({ registry, cache, intervalMs: 10 });
      appendFileSync(accessLog, fixture.split('\n').slice(0, 2).join('\n') + '\n');
      const deadline = Date.now() + 5000;
      let text = '';
      while (Date.now() < deadline && !(text = await registry.metrics()).includes('result="hit",upstream="npm"} 1')) await new Promise((r) => setTimeout(r, 10));
      await started.stop();

      // Only the two lines written after the start count; homebrew is a configured mirror here.
      expect(text).toContain('runner_cache_requests_total{result="hit",upstream="npm"} 1');
      expect(text).toContain('runner_cache_requests_total{result="miss",upstream="npm"} 1');
      expect(text).toContain('runner_cache_requests_total{result="miss",upstream="homebrew"} 0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
