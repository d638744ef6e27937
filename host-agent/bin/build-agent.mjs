// Bundles the agent CLI (host-agent/src/cli/main.ts) into build/host-agent/tartfleet-agent.mjs.
// ssh2 stays external and loads from node_modules: it requires an optional native addon by path and
// reads __dirname at load time, neither of which survives bundling into ESM.
// Usage: node host-agent/bin/build-agent.mjs [--outfile <path>]
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const i = process.argv.indexOf('--outfile');
const outfile = i >= 0 ? path.resolve(process.argv[i + 1] ?? '') : path.join(root, 'build/host-agent/tartfleet-agent.mjs');
await build({
  entryPoints: [path.join(root, 'host-agent/src/cli/main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  banner: { js: "import { createRequire as __tfCreateRequire } from 'node:module'; const require = __tfCreateRequire(import.meta.url);" },
  external: ['ssh2', 'cpu-features'],
  legalComments: 'none',
  logLevel: 'warning',
});
