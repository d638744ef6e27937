#!/bin/bash
# Bakes the GitHub Actions runner into the image: the newest actions/runner release, unless
# TF_RUNNER_VERSION pins one. GitHub refuses runners that fall too far behind its newest release, so
# an image built from the newest lives longest. The tarball's SHA-256 must match the checksum the
# release publishes in its notes (and TF_RUNNER_SHA256 as well, when given) before anything is
# unpacked: a runner is code that will hold job credentials.
#
# TF_RUNNER_RELEASES_API and TF_RUNNER_DOWNLOAD_BASE exist for tests; the defaults are GitHub's.
set -euo pipefail

requested="${TF_RUNNER_VERSION:-latest}"
pinned_sha="${TF_RUNNER_SHA256:-}"
api="${TF_RUNNER_RELEASES_API:-https://api.github.com/repos/actions/runner/releases}"
downloads="${TF_RUNNER_DOWNLOAD_BASE:-https://github.com/actions/runner/releases/download}"

die() { printf 'install-runner: %s\n' "$1" >&2; exit "${2:-1}"; }

if [ "$requested" = latest ]; then
  release_url="$api/latest"
elif [[ "$requested" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  release_url="$api/tags/v$requested"
else
  die "TF_RUNNER_VERSION must be empty, 'latest' or a release like 2.330.0, got '$requested'" 64
fi
[[ -z "$pinned_sha" || "$pinned_sha" =~ ^[0-9a-f]{64}$ ]] || die "TF_RUNNER_SHA256 must be 64 lowercase hex characters or empty, got ${#pinned_sha} characters" 64

workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT

# The release (tag and notes) from GitHub's REST API; no token: nothing secret goes into an argv.
curl -fsSL --retry 3 -H 'Accept: application/vnd.github+json' -o "$workdir/release.json" "$release_url" ||
  die "could not read the release from $release_url"
release="$(tr -d '\r\n' <"$workdir/release.json")"
version="$(printf '%s' "$release" | grep -Eo '"tag_name" *: *"v[0-9]+\.[0-9]+\.[0-9]+"' | head -n 1 | grep -Eo '[0-9]+\.[0-9]+\.[0-9]+' || true)"
[ -n "$version" ] || die "expected a \"tag_name\" like \"v2.330.0\" in $release_url, found none"
if [ "$requested" != latest ] && [ "$version" != "$requested" ]; then
  die "asked for runner $requested, but $release_url describes $version"
fi

# The notes carry "<!-- BEGIN SHA osx-arm64 --><sha><!-- END SHA osx-arm64 -->" (JSON may escape '>').
published="$(printf '%s' "$release" | grep -Eo 'BEGIN SHA osx-arm64 --(>|\\u003e)[0-9a-f]{64}' | head -n 1 | grep -Eo '[0-9a-f]{64}$' || true)"
if [ -z "$published" ] && [ -z "$pinned_sha" ]; then
  die "the notes of runner v$version publish no SHA-256 for osx-arm64; set TF_RUNNER_SHA256 to the tarball's checksum"
fi
if [ -n "$published" ] && [ -n "$pinned_sha" ] && [ "$published" != "$pinned_sha" ]; then
  die "TF_RUNNER_SHA256 ($pinned_sha) differs from the checksum runner v$version publishes ($published)"
fi
expected="${pinned_sha:-$published}"

tarball="actions-runner-osx-arm64-${version}.tar.gz"
curl -fsSL --retry 3 -o "$workdir/$tarball" "$downloads/v${version}/${tarball}" || die "could not download $tarball"
actual="$(shasum -a 256 "$workdir/$tarball" | awk '{print $1}')"
[ "$actual" = "$expected" ] || die "checksum mismatch for $tarball: expected $expected, got $actual"

mkdir -p "$HOME/actions-runner"
tar -xzf "$workdir/$tarball" -C "$HOME/actions-runner"
installed="$("$HOME/actions-runner/bin/Runner.Listener" --version)"
[ "$installed" = "$version" ] || die "the unpacked runner reports version '$installed', expected $version"
echo "$installed"
