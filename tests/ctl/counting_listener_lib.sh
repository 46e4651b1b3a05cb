# Sourced by the loyaltyctl CLI tests: a listener on a free loopback port
# that counts the connections it gets and never answers, so a test sees
# that bad input is refused before any call. Sets $work (removed at exit),
# LOYALTY_SERVER and LOYALTY_API_KEY, and defines connections() (how many
# so far) beside the e2e_lib.sh helpers (expect, fail, ...).
work=$(mktemp -d)
listener_pid=

cleanup() {
  if [[ -n $listener_pid ]] && kill -0 "$listener_pid" 2>/dev/null; then
    kill "$listener_pid" 2>/dev/null || true
  fi
  rm -rf -- "$work"
}
trap cleanup EXIT
# shellcheck source=tests/e2e/e2e_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../e2e/e2e_lib.sh"

# Accepts connections on a free loopback port and appends a line to
# $work/connections for each; it never answers.
python3 - "$work" <<'PY' &
import os, socket, sys
work = sys.argv[1]
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(16)
with open(os.path.join(work, "port.tmp"), "w") as f:
    f.write(str(server.getsockname()[1]))
os.rename(os.path.join(work, "port.tmp"), os.path.join(work, "port"))
kept = []
while True:
    connection, _ = server.accept()
    kept.append(connection)
    with open(os.path.join(work, "connections"), "a") as f:
        f.write("connected\n")
PY
listener_pid=$!
for _ in $(seq 1 100); do
  [[ -f $work/port ]] && break
  sleep 0.05
done
[[ -f $work/port ]] || fail "the listener did not start"
export LOYALTY_SERVER="127.0.0.1:$(cat "$work/port")"
export LOYALTY_API_KEY=demo-pos-key

connections() { if [[ -f $work/connections ]]; then wc -l < "$work/connections"; else echo 0; fi; }
