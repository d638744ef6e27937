import path from 'node:path';
import { guestPaths } from './guest-image';

/** The simulator's runner controls (TART_SIM_RUNNER_*), passed from `tart run` into guest sessions. */
export function runnerControls(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (key.startsWith('TART_SIM_RUNNER_') && value !== undefined) out[key] = value;
  return out;
}

/**
 * The environment of a guest command (the guest contract): a clean login-like environment, never
 * the host's, with the simulator's shims first on PATH so `shutdown`/`sudo` never reach the host.
 */
export function guestEnv(guestRoot: string, extra: Record<string, string> = {}): Record<string, string> {
  const home = path.join(guestRoot, guestPaths.home);
  return {
    ...extra,
    HOME: home,
    USER: 'admin',
    LOGNAME: 'admin',
    SHELL: '/bin/bash',
    LANG: extra.LANG ?? 'en_US.UTF-8',
    TMPDIR: path.join(guestRoot, 'tmp') + '/',
    PATH: [
      path.join(guestRoot, guestPaths.shims),
      path.join(guestRoot, guestPaths.localBin),
      path.join(home, '.tartfleet'),
      '/usr/local/bin',
      '/usr/bin',
      '/bin',
    ].join(':'),
  };
}
