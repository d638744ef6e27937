/**
 * `tartfleet-dispatcher serve --config FILE [--port N]`, `status --url URL`, `--help`, `--version`.
 * Returns an exit code; SIGTERM/SIGINT stop the server gracefully.
 */
import { homedir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createConsoleLogger } from '../../core/logger';
import { startNodeDispatcher } from './adapters/node';
import { redactConfig } from './config';
import { DispatcherError } from './errors';
import { errorMessage } from '../../core/errors';
import { loadConfigFile } from './load-config-file';
import { FLEET_TOKEN_ENV, runStatusCommand } from './status-command';

export const VERSION = '0.1.0';

const USAGE = `Usage: tartfleet-dispatcher serve --config FILE [--port N]
       tartfleet-dispatcher status --url URL [--json]   (token from ${FLEET_TOKEN_ENV})

The tartfleet control plane: receives workflow_job webhooks, mints JIT runners, places them on host
agents and reconciles against GitHub on a timer. Config is JSON or YAML; secrets may be written as
env:NAME. Logs are JSON on stdout. \`status\` prints what the dispatcher's /status page shows.`;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
  onSignal(handler: () => void): void;
  /** The `status` command's HTTP client (tests answer it in process). */
  fetch?: typeof fetch;
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === undefined) {
    io.out(USAGE);
    return command === undefined ? 64 : 0;
  }
  if (command === '--version') {
    io.out(VERSION);
    return 0;
  }
  if (command === 'status') return runStatusCommand(rest, io);
  if (command !== 'serve') {
    io.err(`tartfleet-dispatcher: unknown command '${command}', expected serve, status, --help or --version`);
    return 64;
  }
  let values: { config?: string | undefined; port?: string | undefined };
  try {
    values = parseArgs({ args: rest, options: { config: { type: 'string' }, port: { type: 'string' } }, strict: true, allowPositionals: false }).values;
  } catch (error: unknown) {
    io.err(`tartfleet-dispatcher serve: ${errorMessage(error)}; expected --config FILE [--port N]`);
    return 64;
  }
  const file = values.config;
  if (!file) {
    io.err('tartfleet-dispatcher serve: --config FILE is required');
    return 64;
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!/^\d+$/.test(values.port ?? '') || port > 65535)) {
    io.err(`tartfleet-dispatcher serve: --port must be an integer 0-65535, got '${values.port}'`);
    return 64;
  }
  let config;
  try {
    config = await loadConfigFile(file, io.env);
  } catch (error: unknown) {
    io.err(errorMessage(error));
    return 78;
  }
  if (port !== undefined) config = { ...config, listen: { ...config.listen, port } };
  // The one redaction policy (core/logger.ts), as on the serverless runtimes.
  const logger = createConsoleLogger({ component: 'dispatcher' }, (line) => io.out(line));
  logger.debug({ config: redactConfig(config) }, 'config loaded');
  const retryBase = io.env.TARTFLEET_GITHUB_RETRY_BASE_MS;
  let server;
  try {
    server = await startNodeDispatcher({
      config,
      logger,
      // systemd's StateDirectory= sets STATE_DIRECTORY (colon-separated when there are several).
      stateDir: io.env.STATE_DIRECTORY?.split(':')[0] || path.join(io.env.HOME || homedir(), '.local', 'state', 'tartfleet-dispatcher'),
      ...(retryBase && /^\d+$/.test(retryBase) ? { retryAfterBaseValue: Number(retryBase) } : {}),
    });
  } catch (error: unknown) {
    // Pending demand's file could not be opened (path, permissions, the SQLite module).
    if (!(error instanceof DispatcherError && error.code === 'config')) throw error;
    io.err(errorMessage(error));
    return 78;
  }
  logger.info({ url: server.url, pools: config.pools.map((p) => p.name), webhooks: config.webhook !== undefined }, 'listening');
  await new Promise<void>((resolve) => io.onSignal(resolve));
  logger.info({}, 'stopping');
  await server.close();
  return 0;
}
