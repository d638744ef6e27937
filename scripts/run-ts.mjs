// Runs a TypeScript entry point (Node 20 cannot run TypeScript): bundles it with esbuild into
// build/run/ — inside the repository, so its npm dependencies stay external and resolve from
// node_modules — and runs it with the remaining arguments. Used by `npm run demo` and the benchmarks.
//
// Usage: node scripts/run-ts.mjs [--needs target,target] entry.ts [more-entries.ts] [--] [args...]
//   --needs  scripts/build.mjs targets to build first (e.g. sim,agent: executables the entry starts)
//   further entries are bundled beside the first (e.g. a server the entry spawns from its own folder)
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildUnlessFresh } from './build-stamp.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
let needs = [];
const entries = [];
let i = 0;
if (argv[i] === '--needs') {
  needs = (argv[i + 1] ?? '').split(',').filter(Boolean);
  i += 2;
}
while (argv[i]?.endsWith('.ts')) entries.push(argv[i++]);
// Everything after the entries (a leading `--` is dropped) is the program's own arguments, so
// `npm run bench:x -- --seconds 5` works.
const passThrough = argv.slice(argv[i] === '--' ? i + 1 : i);
if (entries.length === 0) {
  console.error('run-ts: expected at least one entry .ts file, got none');
  process.exit(64);
}

if (needs.length > 0) execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs'), ...needs], { stdio: 'inherit' });
const outdir = path.join(root, 'build/run');
// Rebuilt only when a file it was built from changed (scripts/build-stamp.mjs).
const stampPath = path.join(root, 'build/.stamps', `run-${entries.map((e) => path.basename(e, '.ts')).join('+')}.json`);
await buildUnlessFresh(stampPath, JSON.stringify(entries.map((e) => path.resolve(root, e))), root, fileURLToPath(import.meta.url), async () => {
  const result = await build({
    entryPoints: Object.fromEntries(entries.map((e) => [path.basename(e, '.ts'), path.resolve(root, e)])),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    metafile: true,
    logLevel: 'warning',
  });
  return result.metafile;
});
const main = path.join(outdir, `${path.basename(entries[0], '.ts')}.mjs`);
// In this process, as if started as `node <bundle> args...`: signals (Ctrl-C) reach the program itself.
process.argv = [process.argv[0], main, ...passThrough];
process.env.TARTFLEET_ROOT = root;
await import(pathToFileURL(main).href);
