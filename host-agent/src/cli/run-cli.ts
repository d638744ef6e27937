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
import { runServe } from './serve';
import { logFilesFromEnv } from '../log/log-file-cap';
import { sshConfigWarnings } from '../ssh/guest-connect-options';
import { runCacheConfigCommand } from '../cache/run-cache-config-command';
import { AGENT_VERSION } from './version';

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
  /** Tests learn serve's URL here. */
  onListening?: (url: string) => void;
}

function load(deps: CliDeps, configFile: string | undefined, requireSecrets: boolean): Readonly<AgentConfig> {
  return loadConfig({ file: configFile, env: deps.env, hostname: deps.hostname, requireSecrets, readFile: (p) => deps.readFile(p).toString('utf8') });
}

async function doctor(deps: CliDeps, configFile: string | undefined, json: boolean): Promise<number> {
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
  const configCheck: CheckResult =
    config.secrets.length === 0
      ? { name: 'config', status: 'warn', detail: `${configFile ?? 'environment'}: valid, but TARTFLEET_AGENT_SECRET is not set; serve will refuse to start` }
      : { name: 'config', status: 'ok', detail: `${configFile ?? 'environment'}: valid; host ${config.hostId}, ${config.pools.length} pool(s), ${config.maxVms} slot(s)` };
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
    })),
  ];
  deps.stdout(json ? renderDoctorJson(results) : renderDoctorTable(results));
  return doctorExitCode(results);
}

async function serve(deps: CliDeps, configFile: string | undefined): Promise<number> {
  const config = load(deps, configFile, true);
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
        return await doctor(deps, cmd.configFile, cmd.json);
      case 'install-launchd':
        return runInstallLaunchd(cmd.configFile, cmd.options, { ...deps.launchd, stdout: deps.stdout });
      case 'serve':
        return await serve(deps, cmd.configFile);
    }
  } catch (error: unknown) {
    if (error instanceof UsageError) {
      deps.stderr(`${error.message}\nRun 'tartfleet-agent --help' for usage.\n`);
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
