#!/usr/bin/env bash
# End-to-end: offline redemptions through loyaltyctl against a real
# loyaltyd on a free loopback port, with the sample program (200 points a
# member and day, DEBT when short, floor -500). A till syncs what it let
# members pay with while offline: carol, who has no points, goes into debt;
# dan's second redemption of the day passes the allowance and is refused.
# An operator lists both with `reconciliations`, a page at a time; bad flags
# and a non-admin key change nothing; a restart keeps everything, and
# verify passes.
#
# Usage: offline_test.sh LOYALTYD LOYALTYCTL PROGRAM
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
  "$loyaltyd" --listen 127.0.0.1:0 --data-dir "$work/data" --program "$program" --keys-file "$keys" \
    > "$work/loyaltyd.log" 2>&1 &
  server_pid=$!
  await_listening "$work/loyaltyd.log" "$server_pid" loyaltyd
}

start_server
export LOYALTY_API_KEY=demo-admin-key
expect 0 "enrol carol" -- "$ctl" enroll --member carol
expect 0 "enrol dan" -- "$ctl" enroll --member dan
expect 0 "dan gets 100 points" -- "$ctl" adjust --member dan --points 100 \
  --reason GOODWILL --operator support.jane

pos=(env LOYALTY_API_KEY=demo-pos-key "$ctl")
sale_ms=$(( $(date +%s) * 1000 - 3600 * 1000 ))
synced() {
  "${pos[@]}" redeem --offline --channel pos --store S001 --terminal till-1 \
    --occurred-at-ms "$sale_ms" "$@"
}

expect 0 "carol paid 150 points offline: into debt" -- synced --member carol \
  --order T-1 --points 150 --request-id till-1-0001
contains "$out" "offline 150: 150 into debt, 0 written off"
contains "$out" "-150 points"
expect 0 "dan paid 60 points offline: applied" -- synced --member dan \
  --order T-2 --points 60
contains "$out" "offline 60: applied"
expect 0 "dan's 150 more that day pass the allowance: refused, recorded" -- \
  synced --member dan --order T-3 --points 150
contains "$out" "offline 150: refused, 140 left of the day's allowance"
expect 0 "dan keeps what the refusal did not take" -- "$ctl" --json balance \
  --member dan
[[ $(json_field 'j["available_points"]') == 40 ]] || fail "dan's balance: $out"
expect 0 "the sync of carol's again is a replay" -- synced --member carol \
  --order T-1 --points 150 --request-id till-1-0001
contains "$out" "replayed"

expect 0 "the operator lists both" -- "$ctl" reconciliations
contains "$out" "carol"
contains "$out" "offline 150: 150 into debt"
contains "$out" "dan"
contains "$out" "refused, 140 left"
lacks "$out" "offline 60"
lacks "$out" "next page token"
expect 0 "a page of one row names the next" -- "$ctl" reconciliations --page-size 1
contains "$out" "carol"
lacks "$out" "dan"
token=$(sed -n 's/^next page token: //p' <<<"$out")
[[ -n $token ]] || fail "no next page token in: $out"
expect 0 "the next page has the other" -- "$ctl" reconciliations --page-size 1 \
  --page-token "$token"
contains "$out" "dan"
lacks "$out" "carol"
expect 0 "--all follows the pages" -- "$ctl" --json reconciliations --page-size 1 --all
[[ $(json_field 'len(j["entries"])') == 2 ]] || fail "entries: $out"
[[ $(json_field 'j["entries"][0]["offline_redemption"]["outcome"]') == \
  OFFLINE_OUTCOME_DEBT ]] || fail "first outcome: $out"

expect 3 "a page of 501 is refused, naming the field" -- "$ctl" reconciliations \
  --page-size 501
contains "$err" "page_size"
expect 3 "a token this server did not make is refused" -- "$ctl" reconciliations \
  --page-token not-a-token
contains "$err" "page_token"
expect 2 "a page size that is no number is bad input" -- "$ctl" reconciliations \
  --page-size many
expect 3 "a till's key may not list them" -- "${pos[@]}" reconciliations
contains "$err" "PERMISSION_DENIED"
expect 3 "an offline redemption of 0 points is refused, naming the field" -- \
  synced --member dan --order T-4 --points 0
contains "$err" "points"
expect 0 "and changed nothing" -- "$ctl" --json balance --member dan
[[ $(json_field 'j["available_points"]') == 40 ]] || fail "dan's balance: $out"

kill -TERM "$server_pid"
wait "$server_pid" || fail "loyaltyd exited $? after SIGTERM"
start_server
expect 0 "after a restart the list is the same" -- "$ctl" --json reconciliations
[[ $(json_field 'len(j["entries"])') == 2 ]] || fail "entries: $out"
expect 0 "and carol's debt is still there" -- "$ctl" --json balance --member carol
[[ $(json_field 'j["available_points"]') == -150 ]] || fail "carol: $out"
expect 0 "verify passes" -- "$ctl" verify
kill -TERM "$server_pid"
wait "$server_pid" || fail "loyaltyd exited $? after SIGTERM"
ok "loyaltyd stops cleanly"

echo "$passed passed, 0 failed"
