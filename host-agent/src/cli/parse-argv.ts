/**
 * `tartfleet-agent` argument parsing: one subcommand plus `--name value` / `--name=value` options
 * (parse-options.ts). Unknown options are errors (exit 64, EX_USAGE) rather than silently ignored.
 */
import { parseOptions, UsageError, type OptionSpec } from './parse-options';

export { UsageError } from './parse-options';

export type CliCommand =
  | { command: 'help' }
  | { command: 'version' }
  | { command: 'serve'; configFile: string | undefined; insecureHttp: boolean }
  | { command: 'doctor'; configFile: string | undefined; json: boolean }
  | { command: 'install-launchd'; configFile: string | undefined; options: InstallLaunchdArgs };

/** Options of `install-launchd` as given on the command line (defaults are applied later). */
export interface InstallLaunchdArgs {
  daemon: boolean;
  dryRun: boolean;
  label?: string;
  out?: string;
  logDir?: string;
  user?: string;
  node?: string;
  agentBin?: string;
  secretFile?: string;
  /** TARTFLEET_AGENT_ADMIN_SECRET_FILE for the job (file mode). */
  adminSecretFile?: string;
  keychainService?: string;
  /** The job runs `serve --insecure-http`. */
  insecureHttp?: boolean;
}

const SPECS = {
  serve: { values: ['config'], flags: ['insecure-http'] },
  doctor: { values: ['config'], flags: ['json'] },
  'install-launchd': {
    values: ['config', 'label', 'out', 'log-dir', 'user', 'node', 'agent-bin', 'secret-file', 'admin-secret-file', 'keychain-service'],
    flags: ['daemon', 'agent', 'dry-run', 'insecure-http'],
  },
} as const satisfies Record<string, OptionSpec>;
type Sub = keyof typeof SPECS;

/** Parse `argv` (without node and script). */
export function parseArgv(argv: readonly string[]): CliCommand {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') return { command: 'help' };
  if (first === '--version' || first === '-v' || first === 'version') return { command: 'version' };
  if (!(first in SPECS)) throw new UsageError(`tartfleet-agent: unknown command '${first}'; expected serve, doctor, install-launchd, cache-config, --help or --version`);
  const sub = first as Sub;
  if (rest.includes('--help') || rest.includes('-h')) return { command: 'help' };
  const { values, flags } = parseOptions(`tartfleet-agent ${sub}`, SPECS[sub], rest);
  const configFile = values.get('config');
  if (sub === 'serve') return { command: 'serve', configFile, insecureHttp: flags.has('insecure-http') };
  if (sub === 'doctor') return { command: 'doctor', configFile, json: flags.has('json') };
  if (flags.has('daemon') && flags.has('agent')) throw new UsageError('tartfleet-agent install-launchd: choose one of --agent (user LaunchAgent, the default) or --daemon');
  if ((values.has('secret-file') || values.has('admin-secret-file')) && values.has('keychain-service')) {
    throw new UsageError('tartfleet-agent install-launchd: choose one of --secret-file/--admin-secret-file or --keychain-service');
  }
  const options: InstallLaunchdArgs = { daemon: flags.has('daemon'), dryRun: flags.has('dry-run'), ...(flags.has('insecure-http') ? { insecureHttp: true } : {}) };
  const map: Array<[string, keyof InstallLaunchdArgs]> = [
    ['label', 'label'], ['out', 'out'], ['log-dir', 'logDir'], ['user', 'user'], ['node', 'node'], ['agent-bin', 'agentBin'], ['secret-file', 'secretFile'],
    ['admin-secret-file', 'adminSecretFile'], ['keychain-service', 'keychainService'],
  ];
  for (const [flag, key] of map) {
    const v = values.get(flag);
    if (v !== undefined) (options as unknown as Record<string, unknown>)[key] = v;
  }
  return { command: 'install-launchd', configFile, options };
}

export const HELP_TEXT = `tartfleet-agent — ephemeral macOS CI runners: the Tart VM host agent

Usage:
  tartfleet-agent serve [--config <file>] [--insecure-http]
      Run the agent's HTTP API (host-agent/README.md). SIGTERM drains: no new runners, running jobs finish up
      to drainTimeoutMs, the rest are torn down, exit 0. Plain HTTP (no listen.tls) on an address
      other than loopback is refused (exit 78) unless --insecure-http is given.
  tartfleet-agent doctor [--config <file>] [--json]
      Check this host: tart and its version, free disk under TART_HOME vs the base images, base
      images present, running VMs vs slots, SSH into a running VM. Exit 1 when a check fails.
  tartfleet-agent install-launchd [--config <file>] [--agent | --daemon] [--dry-run]
      [--label <label>] [--out <plist>] [--log-dir <dir>] [--user <name>] [--node <path>]
      [--agent-bin <path>] [--secret-file <path> [--admin-secret-file <path>] | --keychain-service <service>]
      [--insecure-http]
      Write a launchd plist (RunAtLoad, KeepAlive, logs, environment without secrets).
      With --keychain-service the admin secret is read from '<service>.admin' when that item exists.
      --dry-run prints it instead.
  tartfleet-agent cache-config [--config <file>]
      Print the nginx configuration of the host's pull-through mirror (the config's \`cache\`
      section, or the default mirror set).
  tartfleet-agent --help | --version

Configuration: a JSON or YAML file (--config or $TARTFLEET_AGENT_CONFIG) plus environment
overrides; secrets only from the environment (TARTFLEET_AGENT_SECRET[_FILE] and its _PREVIOUS).
See host-agent/README.md for every variable.
`;
