# What the end-to-end scripts share; source it after `set -euo pipefail`.
#
#   e2e_begin                 a scratch directory in $work, and a trap that
#                             kills loyaltyd ($server_pid, once started) and
#                             removes $work when the script exits
#   fail MESSAGE              report and exit 1 (the script's trap cleans up)
#   ok WHAT                   count a passed check
#   expect CODE WHAT -- CMD   run CMD with stdin from /dev/null (not a
#                             terminal), check its exit code, keep stdout in
#                             $out and stderr in $err
#   contains TEXT PART / lacks TEXT PART
#   on_terminal ANSWER CODE WHAT -- CMD
#                             like expect, but stdin is a pseudo-terminal on
#                             which ANSWER and a newline are typed
#   json_field EXPRESSION     a Python expression evaluated on the JSON in
#                             $out, bound to j
#   await_listening LOG PID NAME
#                             wait until loyaltyd (PID, logging to LOG) says
#                             where it listens; export LOYALTY_SERVER

passed=0

e2e_begin() {
  work=$(mktemp -d)
  server_pid=
  trap e2e_cleanup EXIT
}
e2e_cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -9 "$server_pid" 2>/dev/null || true
  fi
  rm -rf -- "$work"
}
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { passed=$((passed + 1)); echo "ok: $*"; }

expect() {
  local want=$1 what=$2
  shift 3
  set +e
  "$@" < /dev/null > "$work/out" 2> "$work/err"
  local got=$?
  set -e
  out=$(cat "$work/out")
  err=$(cat "$work/err")
  [[ $got == "$want" ]] || fail "$what: exit $got, wanted $want; stdout: $out; stderr: $err"
  ok "$what"
}

contains() { [[ $1 == *"$2"* ]] || fail "expected '$2' in: $1"; }
lacks() { [[ $1 != *"$2"* ]] || fail "did not expect '$2' in: $1"; }

# Both use $python when the script set it (a resolved interpreter starts
# faster than a version manager's wrapper), else python3.
on_terminal() {
  local answer=$1 want=$2 what=$3
  shift 4
  set +e
  ANSWER=$answer "${python:-python3}" - "$@" > "$work/out" 2> "$work/err" <<'PY'
import os, pty, subprocess, sys
controller, terminal = pty.openpty()
child = subprocess.Popen(sys.argv[1:], stdin=terminal, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
os.close(terminal)
os.write(controller, (os.environ["ANSWER"] + "\n").encode())
out, err = child.communicate(timeout=30)
sys.stdout.buffer.write(out)
sys.stderr.buffer.write(err)
sys.exit(child.returncode)
PY
  local got=$?
  set -e
  out=$(cat "$work/out")
  err=$(cat "$work/err")
  [[ $got == "$want" ]] || fail "$what: exit $got, wanted $want; stdout: $out; stderr: $err"
  ok "$what"
}

json_field() {
  "${python:-python3}" -c 'import json, sys; j = json.loads(sys.argv[2]); print(eval(sys.argv[1]))' "$1" "$out"
}

await_listening() {
  local log=$1 pid=$2 name=$3
  for _ in $(seq 1 100); do
    if grep -q "listening on" "$log"; then break; fi
    kill -0 "$pid" 2>/dev/null || fail "$name died: $(cat "$log")"
    sleep 0.1
  done
  LOYALTY_SERVER=$(grep -o '127\.0\.0\.1:[0-9]*' "$log" | head -1)
  [[ -n $LOYALTY_SERVER ]] || fail "$name did not say where it listens"
  export LOYALTY_SERVER
}
