/** Read a JSON or YAML config file and validate it (secrets may be `env:NAME`). */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { parseConfig, type DispatcherConfig } from './config';
import { errorMessage } from '../../core/errors';
import { DispatcherError } from './errors';

export async function loadConfigFile(file: string, env: Record<string, string | undefined>): Promise<DispatcherConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error: unknown) {
    throw new DispatcherError('config', `cannot read config file '${file}': ${errorMessage(error)}`);
  }
  let raw: unknown;
  try {
    raw = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (error: unknown) {
    throw new DispatcherError('config', `config file '${file}' is not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${errorMessage(error)}`);
  }
  return parseConfig(raw, env);
}
