// Bundles bench/fake-github-bench.ts with esbuild (Node 20 cannot run TypeScript) and runs it against
// the fake-github CLI bundle. Usage: node bench/fake-github-run.mjs [--seconds 10] [--concurrency 32] [--runners 500] [--out FILE]
// (default --out bench/results/fake-github.json, gitignored).
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'fgh-bench-build-')), 'bench.mjs');
await build({ entryPoints: [path.join(root, 'bench/fake-github-bench.ts')], outfile: out, bundle: true, platform: 'node', target: 'node20', format: 'esm', logLevel: 'warning' });
execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs'), 'fake-github'], { stdio: 'inherit' });
const args = process.argv.slice(2);
if (!args.includes('--out')) args.push('--out', path.join(root, 'bench/results/fake-github.json'));
execFileSync(process.execPath, [out, '--bin', path.join(root, 'test/fake-github/bin/fake-github'), ...args], { stdio: 'inherit' });
