/**
 * Per-pool host folders for `tart run --dir`: read-only by default, names and paths tart can parse.
 */
import { describe, expect, it } from 'vitest';
import { hostDirsSchema, tartDirArgs } from '../../../host-agent/src/cache/host-dirs';

describe('host dirs', () => {
  it('shares folders read-only unless the pool asks for write access', () => {
    const dirs = hostDirsSchema.parse([
      { name: 'derived-data', path: '/Users/ci/cache/DerivedData' },
      { name: 'spm', path: '/Users/ci/cache/spm', readOnly: false },
    ]);
    expect(tartDirArgs(dirs)).toEqual(['--dir', 'derived-data:/Users/ci/cache/DerivedData:ro', '--dir', 'spm:/Users/ci/cache/spm']);
    expect(tartDirArgs(hostDirsSchema.parse(undefined))).toEqual([]);
  });

  it('refuses what tart would split or mount twice, naming the problem', () => {
    const messages = (input: unknown): string[] => hostDirsSchema.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(messages([{ name: 'x', path: '/a:b' }])).toEqual(['0.path: shared folder paths must be absolute and contain no ":"']);
    expect(messages([{ name: 'x', path: 'relative/dir' }])).toEqual(['0.path: shared folder paths must be absolute and contain no ":"']);
    expect(messages([{ name: 'My Cache', path: '/c' }])[0]).toMatch(/^0\.name: shared folder names are letters/);
    expect(messages([
      { name: 'c', path: '/a' },
      { name: 'c', path: '/b' },
    ])).toEqual(["1.name: shared folder name 'c' is used twice; each needs its own mount point"]);
  });
});
