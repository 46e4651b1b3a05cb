#!/usr/bin/env bash
# End-to-end: bulk coupon codes through loyaltyctl against a real loyaltyd
# on a free loopback port, with the sample program. `coupon generate` writes
# a batch's codes to a CSV; run again with the batch id it writes the same
# file; cut by kill -9 of loyaltyd mid-batch, a rerun after the restart
# completes it with exactly the codes asked for, the first ones where they
# were. Any member redeems a generated code at a till, the template's
# per-member limit holds for its bearer codes, and refusals (another count
# under the batch id, the issuance budget, a till's key, bad flags) change
# nothing.
#
# Usage: coupon_generate_test.sh LOYALTYD LOYALTYCTL PROGRAM
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

# Lines of a file (0 when it does not exist).
lines_of() { if [[ -f $1 ]]; then wc -l < "$1"; else echo 0; fi; }
# Distinct codes in a codes CSV (its third column, header left out).
distinct_codes() { tail -n +2 "$1" | cut -d, -f3 | sort -u | wc -l; }

start_server
export LOYALTY_API_KEY=demo-admin-key
expect 0 "enrol alice" -- "$ctl" enroll --member alice
expect 0 "enrol bob" -- "$ctl" enroll --member bob

expect 0 "a batch of 25,000 welcome codes goes to a CSV" -- \
  "$ctl" coupon generate --template welcome-10 --count 25000 --batch-id flyer-1 \
  --out "$work/flyer-1.csv"
contains "$out" "25,000"
[[ $(head -1 "$work/flyer-1.csv") == "batch_id,index,code" ]] || fail "header: $(head -1 "$work/flyer-1.csv")"
[[ $(lines_of "$work/flyer-1.csv") == 25001 ]] || fail "lines: $(lines_of "$work/flyer-1.csv")"
[[ $(distinct_codes "$work/flyer-1.csv") == 25000 ]] || fail "codes are not distinct"
[[ ! -e $work/flyer-1.csv.partial ]] || fail "a partial file was left"
contains "$err" "generate"
cp "$work/flyer-1.csv" "$work/flyer-1.first.csv"

expect 0 "the same batch id again writes the same file and no new code" -- \
  "$ctl" --json coupon generate --template welcome-10 --count 25000 --batch-id flyer-1 \
  --out "$work/flyer-1.csv"
[[ $(json_field 'j["replayedCodes"]') == 25000 ]] || fail "replayed: $out"
cmp -s "$work/flyer-1.csv" "$work/flyer-1.first.csv" || fail "the rerun wrote other codes"

first=$(sed -n 2p "$work/flyer-1.csv" | cut -d, -f3)
second=$(sed -n 3p "$work/flyer-1.csv" | cut -d, -f3)
expect 0 "a till shows a generated code: any member's, with its batch" -- \
  env LOYALTY_API_KEY=demo-pos-key "$ctl" coupon show --code "$first"
contains "$out" "any (bearer code)"
contains "$out" "flyer-1"
expect 0 "bob redeems it at a till" -- env LOYALTY_API_KEY=demo-pos-key \
  "$ctl" coupon redeem --member bob --code "$first" --order B-1 --channel pos --store store-12
contains "$out" "1 of 1"
expect 3 "alice cannot use it again: one use" -- env LOYALTY_API_KEY=demo-pos-key \
  "$ctl" coupon redeem --member alice --code "$first" --order A-1 --channel pos --store store-12
contains "$err" "(reason: COUPON_USED_UP)"
expect 0 "alice redeems another code of the batch" -- env LOYALTY_API_KEY=demo-pos-key \
  "$ctl" coupon redeem --member alice --code "$second" --order A-2 --channel pos --store store-12
third=$(sed -n 4p "$work/flyer-1.csv" | cut -d, -f3)
expect 3 "a third code is one more than welcome-10's per-member limit" -- \
  env LOYALTY_API_KEY=demo-pos-key \
  "$ctl" coupon redeem --member alice --code "$third" --order A-3 --channel pos --store store-12
contains "$err" "(reason: COUPON_BEARER_LIMIT_REACHED)"

# A batch cut by kill -9 of loyaltyd, then completed by a rerun.
"$ctl" coupon generate --template welcome-10 --count 200000 --batch-id flyer-2 \
  --out "$work/flyer-2.csv" > "$work/cut.out" 2> "$work/cut.err" < /dev/null &
ctl_pid=$!
for _ in $(seq 1 300); do
  (( $(lines_of "$work/flyer-2.csv.partial") > 10001 )) && break
  sleep 0.05
done
(( $(lines_of "$work/flyer-2.csv.partial") > 10001 )) || fail "no chunk arrived before the kill"
kill -9 "$server_pid"
wait "$server_pid" 2>/dev/null || true
set +e
wait "$ctl_pid"
cut_exit=$?
set -e
[[ $cut_exit == 4 ]] || fail "the cut run exited $cut_exit, wanted 4 (transient): $(cat "$work/cut.err")"
contains "$(cat "$work/cut.err")" "--request-id"
ok "a run cut by kill -9 of loyaltyd exits 4"
[[ ! -e $work/flyer-2.csv ]] || fail "the cut run left a complete-looking file"
head -n 10001 "$work/flyer-2.csv.partial" > "$work/flyer-2.before.csv"
start_server
expect 0 "the rerun after the restart completes the batch" -- \
  "$ctl" --json coupon generate --template welcome-10 --count 200000 --batch-id flyer-2 \
  --out "$work/flyer-2.csv"
(( $(json_field 'j["replayedCodes"]') >= 10000 )) || fail "nothing was replayed: $out"
[[ $(lines_of "$work/flyer-2.csv") == 200001 ]] || fail "lines: $(lines_of "$work/flyer-2.csv")"
[[ $(distinct_codes "$work/flyer-2.csv") == 200000 ]] || fail "codes are not distinct"
[[ $(head -n 10001 "$work/flyer-2.csv") == "$(cat "$work/flyer-2.before.csv")" ]] ||
  fail "the codes streamed before the kill moved"
[[ $(cat "$work/flyer-1.csv" "$work/flyer-2.csv" | grep -v '^batch_id' | cut -d, -f3 | sort -u | wc -l) == 225000 ]] ||
  fail "two batches share a code"

# Refusals change nothing.
expect 3 "another count under a batch id is refused" -- \
  "$ctl" coupon generate --template welcome-10 --count 25001 --batch-id flyer-1 \
  --out "$work/other.csv"
contains "$err" "(reason: COUPON_BATCH_CONFLICT)"
[[ ! -e $work/other.csv && ! -e $work/other.csv.partial ]] || fail "a refused run left a file"
expect 3 "a batch past coffee-2's issuance budget is refused whole" -- \
  "$ctl" coupon generate --template coffee-2 --count 10001 --batch-id coffee-1 \
  --out "$work/coffee.csv"
contains "$err" "(reason: COUPON_BUDGET_SPENT)"
expect 3 "a till's key may not generate" -- env LOYALTY_API_KEY=demo-pos-key \
  "$ctl" coupon generate --template welcome-10 --count 5 --batch-id till-1 \
  --out "$work/till.csv"
contains "$err" "PERMISSION_DENIED"
expect 2 "--count 0 is refused unsent" -- \
  "$ctl" coupon generate --template welcome-10 --count 0 --batch-id b --out "$work/x.csv"
contains "$err" "--count"
expect 2 "--out in a directory that does not exist is refused unsent" -- \
  "$ctl" coupon generate --template welcome-10 --count 5 --batch-id b \
  --out "$work/no/such/dir/x.csv"
contains "$err" "--out"
expect 2 "--batch-id is required" -- \
  "$ctl" coupon generate --template welcome-10 --count 5 --out "$work/x.csv"
expect 3 "an unknown template is NOT_FOUND" -- \
  "$ctl" coupon generate --template no-such --count 5 --batch-id b2 --out "$work/x.csv"
contains "$err" "(reason: COUPON_TEMPLATE_NOT_FOUND)"
expect 0 "the ledger verifies" -- "$ctl" verify

echo "coupon_generate_test: $passed checks passed"
