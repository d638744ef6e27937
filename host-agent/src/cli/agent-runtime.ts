/**
 * The real collaborators of `serve` and `doctor`, built from the loaded config. Kept in one place so
 * main.ts only wires and tests can hand `runCli` fakes instead.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import type { AgentConfig } from '../config/schema';
import { createFileJournal } from '../journal/journal';
import { createRunnerService } from '../lifecycle/runner-service';
import { createMetrics, type AgentMetrics } from '../metrics/create-metrics';
import type { RunnerService } from '../service';
import { createSsh2RemoteShell } from '../ssh/remote-shell';
import type { RemoteShell } from '../ssh/remote-shell';
import { createTartCli, type TartCli } from '../tart/tart-cli';
import type { Clock } from '../util/clock';
import type { Logger } from '../util/logger';
import { AGENT_VERSION } from './version';

/** What `serve` runs on. */
export interface ServeRuntime {
  service: RunnerService;
  registry: Registry;
  metrics: AgentMetrics;
}

/** The tart driver for this config (TART_BIN / TART_HOME already folded in by the loader). */
export function createTartForConfig(config: Readonly<AgentConfig>, logger: Logger, clock: Clock): TartCli {
  return createTartCli({ bin: config.tart.bin, ...(config.tart.home === undefined ? {} : { home: config.tart.home }), logger, clock });
}

/** The SSH client used for guests. */
export function createShell(logger: Logger, clock: Clock): RemoteShell {
  return createSsh2RemoteShell({ logger, clock });
}

/** TART_HOME as tart resolves it: the configured one, else ~/.tart. */
export function effectiveTartHome(config: Readonly<AgentConfig>): string {
  return config.tart.home ?? path.join(os.homedir(), '.tart');
}

/** Registry, metrics and the runner service for `serve`. */
export function buildServeRuntime(config: Readonly<AgentConfig>, logger: Logger, clock: Clock): ServeRuntime {
  const registry = new Registry();
  const metrics = createMetrics(registry, { hostId: config.hostId });
  const service = buildRunnerService({ config, logger, clock, observer: metrics.observer, tart: createTartForConfig(config, logger, clock), shell: createShell(logger, clock) });
  return { service, registry, metrics };
}

interface RunnerServiceInputs {
  config: Readonly<AgentConfig>;
  logger: Logger;
  clock: Clock;
  observer: AgentMetrics['observer'];
  tart: TartCli;
  shell: RemoteShell;
}

/** The lifecycle's RunnerService over the on-disk journal in `stateDir`. */
function buildRunnerService(inputs: RunnerServiceInputs): RunnerService {
  const { config, logger } = inputs;
  return createRunnerService({
    config,
    tart: inputs.tart,
    shell: inputs.shell,
    journal: createFileJournal({ stateDir: config.stateDir, logger }),
    observer: inputs.observer,
    logger,
    version: AGENT_VERSION,
    clock: inputs.clock,
    ...(config.ssh.privateKeyFile === undefined ? {} : { sshPrivateKey: readFileSync(config.ssh.privateKeyFile, 'utf8') }),
  });
}
