// Builds the agent HTTP benchmark (bench/agent-http-host*.ts) into build/bench/ and runs it.
// Usage: node bench/agent-http-host.mjs [--seconds 10] [--connections 16]
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'build/bench');
await build({
  entryPoints: { 'agent-http-host': path.join(root, 'bench/agent-http-host.ts'), 'agent-http-host-server': path.join(root, 'bench/agent-http-host-server.ts') },
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  banner: { js: "import { createRequire as __tfCreateRequire } from 'node:module'; const require = __tfCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
const run = spawnSync(process.execPath, [path.join(outdir, 'agent-http-host.mjs'), ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(run.status ?? 1);
