import { createRequire } from 'node:module';

const load = <T>(id: string): T =>
  (typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule(id) : createRequire(import.meta.url)(id)) as T;

/**
 * Node builtins that only some commands need (crypto, child_process, net cost a few ms each to
 * load), fetched on first use so `tart list` starts as fast as Node allows.
 */
export const lazy = {
  crypto: (): typeof import('node:crypto') => load('node:crypto'),
  childProcess: (): typeof import('node:child_process') => load('node:child_process'),
  net: (): typeof import('node:net') => load('node:net'),
};
