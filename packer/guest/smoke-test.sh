#!/bin/bash
# smoke-test.sh: checks that this image can serve as a tartfleet runner, without starting a runner
# and without powering the guest off. Run by the host agent over SSH as "$HOME/.tartfleet/smoke-test.sh"
# in a throw-away VM cloned from a new image, before the image is rolled out (POST /v1/images/smoke).
#
# Checks:
#   - the GitHub Actions runner is installed: $runner_dir/run.sh exists and is executable;
#   - the guest scripts the agent drives are present and executable (runner-bootstrap.sh);
#   - the agent user may power the guest off without a password (sudo -n -l /sbin/shutdown),
#     which the bootstrap needs so a finished VM frees its slot. It only asks sudo; it never runs
#     shutdown.
# Output: one `ok: …` or `FAIL: …` line per check, then `image-metadata: <json>` when the image carries
# ~/.tartfleet/image.json. Exit status: 0 all passed, 1 any failed.
# Written for bash 3.2 (macOS /bin/bash).
set -uo pipefail

runner_dir="${TARTFLEET_RUNNER_DIR:-$HOME/actions-runner}"
scripts_dir="$HOME/.tartfleet"
failed=0

ok() { printf 'ok: %s\n' "$*"; }
fail() {
  printf 'FAIL: %s\n' "$*"
  failed=1
}

if [[ -x "$runner_dir/run.sh" ]]; then
  ok "runner installed at $runner_dir/run.sh"
elif [[ -e "$runner_dir/run.sh" ]]; then
  fail "expected $runner_dir/run.sh to be executable, it is not"
else
  fail "expected the GitHub Actions runner at $runner_dir/run.sh, found nothing"
fi

bootstrap="$scripts_dir/runner-bootstrap.sh"
if [[ -x "$bootstrap" ]]; then
  ok "guest script $bootstrap present"
else
  fail "expected the guest script $bootstrap (executable), found none"
fi

# Real sudo answers -V; a stand-in that cannot list rights (the tart simulator's shim, which would
# run its argument) is only checked for presence, so this never risks running shutdown.
if ! command -v sudo >/dev/null 2>&1; then
  fail "expected sudo on PATH for the power-off at the end of a job, found none"
elif sudo -V >/dev/null 2>&1; then
  if sudo -n -l /sbin/shutdown >/dev/null 2>&1; then
    ok "sudo may run /sbin/shutdown without a password"
  else
    fail "expected passwordless sudo for /sbin/shutdown (the guest powers itself off after a job), sudo -n -l refused it"
  fi
else
  ok "sudo present (it cannot list rights here, so power-off permission was not checked)"
fi

# The image metadata packer/scripts/write-metadata.sh left in the image, on one line, for the agent
# to read (it checks the host key this VM presented against the fingerprint recorded at build time).
metadata="$scripts_dir/image.json"
if [[ -f "$metadata" ]]; then
  printf 'image-metadata: %s\n' "$(tr -d '\n' <"$metadata")"
fi

if [[ "$failed" -ne 0 ]]; then
  printf 'smoke-test: FAILED\n'
  exit 1
fi
printf 'smoke-test: passed\n'
