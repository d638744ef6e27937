// Skips a bundle whose sources have not changed since it was built. A test run starts the build
// many times (its global setup, every benchmark's and the demo's `--needs`), and each esbuild call
// costs a second of CPU on a two-core machine; a stamp check costs a few stat(2) calls.
//
// A stamp records, for one bundle, the size and mtime of every file esbuild read (its metafile
// inputs, so a new import shows up through the file that imports it), of the outputs, and of the
// build scripts themselves. Anything different, or missing, means build again.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Files that shape every stamped bundle: this check and the esbuild version.
const stampFiles = [fileURLToPath(import.meta.url), createRequire(import.meta.url).resolve('esbuild/package.json')];

/** size:mtime of a file, or undefined when it does not exist. */
function fingerprint(file) {
  try {
    const s = statSync(file);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return undefined;
  }
}

/** Fingerprints of files, by absolute path. */
function fingerprints(files) {
  return Object.fromEntries(files.map((f) => [f, fingerprint(f)]));
}

/**
 * Whether the stamp at `stampPath` still describes the bundle: same key (the build's options),
 * and every recorded file unchanged.
 */
export function isFresh(stampPath, key) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(stampPath, 'utf8'));
  } catch {
    return false;
  }
  if (stamp === null || typeof stamp !== 'object' || stamp.key !== key || typeof stamp.files !== 'object' || stamp.files === null) return false;
  const entries = Object.entries(stamp.files);
  return entries.length > 0 && entries.every(([file, print]) => print !== undefined && fingerprint(file) === print);
}

/**
 * Records the inputs (from an esbuild metafile, paths relative to `root`) and outputs of a build,
 * with `extraFiles` (the script that holds the build's options) and the files every stamp depends on.
 */
export function writeStamp(stampPath, key, root, metafile, extraFiles) {
  const inputs = Object.keys(metafile.inputs).map((f) => path.resolve(root, f));
  const outputs = Object.keys(metafile.outputs).map((f) => path.resolve(root, f));
  const stamp = { key, files: fingerprints([...inputs, ...outputs, ...extraFiles, ...stampFiles]) };
  mkdirSync(path.dirname(stampPath), { recursive: true });
  const tmp = `${stampPath}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(stamp));
  renameSync(tmp, stampPath);
}

/**
 * Runs `build` (which returns esbuild's metafile, with its outputs written) unless the stamp at
 * `stampPath` is fresh for `key`, then stamps the result. `scriptFile` is the calling build script.
 */
export async function buildUnlessFresh(stampPath, key, root, scriptFile, build) {
  if (isFresh(stampPath, key)) return;
  writeStamp(stampPath, key, root, await build(), [scriptFile]);
}
