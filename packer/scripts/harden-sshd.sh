#!/bin/bash
# harden-sshd.sh: the guest accepts SSH only with the host agent's key (docs/security.md). It installs
# the agent's public key for the guest account and turns password, keyboard-interactive and root
# logins off, so a job in another VM that reaches this one cannot log in with the image's well-known
# password. Runs last in the build: the build's own SSH session (password) is already open, and
# macOS starts a fresh sshd per connection, so only later connections see the new settings.
#
# Environment: TF_SSH_USER (the guest account), TF_AGENT_SSH_PUBLIC_KEY (one OpenSSH public key line);
# TF_GUEST_HOME and TF_SSHD_CONFIG_DIR override the account's home and /etc/ssh/sshd_config.d (tests).
# Exit status: 64 bad input; otherwise sshd's own `-t` check decides.
set -euo pipefail

die() { printf 'harden-sshd: %s\n' "$2" >&2; exit "$1"; }

user="${TF_SSH_USER:?TF_SSH_USER must name the guest account}"
key="${TF_AGENT_SSH_PUBLIC_KEY:-}"
home="${TF_GUEST_HOME:-/Users/$user}"
conf_dir="${TF_SSHD_CONFIG_DIR:-/etc/ssh/sshd_config.d}"

[[ -n "$key" ]] || die 64 "expected the agent's SSH public key in TF_AGENT_SSH_PUBLIC_KEY (packer variable agent_ssh_public_key), got nothing: with passwords off no one could log in"
[[ "$key" =~ ^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa)\ [A-Za-z0-9+/]+=*(\ [^[:cntrl:]]*)?$ ]] ||
  die 64 "expected one OpenSSH public key line (ssh-ed25519 AAAA… [comment]) in TF_AGENT_SSH_PUBLIC_KEY, got ${#key} characters that are not one"

mkdir -p "$home/.ssh"
chmod 0700 "$home/.ssh"
printf '%s\n' "$key" >"$home/.ssh/authorized_keys"
chmod 0600 "$home/.ssh/authorized_keys"

# sshd keeps the first value it reads for a keyword, and macOS's sshd_config includes
# sshd_config.d/* before its own settings, in name order: 000- comes before the system's 100-macos.conf.
sudo mkdir -p "$conf_dir"
sudo tee "$conf_dir/000-tartfleet.conf" >/dev/null <<'SSHD'
# tartfleet: only the host agent's key may log in (packer/scripts/harden-sshd.sh).
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AuthenticationMethods publickey
SSHD
sudo chmod 0644 "$conf_dir/000-tartfleet.conf"
sudo sshd -t
echo "harden-sshd: key-only SSH for $user ($(printf '%s' "$key" | cut -d' ' -f1))"
