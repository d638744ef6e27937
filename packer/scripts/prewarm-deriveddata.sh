#!/bin/bash
# Optional: builds TF_PREWARM_REPO once (scheme TF_PREWARM_SCHEME) so every job VM cloned from this
# image starts with DerivedData and Swift package caches already filled. Skipped when no repo is given.
set -euo pipefail

repo="${TF_PREWARM_REPO:-}"
if [ -z "$repo" ]; then
  echo "prewarm-deriveddata: no repository given; skipping"
  exit 0
fi
scheme="${TF_PREWARM_SCHEME:?TF_PREWARM_SCHEME is required with TF_PREWARM_REPO}"

workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT
git clone --depth 1 "$repo" "$workdir/src"
cd "$workdir/src"
xcodebuild -resolvePackageDependencies -scheme "$scheme"
xcodebuild build -scheme "$scheme" -destination 'generic/platform=iOS Simulator' CODE_SIGNING_ALLOWED=NO | tail -n 20
