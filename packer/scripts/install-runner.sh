#!/bin/bash
# Bakes the GitHub Actions runner into the image at a pinned version. The tarball's SHA-256 must match
# TF_RUNNER_SHA256 before anything is unpacked: a runner is code that will hold job credentials.
set -euo pipefail

version="${TF_RUNNER_VERSION:?TF_RUNNER_VERSION must be set, e.g. 2.330.0}"
expected="${TF_RUNNER_SHA256:?TF_RUNNER_SHA256 must be the 64-hex SHA-256 of the osx-arm64 tarball}"
tarball="actions-runner-osx-arm64-${version}.tar.gz"
url="https://github.com/actions/runner/releases/download/v${version}/${tarball}"

workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT
curl -fsSL --retry 3 -o "$workdir/$tarball" "$url"

actual="$(shasum -a 256 "$workdir/$tarball" | awk '{print $1}')"
if [ "$actual" != "$expected" ]; then
  echo "install-runner: checksum mismatch for $tarball: expected $expected, got $actual" >&2
  exit 1
fi

mkdir -p "$HOME/actions-runner"
tar -xzf "$workdir/$tarball" -C "$HOME/actions-runner"
# The runner must never update itself inside a one-job VM: the image pins the version.
"$HOME/actions-runner/bin/Runner.Listener" --version
