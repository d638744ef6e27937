// The `tart` simulator's entrypoint: parse, dispatch, map errors to tart's texts and exit codes.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTart } from './run-tart';

const bundleDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = process.env.TART_SIM_IMAGE_SRC ?? path.resolve(bundleDir, '..', '..');
process.exitCode = await runTart(process.argv.slice(2), {
  env: process.env,
  repoRoot,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
