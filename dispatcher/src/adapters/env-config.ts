/**
 * Serverless runtimes have no config file: the config is one JSON document in `TARTFLEET_CONFIG`,
 * and its `env:NAME` secrets resolve against the runtime's bindings (Workers secrets, Lambda env).
 */
import { parseConfig, type DispatcherConfig } from '../config';
import { DispatcherError } from '../errors';

export const CONFIG_BINDING = 'TARTFLEET_CONFIG';

export function configFromEnv(env: Record<string, unknown>): DispatcherConfig {
  const raw = env[CONFIG_BINDING];
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new DispatcherError('config', `${CONFIG_BINDING} must hold the dispatcher config as JSON, got ${raw === undefined ? 'nothing' : typeof raw}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    throw new DispatcherError('config', `${CONFIG_BINDING} is not valid JSON`);
  }
  const strings = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'));
  return parseConfig(doc, strings);
}
