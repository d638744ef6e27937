#!/bin/bash
# Leaves nothing behind that one job could read from the build: shell history, caches, logs,
# downloaded installers. Runs last, before the metadata is written.
set -euo pipefail
eval "$(/opt/homebrew/bin/brew shellenv)"

brew cleanup --prune=all -s || true
rm -rf "$HOME/Library/Caches/Homebrew" "$HOME/Library/Caches/"* "$HOME/.npm/_cacache" /tmp/* 2>/dev/null || true
rm -f "$HOME/.bash_history" "$HOME/.zsh_history" "$HOME/.lesshst"
sudo rm -rf /private/var/log/asl/*.asl /Library/Logs/DiagnosticReports/* 2>/dev/null || true
# Nothing may stay configured in the runner folder: every VM gets its own JIT config at run time.
rm -f "$HOME/actions-runner/.runner" "$HOME/actions-runner/.credentials" "$HOME/actions-runner/.credentials_rsaparams" "$HOME/actions-runner/.env"
