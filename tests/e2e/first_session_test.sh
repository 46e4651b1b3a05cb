#!/usr/bin/env bash
# End-to-end: the README's first session against a real loyaltyd on a free
# loopback port, through loyaltyctl, with exit codes and bad input; then
# SIGTERM (clean exit) and a restart that keeps every acknowledged write.
#
# Usage: first_session_test.sh LOYALTYD LOYALTYCTL PROGRAM
set -euo pipefail

loyaltyd=$1
ctl=$2
program=$3
# The demo keys beside the sample program.
keys=$(dirname -- "$program")/keys.sample.textproto
work=$(mktemp -d)
server_pid=""

cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -9 "$server_pid" 2>/dev/null || true
  fi
  rm -rf -- "$work"
}
trap cleanup EXIT
# shellcheck source=tests/e2e/e2e_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/e2e_lib.sh"


start_server() {
  : > "$work/server.log"
  "$loyaltyd" --listen 127.0.0.1:0 --data-dir "$work/data" --program "$program" --keys-file "$keys" \
    > "$work/server.log" 2>&1 &
  server_pid=$!
  await_listening "$work/server.log" "$server_pid" "loyaltyd"
}



export LOYALTY_API_KEY=demo-admin-key
start_server

expect 0 "enroll alice with a card" -- "$ctl" enroll --member alice --card 4000123412341234 --channel pos --store store-12
contains "$out" "alice"
expect 0 "earn a two-line basket" -- "$ctl" earn --member alice --order A-1001 --currency EUR \
  --channel pos --store store-12 --line COFFEE-1KG,grocery,2,1299 --line MUG,home,1,899 --request-id till-1
contains "$out" "34 points (pending until"
contains "$out" "base-eur"
expect 0 "the same earn retried is a replay" -- "$ctl" earn --member alice --order A-1001 --currency EUR \
  --channel pos --store store-12 --line COFFEE-1KG,grocery,2,1299 --line MUG,home,1,899 --request-id till-1
contains "$out" "replayed"
expect 3 "the same request id with another basket is rejected" -- "$ctl" earn --member alice --order A-1001 \
  --currency EUR --channel pos --store store-12 --line COFFEE-1KG,grocery,3,1299 --request-id till-1
contains "$err" "ALREADY_EXISTS"
expect 0 "a quote in the app names every rule that applies" -- "$ctl" quote --member alice --currency EUR \
  --channel app --line CHIPS,snacks,2,350 --line TV,electronics,1,9900 --line GIFT,gift-cards,1,5000
contains "$out" "app-double"
contains "$out" "snacks-x2"
contains "$out" "spend-100-eur"
contains "$out" "269 points"
expect 0 "the same basket at a till earns the same without the app campaign" -- "$ctl" quote --member alice \
  --currency EUR --channel pos --store store-12 --line CHIPS,snacks,2,350 --line TV,electronics,1,9900 \
  --line GIFT,gift-cards,1,5000
[[ $out != *app-double* ]] || fail "the app campaign applied at a till: $out"
contains "$out" "163 points"
expect 3 "a quote for an unknown member is NOT_FOUND" -- "$ctl" quote --member nobody --currency EUR \
  --channel app --line A,,1,100
expect 0 "a survey answered in the app earns its points" -- "$ctl" event --member alice --event survey \
  --channel app --reference survey-991
contains "$out" "20 points"
expect 3 "a second survey the same day is refused" -- "$ctl" event --member alice --event survey --channel app
contains "$err" "EVENT_LIMIT_REACHED"
expect 3 "an unknown event is refused" -- "$ctl" event --member alice --event tweet --channel app
contains "$err" "INVALID_ARGUMENT"
expect 0 "redeem in the app" -- "$ctl" redeem --member alice --order A-1002 --points 20 --channel app
expect 3 "redeeming more than available is refused" -- "$ctl" redeem --member alice --order A-1003 --points 2000
contains "$err" "FAILED_PRECONDITION"
contains "$err" "available 0"
expect 0 "adjust with reason and operator" -- "$ctl" adjust --member alice --points 5 --reason GOODWILL --operator support.jane --note "late delivery"
expect 0 "balance" -- "$ctl" --json balance --member alice
contains "$out" '"available_points":"5"'
contains "$out" '"pending_points":"34"'
expect 0 "the balance shows pending points and what expires when" -- "$ctl" balance --member alice
contains "$out" "34 points (inside the return window)"
contains "$out" "5 points at "
expect 0 "history lists every entry" -- "$ctl" history --member alice
[[ $(grep -c -E '^ *[0-9]+ ' <<< "$out") == 5 ]] || fail "history should list 5 entries: $out"
expect 0 "verify passes" -- "$ctl" verify
contains "$out" "ok"
expect 0 "returning the mug takes its share of the order's pending points" -- "$ctl" return --member alice \
  --order A-1001 --line MUG,1 --channel app
contains "$out" "8 points"
expect 3 "returning the mug twice is refused" -- "$ctl" return --member alice --order A-1001 --line MUG,1 --channel app
contains "$err" "RETURN_EXCEEDS_ORDER"
expect 2 "a return needs lines or an amount" -- "$ctl" return --member alice --order A-1001
expect 2 "a malformed return line is a flag error" -- "$ctl" return --member alice --order A-1001 --line MUG

# Bad input: a clear one-line error, nothing sent or changed.
expect 2 "a malformed --line is a flag error" -- "$ctl" earn --member alice --order X --currency EUR --line "no-commas"
expect 2 "an unknown channel is a flag error" -- "$ctl" redeem --member alice --order X --points 1 --channel fax
expect 3 "an unknown member is NOT_FOUND" -- "$ctl" balance --member nobody
contains "$err" "NOT_FOUND"
expect 3 "zero points is INVALID_ARGUMENT naming the field" -- "$ctl" redeem --member alice --order X --points 0
contains "$err" "points"
expect 3 "a wrong API key is UNAUTHENTICATED" -- env LOYALTY_API_KEY=wrong "$ctl" balance --member alice
contains "$err" "UNAUTHENTICATED"
expect 3 "a POS key cannot adjust" -- env LOYALTY_API_KEY=demo-pos-key "$ctl" adjust --member alice --points 5 --reason X --operator y
contains "$err" "PERMISSION_DENIED"
expect 0 "nothing changed: balance still 5" -- "$ctl" --json balance --member alice
contains "$out" '"available_points":"5"'

# Graceful shutdown, then a restart keeps everything.
kill -TERM "$server_pid"
wait "$server_pid" && status=0 || status=$?
[[ $status == 0 ]] || fail "loyaltyd exited $status after SIGTERM: $(cat "$work/server.log")"
grep -q "stopped cleanly" "$work/server.log" || fail "no clean-stop line"
ok "SIGTERM stops loyaltyd cleanly"
expect 4 "an unreachable server is a transient error" -- "$ctl" --timeout-ms 500 balance --member alice

start_server
expect 0 "the balance survives a restart" -- "$ctl" --json balance --member alice
contains "$out" '"available_points":"5"'
expect 0 "verify passes after restart" -- "$ctl" verify
kill -TERM "$server_pid"
wait "$server_pid" || true

echo "$passed passed, 0 failed"
