/**
 * `tartfleet-agent` command dispatch. Everything the commands touch comes in through CliDeps, so
 * tests run the CLI in-process against the tart simulator and temp dirs.
 */
import type { AgentConfig } from '../config/schema';
import { ConfigError, loadConfig, toLog } from '../config/load-config';
import type { RemoteShell } from '../ssh/remote-shell';
import type { TartCli } from '../tart/tart-cli';
import type { Clock } from '../../../core/clock';
import { errorMessage } from '../../../core/errors';
import { silentLogger, type Logger } from '../../../core/logger';
import type { ServeRuntime } from './agent-runtime';
import { doctorExitCode, renderDoctorJson, renderDoctorTable } from './doctor';
import { runDoctorChecks, type CheckResult } from './doctor-checks';
import { runInstallLaunchd, type InstallLaunchdDeps } from './install-launchd';
import { HELP_TEXT, parseArgv, UsageError } from './parse-argv';
import { assertListenAllowed, InsecureListenError, runServe } from './serve';
import { logFilesFromEnv } from '../log/log-file-cap';
import { sshConfigWarnings } from '../ssh/guest-connect-options';
import { runCacheConfigCommand } from '../cache/run-cache-config-command';
import { AGENT_VERSION } from './version';
import type { HostSystem } from './host-system';
import { runInit, InitError, type InitFs } from './run-init';

export interface CliDeps {
  env: Readonly<Record<string, string | undefined>>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  hostname: string;
  clock: Clock;
  /** The agent's JSON logger (serve) — stderr-quiet for doctor. */
  createLogger: (base: Record<string, unknown>) => Logger;
  buildServeRuntime: (config: Readonly<AgentConfig>, logger: Logger, clock: Clock) => ServeRuntime;
  createTart: (config: Readonly<AgentConfig>, logger: Logger, clock: Clock) => TartCli;
  createShell: (logger: Logger, clock: Clock) => RemoteShell;
  tartHome: (config: Readonly<AgentConfig>) => string;
  freeBytes: (path: string) => Promise<number>;
  readFile: (path: string) => Buffer;
  stopRequested: () => Promise<string>;
  launchd: Omit<InstallLaunchdDeps, 'stdout'>;
  /** The Mac itself (system commands, files, network) for doctor and init. */
  hostSystem: (env: Readonly<Record<string, string | undefined>>, clock: Clock) => HostSystem;
  /** For init: the user's id (launchctl's gui/<uid> domain) and the files it writes. */
  uid: number;
  initFs: InitFs;
  /** Tests learn serve's URL here. */
  onListening?: (url: string) => void;
}

function load(deps: CliDeps, configFile: string | undefined, requireSecrets: boolean): Readonly<AgentConfig> {
  return loadConfig({ file: configFile, env: deps.env, hostname: deps.hostname, requireSecrets, readFile: (p) => deps.readFile(p).toString('utf8') });
}

async function doctor(deps: CliDeps, configFile: string | undefined, json: boolean, dispatcher: string | undefined): Promise<number> {
  let config: Readonly<AgentConfig>;
  try {
    config = load(deps, configFile, false);
  } catch (error: unknown) {
    const results: CheckResult[] = [{ name: 'config', status: 'fail', detail: error instanceof ConfigError ? error.problems.join('; ') : errorMessage(error) }];
    deps.stdout(json ? renderDoctorJson(results) : renderDoctorTable(results));
    return 1;
  }
  // The report is the output: driver log lines would only interleave with the table.
  const quiet = silentLogger;
  const where = configFile ?? 'environment';
  const configCheck: CheckResult =
    config.secrets.length === 0
      ? { name: 'config', status: 'warn', detail: `${where}: valid, but TARTFLEET_AGENT_SECRET is not set; serve will refuse to start` }
      : config.adminSecrets.length === 0
        ? { name: 'config', status: 'warn', detail: `${where}: valid, but TARTFLEET_AGENT_ADMIN_SECRET is not set; images, pools, drain and resume will refuse every request` }
        : { name: 'config', status: 'ok', detail: `${where}: valid; host ${config.hostId}, ${config.pools.length} pool(s), ${config.maxVms} slot(s)` };
  const results = [
    configCheck,
    ...(await runDoctorChecks({
      config,
      tart: deps.createTart(config, quiet, deps.clock),
      shell: deps.createShell(quiet, deps.clock),
      tartHome: deps.tartHome(config),
      freeBytes: deps.freeBytes,
      readFile: (p) => deps.readFile(p).toString('utf8'),
      sshTimeoutMs: 15_000,
      system: deps.hostSystem(deps.env, deps.clock),
      clock: deps.clock,
      dispatcherUrl: dispatcher ?? deps.env.TARTFLEET_DISPATCHER_URL,
    })),
  ];
  deps.stdout(json ? renderDoctorJson(results) : renderDoctorTable(results));
  return doctorExitCode(results);
}

async function serve(deps: CliDeps, configFile: string | undefined, insecureHttp: boolean): Promise<number> {
  const config = load(deps, configFile, true);
  // Before the runtime exists: a refused start must not reconcile VMs or take the journal.
  assertListenAllowed(config.listen, insecureHttp);
  const logger = deps.createLogger({ host: config.hostId });
  logger.info({ config: toLog(config), version: AGENT_VERSION }, 'starting tartfleet-agent');
  for (const warning of sshConfigWarnings(config.ssh)) logger.warn({}, warning);
  const runtime = deps.buildServeRuntime(config, logger, deps.clock);
  return runServe({
    config,
    ...runtime,
    logger,
    clock: deps.clock,
    readFile: deps.readFile,
    stopRequested: deps.stopRequested(),
    insecureHttp,
    logFiles: logFilesFromEnv(deps.env.TARTFLEET_AGENT_LOG_FILES),
    ...(deps.onListening === undefined ? {} : { onListening: deps.onListening }),
  });
}

/** Run the CLI; resolves with the exit code. Usage errors exit 64, config errors 78 (EX_CONFIG). */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  try {
    // cache-config has its own small parser (it reads only the `cache` section of a config file).
    if (argv[0] === 'cache-config') {
      return await runCacheConfigCommand(argv.slice(1), { readFile: async (p) => deps.readFile(p).toString('utf8'), stdout: deps.stdout, stderr: deps.stderr });
    }
    const cmd = parseArgv(argv);
    switch (cmd.command) {
      case 'help':
        deps.stdout(HELP_TEXT);
        return 0;
      case 'version':
        deps.stdout(`${AGENT_VERSION}\n`);
        return 0;
      case 'doctor':
        return await doctor(deps, cmd.configFile, cmd.json, cmd.dispatcher);
      case 'install-launchd':
        return runInstallLaunchd(cmd.configFile, cmd.options, { ...deps.launchd, stdout: deps.stdout });
      case 'serve':
        return await serve(deps, cmd.configFile, cmd.insecureHttp);
      case 'init': {
        const { homeDir, execPath, agentBin, currentUser } = deps.launchd.context;
        return await runInit(cmd.options, {
          system: deps.hostSystem(deps.env, deps.clock),
          fs: deps.initFs,
          facts: { home: homeDir, hostname: deps.hostname, user: currentUser, uid: deps.uid, node: execPath, agentBin },
          stdout: deps.stdout,
          doctor: (configFile, env) => doctor({ ...deps, env: { ...deps.env, ...env } }, configFile, false, undefined),
        });
      }
    }
  } catch (error: unknown) {
    if (error instanceof InitError) {
      deps.stderr(`${error.message}\n`);
      return 1;
    }
    if (error instanceof UsageError) {
      deps.stderr(`${error.message}\nRun 'tartfleet-agent --help' for usage.\n`);
      return error.exitCode;
    }
    if (error instanceof InsecureListenError) {
      deps.stderr(`tartfleet-agent serve: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof ConfigError) {
      deps.stderr(`${error.message}\n`);
      return 78;
    }
    deps.stderr(`tartfleet-agent: ${errorMessage(error)}\n`);
    return 1;
  }
}
