import { readFileSync, realpathSync } from 'node:fs';
import os from 'node:os';
import { createLogger } from '../log/create-logger';
import { systemClock } from '../../../core/clock';
import { buildServeRuntime, createShell, createTartForConfig, effectiveTartHome } from './agent-runtime';
import { freeBytes } from './free-bytes';
import { createHostSystem } from './host-system';
import { realInitFs } from './init-fs';
import type { CliDeps } from './run-cli';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function logLevel(value: string | undefined): (typeof LEVELS)[number] {
  if (value === undefined || value === '') return 'info';
  const found = LEVELS.find((l) => l === value.toLowerCase());
  if (found === undefined) throw new Error(`TARTFLEET_AGENT_LOG_LEVEL must be one of ${LEVELS.join(', ')}, got '${value}'`);
  return found;
}

/** The CLI's dependencies on this process and machine. */
export function realCliDeps(): CliDeps {
  const stopRequested = () =>
    new Promise<string>((resolve) => {
      const onSignal = (signal: NodeJS.Signals) => {
        // A second signal while draining means "now": exit and let the next start reconcile.
        process.once(signal, () => process.exit(1));
        resolve(signal);
      };
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
    });
  let agentBin = process.argv[1] ?? 'tartfleet-agent';
  try {
    agentBin = realpathSync(agentBin);
  } catch {
    // Keep the given path.
  }
  return {
    env: process.env,
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    hostname: os.hostname(),
    clock: systemClock,
    createLogger: (base) => createLogger({ base, level: logLevel(process.env.TARTFLEET_AGENT_LOG_LEVEL) }),
    buildServeRuntime,
    createTart: createTartForConfig,
    createShell,
    tartHome: effectiveTartHome,
    freeBytes,
    readFile: (p) => readFileSync(p),
    stopRequested,
    hostSystem: createHostSystem,
    uid: process.getuid?.() ?? 501,
    initFs: realInitFs,
    launchd: { context: { homeDir: os.homedir(), execPath: process.execPath, agentBin, currentUser: os.userInfo().username } },
  };
}
