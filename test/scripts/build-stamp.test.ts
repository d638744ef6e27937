/**
 * scripts/build-stamp.mjs: a bundle is rebuilt when a file it was built from changes, and only then
 * (the test run, the demo and every benchmark ask for the same bundles).
 */
import { build } from 'esbuild';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/sim-env';

type Metafile = { inputs: Record<string, unknown>; outputs: Record<string, unknown> };
const { isFresh, writeStamp, buildUnlessFresh } = (await import(path.join(repoRoot, 'scripts/build-stamp.mjs'))) as {
  isFresh: (stampPath: string, key: string) => boolean;
  writeStamp: (stampPath: string, key: string, root: string, metafile: Metafile, extraFiles: string[]) => void;
  buildUnlessFresh: (stampPath: string, key: string, root: string, scriptFile: string, build: () => Promise<Metafile>) => Promise<void>;
};

const dir = mkdtempSync(path.join(tmpdir(), 'tf-stamp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => path.join(dir, name);
const stamp = file('stamps/app.json');
const extra = file('build-script.mjs');

/** Builds app.ts (which imports dep.ts) into out/ and stamps it, as scripts/build.mjs does. */
async function buildAndStamp(key: string): Promise<void> {
  const result = await build({ entryPoints: [file('app.ts')], outdir: file('out'), bundle: true, platform: 'node', metafile: true, logLevel: 'silent', absWorkingDir: dir });
  writeStamp(stamp, key, dir, result.metafile, [extra]);
}

/** Rewrites a file with new content and a later mtime (a second later: some file systems keep whole seconds). */
function edit(name: string, text: string): void {
  writeFileSync(file(name), text);
  const later = new Date(Date.now() + 1_000);
  utimesSync(file(name), later, later);
}

describe('build stamps', () => {
  it('are fresh until an input, an output, a build script or the options change, or the stamp is damaged', async () => {
    writeFileSync(file('dep.ts'), 'export const n = 1;\n');
    writeFileSync(file('app.ts'), "import { n } from './dep';\nconsole.log(n);\n");
    writeFileSync(extra, '// build options\n');
    expect(isFresh(stamp, 'k1')).toBe(false);
    await buildAndStamp('k1');
    expect(isFresh(stamp, 'k1')).toBe(true);
    expect(isFresh(stamp, 'k2')).toBe(false);

    edit('dep.ts', 'export const n = 2;\n');
    expect(isFresh(stamp, 'k1')).toBe(false);
    await buildAndStamp('k1');
    expect(isFresh(stamp, 'k1')).toBe(true);

    edit('out/app.js', '// edited by hand\n');
    expect(isFresh(stamp, 'k1')).toBe(false);
    await buildAndStamp('k1');

    edit('build-script.mjs', '// other options\n');
    expect(isFresh(stamp, 'k1')).toBe(false);
    await buildAndStamp('k1');
    expect(isFresh(stamp, 'k1')).toBe(true);

    rmSync(file('out/app.js'));
    expect(isFresh(stamp, 'k1')).toBe(false);
    await buildAndStamp('k1');

    // buildUnlessFresh builds only when the stamp is not fresh.
    let builds = 0;
    const counted = async (): Promise<Metafile> => {
      builds++;
      return (await build({ entryPoints: [file('app.ts')], outdir: file('out'), bundle: true, platform: 'node', metafile: true, logLevel: 'silent', absWorkingDir: dir })).metafile;
    };
    await buildUnlessFresh(stamp, 'k1', dir, extra, counted);
    expect(builds).toBe(0);
    edit('app.ts', "import { n } from './dep';\nconsole.log(n + 1);\n");
    await buildUnlessFresh(stamp, 'k1', dir, extra, counted);
    await buildUnlessFresh(stamp, 'k1', dir, extra, counted);
    expect(builds).toBe(1);

    writeFileSync(stamp, '{"key":"k1","files":');
    expect(isFresh(stamp, 'k1')).toBe(false);
    writeFileSync(stamp, '{"key":"k1","files":{}}');
    expect(isFresh(stamp, 'k1')).toBe(false);
  });
});
