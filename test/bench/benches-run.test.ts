/**
 * Every `npm run bench:*` script runs to the end from a fresh state (no results folder yet) with the
 * tiny workload of BENCH_QUICK=1, so a benchmark cannot rot unnoticed between the runs that measure.
 * The scripts are read from package.json: a new benchmark is covered without touching this file.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/sim-env';

const run = promisify(execFile);
const scripts = Object.keys((JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts).filter((s) => s.startsWith('bench:'));
const parent = mkdtempSync(path.join(tmpdir(), 'tf-benches-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

describe('npm run bench:* on a fresh clone', () => {
  it('package.json declares the benchmarks', () => {
    expect(scripts).toEqual(expect.arrayContaining(['bench:sim', 'bench:cache', 'bench:agent', 'bench:agent-http', 'bench:dispatcher', 'bench:fake-github', 'bench:agent-rss']));
  });

  // One at a time: scripts/run-ts.mjs bundles into the one build/run/ folder.
  it.each(scripts)('%s runs to the end and writes its results into a folder that did not exist', async (script) => {
    const results = path.join(parent, script.replace(':', '-'), 'results');
    expect(existsSync(results)).toBe(false);
    const { stdout } = await run('npm', ['run', '-s', script], {
      cwd: repoRoot,
      env: { ...process.env, BENCH_QUICK: '1', TARTFLEET_BENCH_RESULTS: results },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 120_000,
    });
    expect(stdout.trim()).not.toBe('');
    const files = readdirSync(results);
    expect(files).toHaveLength(1);
    expect(JSON.parse(readFileSync(path.join(results, files[0]!), 'utf8'))).toBeTypeOf('object');
  }, 150_000);
});
