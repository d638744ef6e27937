/**
 * Load the agent config once: a JSON or YAML file, then environment overrides, then validation with
 * agentConfigSchema. Every problem (file, environment, schema, cross-field rules) is collected into
 * one ConfigError, so an operator fixes them in one go. The result is deep-frozen. Secrets are read
 * from the environment (or files it names) only and never appear in errors or in `toLog`.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { agentConfigSchema, MACOS_VM_LIMIT, type AgentConfig } from './schema';
import { ADMIN_SECRET_ENV, CONFIG_FILE_ENV, ENV_OVERRIDES, SECRET_ENV } from './env-overrides';
import { formatIssues } from './format-issues';
import { TartfleetError } from '../../../core/errors';
import { REDACTED, redact } from '../../../core/logger';

/** All problems found while loading, one per line in `message`. */
export class ConfigError extends TartfleetError {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super('config_invalid', `agent config has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export interface LoadConfigOptions {
  /** Config file; falls back to $TARTFLEET_AGENT_CONFIG. Optional: env alone can be enough. */
  file?: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Used for `hostId` when neither file nor env sets it. */
  hostname?: string;
  /** Injected for tests. */
  readFile?: (path: string) => string;
  /** `doctor` inspects a host without the agent secret; `serve` always requires it. Default true. */
  requireSecrets?: boolean;
}

type Json = Record<string, unknown>;

function setPath(target: Json, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Json;
  }
  node[path[path.length - 1] as string] = value;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function readConfigFile(file: string, read: (p: string) => string, problems: string[]): Json {
  let text: string;
  try {
    text = read(file);
  } catch (error: unknown) {
    const code = (error as { code?: string }).code;
    problems.push(`config file ${file}: cannot be read (${code ?? (error instanceof Error ? error.message : String(error))})`);
    return {};
  }
  let parsed: unknown;
  try {
    parsed = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error: unknown) {
    problems.push(`config file ${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    return {};
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    problems.push(`config file ${file}: expected a mapping of settings at the top level, got ${Array.isArray(parsed) ? 'a list' : typeof parsed}`);
    return {};
  }
  const raw = parsed as Json;
  for (const [key, env] of [['secrets', SECRET_ENV[0]], ['adminSecrets', ADMIN_SECRET_ENV[0]]] as const) {
    if (key in raw) {
      problems.push(`config file ${file}: '${key}' must not be in the config file; set ${env} or ${env}_FILE instead`);
      delete raw[key];
    }
  }
  return raw;
}

function readSecret(name: string, env: LoadConfigOptions['env'], read: (p: string) => string, problems: string[]): string | undefined {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (direct !== undefined && direct !== '' && file !== undefined && file !== '') {
    problems.push(`${name} and ${name}_FILE are both set; set only one`);
    return undefined;
  }
  if (file !== undefined && file !== '') {
    try {
      return read(file).trim();
    } catch (error: unknown) {
      problems.push(`${name}_FILE: cannot read ${file} (${(error as { code?: string }).code ?? 'error'})`);
      return undefined;
    }
  }
  return direct === '' ? undefined : direct;
}

/** A current secret and the previous one (rotation); the previous alone is a mistake. */
function readSecretPair(names: readonly [string, string], env: LoadConfigOptions['env'], read: (p: string) => string, problems: string[]): string[] {
  const [current, previous] = names.map((name) => readSecret(name, env, read, problems));
  if (current === undefined && previous !== undefined) problems.push(`${names[1]} is set but ${names[0]} is not; the current secret is required`);
  return [current, previous].filter((s): s is string => s !== undefined);
}

/** Turn a host name into a valid hostId (`mini-1.local` stays, odd characters become `-`). */
function hostIdFrom(hostname: string): string {
  return hostname.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 63) || 'tartfleet-host';
}

/** Load, override, validate and freeze. Throws ConfigError listing every problem. */
export function loadConfig(options: LoadConfigOptions): Readonly<AgentConfig> {
  const read = options.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const problems: string[] = [];
  const file = options.file ?? (options.env[CONFIG_FILE_ENV] || undefined);
  const raw: Json = file === undefined ? {} : readConfigFile(file, read, problems);
  const fromEnv = new Map<string, string>();

  for (const o of ENV_OVERRIDES) {
    const value = options.env[o.env];
    if (value === undefined || value === '') continue;
    if (o.kind === 'int') {
      if (!/^\d+$/.test(value.trim())) {
        problems.push(`${o.env}: expected a whole number, got '${value}'`);
        continue;
      }
      setPath(raw, o.path, Number(value.trim()));
    } else {
      setPath(raw, o.path, value);
    }
    fromEnv.set(o.path.join('.'), o.env);
  }
  raw.secrets = readSecretPair(SECRET_ENV, options.env, read, problems);
  raw.adminSecrets = readSecretPair(ADMIN_SECRET_ENV, options.env, read, problems);
  const shared = (raw.adminSecrets as string[]).some((s) => (raw.secrets as string[]).includes(s));
  if (shared) problems.push(`${ADMIN_SECRET_ENV[0]}: must differ from ${SECRET_ENV[0]} and its _PREVIOUS; one secret for both scopes would let every workflow switch images and drain hosts`);
  const requireSecrets = options.requireSecrets ?? true;
  if (requireSecrets && (raw.secrets as string[]).length === 0 && !problems.some((p) => p.startsWith(SECRET_ENV[0]))) {
    problems.push(`secrets: set ${SECRET_ENV[0]} (or ${SECRET_ENV[0]}_FILE) to a random string of at least 32 characters, e.g. from 'openssl rand -hex 32'`);
  }
  if (raw.hostId === undefined && options.hostname !== undefined) raw.hostId = hostIdFrom(options.hostname);

  const schema = requireSecrets ? agentConfigSchema : agentConfigSchema.extend({ secrets: z.array(z.string().min(32, 'agent secrets must be at least 32 characters')).max(2) });
  const parsed = schema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    const label = (path: string) => {
      const envName = fromEnv.get(path);
      if (path.startsWith('secrets')) return `${path} (${SECRET_ENV.join(' / ')})`;
      if (path.startsWith('adminSecrets')) return `${path} (${ADMIN_SECRET_ENV.join(' / ')})`;
      return envName === undefined ? path : `${path} (from ${envName})`;
    };
    const secretsProblemReported = problems.some((p) => p.startsWith('secrets:'));
    for (const line of formatIssues('', parsed.error, label)) {
      if (secretsProblemReported && line.startsWith('secrets (')) continue;
      problems.push(line);
    }
  } else {
    const config = parsed.data;
    if (config.pools.some((p) => p.os === 'darwin') && config.maxVms > MACOS_VM_LIMIT) {
      problems.push(`maxVms: at most ${MACOS_VM_LIMIT} when a pool runs macOS (Apple's licence, enforced by Virtualization.framework), got ${config.maxVms}`);
    }
    if (config.ssh.hostKeyPolicy === 'pinned' && config.ssh.hostKeyFingerprint === undefined) {
      problems.push(
        "ssh.hostKeyFingerprint: required when ssh.hostKeyPolicy is 'pinned' (the default): the SHA256:… of the image's host key, its metadata's sshHostKeyFingerprint; ssh.hostKeyPolicy 'accept-new' trusts any key and is for development only",
      );
    }
    for (const [i, p] of config.pools.entries()) {
      if (p.spareClones > config.maxVms) problems.push(`pools[${i}].spareClones: at most the host's ${config.maxVms} slot(s) (maxVms): no more runners can take one at once; got ${p.spareClones}`);
    }
    const warmTotal = config.pools.reduce((sum, p) => sum + p.warm, 0);
    if (warmTotal > config.maxVms) {
      problems.push(`pools[].warm: the warm baselines add up to ${warmTotal}, more than the host's ${config.maxVms} slot(s) (maxVms)`);
    }
    const names = config.pools.map((p) => p.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined) problems.push(`pools: pool names must be unique, '${dup}' appears more than once`);
    if (problems.length === 0) return deepFreeze(config);
  }
  throw new ConfigError(problems);
}

/** A copy safe to log: secrets and passwords replaced, the number of secrets kept (rotation state). */
export function toLog(config: Readonly<AgentConfig>): Record<string, unknown> {
  const copy = redact(config) as Record<string, unknown>;
  copy.secrets = config.secrets.map(() => REDACTED);
  copy.adminSecrets = config.adminSecrets.map(() => REDACTED);
  return copy;
}
