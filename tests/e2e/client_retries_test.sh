#!/usr/bin/env bash
# End-to-end: loyaltyctl's retries through the C++ client library against a
# real loyaltyd. --retries is checked before anything is sent; a write to a
# stopped loyaltyd fails transiently (exit 4) after its retries and names its
# request id; resent under that id once loyaltyd is back, it applies once
# and then replays. A read names no request id.
#
# Usage: client_retries_test.sh LOYALTYD LOYALTYCTL PROGRAM
set -euo pipefail

loyaltyd=$1
ctl=$2
program=$3
# The demo keys beside the sample program.
keys=$(dirname -- "$program")/keys.sample.textproto
# shellcheck source=tests/e2e/e2e_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/e2e_lib.sh"
e2e_begin

start_server() {
  : > "$work/server.log"
  "$loyaltyd" --listen 127.0.0.1:0 --data-dir "$work/data" --program "$program" --keys-file "$keys" \
    > "$work/server.log" 2>&1 &
  server_pid=$!
  await_listening "$work/server.log" "$server_pid" "loyaltyd"
}

stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid" || fail "loyaltyd did not stop cleanly: $(cat "$work/server.log")"
  server_pid=
}

export LOYALTY_API_KEY=demo-admin-key
basket=(earn --member alice --order A-1 --currency EUR --channel pos --store store-12
        --line COFFEE-1KG,grocery,1,1299)
start_server
expect 0 "enroll alice" -- "$ctl" enroll --member alice --channel pos --store store-12

expect 2 "--retries above its limit is refused" -- "$ctl" --retries 11 balance --member alice
contains "$err" "--retries"
expect 2 "--retries that is no number is refused" -- "$ctl" --retries some balance --member alice
contains "$err" "--retries"
expect 0 "--retries 0 sends as usual" -- "$ctl" --retries 0 balance --member alice

stop_server
expect 4 "a write to a stopped loyaltyd fails transiently after its retries" -- \
  "$ctl" --retries 2 --timeout-ms 500 "${basket[@]}"
contains "$err" "UNAVAILABLE"
contains "$err" "retry with --request-id ctl-"
request_id=$(grep -o 'retry with --request-id ctl-[0-9a-f]\{32\}' <<< "$err" | grep -o 'ctl-.*')
[[ -n $request_id ]] || fail "no request id in: $err"
ok "the failure names the request id to resend under"
expect 4 "a read to a stopped loyaltyd fails transiently, without a request id" -- \
  "$ctl" --retries 1 --timeout-ms 500 balance --member alice
contains "$err" "UNAVAILABLE"
lacks "$err" "--request-id"

start_server
expect 0 "resent under its request id, the earn applies" -- \
  "$ctl" "${basket[@]}" --request-id "$request_id"
lacks "$out" "replayed"
contains "$out" "12 points"
expect 0 "resent again, it replays" -- "$ctl" "${basket[@]}" --request-id "$request_id"
contains "$out" "replayed"
expect 0 "the ledger has the earn once" -- "$ctl" --json balance --member alice
contains "$out" '"pending_points":"12"'
expect 0 "verify passes" -- "$ctl" verify

echo "$passed passed, 0 failed"
