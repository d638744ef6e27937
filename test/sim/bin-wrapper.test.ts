// test/sim/bin/tart is what everything puts on PATH: it must find its repository through symlinks
// and build the bundle itself when it is missing (a fresh clone, before any `npm run build`).
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('test/sim/bin/tart', () => {
  let scratch: string;
  beforeEach(() => {
    scratch = mkdtempSync(path.join(tmpdir(), 'tart-sim-bin-'));
  });
  afterEach(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  it('builds build/sim/tart.mjs when it is missing, then runs it; works through a symlink on PATH', async () => {
    // A copy of the parts of the repository the wrapper needs, so the real build/ is left alone.
    const copy = path.join(scratch, 'repo');
    for (const part of ['scripts', path.join('test', 'sim', 'src'), path.join('test', 'sim', 'bin')]) {
      cpSync(path.join(repo, part), path.join(copy, part), { recursive: true });
    }
    symlinkSync(path.join(repo, 'node_modules'), path.join(copy, 'node_modules'));
    const bundle = path.join(copy, 'build', 'sim', 'tart.mjs');
    expect(existsSync(bundle)).toBe(false);
    const env = { ...process.env, TART_HOME: path.join(scratch, 'home') };
    const first = await run(path.join(copy, 'test', 'sim', 'bin', 'tart'), ['--version'], { env, timeout: 60_000 });
    expect(first.stdout).toBe('2.32.1\n');
    expect(existsSync(bundle)).toBe(true);
    mkdirSync(path.join(scratch, 'path'));
    symlinkSync(path.join(copy, 'test', 'sim', 'bin', 'tart'), path.join(scratch, 'path', 'tart'));
    const viaPath = await run('tart', ['list', '--format', 'json'], { env: { ...env, PATH: `${path.join(scratch, 'path')}:${process.env.PATH}` }, timeout: 30_000 });
    expect(JSON.parse(viaPath.stdout)).toEqual([]);
  }, 90_000);
});
