/**
 * `tartfleet-agent init`'s plan, pure: from the options and what was detected on the Mac, every file
 * to write (config, launchd jobs, the mirror's nginx config, the pf anchor) and every command to run
 * (ssh-keygen, Keychain, launchctl). Nothing here touches the machine; run-init.ts applies the plan.
 */
import path from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { cacheConfigSchema } from '../cache/cache-config-schema';
import { renderNginxConfig } from '../cache/render-nginx-config';
import { DEFAULT_BRIDGE_INTERFACE, mirrorPortsOf, PF_ANCHOR_FILE, renderPfAnchor } from '../net/pf-anchor';
import { planLaunchd } from './launchd-plist';
import { toPlistXml } from './plist-xml';

export interface InitArgs {
  dryRun: boolean;
  cache: boolean;
  secretStore: 'file' | 'keychain';
  hostId?: string;
  pool?: string;
  image?: string;
  labels?: string[];
  listen?: string;
  /** The image's SSH host key (its metadata's sshHostKeyFingerprint), pinned in the config. */
  hostKeyFingerprint?: string;
  /** The vmnet bridge for the pf anchor (hostFirewall.bridgeInterface); unset: bridge100. */
  bridgeInterface?: string;
}

/** What init found on the machine. */
export interface InitFacts {
  home: string;
  hostname: string;
  user: string;
  uid: number;
  node: string;
  agentBin: string;
  /** Absolute nginx binary (only needed with the cache). */
  nginx?: string;
}

export interface PlannedFile {
  path: string;
  text: string;
  mode: number;
  /** Keep an existing file as it is (the operator may have edited it). */
  keepExisting: boolean;
}

export interface InitPlan {
  configFile: string;
  secretFile: string | undefined;
  /** The admin secret's file (file store); undefined with the Keychain. */
  adminSecretFile: string | undefined;
  keyFile: string;
  files: PlannedFile[];
  agentLabel: string;
  agentPlist: string;
  mirrorLabel: string | undefined;
  mirrorPlist: string | undefined;
  hostId: string;
  listen: { host: string; port: number };
  /** Folders that must exist before the jobs start (nginx creates its cache folder, not the parents). */
  dirs: string[];
  /** The pf anchor (also in `files`): /etc/pf.anchors/tartfleet when init runs as root; otherwise a
   * copy in the config folder that the next steps `sudo install` there. */
  pfAnchor: { file: string; installed: boolean };
}

export const KEYCHAIN_SERVICE = 'tartfleet-agent';
const MIRROR_LABEL = 'dev.tartfleet.mirror';

function hostIdFrom(hostname: string): string {
  const id = hostname.replace(/\.local$/, '').replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 63);
  return id === '' ? 'mac-mini' : id;
}

export function parseListen(value: string | undefined): { host: string; port: number } {
  if (value === undefined) return { host: '127.0.0.1', port: 8420 };
  const m = /^([^:\s]+):(\d{1,5})$/.exec(value);
  const port = Number(m?.[2]);
  if (!m || port < 1 || port > 65535) throw new Error(`--listen must be host:port like 0.0.0.0:8420, got '${value}'`);
  return { host: m[1]!, port };
}

export function planInit(args: InitArgs, facts: InitFacts): InitPlan {
  const dir = path.join(facts.home, '.config/tartfleet');
  const configFile = path.join(dir, 'agent.yaml');
  const keyFile = path.join(dir, 'guest_ed25519');
  const hostId = args.hostId ?? hostIdFrom(facts.hostname);
  const listen = parseListen(args.listen);
  // The mirror's files live under the prefix nginx was installed in (/opt/homebrew for Homebrew).
  const prefix = path.dirname(path.dirname(facts.nginx ?? '/opt/homebrew/bin/nginx'));
  const cacheInput = {
    cacheDir: path.join(prefix, 'var/cache/tartfleet-mirror'),
    accessLog: path.join(prefix, 'var/log/nginx/tartfleet-mirror.access.log'),
    errorLog: path.join(prefix, 'var/log/nginx/tartfleet-mirror.error.log'),
    pidFile: path.join(prefix, 'var/run/tartfleet-mirror.pid'),
  };
  const config: Record<string, unknown> = {
    hostId,
    listen,
    stateDir: path.join(facts.home, 'Library/Application Support/tartfleet'),
    maxVms: 2,
    pools: [{ name: args.pool ?? 'macos', image: args.image ?? 'ghcr.io/cirruslabs/macos-sequoia-xcode:latest', labels: args.labels ?? ['macOS', 'arm64'] }],
    // Pinned when the image's host key is known; otherwise explicitly unpinned, and the next steps
    // say how to pin it (the agent warns at every start until then).
    ssh: { user: 'admin', privateKeyFile: keyFile, ...(args.hostKeyFingerprint ? { hostKeyFingerprint: args.hostKeyFingerprint } : { hostKeyPolicy: 'accept-new' }) },
    ...(args.cache ? { cache: cacheInput } : {}),
    ...(args.bridgeInterface === undefined ? {} : { hostFirewall: { bridgeInterface: args.bridgeInterface } }),
  };
  const header = '# tartfleet agent config, written by `tartfleet-agent init` (host-agent/README.md). Edit freely: init keeps it.\n';
  const files: PlannedFile[] = [{ path: configFile, text: header + stringifyYaml(config), mode: 0o644, keepExisting: true }];

  const secretFile = args.secretStore === 'file' ? path.join(dir, 'agent-secret') : undefined;
  // The admin scope's own secret (images, pools, drain): a separate file, or the `<service>.admin` item.
  const adminSecretFile = args.secretStore === 'file' ? path.join(dir, 'agent-admin-secret') : undefined;
  const agent = planLaunchd(
    { daemon: false, dryRun: args.dryRun, ...(secretFile === undefined ? { keychainService: KEYCHAIN_SERVICE } : { secretFile, ...(adminSecretFile ? { adminSecretFile } : {}) }) },
    { homeDir: facts.home, execPath: facts.node, agentBin: facts.agentBin, configFile, drainTimeoutMs: 3600_000, teardownMs: 60_000, currentUser: facts.user },
  );
  files.push({ path: agent.plistPath, text: agent.xml, mode: 0o644, keepExisting: false });

  let mirrorPlist: string | undefined;
  const logDir = path.join(facts.home, 'Library/Logs/tartfleet');
  const dirs = [logDir];
  const cache = args.cache ? cacheConfigSchema.parse(cacheInput) : undefined;
  // Only root writes /etc/pf.anchors; anyone else gets a copy to install with sudo (init-next-steps.ts).
  const pfAnchor = { file: facts.uid === 0 ? PF_ANCHOR_FILE : path.join(dir, 'pf/tartfleet'), installed: facts.uid === 0 };
  const anchorText = renderPfAnchor({ bridgeInterface: args.bridgeInterface ?? DEFAULT_BRIDGE_INTERFACE, mirrorPorts: mirrorPortsOf(cache) });
  files.push({ path: pfAnchor.file, text: anchorText, mode: 0o644, keepExisting: false });
  if (cache !== undefined) {
    dirs.push(...new Set([cacheInput.cacheDir, cacheInput.accessLog, cacheInput.errorLog, cacheInput.pidFile].map((p) => path.dirname(p))));
    const conf = path.join(dir, 'nginx/tartfleet-mirror.conf');
    files.push({ path: conf, text: renderNginxConfig(cache), mode: 0o644, keepExisting: false });
    mirrorPlist = path.join(facts.home, 'Library/LaunchAgents', `${MIRROR_LABEL}.plist`);
    const job = {
      Label: MIRROR_LABEL,
      ProgramArguments: [facts.nginx ?? '/opt/homebrew/bin/nginx', '-c', conf, '-g', 'daemon off;'],
      RunAtLoad: true,
      KeepAlive: true,
      // nginx exits while the vmnet bridge address does not exist yet; launchd retries.
      ThrottleInterval: 10,
      ProcessType: 'Background',
      StandardOutPath: path.join(logDir, 'mirror.log'),
      StandardErrorPath: path.join(logDir, 'mirror.err.log'),
      SoftResourceLimits: { NumberOfFiles: 8192 },
    };
    files.push({ path: mirrorPlist, text: toPlistXml(job), mode: 0o644, keepExisting: false });
  }
  return { configFile, secretFile, adminSecretFile, keyFile, files, agentLabel: agent.label, agentPlist: agent.plistPath, mirrorLabel: args.cache ? MIRROR_LABEL : undefined, mirrorPlist, hostId, listen, dirs, pfAnchor };
}
