#!/bin/bash
# Writes the image metadata the agent and the rollout read: runner, Xcode and macOS versions, build
# date, the SSH host key fingerprint (so agents can pin it) and the template commit.
set -euo pipefail

out="${TF_METADATA_PATH:?TF_METADATA_PATH must name the output file}"
mkdir -p "$(dirname "$out")"

xcode="$( (xcodebuild -version 2>/dev/null || true) | awk 'NR==1 {print $2}')"
macos="$(sw_vers -productVersion)"
fingerprint="$(ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub | awk '{print $2}')"

# printf with %s only: no value is interpreted as a format.
printf '{\n  "schema": 1,\n  "runnerVersion": "%s",\n  "xcodeVersion": "%s",\n  "requestedXcodeVersion": "%s",\n  "macosVersion": "%s",\n  "buildDate": "%s",\n  "sshHostKeyFingerprint": "%s",\n  "templateCommit": "%s"\n}\n' \
  "${TF_RUNNER_VERSION:-}" "$xcode" "${TF_XCODE_VERSION:-}" "$macos" "${TF_BUILD_DATE:-}" "$fingerprint" "${TF_TEMPLATE_COMMIT:-}" >"$out"
cat "$out"
