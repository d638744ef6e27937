/**
 * Environment variables that override the config file (documented in host-agent/README.md). Secrets
 * come only from here: from the variable itself or, better under launchd, from a file it names.
 */

/** Where each overridable setting lives in the config, and how to read it. */
export interface EnvOverride {
  env: string;
  path: readonly string[];
  kind: 'string' | 'int' | 'secret';
}

export const ENV_OVERRIDES: readonly EnvOverride[] = [
  { env: 'TARTFLEET_AGENT_ID', path: ['hostId'], kind: 'string' },
  { env: 'TARTFLEET_AGENT_HOST', path: ['listen', 'host'], kind: 'string' },
  { env: 'TARTFLEET_AGENT_PORT', path: ['listen', 'port'], kind: 'int' },
  { env: 'TARTFLEET_AGENT_TLS_CERT', path: ['listen', 'tls', 'certFile'], kind: 'string' },
  { env: 'TARTFLEET_AGENT_TLS_KEY', path: ['listen', 'tls', 'keyFile'], kind: 'string' },
  { env: 'TARTFLEET_AGENT_STATE_DIR', path: ['stateDir'], kind: 'string' },
  { env: 'TARTFLEET_AGENT_MAX_VMS', path: ['maxVms'], kind: 'int' },
  { env: 'TARTFLEET_AGENT_DRAIN_TIMEOUT_MS', path: ['drainTimeoutMs'], kind: 'int' },
  { env: 'TART_BIN', path: ['tart', 'bin'], kind: 'string' },
  { env: 'TART_HOME', path: ['tart', 'home'], kind: 'string' },
  { env: 'TARTFLEET_SSH_USER', path: ['ssh', 'user'], kind: 'string' },
  { env: 'TARTFLEET_SSH_PASSWORD', path: ['ssh', 'password'], kind: 'secret' },
  { env: 'TARTFLEET_SSH_KEY_FILE', path: ['ssh', 'privateKeyFile'], kind: 'string' },
];

/** The agent's HMAC secrets: current first (signs and verifies), previous second (verifies only,
 * during a rotation). Each may be given directly or as `<NAME>_FILE` pointing at a file. */
export const SECRET_ENV = ['TARTFLEET_AGENT_SECRET', 'TARTFLEET_AGENT_SECRET_PREVIOUS'] as const;

/** The admin scope's HMAC secrets (images, pools, drain, resume; core/agent-api/scopes.ts), same
 * rules. Held by fleet admins only, never by the workflows that start runners. */
export const ADMIN_SECRET_ENV = ['TARTFLEET_AGENT_ADMIN_SECRET', 'TARTFLEET_AGENT_ADMIN_SECRET_PREVIOUS'] as const;

/** The config file path when `--config` is not given. */
export const CONFIG_FILE_ENV = 'TARTFLEET_AGENT_CONFIG';
