/**
 * `doctor`'s checks of the Mac itself, each from one system command: the macOS version, vmnet's DHCP
 * lease time, auto-login, sleep, Softnet's SUID bit, and the pf anchor that closes the host's ports
 * to guests. Each result carries the one-line fix.
 */
import type { AgentConfig } from '../config/schema';
import { hasBridgeBlockRule, PF_ANCHOR_FILE, PF_ANCHOR_NAME, PF_CONF_LINES } from '../net/pf-anchor';
import type { CheckResult } from './doctor-checks';
import type { HostSystem } from './host-system';

/** Tart needs macOS 13 (Ventura) or later (docs/reference/tart-cli.md). */
const MIN_MACOS_MAJOR = 13;
/** vmnet's bootpd hands out leases for a day unless told otherwise. */
const DEFAULT_LEASE_SECS = 86_400;
/** Short enough that a /24 survives any realistic VM churn (a few hundred VMs an hour). */
const WANTED_LEASE_SECS = 600;
const BOOTPD_PLIST = '/Library/Preferences/SystemConfiguration/com.apple.InternetSharing.default.plist';
const LEASE_FIX = `sudo defaults write ${BOOTPD_PLIST} bootpd -dict DHCPLeaseTimeSecs -int ${WANTED_LEASE_SECS}`;

export async function checkMacos(system: HostSystem): Promise<CheckResult> {
  const r = await system.run('sw_vers', ['-productVersion']);
  if (r === undefined || r.exitCode !== 0) return { name: 'macos', status: 'fail', detail: 'sw_vers is missing or failed: this is not macOS; tart runs only on Apple Silicon Macs', fix: 'run the agent on a Mac with macOS 13 or later' };
  const version = r.stdout.trim();
  const major = Number(/^(\d+)\./.exec(`${version}.`)?.[1]);
  if (!Number.isInteger(major)) return { name: 'macos', status: 'fail', detail: `sw_vers -productVersion printed '${version.slice(0, 40)}', expected a version like 15.1` };
  if (major < MIN_MACOS_MAJOR) return { name: 'macos', status: 'fail', detail: `macOS ${version}; tart needs ${MIN_MACOS_MAJOR} or later`, fix: 'update macOS (System Settings → General → Software Update)' };
  return { name: 'macos', status: 'ok', detail: `macOS ${version}` };
}

/** Every VM takes a lease; with a day's lease, VMs created every few minutes exhaust the /24. */
export async function checkDhcpLease(system: HostSystem): Promise<CheckResult> {
  const r = await system.run('defaults', ['read', BOOTPD_PLIST, 'bootpd']);
  const secs = r?.exitCode === 0 ? Number(/DHCPLeaseTimeSecs\s*=\s*"?(\d+)"?/.exec(r.stdout)?.[1] ?? DEFAULT_LEASE_SECS) : DEFAULT_LEASE_SECS;
  const detail = `vmnet DHCP lease ${secs} s${r?.exitCode === 0 ? '' : ' (the default: bootpd is not configured)'}`;
  if (secs >= DEFAULT_LEASE_SECS) return { name: 'dhcp-lease', status: 'fail', detail: `${detail}: every VM holds an address for a day, so VM churn exhausts the 253 addresses of the /24`, fix: LEASE_FIX };
  if (secs > 3_600) return { name: 'dhcp-lease', status: 'warn', detail: `${detail}: more than an hour`, fix: LEASE_FIX };
  return { name: 'dhcp-lease', status: 'ok', detail };
}

/** Virtualization.framework VMs need the user's GUI session, which only auto-login brings back after a reboot. */
export async function checkAutoLogin(system: HostSystem): Promise<CheckResult> {
  const r = await system.run('defaults', ['read', '/Library/Preferences/com.apple.loginwindow', 'autoLoginUser']);
  const user = r?.exitCode === 0 ? r.stdout.trim() : '';
  if (user === '') return { name: 'auto-login', status: 'warn', detail: 'no automatic login: after a reboot the agent (a LaunchAgent) and its VMs wait for someone to log in', fix: 'System Settings → Users & Groups → Automatically log in as → the agent user (FileVault must be off)' };
  return { name: 'auto-login', status: 'ok', detail: `logs in automatically as ${user}` };
}

export async function checkSleep(system: HostSystem): Promise<CheckResult> {
  const r = await system.run('pmset', ['-g']);
  const sleep = r?.exitCode === 0 ? /^\s*sleep\s+(\d+)/m.exec(r.stdout)?.[1] : undefined;
  if (sleep === undefined) return { name: 'sleep', status: 'warn', detail: 'could not read the sleep setting (pmset -g)', fix: 'sudo pmset -a sleep 0' };
  if (sleep !== '0') return { name: 'sleep', status: 'fail', detail: `system sleep after ${sleep} min: a sleeping Mac runs no jobs and drops its VMs' network`, fix: 'sudo pmset -a sleep 0' };
  return { name: 'sleep', status: 'ok', detail: 'system sleep disabled' };
}

/** tart runs `softnet` (for --net-softnet and --net-host) only when it is SUID root. */
export function checkSoftnet(system: HostSystem): CheckResult {
  const file = system.which('softnet');
  if (file === undefined) return { name: 'softnet', status: 'skip', detail: 'softnet is not installed (needed only for tart run --net-softnet/--net-host)', fix: 'brew install cirruslabs/cli/softnet' };
  const s = system.stat(file);
  const suidRoot = s !== undefined && s.uid === 0 && (s.mode & 0o4000) !== 0;
  if (!suidRoot) return { name: 'softnet', status: 'fail', detail: `${file} is not SUID root (owner uid ${s?.uid ?? '?'}, mode ${s ? (s.mode & 0o7777).toString(8) : '?'}): tart cannot start VMs with Softnet networking`, fix: `sudo chown root ${file} && sudo chmod u+s ${file}` };
  return { name: 'softnet', status: 'ok', detail: `${file} is SUID root` };
}

/**
 * Softnet lets a guest reach every port the host listens on at the bridge address; the pf anchor
 * `init` writes (net/pf-anchor.ts) closes all but DNS, DHCP and the mirror. pfctl needs root: without
 * it this is a warning to rerun with sudo, never a failure.
 */
export async function checkHostFirewall(system: HostSystem, config: Pick<AgentConfig, 'pools' | 'hostFirewall'>): Promise<CheckResult> {
  const name = 'host-firewall';
  if (!config.pools.some((p) => p.network.mode === 'softnet')) return { name, status: 'skip', detail: 'no pool uses Softnet networking (network.mode nat), so no guest is isolated from the host anyway' };
  const iface = config.hostFirewall.bridgeInterface;
  const info = await system.run('pfctl', ['-s', 'info']);
  if (info === undefined) return { name, status: 'warn', detail: 'pfctl is not on PATH (it ships with macOS in /sbin): cannot check the host firewall', fix: 'run doctor with /sbin on PATH' };
  const denied = (r: { stdout: string; stderr: string }) => /permission denied|operation not permitted/i.test(`${r.stderr}
${r.stdout}`);
  const sudo = { name, status: 'warn', detail: 'pfctl needs root (/dev/pf: permission denied): run doctor with sudo to check the host firewall', fix: 'sudo tartfleet-agent doctor (or by hand: sudo pfctl -s info; sudo pfctl -a tartfleet -s rules)' } as const;
  if (denied(info)) return sudo;
  const status = /^Status:\s*(Enabled|Disabled)\b/m.exec(info.stdout)?.[1];
  if (info.exitCode !== 0 || status === undefined) return { name, status: 'warn', detail: `pfctl -s info exited ${info.exitCode} without a Status line: ${(info.stderr.trim() || info.stdout.trim()).slice(0, 160)}` };
  const rules = await system.run('pfctl', ['-a', PF_ANCHOR_NAME, '-s', 'rules']);
  if (rules !== undefined && denied(rules)) return sudo;
  const blocks = rules?.exitCode === 0 && hasBridgeBlockRule(rules.stdout, iface);
  const loaded = rules?.exitCode === 0 && rules.stdout.trim() !== '';
  const load = `add ${PF_CONF_LINES.map((l) => `'${l}'`).join(' and ')} to /etc/pf.conf (tartfleet-agent init writes ${PF_ANCHOR_FILE}), then sudo pfctl -f /etc/pf.conf`;
  const problems: string[] = [];
  const fixes: string[] = [];
  if (!blocks) {
    problems.push(loaded ? `anchor ${PF_ANCHOR_NAME} is loaded but has no 'block in quick on ${iface} to (${iface})' rule` : `anchor ${PF_ANCHOR_NAME} is not loaded`);
    fixes.push(loaded ? `rerun tartfleet-agent init and install its ${PF_ANCHOR_FILE}, then sudo pfctl -a ${PF_ANCHOR_NAME} -f ${PF_ANCHOR_FILE}` : load);
  }
  if (status === 'Disabled') {
    problems.push('pf is disabled');
    fixes.push('sudo pfctl -E');
  }
  if (problems.length > 0) return { name, status: 'warn', detail: `${problems.join('; ')}: guests reach every port this host listens on at the ${iface} address`, fix: fixes.join('; then ') };
  return { name, status: 'ok', detail: `pf enabled; anchor ${PF_ANCHOR_NAME} closes the host's ports to guests on ${iface} except DNS, DHCP and the mirror` };
}

export async function runHostChecks(system: HostSystem): Promise<CheckResult[]> {
  return [await checkMacos(system), await checkDhcpLease(system), await checkAutoLogin(system), await checkSleep(system), checkSoftnet(system)];
}
