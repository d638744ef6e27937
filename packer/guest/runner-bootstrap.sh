#!/bin/bash
# runner-bootstrap.sh: starts the GitHub Actions runner once, with a just-in-time (JIT) config, and
# powers the guest off when the runner exits, whatever its exit code (docs/architecture.md, "Lifecycle": guest self-poweroff:
# a lost message from the host can never leak a VM slot).
#
# Run by the tartfleet host agent over SSH as "$HOME/.tartfleet/runner-bootstrap.sh".
#
# Protocol, on stdin (the agent writes it, then closes stdin):
#   line 1            the runner's JIT config (base64). The only secret. This script never writes it to
#                     a file or to any argv: it is held in a shell variable and handed to run.sh alone,
#                     as ACTIONS_RUNNER_INPUT_JITCONFIG. The real runner then decodes it into .runner,
#                     .credentials and .credentials_rsaparams in $runner_dir, inside this VM, which is
#                     deleted with them when the job ends (the image carries none: cleanup.sh).
#   lines 2..EOF      optional KEY=VALUE lines for the runner's .env (KEY: [A-Za-z_][A-Za-z0-9_]*),
#                     e.g. cache mirror settings. They replace same-named keys already in .env.
# Login environment: this script runs from a non-login SSH exec, whose PATH lacks what ~/.zprofile
# adds (Homebrew's shellenv). So .env also gets PATH and a fixed list of tool variables as the user's
# login shell (zsh -l) sets them; the runner exports .env to every job step. Lines from stdin win.
# Only the listed variables are copied, so nothing else a profile exports reaches .env. A login shell
# that hangs is given TARTFLEET_LOGIN_ENV_TIMEOUT seconds (default 10) per line, then ignored.
# Output, on stdout: `runner-bootstrap: ...` status lines, then the runner's console, line by line,
# until the runner exits; the agent reads `Listening for Jobs`, `Running job:` and
# `Job <name> completed with result: <result>` from it.
# Exit status: 64 bad input, 69 no runner installed; otherwise the guest powers off under us.
#
# The runner runs in a background subshell writing to $HOME/.tartfleet/runner-console.log, and this
# script only streams that file: if the SSH connection drops (agent restart), the job carries on and
# the guest still powers off at its end. A restarted agent can re-read the same console file.
# Written for bash 3.2 (macOS /bin/bash): no associative arrays, no mapfile.
set -euo pipefail

runner_dir="${TARTFLEET_RUNNER_DIR:-$HOME/actions-runner}"
state_dir="$HOME/.tartfleet"
console_log="$state_dir/runner-console.log"

say() { printf 'runner-bootstrap: %s\n' "$*"; }
die() { printf 'runner-bootstrap: %s\n' "$2" >&2; exit "$1"; }

jit=''
IFS= read -r jit || true
jit="${jit%$'\r'}"
[[ -n "$jit" ]] || die 64 "expected the JIT config (base64) on the first line of stdin, got an empty line"
# Never echo the value: say what was wrong with it.
[[ "$jit" =~ ^[A-Za-z0-9+/=_-]+$ ]] || die 64 "expected the JIT config on the first line of stdin to be base64, got ${#jit} characters that are not"

[[ -x "$runner_dir/run.sh" ]] || die 69 "expected an executable runner at $runner_dir/run.sh, found none"

# Runner environment: validate every line before touching .env.
new_env=''
new_keys=' '
n=1
while IFS= read -r line || [[ -n "$line" ]]; do
  n=$((n + 1))
  line="${line%$'\r'}"
  [[ -z "$line" ]] && continue
  [[ "$line" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die 64 "stdin line $n must be KEY=VALUE with KEY matching [A-Za-z_][A-Za-z0-9_]*, got '${line%%=*}'"
  key="${line%%=*}"
  [[ "$key" != ACTIONS_RUNNER_INPUT_JITCONFIG ]] || die 64 "stdin line $n: ACTIONS_RUNNER_INPUT_JITCONFIG must not go into .env"
  new_env="$new_env$line"$'\n'
  new_keys="$new_keys$key "
done

# The login shell's values of the variables job steps need (bash 3.2: a case, not an array lookup).
# A profile that hangs must not hold the job: each line is waited for at most login_timeout seconds,
# and the shell is left behind (it dies with the VM). A failing profile yields nothing.
login_env=''
login_timeout="${TARTFLEET_LOGIN_ENV_TIMEOUT:-10}"
if command -v zsh >/dev/null 2>&1; then
  exec 3< <(zsh -l -c 'env && echo "tartfleet-login-env-end"' </dev/null 2>/dev/null)
  login_lines=''
  while IFS= read -r -t "$login_timeout" line <&3; do
    [[ "$line" != tartfleet-login-env-end ]] || { login_env="$login_lines"; break; }
    key="${line%%=*}"
    case "$key" in
      PATH | HOMEBREW_PREFIX | HOMEBREW_CELLAR | HOMEBREW_REPOSITORY | INFOPATH | MANPATH | DEVELOPER_DIR | \
        JAVA_HOME | ANT_HOME | M2_HOME | ANDROID_HOME | ANDROID_SDK_ROOT | GRADLE_HOME | NVM_BIN | NVM_PATH | PERL5LIB) ;;
      *) continue ;;
    esac
    case "$new_keys" in *" $key "*) continue ;; esac
    [[ -n "${line#*=}" ]] || continue
    login_lines="$login_lines$line"$'\n'
  done
  exec 3<&-
  login_lines=''
fi
# Only now are the keys taken: a shell that failed or hung before its end marker contributes nothing.
while IFS= read -r line; do
  if [[ -n "$line" ]]; then new_keys="$new_keys${line%%=*} "; fi
done <<<"$login_env"
[[ -n "$login_env" ]] || say "no login environment from zsh -l; job steps get the SSH session's PATH"
new_env="$login_env$new_env"

if [[ -n "$new_env" ]]; then
  env_file="$runner_dir/.env"
  tmp="$env_file.tartfleet.$$"
  : >"$tmp"
  if [[ -f "$env_file" ]]; then
    while IFS= read -r old || [[ -n "$old" ]]; do
      case "$new_keys" in *" ${old%%=*} "*) continue ;; esac
      printf '%s\n' "$old" >>"$tmp"
    done <"$env_file"
  fi
  printf '%s' "$new_env" >>"$tmp"
  mv -f "$tmp" "$env_file"
  say "wrote $(printf '%s' "$new_env" | grep -c '') variable(s) to $env_file"
fi

mkdir -p "$state_dir"
: >"$console_log"

(
  # Survive the SSH session: no hangup, and nothing tied to the session's pipes.
  trap '' HUP
  cd "$runner_dir"
  rc=0
  ACTIONS_RUNNER_INPUT_JITCONFIG="$jit" ./run.sh </dev/null || rc=$?
  say "runner exited with code $rc; powering the guest off"
  sudo shutdown -h now
) >>"$console_log" 2>&1 &
supervisor=$!
jit=''

say "runner started (pid $supervisor); console follows"
tail -n +1 -f "$console_log" &
tailer=$!
rc=0
wait "$supervisor" || rc=$?
# Normally the poweroff ends this session first. If it did not (no sudo rights?), say so and fail.
sleep 2
kill "$tailer" 2>/dev/null || true
die 70 "the runner ended and the guest did not power off (supervisor exit $rc)"
