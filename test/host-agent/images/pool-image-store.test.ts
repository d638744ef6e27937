import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openPoolImageStore } from '../../../host-agent/src/images/pool-image-store';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('pool image store: build dates', () => {
  it('keeps the newest 50 across restarts, and reads a file written before build dates existed', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tf-store-'));
    await writeFile(path.join(dir, 'pool-images.json'), JSON.stringify({ pools: { macos: { current: 'img-0', previous: null } }, clonedFrom: {} }));
    const store = openPoolImageStore(dir, [{ name: 'macos', image: 'base' } as never]);
    expect(store.buildDateOf('img-0')).toBeUndefined();
    for (let i = 0; i < 60; i++) store.recordBuildDate(`img-${i}`, new Date(Date.UTC(2026, 10, 1) + i * 3600_000).toISOString());
    // Recording an image again makes it the newest.
    store.recordBuildDate('img-5', '2026-11-20T00:00:00.000Z');
    const reopened = openPoolImageStore(dir, [{ name: 'macos', image: 'base' } as never]);
    expect(reopened.buildDateOf('img-5')).toBe('2026-11-20T00:00:00.000Z');
    expect(reopened.buildDateOf('img-59')).toBe('2026-11-03T11:00:00.000Z');
    expect(reopened.buildDateOf('img-10')).toBeUndefined();
    expect(reopened.buildDateOf('img-11')).toBeDefined();
    expect(reopened.currentOf({ name: 'macos', image: 'base' } as never)).toBe('img-0');
  });
});
