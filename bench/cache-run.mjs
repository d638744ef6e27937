// Runs bench/cache-mirror.ts: bundles it with esbuild into build/bench/ (beside node_modules, so
// its dependencies resolve) and imports the result. Usage: node bench/cache-run.mjs
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outfile = path.join(root, 'build/bench/cache-mirror.mjs');
await build({
  entryPoints: [path.join(root, 'bench/cache-mirror.ts')],
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
