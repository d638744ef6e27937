#!/bin/bash
# Writes the image metadata the agent and the rollout read: runner, Xcode and macOS versions, build
# date, the SSH host key fingerprint (so agents can pin it) and the template commit. The runner
# version is the installed runner's own answer (the build may have taken the newest release), and the
# build date defaults to now: an image's runner age is what GitHub's runner deprecation is about.
set -euo pipefail

out="${TF_METADATA_PATH:?TF_METADATA_PATH must name the output file}"
mkdir -p "$(dirname "$out")"

listener="${TF_RUNNER_DIR:-$HOME/actions-runner}/bin/Runner.Listener"
runner="$("$listener" --version 2>/dev/null || true)"
[[ "$runner" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || {
  echo "write-metadata: expected $listener --version to print a release like 2.330.0, got '$runner'" >&2
  exit 1
}
build_date="${TF_BUILD_DATE:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}"

xcode="$( (xcodebuild -version 2>/dev/null || true) | awk 'NR==1 {print $2}')"
macos="$(sw_vers -productVersion)"
fingerprint="$(ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub | awk '{print $2}')"

# printf with %s only: no value is interpreted as a format.
printf '{\n  "schema": 1,\n  "runnerVersion": "%s",\n  "xcodeVersion": "%s",\n  "requestedXcodeVersion": "%s",\n  "macosVersion": "%s",\n  "buildDate": "%s",\n  "sshHostKeyFingerprint": "%s",\n  "templateCommit": "%s"\n}\n' \
  "$runner" "$xcode" "${TF_XCODE_VERSION:-}" "$macos" "$build_date" "$fingerprint" "${TF_TEMPLATE_COMMIT:-}" >"$out"
cat "$out"
