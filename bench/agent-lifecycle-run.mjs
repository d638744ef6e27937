// Runs bench/agent-lifecycle.ts: bundles it with esbuild into build/bench/ and imports the result.
// Usage: node scripts/build.mjs sim && node bench/agent-lifecycle-run.mjs   (BENCH_RUNS=20 by default)
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outfile = path.join(root, 'build/bench/agent-lifecycle.mjs');
await build({
  entryPoints: [path.join(root, 'bench/agent-lifecycle.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  logLevel: 'warning',
});
process.env.TARTFLEET_ROOT = root;
await import(pathToFileURL(outfile).href);
