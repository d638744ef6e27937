import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { deadlinesSchema } from '../config/schema';
import { planLaunchd, type LaunchdContext } from './launchd-plist';
import type { InstallLaunchdArgs } from './parse-argv';

/** What `install-launchd` touches; injected so tests write into a temp dir. */
export interface InstallLaunchdDeps {
  context: Omit<LaunchdContext, 'drainTimeoutMs' | 'teardownMs' | 'configFile'>;
  stdout: (text: string) => void;
  readFile?: (file: string) => string;
  writeFile?: (file: string, text: string) => void;
  mkdir?: (dir: string) => void;
}

const DEFAULT_DRAIN_MS = 3600_000;

/** The drain and teardown timeouts from the config file, read leniently: install must not need the
 * agent's secrets, and `serve` validates the file properly at start. */
function timeoutsFrom(configFile: string | undefined, read: (f: string) => string): { drainTimeoutMs: number; teardownMs: number } {
  const teardownDefault = deadlinesSchema.parse({}).teardownMs;
  if (configFile === undefined) return { drainTimeoutMs: DEFAULT_DRAIN_MS, teardownMs: teardownDefault };
  let raw: unknown;
  try {
    raw = parseYaml(read(configFile));
  } catch {
    return { drainTimeoutMs: DEFAULT_DRAIN_MS, teardownMs: teardownDefault };
  }
  const obj = (raw ?? {}) as { drainTimeoutMs?: unknown; deadlines?: { teardownMs?: unknown } };
  const drain = typeof obj.drainTimeoutMs === 'number' && obj.drainTimeoutMs > 0 ? obj.drainTimeoutMs : DEFAULT_DRAIN_MS;
  const teardown = typeof obj.deadlines?.teardownMs === 'number' && obj.deadlines.teardownMs > 0 ? obj.deadlines.teardownMs : teardownDefault;
  return { drainTimeoutMs: drain, teardownMs: teardown };
}

/** `install-launchd`: print (`--dry-run`) or write the plist and say how to load it. Returns the exit code. */
export function runInstallLaunchd(configFile: string | undefined, args: InstallLaunchdArgs, deps: InstallLaunchdDeps): number {
  const read = deps.readFile ?? ((f: string) => readFileSync(f, 'utf8'));
  const write = deps.writeFile ?? ((f: string, t: string) => writeFileSync(f, t, { mode: 0o644 }));
  const mkdir = deps.mkdir ?? ((d: string) => mkdirSync(d, { recursive: true }));
  const config = configFile === undefined ? undefined : path.resolve(configFile);
  const plan = planLaunchd(args, { ...deps.context, configFile: config, ...timeoutsFrom(config, read) });
  if (args.dryRun) {
    deps.stdout(plan.xml);
    return 0;
  }
  mkdir(path.dirname(plan.plistPath));
  mkdir(plan.logDir);
  write(plan.plistPath, plan.xml);
  const secretHint = args.keychainService !== undefined
    ? `the secret is read from the keychain item '${args.keychainService}' (security add-generic-password -s ${args.keychainService} -a tartfleet -w)`
    : 'put the agent secret in the TARTFLEET_AGENT_SECRET_FILE named in the plist (chmod 600; e.g. openssl rand -hex 32)';
  deps.stdout(`wrote ${plan.plistPath} (${plan.scope === 'agent' ? 'user LaunchAgent' : 'LaunchDaemon'} ${plan.label}); logs in ${plan.logDir}\n`);
  deps.stdout(`before loading it, ${secretHint}\nload it with: ${plan.loadCommand}\n`);
  return 0;
}
