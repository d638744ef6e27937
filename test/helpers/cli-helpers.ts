import { readFileSync } from 'node:fs';
import os from 'node:os';
import { buildServeRuntime, createShell, createTartForConfig, effectiveTartHome } from '../../host-agent/src/cli/agent-runtime';
import { freeBytes } from '../../host-agent/src/cli/free-bytes';
import { createHostSystem } from '../../host-agent/src/cli/host-system';
import { realInitFs } from '../../host-agent/src/cli/init-fs';
import type { CliDeps } from '../../host-agent/src/cli/run-cli';
import { systemClock } from '../../core/clock';
import { silentLogger } from '../../core/logger';

/** CLI deps on the real machine pieces (tart driver, ssh2, statfs), with output captured. */
export function cliDeps(env: Record<string, string | undefined>, overrides: Partial<CliDeps> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const deps: CliDeps = {
    env,
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    hostname: 'test-host',
    clock: systemClock,
    createLogger: () => silentLogger,
    buildServeRuntime,
    createTart: createTartForConfig,
    createShell,
    tartHome: effectiveTartHome,
    freeBytes,
    readFile: (p) => readFileSync(p),
    stopRequested: () => new Promise<string>(() => {}),
    hostSystem: createHostSystem,
    uid: 501,
    initFs: realInitFs,
    launchd: { context: { homeDir: '/Users/ci', execPath: '/opt/homebrew/bin/node', agentBin: '/opt/tartfleet/build/host-agent/tartfleet-agent.mjs', currentUser: os.userInfo().username } },
    ...overrides,
  };
  return { deps, stdout: () => out.join(''), stderr: () => err.join('') };
}
