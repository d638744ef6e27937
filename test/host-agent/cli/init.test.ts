/**
 * `tartfleet-agent init` on Linux against a temporary home: the macOS commands are shims on PATH
 * (test/fakes/mac-shims.ts, plus launchctl and nginx stand-ins that record what they were asked),
 * tart is the simulator, ssh-keygen is the real one.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as plist from 'plist';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../host-agent/src/cli/run-cli';
import { loadConfig } from '../../../host-agent/src/config/load-config';
import { planInit } from '../../../host-agent/src/cli/init-plan';
import { renderPfAnchor } from '../../../host-agent/src/net/pf-anchor';
import { cliDeps } from '../../helpers/cli-helpers';
import { writeMacShims } from '../../fakes/mac-shims';

const TART = path.resolve(__dirname, '../../sim/bin/tart');
const root = mkdtempSync(path.join(tmpdir(), 'tf-init-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
let home: string;
let shims: string;
let launchctlLog: string;

function shim(name: string, body: string): void {
  writeFileSync(path.join(shims, name), `#!/bin/sh\n${body}\n`);
  chmodSync(path.join(shims, name), 0o755);
}

beforeEach(() => {
  const dir = path.join(root, String(n++));
  home = path.join(dir, 'home');
  mkdirSync(home, { recursive: true });
  shims = writeMacShims(path.join(dir, 'bin'));
  launchctlLog = path.join(dir, 'launchctl.log');
  const loaded = path.join(dir, 'launchctl.loaded');
  shim('tart', `exec ${TART} "$@"`);
  shim('nginx', 'exit 0');
  // launchctl: remembers bootstrapped labels, so `print gui/<uid>/<label>` answers like launchd.
  shim('launchctl', `echo "$*" >> ${launchctlLog}\ncase "$1" in\n  print) grep -qx "\${2##*/}" ${loaded} 2>/dev/null ;;\n  bootstrap) basename "$3" .plist >> ${loaded} ;;\nesac`);
});

async function init(args: string[], pathDirs = `${shims}:/usr/bin:/bin`, uid = 501) {
  const run = cliDeps(
    { PATH: pathDirs, TART_BIN: TART, TART_HOME: path.join(home, '.tart') },
    { hostname: 'mini-1.local', uid, launchd: { context: { homeDir: home, execPath: '/opt/homebrew/bin/node', agentBin: '/opt/tartfleet/tartfleet-agent.mjs', currentUser: 'ci' } } },
  );
  const code = await runCli(['init', ...args], run.deps);
  return { code, out: run.stdout(), err: run.stderr() };
}

/** Every file under `dir`, relative. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}

describe('tartfleet-agent init', () => {
  it('--dry-run prints valid files (plists, a config the schema accepts) and every command, and writes nothing', async () => {
    const { code, out } = await init(['--dry-run']);
    expect(code).toBe(0);
    const files = new Map([...out.matchAll(/^=== file (\S+) \(mode \d+[^)]*\) ===\n([\s\S]*?)^=== end ===$/gm)].map((m) => [m[1]!, m[2]!]));
    const config = path.join(home, '.config/tartfleet/agent.yaml');
    const anchor = path.join(home, '.config/tartfleet/pf/tartfleet');
    expect([...files.keys()].sort()).toEqual([config, anchor, path.join(home, '.config/tartfleet/nginx/tartfleet-mirror.conf'), path.join(home, 'Library/LaunchAgents/dev.tartfleet.agent.plist'), path.join(home, 'Library/LaunchAgents/dev.tartfleet.mirror.plist')].sort());
    const loaded = loadConfig({ file: config, env: { TARTFLEET_AGENT_SECRET: 's'.repeat(40) }, hostname: 'x', requireSecrets: true, readFile: (p) => files.get(p)! });
    expect(loaded).toMatchObject({ hostId: 'mini-1', maxVms: 2, pools: [{ name: 'macos', labels: ['macOS', 'arm64'] }], ssh: { privateKeyFile: path.join(home, '.config/tartfleet/guest_ed25519') } });
    // The mirror's files under the prefix nginx was found in (here: the shims' parent folder).
    expect(loaded.cache).toMatchObject({ cacheDir: path.join(path.dirname(shims), 'var/cache/tartfleet-mirror'), pidFile: path.join(path.dirname(shims), 'var/run/tartfleet-mirror.pid') });
    expect(out).toContain(`$ mkdir -p ${path.join(home, 'Library/Logs/tartfleet')} ${path.join(path.dirname(shims), 'var/cache')}`);
    const agent = plist.parse(files.get(path.join(home, 'Library/LaunchAgents/dev.tartfleet.agent.plist'))!) as { ProgramArguments: string[]; EnvironmentVariables: Record<string, string> };
    expect(agent.ProgramArguments).toEqual(['/opt/homebrew/bin/node', '/opt/tartfleet/tartfleet-agent.mjs', 'serve', '--config', config]);
    expect(agent.EnvironmentVariables.TARTFLEET_AGENT_SECRET_FILE).toBe(path.join(home, '.config/tartfleet/agent-secret'));
    const mirror = plist.parse(files.get(path.join(home, 'Library/LaunchAgents/dev.tartfleet.mirror.plist'))!) as { ProgramArguments: string[] };
    expect(mirror.ProgramArguments).toEqual([path.join(shims, 'nginx'), '-c', path.join(home, '.config/tartfleet/nginx/tartfleet-mirror.conf'), '-g', 'daemon off;']);
    expect(out).toContain(`$ launchctl bootstrap gui/501 ${path.join(home, 'Library/LaunchAgents/dev.tartfleet.agent.plist')}`);
    expect(out).toContain("$ ssh-keygen -q -t ed25519 -N '' -C tartfleet-mini-1");
    expect(out).toContain('secret   TARTFLEET_AGENT_SECRET');
    expect(out).toContain('{ url: https://mini-1.example.com:8420, secret: env:AGENT_SECRET_MINI_1 }');
    // The pf anchor from the planned config (mirror on 8480), staged for `sudo install`, and what pf.conf needs, printed.
    expect(files.get(anchor)).toBe(renderPfAnchor({ bridgeInterface: 'bridge100', mirrorPorts: [8480] }));
    expect(out).toContain(`Install the anchor init writes to the config folder (pf files belong to root):\n     sudo install -m 644 -o root -g wheel ${anchor} /etc/pf.anchors/tartfleet\n`);
    expect(out).toContain('after its com.apple anchors:\n     anchor "tartfleet"\n     load anchor "tartfleet" from "/etc/pf.anchors/tartfleet"\n');
    expect(out).toMatch(/\n {5}sudo pfctl -f \/etc\/pf\.conf\n {5}sudo pfctl -E\n$/);
    expect(tree(home)).toEqual([]);
    expect(existsSync(launchctlLog)).toBe(false);
  });

  it('as root, plans /etc/pf.anchors/tartfleet itself (for --bridge-interface, without the mirror) and still only prints the pf.conf lines', async () => {
    const { code, out } = await init(['--dry-run', '--no-cache', '--bridge-interface', 'bridge101'], undefined, 0);
    expect(code).toBe(0);
    const files = new Map([...out.matchAll(/^=== file (\S+) \(mode (\d+)[^)]*\) ===\n([\s\S]*?)^=== end ===$/gm)].map((m) => [m[1]!, { mode: m[2]!, text: m[3]! }]));
    expect(files.get('/etc/pf.anchors/tartfleet')).toEqual({ mode: '644', text: renderPfAnchor({ bridgeInterface: 'bridge101', mirrorPorts: [] }) });
    expect([...files.keys()]).not.toContain(path.join(home, '.config/tartfleet/pf/tartfleet'));
    expect(files.get(path.join(home, '.config/tartfleet/agent.yaml'))?.text).toContain('hostFirewall:\n  bridgeInterface: bridge101\n');
    expect(out).toContain('init, running as root, writes /etc/pf.anchors/tartfleet.');
    expect(out).not.toContain('sudo install');
    expect(out).toContain('load anchor "tartfleet" from "/etc/pf.anchors/tartfleet"');
    expect(out).toContain('sudo pfctl -E');
    expect(out).toContain('/etc/pf.conf is never edited');
  });

  it('plans the anchor from the arguments, pure: staged in the config folder unless root', () => {
    const facts = { home: '/Users/ci', hostname: 'mini-2', user: 'ci', node: '/opt/homebrew/bin/node', agentBin: '/opt/tartfleet/tartfleet-agent.mjs', nginx: '/opt/homebrew/bin/nginx' };
    const args = { dryRun: false, cache: true, secretStore: 'file' } as const;
    const user = planInit(args, { ...facts, uid: 501 });
    expect(user.pfAnchor).toEqual({ file: '/Users/ci/.config/tartfleet/pf/tartfleet', installed: false });
    expect(user.files.find((f) => f.path === user.pfAnchor.file)).toEqual({ path: '/Users/ci/.config/tartfleet/pf/tartfleet', text: renderPfAnchor({ bridgeInterface: 'bridge100', mirrorPorts: [8480] }), mode: 0o644, keepExisting: false });
    const root = planInit({ ...args, cache: false, bridgeInterface: 'bridge102' }, { ...facts, uid: 0 });
    expect(root.pfAnchor).toEqual({ file: '/etc/pf.anchors/tartfleet', installed: true });
    expect(root.files.find((f) => f.path === '/etc/pf.anchors/tartfleet')?.text).toBe(renderPfAnchor({ bridgeInterface: 'bridge102', mirrorPorts: [] }));
  });

  it('sets the host up once; a second run changes nothing and says so', async () => {
    const first = await init([]);
    const dir = path.join(home, '.config/tartfleet');
    expect(tree(home)).toEqual(['.config/tartfleet/agent-admin-secret', '.config/tartfleet/agent-secret', '.config/tartfleet/agent.yaml', '.config/tartfleet/guest_ed25519', '.config/tartfleet/guest_ed25519.pub', '.config/tartfleet/nginx/tartfleet-mirror.conf', '.config/tartfleet/pf/tartfleet', 'Library/LaunchAgents/dev.tartfleet.agent.plist', 'Library/LaunchAgents/dev.tartfleet.mirror.plist']);
    const secret = readFileSync(path.join(dir, 'agent-secret'), 'utf8').trim();
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(path.join(dir, 'agent-secret')).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(dir, 'guest_ed25519'), 'utf8')).toContain('BEGIN OPENSSH PRIVATE KEY');
    expect(first.out).not.toContain(secret);
    expect(first.out).toContain('init: loaded the launchd job dev.tartfleet.agent');
    expect(first.out).toContain(`init: created ${path.join(path.dirname(shims), 'var/log/nginx')}`);
    expect(first.out).toContain('Running tartfleet-agent doctor');
    expect(first.out).toMatch(/\nconfig\s+ok\s+/);
    expect(first.out).toContain(`init: wrote ${path.join(dir, 'pf/tartfleet')}`);
    expect(first.out).toMatch(/\nhost-firewall\s+ok\s+/);
    expect(first.out).toContain(`sudo install -m 644 -o root -g wheel ${path.join(dir, 'pf/tartfleet')} /etc/pf.anchors/tartfleet`);
    const calls = readFileSync(launchctlLog, 'utf8');
    expect(calls.split('\n').filter((l) => l.startsWith('bootstrap'))).toHaveLength(2);

    const before = new Map(tree(home).map((f) => [f, readFileSync(path.join(home, f), 'utf8')]));
    const second = await init([]);
    expect(second.out).toContain('init: nothing to change; this host was already set up.');
    expect(second.code).toBe(first.code);
    expect(new Map(tree(home).map((f) => [f, readFileSync(path.join(home, f), 'utf8')]))).toEqual(before);
    expect(readFileSync(launchctlLog, 'utf8').slice(calls.length).split('\n').filter(Boolean).every((l) => l.startsWith('print '))).toBe(true);
  }, 60_000);

  it('keeps the secret in the Keychain (through security -i stdin, never argv) with --secret-store keychain', async () => {
    const argv = path.join(home, '..', 'security.argv');
    const stdin = path.join(home, '..', 'security.stdin');
    shim('security', `echo "$*" >> ${argv}\n[ "$1" = -i ] && cat >> ${stdin}\n[ "$1" = find-generic-password ] && exit 44\nexit 0`);
    const { out } = await init(['--secret-store', 'keychain', '--no-cache']);
    expect(out).toContain('generated the agent secret in the login Keychain (service tartfleet-agent)');
    // The runner secret and the admin secret, each its own item.
    expect(readFileSync(stdin, 'utf8')).toMatch(/^add-generic-password -U -s tartfleet-agent -a tartfleet -w [0-9a-f]{64}\nadd-generic-password -U -s tartfleet-agent\.admin -a tartfleet -w [0-9a-f]{64}\n$/);
    expect(readFileSync(argv, 'utf8')).not.toMatch(/[0-9a-f]{64}/);
    expect(tree(home)).not.toContain('.config/tartfleet/agent-secret');
    // --no-cache: no mirror job, no nginx config.
    expect(tree(home).filter((f) => f.includes('mirror'))).toEqual([]);
  }, 60_000);

  it('refuses macOS 12 and warns (only) about a Softnet that is not SUID root, with the fix', async () => {
    writeMacShims(shims, { softnet: 'plain' });
    const dry = await init(['--dry-run']);
    expect(dry.out).toMatch(/^warning: \S+\/softnet is not SUID root .*: sudo chown root \S+ && sudo chmod u\+s \S+$/m);
    writeMacShims(shims, { macos: '12.7.4' });
    const old = await init([]);
    expect(old.code).toBe(1);
    expect(old.err).toContain('macOS 12.7.4; tart needs 13 or later: update macOS');
    expect(tree(home)).toEqual([]);
  });

  it('a bad argument is a usage error and writes nothing', async () => {
    const { code, err } = await init(['--secret-store', 'vault']);
    expect(code).toBe(64);
    expect(err).toContain("--secret-store must be file or keychain, got 'vault'");
    const bridge = await init(['--bridge-interface', 'bridge100;pass']);
    expect(bridge.code).toBe(64);
    expect(bridge.err).toContain("--bridge-interface must be an interface name like bridge100 (lowercase letters and digits ending in a digit), got 'bridge100;pass'");
    expect(tree(home)).toEqual([]);
  });

  it('a missing prerequisite names each one with its install command and writes nothing', async () => {
    rmSync(path.join(shims, 'nginx'));
    rmSync(path.join(shims, 'tart'));
    const { code, err } = await init([], `${shims}:/usr/bin:/bin`);
    expect(code).toBe(1);
    expect(err).toContain('missing prerequisites, nothing was written');
    expect(err).toContain('tart: brew install cirruslabs/cli/tart');
    expect(err).toContain('nginx for the cache mirror: brew install nginx (or run init --no-cache)');
    expect(tree(home)).toEqual([]);
    expect(existsSync(launchctlLog)).toBe(false);
  });
});
