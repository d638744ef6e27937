#!/bin/bash
# Homebrew and the image's tool list (TF_BREW_PACKAGES, space-separated formula names).
set -euo pipefail

if ! command -v brew >/dev/null 2>&1 && [ ! -x /opt/homebrew/bin/brew ]; then
  NONINTERACTIVE=1 /bin/bash -c "$(curl -fsSL https://raw.githubusercontent.com/Homebrew/install/HEAD/install.sh)"
fi
eval "$(/opt/homebrew/bin/brew shellenv)"

# Jobs must not spend their first minute updating Homebrew.
profile="$HOME/.zprofile"
# shellcheck disable=SC2016 # the lines are written literally into .zprofile, to expand at login
for line in 'eval "$(/opt/homebrew/bin/brew shellenv)"' 'export HOMEBREW_NO_AUTO_UPDATE=1' 'export HOMEBREW_NO_INSTALL_CLEANUP=1'; do
  grep -qxF "$line" "$profile" 2>/dev/null || echo "$line" >>"$profile"
done

brew update
read -r -a packages <<<"${TF_BREW_PACKAGES:-}"
if [ "${#packages[@]}" -gt 0 ]; then
  brew install "${packages[@]}"
fi
brew --version
