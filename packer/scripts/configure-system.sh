#!/bin/bash
# System settings for a CI guest: the runner user logs in automatically, the machine never sleeps or
# locks, and the bootstrap can power the VM off without a password when the runner exits (so a lost
# message from the host can never leak a slot: docs/architecture.md, "Lifecycle": guest self-poweroff).
set -euo pipefail

user="${TF_SSH_USER:?TF_SSH_USER must name the guest account}"

# Passwordless sudo, limited to what the guest scripts need at run time.
sudo tee /etc/sudoers.d/tartfleet-poweroff >/dev/null <<SUDOERS
${user} ALL=(root) NOPASSWD: /sbin/shutdown, /sbin/halt
SUDOERS
sudo chmod 0440 /etc/sudoers.d/tartfleet-poweroff
sudo visudo -cf /etc/sudoers.d/tartfleet-poweroff

# Never sleep, never turn the display off, never ask for a password after the screensaver.
sudo pmset -a sleep 0 displaysleep 0 disksleep 0 powernap 0 standby 0 autorestart 1
sudo systemsetup -setcomputersleep Never >/dev/null 2>&1 || true
defaults -currentHost write com.apple.screensaver idleTime 0
sudo defaults write /Library/Preferences/com.apple.screensaver loginWindowIdleTime 0

# Auto-login (cirruslabs' vanilla images set it already; assert it rather than trust it).
if [ "$(sudo defaults read /Library/Preferences/com.apple.loginwindow autoLoginUser 2>/dev/null || true)" != "$user" ]; then
  echo "configure-system: auto-login for '$user' is not set in the base image; set it in the vanilla layer" >&2
  exit 1
fi

# Spotlight indexing only burns CPU in a VM that lives for one job.
sudo mdutil -a -i off >/dev/null
