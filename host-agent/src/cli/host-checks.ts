/**
 * `doctor`'s checks of the Mac itself, each from one system command: the macOS version, vmnet's DHCP
 * lease time, auto-login, sleep, and Softnet's SUID bit. Each result carries the one-line fix.
 */
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

export async function runHostChecks(system: HostSystem): Promise<CheckResult[]> {
  return [await checkMacos(system), await checkDhcpLease(system), await checkAutoLogin(system), await checkSleep(system), checkSoftnet(system)];
}
