import { chmodSync, cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { lazy } from './lazy-node';
import { sshKeyPair } from './ssh-key-pair';

/** Guest paths relative to the guest root (see the guest contract in test/sim/README.md). */
export const guestPaths = {
  home: 'Users/admin',
  shims: 'sim/bin',
  localBin: 'usr/local/bin',
  sshDir: 'etc/ssh',
  hostKey: 'etc/ssh/ssh_host_ed25519_key',
  powerRequest: 'sim/power-request',
  homebrew: 'opt/homebrew',
} as const;

/**
 * Power shims that shadow the host's real commands on the guest PATH. We run as root on the host,
 * so a guest `shutdown -h now` must never reach the host's shutdown: the shims only leave a request
 * file that the `tart run` process acts on, the way a guest poweroff reaches Virtualization.framework.
 */
const powerShim = (action: 'poweroff' | 'reboot' | 'auto'): string => `#!/bin/sh
# tart simulator: guest power control. Never calls the host's real command.
root=$(CDPATH= cd -- "$(dirname -- "$0")/../.." && pwd)
action=${action}
if [ "$action" = auto ]; then
  action=poweroff
  for arg in "$@"; do
    case "$arg" in -r|-r*|--reboot) action=reboot ;; esac
  done
fi
printf '%s\\n' "$action" > "$root/${guestPaths.powerRequest}.$$"
mv -f "$root/${guestPaths.powerRequest}.$$" "$root/${guestPaths.powerRequest}"
exit 0
`;

const sudoShim = `#!/bin/sh
# tart simulator: passwordless sudo for admin (the images' /etc/sudoers.d/admin-nopasswd).
# Runs the command as the same user; power commands always go to the simulator's shims.
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
while [ $# -gt 0 ]; do
  case "$1" in
    -S) IFS= read -r _password || true; shift ;;
    -p|-u|-g|-C|-h|-U|-r|-t|-T) shift 2 ;;
    --) shift; break ;;
    -*) shift ;;
    *) break ;;
  esac
done
if [ $# -eq 0 ]; then
  echo "usage: sudo [-S] [-p prompt] command [arg ...]" >&2
  exit 1
fi
case "$(basename -- "$1")" in
  shutdown|poweroff|halt|reboot) cmd="$here/$(basename -- "$1")"; shift; exec "$cmd" "$@" ;;
esac
SUDO_USER=admin exec "$@"
`;

/**
 * The guest's `zsh`, for `zsh [-l] -c <command>` only: a login shell first reads ~/.zprofile, as macOS
 * zsh does after /etc/zprofile (whose path_helper PATH the session's PATH stands in for). The command
 * then runs in this POSIX shell, so it must not need zsh syntax.
 */
const zshShim = `#!/bin/sh
# tart simulator: the guest's zsh, for "zsh [-l] -c <command>" only. Never the host's zsh.
login=0
while [ $# -gt 0 ]; do
  case "$1" in
    -l|--login) login=1; shift ;;
    -lc) login=1; shift; break ;;
    -c) shift; break ;;
    *) echo "zsh (tart simulator): only [-l] -c <command> is simulated, got '$1'" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "zsh (tart simulator): -c needs a command" >&2; exit 2; }
if [ "$login" = 1 ] && [ -f "$HOME/.zprofile" ]; then . "$HOME/.zprofile"; fi
eval "$1"
`;

/** Homebrew's `brew shellenv` (the sh lines of it) for a prefix under the guest root; nothing else of brew. */
const brewStandIn = `#!/bin/sh
# tart simulator: /opt/homebrew/bin/brew, "shellenv" only, with the prefix under the guest root.
prefix=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
if [ "\${1-}" != shellenv ]; then echo "brew (tart simulator): only 'brew shellenv' is simulated" >&2; exit 1; fi
printf 'export HOMEBREW_PREFIX="%s";\n' "$prefix"
printf 'export HOMEBREW_CELLAR="%s/Cellar";\n' "$prefix"
printf 'export HOMEBREW_REPOSITORY="%s";\n' "$prefix"
printf 'PATH="%s/bin:%s/sbin\${PATH+:$PATH}"; export PATH;\n' "$prefix" "$prefix"
printf 'export INFOPATH="%s/share/info:\${INFOPATH:-}";\n' "$prefix"
`;

/** ~/.zprofile as cirruslabs' images have it: Homebrew's environment for login shells only. */
const zprofile = `# Homebrew, for login shells (simulated guest: the prefix lives under the guest root, two levels above HOME).
eval "$("\${HOME%/Users/admin}/${guestPaths.homebrew}/bin/brew" shellenv)"
`;

/** (Re)writes the shims into a guest root; called on create and on every boot so images stay current. */
export function installShims(guestRoot: string): void {
  const dir = path.join(guestRoot, guestPaths.shims);
  mkdirSync(dir, { recursive: true });
  const shims: Record<string, string> = {
    sudo: sudoShim,
    shutdown: powerShim('auto'),
    poweroff: powerShim('poweroff'),
    halt: powerShim('poweroff'),
    reboot: powerShim('reboot'),
    zsh: zshShim,
  };
  for (const [name, text] of Object.entries(shims)) {
    writeFileSync(path.join(dir, name), text, { mode: 0o755 });
    chmodSync(path.join(dir, name), 0o755);
  }
}

/** `SHA256:<base64>` of an OpenSSH public key line, as `ssh-keygen -lf` prints it. */
export function sshFingerprint(publicKeyLine: string): string {
  const blob = Buffer.from(publicKeyLine.trim().split(/\s+/)[1] ?? '', 'base64');
  return `SHA256:${lazy.crypto().createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * Builds a fresh guest filesystem the way the Packer template bakes an image: packer/guest → the
 * guest's `~/.tartfleet/`, test/sim/image/actions-runner → `~/actions-runner/`, one SSH host key for
 * the image (clones keep it), the power shims, and Homebrew's login environment: `/opt/homebrew/bin`
 * is on the PATH of login shells (~/.zprofile) only, as on a real image.
 */
export async function buildGuestRoot(guestRoot: string, repoRoot: string): Promise<void> {
  const home = path.join(guestRoot, guestPaths.home);
  mkdirSync(home, { recursive: true });
  mkdirSync(path.join(home, '.ssh'), { mode: 0o700 });
  mkdirSync(path.join(guestRoot, guestPaths.localBin), { recursive: true });
  mkdirSync(path.join(guestRoot, 'tmp'), { recursive: true });
  const sources: [string, string][] = [
    [path.join(repoRoot, 'packer', 'guest'), path.join(home, '.tartfleet')],
    [path.join(repoRoot, 'test', 'sim', 'image', 'actions-runner'), path.join(home, 'actions-runner')],
  ];
  for (const [from, to] of sources) {
    mkdirSync(to, { recursive: true });
    if (existsSync(from)) cpSync(from, to, { recursive: true, preserveTimestamps: true });
  }
  const keys = sshKeyPair('admin@tart-sim-guest');
  const sshDir = path.join(guestRoot, guestPaths.sshDir);
  mkdirSync(sshDir, { recursive: true });
  writeFileSync(path.join(guestRoot, guestPaths.hostKey), keys.private, { mode: 0o600 });
  writeFileSync(path.join(guestRoot, `${guestPaths.hostKey}.pub`), `${keys.public}\n`);
  writeFileSync(path.join(guestRoot, `${guestPaths.hostKey}.fingerprint`), `${sshFingerprint(keys.public)}\n`);
  const brewBin = path.join(guestRoot, guestPaths.homebrew, 'bin');
  mkdirSync(brewBin, { recursive: true });
  writeFileSync(path.join(brewBin, 'brew'), brewStandIn, { mode: 0o755 });
  writeFileSync(path.join(home, '.zprofile'), zprofile);
  installShims(guestRoot);
}
