/**
 * `tartfleet-agent init`: one command on a fresh Mac mini. Checks the prerequisites (nothing is
 * written when one is missing), then applies init-plan.ts idempotently: files that exist and match
 * stay, the config and the secrets are never replaced, launchd jobs are (re)loaded only when their
 * plist changed or they are not loaded. Ends with `doctor`. `--dry-run` prints every file and command
 * and touches nothing. The secret is generated here and written only to its 0600 file or, through
 * `security -i`'s stdin, to the Keychain: never to an argv or the output.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { TartfleetError } from '../../../core/errors';
import type { HostSystem } from './host-system';
import { KEYCHAIN_SERVICE, planInit, type InitArgs, type InitFacts, type InitPlan } from './init-plan';
import { initNextSteps } from './init-next-steps';
import { compareVersions, TESTED_TART_VERSION } from './doctor-checks';
import { checkMacos, checkSoftnet } from './host-checks';

export class InitError extends TartfleetError {
  override readonly name = 'InitError';
  constructor(message: string) {
    super('init', message);
  }
}

/** The files init reads and writes (the real filesystem; tests point `home` at a temp folder). */
export interface InitFs {
  exists(file: string): boolean;
  read(file: string): string;
  write(file: string, text: string, mode: number): void;
  mkdir(dir: string, mode: number): void;
}

export interface InitDeps {
  system: HostSystem;
  fs: InitFs;
  facts: Omit<InitFacts, 'nginx'>;
  stdout: (text: string) => void;
  /** Runs doctor on the written config; resolves with its exit code. */
  doctor: (configFile: string, env: Record<string, string>) => Promise<number>;
}

/** Every missing prerequisite at once, or warnings for what only some setups need. */
async function prerequisites(args: InitArgs, deps: InitDeps): Promise<{ warnings: string[]; nginx?: string }> {
  const { system } = deps;
  const missing: string[] = [];
  const warnings: string[] = [];
  // The same checks doctor runs, so init and doctor never disagree.
  const macos = await checkMacos(system);
  if (macos.status === 'fail') missing.push(`${macos.detail}${macos.fix === undefined ? '' : `: ${macos.fix}`}`);
  const tart = await system.run('tart', ['--version']);
  if (tart === undefined || tart.exitCode !== 0) missing.push('tart: brew install cirruslabs/cli/tart');
  else if (compareVersions(tart.stdout.trim(), TESTED_TART_VERSION) < 0) warnings.push(`tart ${tart.stdout.trim()} is older than ${TESTED_TART_VERSION}: brew upgrade cirruslabs/cli/tart`);
  if (system.which('ssh-keygen') === undefined) missing.push('ssh-keygen (OpenSSH): it ships with macOS');
  if (system.which('launchctl') === undefined) missing.push('launchctl: tartfleet-agent init runs on macOS');
  if (args.secretStore === 'keychain' && system.which('security') === undefined) missing.push('security (the Keychain tool), or use --secret-store file');
  const nginx = args.cache ? system.which('nginx') : undefined;
  if (args.cache && nginx === undefined) missing.push('nginx for the cache mirror: brew install nginx (or run init --no-cache)');
  const softnet = checkSoftnet(system);
  if (softnet.status === 'fail') warnings.push(`${softnet.detail}: ${softnet.fix ?? ''}`);
  if (missing.length > 0) throw new InitError(`tartfleet-agent init: missing prerequisites, nothing was written:\n${missing.map((m) => `  - ${m}`).join('\n')}`);
  return { warnings, ...(nginx === undefined ? {} : { nginx }) };
}

function printDryRun(plan: InitPlan, args: InitArgs, deps: InitDeps): void {
  const out = deps.stdout;
  out('tartfleet-agent init --dry-run: nothing is written or run.\n');
  for (const f of plan.files) out(`=== file ${f.path} (mode ${f.mode.toString(8)}${f.keepExisting ? ', kept if it exists' : ''}) ===\n${f.text}${f.text.endsWith('\n') ? '' : '\n'}=== end ===\n`);
  if (plan.secretFile !== undefined) out(`=== secret ${plan.secretFile} (mode 600, kept if it exists): 32 random bytes as hex ===\n`);
  if (plan.adminSecretFile !== undefined) out(`=== admin secret ${plan.adminSecretFile} (mode 600, kept if it exists): 32 random bytes as hex ===\n`);
  else out(`$ security -i   # stdin: add-generic-password -U -s ${KEYCHAIN_SERVICE} -a tartfleet -w <32 random bytes as hex>\n`);
  out(`$ mkdir -p ${plan.dirs.join(' ')}\n`);
  out(`$ ssh-keygen -q -t ed25519 -N '' -C tartfleet-${plan.hostId} -f ${plan.keyFile}   # unless it exists\n`);
  for (const [label, plist] of [[plan.agentLabel, plan.agentPlist], [plan.mirrorLabel, plan.mirrorPlist]] as const) {
    if (label !== undefined && plist !== undefined) out(`$ launchctl bootstrap gui/${deps.facts.uid} ${plist}   # bootout first when loaded and changed\n`);
  }
  out(`$ tartfleet-agent doctor --config ${plan.configFile}\n`);
  out(`(/etc/pf.conf is never edited: the next steps print the lines to add${plan.pfAnchor.installed ? '' : ' and the sudo commands that install the anchor'})\n`);
  if (!args.cache) out('(cache mirror off: --no-cache)\n');
}

/** Applies the plan; returns the lines saying what changed (empty: nothing did). */
async function apply(plan: InitPlan, deps: InitDeps): Promise<string[]> {
  const { fs, system } = deps;
  const changed: string[] = [];
  fs.mkdir(path.dirname(plan.configFile), 0o700);
  // The runner secret and the admin secret: one each, never replaced once they exist.
  for (const [what, file, service] of [
    ['agent secret', plan.secretFile, KEYCHAIN_SERVICE],
    ['admin secret', plan.adminSecretFile, `${KEYCHAIN_SERVICE}.admin`],
  ] as const) {
    if (plan.secretFile !== undefined && file !== undefined && !fs.exists(file)) {
      fs.write(file, `${randomBytes(32).toString('hex')}\n`, 0o600);
      changed.push(`generated the ${what} in ${file} (mode 600)`);
    } else if (plan.secretFile === undefined && (await system.run('security', ['find-generic-password', '-s', service]))?.exitCode !== 0) {
      const r = await system.run('security', ['-i'], { input: `add-generic-password -U -s ${service} -a tartfleet -w ${randomBytes(32).toString('hex')}\n` });
      if (r?.exitCode !== 0) throw new InitError(`storing the ${what} in the Keychain failed (security exited ${r?.exitCode}): ${r?.stderr.trim().slice(0, 200)}`);
      changed.push(`generated the ${what} in the login Keychain (service ${service})`);
    }
  }
  if (!fs.exists(plan.keyFile)) {
    const r = await system.run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `tartfleet-${plan.hostId}`, '-f', plan.keyFile]);
    if (r?.exitCode !== 0) throw new InitError(`ssh-keygen failed (exit ${r?.exitCode}): ${r?.stderr.trim().slice(0, 200)}`);
    changed.push(`generated the SSH key pair ${plan.keyFile}{,.pub}`);
  }
  const rewritten = new Set<string>();
  for (const f of plan.files) {
    if (fs.exists(f.path) && (f.keepExisting || fs.read(f.path) === f.text)) continue;
    fs.mkdir(path.dirname(f.path), 0o755);
    fs.write(f.path, f.text, f.mode);
    rewritten.add(f.path);
    changed.push(`wrote ${f.path}`);
  }
  for (const dir of plan.dirs) {
    if (fs.exists(dir)) continue;
    fs.mkdir(dir, 0o755);
    changed.push(`created ${dir}`);
  }
  for (const [label, plist] of [[plan.agentLabel, plan.agentPlist], [plan.mirrorLabel, plan.mirrorPlist]] as const) {
    if (label === undefined || plist === undefined) continue;
    const target = `gui/${deps.facts.uid}`;
    const loaded = (await system.run('launchctl', ['print', `${target}/${label}`]))?.exitCode === 0;
    if (loaded && !rewritten.has(plist)) continue;
    if (loaded) await system.run('launchctl', ['bootout', `${target}/${label}`]);
    const r = await system.run('launchctl', ['bootstrap', target, plist]);
    if (r?.exitCode !== 0) throw new InitError(`launchctl bootstrap ${target} ${plist} failed (exit ${r?.exitCode}): ${r?.stderr.trim().slice(0, 200)}`);
    changed.push(`${loaded ? 'reloaded' : 'loaded'} the launchd job ${label}`);
  }
  return changed;
}

/** `init`: resolves with the exit code (doctor's after a real run). */
export async function runInit(args: InitArgs, deps: InitDeps): Promise<number> {
  const { warnings, nginx } = await prerequisites(args, deps);
  const plan = planInit(args, { ...deps.facts, ...(nginx === undefined ? {} : { nginx }) });
  for (const w of warnings) deps.stdout(`warning: ${w}\n`);
  // An existing config wins (init keeps it): the next steps describe what is really configured.
  const existing = deps.fs.exists(plan.configFile) ? (parseYaml(deps.fs.read(plan.configFile)) as { pools?: Array<{ name: string; labels: string[]; image: string }> } | null) : null;
  const planned = (parseYaml(plan.files[0]!.text) as { pools: Array<{ name: string; labels: string[]; image: string }> }).pools[0]!;
  const pool = existing?.pools?.[0] ?? planned;
  if (args.dryRun) {
    printDryRun(plan, args, deps);
    deps.stdout(initNextSteps(plan, pool));
    return 0;
  }
  const changed = await apply(plan, deps);
  deps.stdout(changed.length === 0 ? 'init: nothing to change; this host was already set up.\n' : `${changed.map((c) => `init: ${c}`).join('\n')}\n`);
  deps.stdout(`\nRunning tartfleet-agent doctor --config ${plan.configFile}\n`);
  const code = await deps.doctor(plan.configFile, plan.secretFile === undefined ? {} : { TARTFLEET_AGENT_SECRET_FILE: plan.secretFile, ...(plan.adminSecretFile ? { TARTFLEET_AGENT_ADMIN_SECRET_FILE: plan.adminSecretFile } : {}) });
  deps.stdout(initNextSteps(plan, pool));
  return code;
}
