// Bundles bench/dispatcher-bench.ts with esbuild (Node 20 cannot run TypeScript), builds the dispatcher
// CLI, and runs the benchmark. Needs `wrk` (Debian package) for the throughput part.
// Usage: node bench/dispatcher-run.mjs [--latency-jobs 200] [--seconds 10] [--burst 200]
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Inside the repository, so the bundle's externals resolve from node_modules.
const out = path.join(mkdtempSync(path.join(root, 'build', 'bench-dispatcher-')), 'bench.mjs');
await build({
  entryPoints: [path.join(root, 'bench/dispatcher-bench.ts')],
  outfile: out,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  banner: { js: "import { createRequire as __tfCreateRequire } from 'node:module'; const require = __tfCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs'), 'dispatcher'], { stdio: 'inherit' });
execFileSync(process.execPath, [out, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, BENCH_ROOT: root } });
