import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_CLONED_FROM, openPoolImageStore } from '../../../host-agent/src/images/pool-image-store';
import type { PoolConfig } from '../../../host-agent/src/config/schema';
import { createMemoryLogger } from '../../fakes/memory-logger';
import { useTempDirs } from '../../helpers/temp-dir';

const POOL = { name: 'macos', image: 'base', os: 'darwin', labels: ['macOS'], warm: 0, spareClones: 0, dirs: [], network: { mode: 'softnet', allow: [], block: [] } } satisfies PoolConfig;
const AT = Date.parse('2026-03-04T05:06:07.089Z');

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function stateDir(poolImages?: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tf-pool-images-'));
  dirs.push(dir);
  if (poolImages !== undefined) writeFileSync(path.join(dir, 'pool-images.json'), poolImages);
  return dir;
}

describe('pool image store', () => {
  it.each([
    ['empty', '', 'the file is empty'],
    ['torn', '{"pools":{"macos":{"current":"ghcr.io/o/r:v2","prev', 'JSON'],
    ['of the wrong shape', '{"pools":{"macos":"ghcr.io/o/r:v2"},"clonedFrom":{}}', 'expected object, received string   → at pools.macos'],
  ])('starts from the configured images when the file is %s, moves it aside and says so', async (_what, text, reason) => {
    const dir = stateDir(text);
    const logger = createMemoryLogger();
    const store = openPoolImageStore(dir, [POOL], { logger, now: () => AT });

    expect(store.all()).toEqual([{ pool: 'macos', current: 'base', previous: null }]);
    const quarantined = 'pool-images.json.corrupt-2026-03-04T05-06-07-089Z';
    expect(readdirSync(dir)).toEqual([quarantined]);
    expect(readFileSync(path.join(dir, quarantined), 'utf8')).toBe(text);
    const line = JSON.parse(logger.lines[0] ?? '{}') as Record<string, string>;
    expect(line).toMatchObject({ level: 'error', file: path.join(dir, 'pool-images.json'), movedTo: path.join(dir, quarantined) });
    expect(line.reason).toContain(reason);
    expect(line.msg).toContain('every pool starts from its configured image');

    // The store works on: a switch lands in a fresh file next to the quarantined one.
    expect(await store.switchTo(POOL, 'ghcr.io/o/r:v3')).toEqual({ pool: 'macos', current: 'ghcr.io/o/r:v3', previous: 'base' });
    expect(JSON.parse(readFileSync(path.join(dir, 'pool-images.json'), 'utf8')).pools).toEqual({ macos: { current: 'ghcr.io/o/r:v3', previous: 'base' } });
  });

  it('a switch is on disk when it resolves, and a new agent life reads it', async () => {
    const dir = stateDir();
    const store = openPoolImageStore(dir, [POOL]);
    await store.switchTo(POOL, 'ghcr.io/o/r:v2');
    expect(readdirSync(dir)).toEqual(['pool-images.json']);
    expect(openPoolImageStore(dir, [POOL]).currentOf(POOL)).toBe('ghcr.io/o/r:v2');
  });

  it(`remembers the images of at most ${MAX_CLONED_FROM} runners, newest kept, and forgets runners that are gone`, async () => {
    const dir = stateDir();
    const store = openPoolImageStore(dir, [POOL]);
    const names = Array.from({ length: MAX_CLONED_FROM + 44 }, (_, i) => `tf-macos-r${i}`);
    for (const name of names) store.imageFor(POOL, name);
    await store.flush();

    const kept = store.clonedFrom(new Set(names));
    expect(kept.size).toBe(MAX_CLONED_FROM);
    expect([...kept.keys()]).toEqual(names.slice(44));
    expect(Object.keys(JSON.parse(readFileSync(path.join(dir, 'pool-images.json'), 'utf8')).clonedFrom)).toEqual(names.slice(44));

    expect([...store.clonedFrom(new Set(['tf-macos-r299'])).keys()]).toEqual(['tf-macos-r299']);
    await store.flush();
    expect(JSON.parse(readFileSync(path.join(dir, 'pool-images.json'), 'utf8')).clonedFrom).toEqual({ 'tf-macos-r299': 'base' });
  });
});

const tempDir = useTempDirs('tf-store-');

describe('pool image store: build dates', () => {
  it('keeps the newest 50 across restarts, and reads a file written before build dates existed', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'pool-images.json'), JSON.stringify({ pools: { macos: { current: 'img-0', previous: null } }, clonedFrom: {} }));
    const store = openPoolImageStore(dir, [{ name: 'macos', image: 'base' } as never]);
    expect(store.buildDateOf('img-0')).toBeUndefined();
    for (let i = 0; i < 60; i++) store.recordBuildDate(`img-${i}`, new Date(Date.UTC(2026, 10, 1) + i * 3600_000).toISOString());
    // Recording an image again makes it the newest.
    store.recordBuildDate('img-5', '2026-11-20T00:00:00.000Z');
    await store.flush();
    const reopened = openPoolImageStore(dir, [{ name: 'macos', image: 'base' } as never]);
    expect(reopened.buildDateOf('img-5')).toBe('2026-11-20T00:00:00.000Z');
    expect(reopened.buildDateOf('img-59')).toBe('2026-11-03T11:00:00.000Z');
    expect(reopened.buildDateOf('img-10')).toBeUndefined();
    expect(reopened.buildDateOf('img-11')).toBeDefined();
    expect(reopened.currentOf({ name: 'macos', image: 'base' } as never)).toBe('img-0');
  });
});
