#!/bin/bash
# Installs and selects Xcode TF_XCODE_VERSION, from the shared .xip at TF_XCODE_XIP when given (no
# Apple ID in CI), else with `xcodes` (XCODES_USERNAME/XCODES_PASSWORD from the build environment).
# An empty TF_XCODE_VERSION keeps the base image's Xcode.
set -euo pipefail
eval "$(/opt/homebrew/bin/brew shellenv)"

version="${TF_XCODE_VERSION:-}"
if [ -z "$version" ]; then
  echo "install-xcode: no xcode_version given; keeping the base image's Xcode"
  exit 0
fi

app="/Applications/Xcode-${version}.app"
if [ -n "${TF_XCODE_XIP:-}" ]; then
  if [ ! -f "$TF_XCODE_XIP" ]; then
    echo "install-xcode: expected the .xip at '$TF_XCODE_XIP' (shared with --dir), found nothing" >&2
    exit 1
  fi
  workdir="$(mktemp -d)"
  (cd "$workdir" && xip --expand "$TF_XCODE_XIP")
  sudo mv "$workdir/Xcode.app" "$app"
  rm -rf "$workdir"
else
  xcodes install "$version" --experimental-unxip --path "$app"
fi

sudo xcode-select -s "$app"
sudo xcodebuild -license accept
sudo xcodebuild -runFirstLaunch
xcodebuild -version
