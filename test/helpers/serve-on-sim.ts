/**
 * `tartfleet-agent serve` in this process on a simulated host (sim-env): the config written to a
 * file, a debug-level logger collecting its lines, and a signed client once it listens.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createAgentClient, type AgentClient, type AgentImageClient } from '../../core/agent-api/client';
import { runCli } from '../../host-agent/src/cli/run-cli';
import { createLogger } from '../../host-agent/src/log/create-logger';
import type { AgentConfig } from '../../host-agent/src/config/schema';
import { cliDeps } from './cli-helpers';
import type { SimEnv } from './sim-env';

export interface ServingAgent {
  url: string;
  client: AgentClient & AgentImageClient;
  /** Every log line so far. */
  logs(): string;
  /** Asks serve to stop, as a signal would; resolves with its exit code. */
  stop(signal?: string): Promise<number>;
}

/** Starts serve with `config` (its secrets replaced by `secret` from the environment). */
export async function serveOnSim(env: SimEnv, config: AgentConfig, secret: string): Promise<ServingAgent> {
  // Secrets come from the environment only, never from the config file.
  const { secrets: _secrets, adminSecrets: _adminSecrets, ...rest } = config;
  const configFile = path.join(env.root, 'agent.json');
  writeFileSync(configFile, JSON.stringify({ ...rest, listen: { host: '127.0.0.1', port: 0 } }));
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  let onUrl: (u: string) => void = () => {};
  const listening = new Promise<string>((r) => (onUrl = r));
  let requestStop: (signal: string) => void = () => {};
  const run = cliDeps(
    { TARTFLEET_AGENT_SECRET: secret },
    { createLogger: (base) => createLogger({ base, level: 'debug', destination }), stopRequested: () => new Promise<string>((r) => (requestStop = r)), onListening: onUrl },
  );
  const exit = runCli(['serve', '--config', configFile], run.deps);
  const url = await Promise.race([listening, exit.then((code) => Promise.reject(new Error(`serve exited ${code}: ${run.stderr()}`)))]);
  return {
    url,
    client: createAgentClient({ baseUrl: url, secret, timeoutMs: 30_000 }),
    logs: () => lines.join(''),
    stop(signal = 'SIGTERM') {
      requestStop(signal);
      return exit;
    },
  };
}
