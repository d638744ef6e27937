/**
 * `tartfleet-agent` argument parsing: one subcommand plus `--name value` / `--name=value` options
 * (parse-options.ts). Unknown options are errors (exit 64, EX_USAGE) rather than silently ignored.
 */
import { parseOptions, UsageError, type OptionSpec } from './parse-options';
import type { InitArgs } from './init-plan';
import { BRIDGE_INTERFACE_PATTERN } from '../net/pf-anchor';

export { UsageError } from './parse-options';

export type CliCommand =
  | { command: 'help' }
  | { command: 'version' }
  | { command: 'serve'; configFile: string | undefined; insecureHttp: boolean }
  | { command: 'doctor'; configFile: string | undefined; json: boolean; dispatcher?: string }
  | { command: 'install-launchd'; configFile: string | undefined; options: InstallLaunchdArgs }
  | { command: 'init'; options: InitArgs };

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
  doctor: { values: ['config', 'dispatcher'], flags: ['json'] },
  init: { values: ['host-id', 'pool', 'image', 'labels', 'listen', 'secret-store', 'host-key-fingerprint', 'bridge-interface'], flags: ['dry-run', 'no-cache'] },
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
  if (!(first in SPECS)) throw new UsageError(`tartfleet-agent: unknown command '${first}'; expected serve, doctor, init, install-launchd, cache-config, --help or --version`);
  const sub = first as Sub;
  if (rest.includes('--help') || rest.includes('-h')) return { command: 'help' };
  const { values, flags } = parseOptions(`tartfleet-agent ${sub}`, SPECS[sub], rest);
  const configFile = values.get('config');
  if (sub === 'serve') return { command: 'serve', configFile, insecureHttp: flags.has('insecure-http') };
  if (sub === 'init') return { command: 'init', options: initArgs(values, flags) };
  if (sub === 'doctor') {
    const dispatcher = values.get('dispatcher');
    if (dispatcher !== undefined && !/^https?:\/\/[^\s/]+/.test(dispatcher)) throw new UsageError(`tartfleet-agent doctor: --dispatcher must be the dispatcher's base URL (https://…), got '${dispatcher}'`);
    return { command: 'doctor', configFile, json: flags.has('json'), ...(dispatcher === undefined ? {} : { dispatcher }) };
  }
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

function initArgs(values: ReadonlyMap<string, string>, flags: ReadonlySet<string>): InitArgs {
  const store = values.get('secret-store') ?? 'file';
  if (store !== 'file' && store !== 'keychain') throw new UsageError(`tartfleet-agent init: --secret-store must be file or keychain, got '${store}'`);
  const options: InitArgs = { dryRun: flags.has('dry-run'), cache: !flags.has('no-cache'), secretStore: store };
  const hostId = values.get('host-id');
  if (hostId !== undefined) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(hostId)) throw new UsageError(`tartfleet-agent init: --host-id must be 1-63 letters, digits, '.', '_' or '-', got '${hostId}'`);
    options.hostId = hostId;
  }
  const pool = values.get('pool');
  if (pool !== undefined) {
    if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(pool)) throw new UsageError(`tartfleet-agent init: --pool must be lowercase letters, digits and '-', got '${pool}'`);
    options.pool = pool;
  }
  const image = values.get('image');
  if (image !== undefined) options.image = image;
  const fingerprint = values.get('host-key-fingerprint');
  if (fingerprint !== undefined) {
    if (!/^SHA256:[A-Za-z0-9+/]{43}=?$/.test(fingerprint)) throw new UsageError(`tartfleet-agent init: --host-key-fingerprint must be the image's SHA256:… host key fingerprint (its metadata's sshHostKeyFingerprint), got '${fingerprint}'`);
    options.hostKeyFingerprint = fingerprint;
  }
  const labels = values.get('labels');
  if (labels !== undefined) options.labels = labels.split(',').map((l) => l.trim()).filter(Boolean);
  const listen = values.get('listen');
  if (listen !== undefined) {
    if (!/^[^:\s]+:\d{1,5}$/.test(listen)) throw new UsageError(`tartfleet-agent init: --listen must be host:port like 0.0.0.0:8420, got '${listen}'`);
    options.listen = listen;
  }
  const bridge = values.get('bridge-interface');
  if (bridge !== undefined) {
    if (!BRIDGE_INTERFACE_PATTERN.test(bridge)) throw new UsageError(`tartfleet-agent init: --bridge-interface must be an interface name like bridge100 (lowercase letters and digits ending in a digit), got '${bridge}'`);
    options.bridgeInterface = bridge;
  }
  return options;
}

export const HELP_TEXT = `tartfleet-agent — ephemeral macOS CI runners: the Tart VM host agent

Usage:
  tartfleet-agent serve [--config <file>] [--insecure-http]
      Run the agent's HTTP API (host-agent/README.md). SIGTERM drains: no new runners, running jobs finish up
      to drainTimeoutMs, the rest are torn down, exit 0. Plain HTTP (no listen.tls) on an address
      other than loopback is refused (exit 78) unless --insecure-http is given.
  tartfleet-agent doctor [--config <file>] [--json] [--dispatcher <url>]
      Check this host, each check ok/warn/fail with its one-line fix: macOS and tart versions, the
      vmnet DHCP lease time, auto-login, sleep, Softnet SUID root, the pf anchor (host-firewall; pfctl
      needs sudo), free disk vs the images and the
      mirror's minFree, images present, slots, SSH, Local Network access and the runner's age in a
      running VM, the mirror, clock skew against the dispatcher (--dispatcher or
      $TARTFLEET_DISPATCHER_URL). Exit 1 when a check fails.
  tartfleet-agent install-launchd [--config <file>] [--agent | --daemon] [--dry-run]
      [--label <label>] [--out <plist>] [--log-dir <dir>] [--user <name>] [--node <path>]
      [--agent-bin <path>] [--secret-file <path> [--admin-secret-file <path>] | --keychain-service <service>]
      [--insecure-http]
      Write a launchd plist (RunAtLoad, KeepAlive, logs, environment without secrets).
      With --keychain-service the admin secret is read from '<service>.admin' when that item exists.
      --dry-run prints it instead.
  tartfleet-agent init [--dry-run] [--no-cache] [--secret-store file|keychain] [--host-id <id>]
      [--pool <name>] [--image <ref>] [--labels a,b] [--listen host:port] [--host-key-fingerprint SHA256:…]
      [--bridge-interface bridge100]
      Set up this Mac: check tart, macOS, OpenSSH, launchctl and nginx (for the cache mirror), write
      ~/.config/tartfleet/agent.yaml, generate the agent secret and the guest SSH key, install and
      load the agent's and the mirror's launchd jobs, write the pf anchor that closes the host's
      other ports to guests (/etc/pf.anchors/tartfleet as root, else a copy to sudo install), run
      doctor, and print what the dispatcher, GitHub and /etc/pf.conf need. A second run changes
      nothing. --dry-run prints every file and command instead.
  tartfleet-agent cache-config [--config <file>]
      Print the nginx configuration of the host's pull-through mirror (the config's \`cache\`
      section, or the default mirror set).
  tartfleet-agent --help | --version

Configuration: a JSON or YAML file (--config or $TARTFLEET_AGENT_CONFIG) plus environment
overrides; secrets only from the environment (TARTFLEET_AGENT_SECRET[_FILE] and its _PREVIOUS).
See host-agent/README.md for every variable.
`;
