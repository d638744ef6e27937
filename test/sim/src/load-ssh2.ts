import { createRequire } from 'node:module';

/**
 * Loads ssh2 from node_modules at run time instead of bundling it: only `tart run` and `tart create`
 * need it, so every other command starts without parsing it (`tart list` must stay under 100 ms), and
 * its optional native addon never meets the bundler.
 */
export function loadSsh2(): typeof import('ssh2') {
  const load = createRequire(import.meta.url);
  return load('ssh2') as typeof import('ssh2');
}
