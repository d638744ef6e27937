// `npm run demo`: build what the demo needs (simulator, fake GitHub, agent, dispatcher, the demo
// itself) and run it. Needs nothing but `npm ci`.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs'), 'sim', 'fake-github', 'agent', 'dispatcher'], { cwd: root, stdio: 'inherit' });
const outfile = path.join(root, 'build/demo/demo.mjs');
await build({
  entryPoints: [path.join(root, 'demo/src/main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  banner: { js: "import { createRequire as __tfCreateRequire } from 'node:module'; const require = __tfCreateRequire(import.meta.url);" },
  external: ['cpu-features'],
  logLevel: 'warning',
});
process.env.TARTFLEET_DEMO_ROOT = root;
await import(pathToFileURL(outfile).href);
