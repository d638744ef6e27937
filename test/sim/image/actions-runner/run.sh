#!/bin/bash
# Stand-in for the GitHub Actions runner's run.sh, for simulated guests (see test/fake-github/README.md).
# Like the real runner it takes the JIT config from ACTIONS_RUNNER_INPUT_JITCONFIG or --jitconfig, and
# drops the variable from its environment first so no child process ever sees it. The config reaches
# runner.mjs on a pipe (process substitution), never through argv, the environment or a file.
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
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec node "$here/runner.mjs" ${args[@]+"${args[@]}"} < <(printf '%s' "$jitconfig")
