/**
 * The launchd job for the agent: a user LaunchAgent (the default: tart needs the logged-in user's
 * session for macOS guests, so run it for the auto-login user) or a system LaunchDaemon with
 * `UserName`. The secret never goes into the plist: the agent reads it from a file
 * (TARTFLEET_AGENT_SECRET_FILE, mode 600) or a tiny sh wrapper fetches it from the keychain into the
 * agent's environment, so it appears in neither the plist nor any argv.
 */
import path from 'node:path';
import type { InstallLaunchdArgs } from './parse-argv';
import { toPlistXml, type PlistValue } from './plist-xml';

export const DEFAULT_LABEL = 'dev.tartfleet.agent';
/** Homebrew (Apple Silicon and Intel) first, so `tart` and `node` from brew are found. */
const LAUNCHD_PATH = '/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin';

/** Everything the plist depends on, with defaults already applied. */
export interface LaunchdPlan {
  scope: 'agent' | 'daemon';
  label: string;
  /** Where the plist goes (~/Library/LaunchAgents or /Library/LaunchDaemons unless --out). */
  plistPath: string;
  logDir: string;
  /** The XML. */
  xml: string;
  /** The command that loads it. */
  loadCommand: string;
}

export interface LaunchdContext {
  /** The installing user's home (the agent's HOME). */
  homeDir: string;
  /** Absolute node binary (default: the one running this command). */
  execPath: string;
  /** Absolute path of the agent bundle or bin script. */
  agentBin: string;
  /** The config file, absolute, if any. */
  configFile: string | undefined;
  /** From the config file when readable, else the schema default. */
  drainTimeoutMs: number;
  teardownMs: number;
  /** For `--daemon` without `--user`. */
  currentUser: string;
}

/** Build the launchd plan from the command-line options. Pure: writes nothing. */
export function planLaunchd(args: InstallLaunchdArgs, ctx: LaunchdContext): LaunchdPlan {
  const scope = args.daemon ? 'daemon' : 'agent';
  const label = args.label ?? DEFAULT_LABEL;
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(label)) throw new Error(`--label must be a reverse-DNS name like ${DEFAULT_LABEL}, got '${label}'`);
  const user = args.user ?? ctx.currentUser;
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(user)) throw new Error(`--user must be a macOS short user name, got '${user}'`);
  const home = scope === 'daemon' && args.user !== undefined ? `/Users/${user}` : ctx.homeDir;
  const plistPath = args.out ?? (scope === 'agent' ? path.join(home, 'Library/LaunchAgents', `${label}.plist`) : `/Library/LaunchDaemons/${label}.plist`);
  const logDir = args.logDir ?? (scope === 'agent' ? path.join(home, 'Library/Logs/tartfleet') : '/Library/Logs/tartfleet');
  const node = args.node ?? ctx.execPath;
  const agentBin = path.resolve(args.agentBin ?? ctx.agentBin);
  const serveArgs = ['serve', ...(ctx.configFile === undefined ? [] : ['--config', ctx.configFile]), ...(args.insecureHttp === true ? ['--insecure-http'] : [])];

  const stdoutPath = path.join(logDir, 'agent.log');
  const stderrPath = path.join(logDir, 'agent.err.log');
  // launchd never rotates these: the agent caps them itself (host-agent/src/log/log-file-cap.ts).
  const env: Record<string, string> = { PATH: LAUNCHD_PATH, HOME: home, NODE_ENV: 'production', TARTFLEET_AGENT_LOG_FILES: `${stdoutPath}:${stderrPath}` };
  let programArguments: string[];
  if (args.keychainService !== undefined) {
    // $0.. positional parameters carry the values, so nothing is interpolated into the script.
    // The admin secret is optional: the item `<service>.admin`, when present.
    const script =
      'TARTFLEET_AGENT_SECRET="$(/usr/bin/security find-generic-password -s "$0" -w)" || exit 78; export TARTFLEET_AGENT_SECRET; ' +
      'if a="$(/usr/bin/security find-generic-password -s "$0.admin" -w 2>/dev/null)"; then TARTFLEET_AGENT_ADMIN_SECRET="$a"; export TARTFLEET_AGENT_ADMIN_SECRET; fi; unset a; exec "$@"';
    programArguments = ['/bin/sh', '-c', script, args.keychainService, node, agentBin, ...serveArgs];
  } else {
    env.TARTFLEET_AGENT_SECRET_FILE = args.secretFile ?? (scope === 'agent' ? path.join(home, '.config/tartfleet/agent-secret') : '/usr/local/etc/tartfleet/agent-secret');
    if (args.adminSecretFile !== undefined) env.TARTFLEET_AGENT_ADMIN_SECRET_FILE = args.adminSecretFile;
    programArguments = [node, agentBin, ...serveArgs];
  }

  const job: Record<string, PlistValue> = {
    Label: label,
    ProgramArguments: programArguments,
    RunAtLoad: true,
    KeepAlive: true,
    // launchd SIGKILLs after ExitTimeOut (default 20 s); SIGTERM starts a drain that may take
    // drainTimeoutMs plus one teardown, so give it that long.
    ExitTimeOut: Math.ceil(ctx.drainTimeoutMs / 1000) + Math.ceil(ctx.teardownMs / 1000) + 30,
    ThrottleInterval: 10,
    ProcessType: 'Interactive',
    WorkingDirectory: home,
    StandardOutPath: stdoutPath,
    StandardErrorPath: stderrPath,
    EnvironmentVariables: env,
    SoftResourceLimits: { NumberOfFiles: 8192 },
  };
  if (scope === 'daemon') job.UserName = user;

  const loadCommand = scope === 'agent' ? `launchctl bootstrap gui/$(id -u) ${plistPath}` : `sudo launchctl bootstrap system ${plistPath}`;
  return { scope, label, plistPath, logDir, xml: toPlistXml(job), loadCommand };
}
