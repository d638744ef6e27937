// One esbuild call per bundle. `node scripts/build.mjs [target...]` builds the named targets (all by
// default). Targets whose entry file does not exist yet are skipped, so the list can name every
// component of docs/architecture.md before each one lands.
import { build } from 'esbuild';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { buildUnlessFresh } from './build-stamp.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const banner = { js: "import { createRequire as __tfCreateRequire } from 'node:module'; const require = __tfCreateRequire(import.meta.url);" };

/** @type {Record<string, {entries: Record<string,string>, outdir: string, external?: string[]}>} */
const targets = {
  // The published action: committed to dist/, one file per entrypoint.
  action: { entries: { main: 'action-src/main.ts', post: 'action-src/post.ts' }, outdir: 'dist' },
  // ssh2 stays external and loads from node_modules: it requires an optional native addon by path and
  // reads __dirname at load time, neither of which survives bundling into ESM.
  agent: { entries: { 'tartfleet-agent': 'host-agent/src/cli/main.ts' }, outdir: 'build/host-agent', external: ['ssh2', 'cpu-features'] },
  // better-sqlite3 (pending demand) is a native addon found through its package folder: it stays
  // external and is installed beside the bundle (docs/deploy.md).
  dispatcher: { entries: { 'tartfleet-dispatcher': 'dispatcher/src/main.ts' }, outdir: 'build/dispatcher', external: ['better-sqlite3'] },
  sim: { entries: { tart: 'test/sim/src/main.ts' }, outdir: 'build/sim', external: ['ssh2', 'cpu-features'] },
  'fake-github': { entries: { 'fake-github': 'test/fake-github/src/main.ts' }, outdir: 'build/fake-github' },
};

const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!(name in targets)) {
    console.error(`build: unknown target '${name}', expected one of ${Object.keys(targets).join(', ')}`);
    process.exit(64);
  }
}

for (const [name, t] of Object.entries(targets)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  const entryPoints = Object.fromEntries(
    Object.entries(t.entries).filter(([, src]) => existsSync(path.join(root, src))).map(([out, src]) => [out, path.join(root, src)]),
  );
  if (Object.keys(entryPoints).length === 0) continue;
  // Rebuilt only when a file it was built from changed (scripts/build-stamp.mjs).
  await buildUnlessFresh(path.join(root, 'build/.stamps', `${name}.json`), JSON.stringify({ t, banner }), root, fileURLToPath(import.meta.url), async () => {
    const result = await build({
      write: false,
      metafile: true,
      entryPoints,
      outdir: path.join(root, t.outdir),
      outExtension: { '.js': name === 'action' ? '.js' : '.mjs' },
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      banner,
      external: t.external ?? [],
      legalComments: 'none',
      logLevel: 'warning',
    });
    // Write each bundle beside its target and rename it into place: a simulator or agent process
    // starting while another test run rebuilds must never read a half-written file.
    for (const file of result.outputFiles) {
      mkdirSync(path.dirname(file.path), { recursive: true });
      const tmp = `${file.path}.${process.pid}.tmp`;
      writeFileSync(tmp, file.contents);
      renameSync(tmp, file.path);
    }
    return result.metafile;
  });
}
