#!/bin/bash
# Stand-in for the GitHub Actions runner's run.sh (actions/runner src/Misc/layoutroot/run.sh), for
# simulated guests (see test/fake-github/README.md). Like the real one it runs the listener through a
# fresh copy of run-helper.sh in a loop: exit 2 from the helper relaunches it ("Restarting runner..."),
# anything else ends run.sh with 0 ("Exiting runner..."), except the deprecated-version code 7 when
# ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE=1. The helper maps the listener's own exit codes.
#
# Unlike the real one, the JIT config never reaches an argv: it is taken from ACTIONS_RUNNER_INPUT_JITCONFIG
# or --jitconfig, the variable is dropped before anything starts, and each launch of the listener gets
# it on a pipe (process substitution), never through argv, the environment or a file.
set -u
jitconfig="${ACTIONS_RUNNER_INPUT_JITCONFIG-}"
unset ACTIONS_RUNNER_INPUT_JITCONFIG
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --jitconfig) jitconfig="${2-}"; shift; [ $# -gt 0 ] && shift ;;
    --jitconfig=*) jitconfig="${1#--jitconfig=}"; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

while :; do
  cp -f "$DIR"/run-helper.sh.template "$DIR"/run-helper.sh
  returnCode=0
  "$DIR"/run-helper.sh ${args[@]+"${args[@]}"} < <(printf '%s' "$jitconfig") || returnCode=$?
  if [[ $returnCode -eq 2 ]]; then
    echo "Restarting runner..."
  elif [[ "${ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE-}" == "1" && $returnCode -eq 7 ]]; then
    echo "Exiting runner..."
    exit "$returnCode"
  else
    echo "Exiting runner..."
    exit 0
  fi
done
