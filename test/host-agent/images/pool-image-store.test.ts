import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openPoolImageStore } from '../../../host-agent/src/images/pool-image-store';
import { useTempDirs } from '../../helpers/temp-dir';

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
    const reopened = openPoolImageStore(dir, [{ name: 'macos', image: 'base' } as never]);
    expect(reopened.buildDateOf('img-5')).toBe('2026-11-20T00:00:00.000Z');
    expect(reopened.buildDateOf('img-59')).toBe('2026-11-03T11:00:00.000Z');
    expect(reopened.buildDateOf('img-10')).toBeUndefined();
    expect(reopened.buildDateOf('img-11')).toBeDefined();
    expect(reopened.currentOf({ name: 'macos', image: 'base' } as never)).toBe('img-0');
  });
});
