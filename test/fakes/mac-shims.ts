/**
 * The macOS commands `doctor` and `init` read (`sw_vers`, `pmset`, `defaults`, `softnet`, `pfctl`) as shell
 * scripts in a folder to put first on PATH, answering like a Mac in the given state. Output formats
 * as the real commands print them.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface MacState {
  macos: string;
  /** bootpd's DHCPLeaseTimeSecs; null: not configured (vmnet's default of a day). */
  lease: number | null;
  /** loginwindow autoLoginUser; null: not set. */
  autoLoginUser: string | null;
  /** pmset's `sleep` minutes (0: never). */
  sleep: number;
  softnet: 'suid-root' | 'plain' | 'absent';
  /** pf's state in `pfctl -s info`; 'denied': pfctl run without root (every call). */
  pf: 'enabled' | 'disabled' | 'denied';
  /** What `pfctl -a tartfleet -s rules` prints; null: the anchor is not loaded (nothing). */
  pfAnchorRules: string | null;
}

/** The rules of init's default anchor as pf lists them once loaded (normalised: `from any`, `port =`, `keep state`). */
export const LOADED_ANCHOR_RULES = [
  'pass in quick on bridge100 proto tcp from any to (bridge100) port = 53 flags S/SA keep state',
  'pass in quick on bridge100 proto udp from any to (bridge100) port = 53 keep state',
  'pass in quick on bridge100 proto udp from any to any port = 67 keep state',
  'pass in quick on bridge100 proto tcp from any to (bridge100) port = 8480 flags S/SA keep state',
  'block drop in quick on bridge100 from any to (bridge100)',
].join('\n');

export const HEALTHY_MAC: MacState = { macos: '15.1', lease: 600, autoLoginUser: 'admin', sleep: 0, softnet: 'suid-root', pf: 'enabled', pfAnchorRules: LOADED_ANCHOR_RULES };

function script(dir: string, name: string, body: string, mode = 0o755): void {
  writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`);
  chmodSync(path.join(dir, name), mode);
}

/** Writes the shims into `dir` (created) and returns it. */
export function writeMacShims(dir: string, state: Partial<MacState> = {}): string {
  const s = { ...HEALTHY_MAC, ...state };
  mkdirSync(dir, { recursive: true });
  script(dir, 'sw_vers', `[ "$1" = -productVersion ] && echo '${s.macos}' && exit 0\nexit 1`);
  script(dir, 'pmset', `[ "$1" = -g ] || exit 1\nprintf 'System-wide power settings:\\nCurrently in use:\\n standby              0\\n sleep                ${s.sleep}\\n hibernatemode        0\\n displaysleep         10\\n'`);
  const lease = s.lease === null ? 'echo "Domain /Library/Preferences/SystemConfiguration/com.apple.InternetSharing.default.plist does not exist" >&2; exit 1' : `printf '{\\n    DHCPLeaseTimeSecs = ${s.lease};\\n}\\n'`;
  const login = s.autoLoginUser === null ? 'echo "The domain/default pair of (/Library/Preferences/com.apple.loginwindow, autoLoginUser) does not exist" >&2; exit 1' : `echo '${s.autoLoginUser}'`;
  script(dir, 'defaults', `case "$2 $3" in\n  */com.apple.InternetSharing.default.plist\\ bootpd) ${lease} ;;\n  "/Library/Preferences/com.apple.loginwindow autoLoginUser") ${login} ;;\n  *) exit 1 ;;\nesac`);
  // Root runs the tests, so the file is owned by uid 0; the SUID bit is the difference.
  if (s.softnet !== 'absent') script(dir, 'softnet', 'exit 0', s.softnet === 'suid-root' ? 0o4755 : 0o755);
  // pfctl: ALTQ notices on stderr as on macOS; /dev/pf is root's only.
  const altq = "echo 'No ALTQ support in kernel' >&2; echo 'ALTQ related functions disabled' >&2";
  const info = `${altq}; printf 'Status: ${s.pf === 'disabled' ? 'Disabled' : 'Enabled'} for 0 days 00:12:34           Debug: Urgent\\n\\nState Table                          Total             Rate\\n  current entries                        4               \\n'`;
  const rules = `${altq}; ${s.pfAnchorRules === null ? 'true' : `printf '%s\\n' ${s.pfAnchorRules.split('\n').map((l) => `'${l}'`).join(' ')}`}`;
  const pfctl = s.pf === 'denied' ? "echo 'pfctl: /dev/pf: Permission denied' >&2; exit 1" : `case "$*" in\n  "-s info") ${info} ;;\n  "-a tartfleet -s rules") ${rules} ;;\n  *) exit 1 ;;\nesac`;
  script(dir, 'pfctl', pfctl);
  return dir;
}
