#!/usr/bin/env bash
# End-to-end: loyaltyd's --unknown-coupon-lookups-per-minute. Bad values
# stop the start with exit 2 and the flag named; with a limit of 2, a till's
# third unknown code through loyaltyctl is RESOURCE_EXHAUSTED (exit 4,
# UNKNOWN_CODE_LOOKUPS_LIMITED) while the app's key still looks codes up.
#
# Usage: coupon_lookup_limit_test.sh LOYALTYD LOYALTYCTL PROGRAM
set -euo pipefail

loyaltyd=$1
ctl=$2
program=$3
# The demo keys beside the sample program.
keys=$(dirname -- "$program")/keys.sample.textproto
# shellcheck source=tests/e2e/e2e_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/e2e_lib.sh"
e2e_begin

for bad in 0 -1 60001 many; do
  expect 2 "loyaltyd refuses --unknown-coupon-lookups-per-minute $bad" -- \
    "$loyaltyd" --listen 127.0.0.1:0 --data-dir "$work/data" --program "$program" --keys-file "$keys" \
    --unknown-coupon-lookups-per-minute "$bad"
  contains "$err" "--unknown-coupon-lookups-per-minute"
  lacks "$out" "listening on"
done
[[ ! -e $work/data ]] || fail "a refused start created the data directory"

expect 0 "loyaltyd --help shows the limit's default" -- "$loyaltyd" --help
contains "$out" "--unknown-coupon-lookups-per-minute"
contains "$out" "--unknown-coupon-lookups-per-minute INT:INT in [1 - 60000]=60"

"$loyaltyd" --listen 127.0.0.1:0 --data-dir "$work/data" --program "$program" --keys-file "$keys" \
  --unknown-coupon-lookups-per-minute 2 > "$work/loyaltyd.log" 2>&1 &
server_pid=$!
await_listening "$work/loyaltyd.log" "$server_pid" loyaltyd

# Well-formed codes (the check character matches) that nobody was issued.
unknown_code() {
  "${python:-python3}" - "$1" <<'PY'
import sys
alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
digits = "ZZZZZZZZZZZZZZZ" + alphabet[int(sys.argv[1])]
total, doubled = 0, True
for c in reversed(digits):
    value = alphabet.index(c)
    if doubled:
        value *= 2
        value = value // 32 + value % 32
    total += value
    doubled = not doubled
print(digits + alphabet[(32 - total % 32) % 32])
PY
}

export LOYALTY_API_KEY=demo-pos-key
for n in 1 2; do
  expect 3 "unknown code $n is NOT_FOUND" -- "$ctl" coupon show --code "$(unknown_code $n)"
  contains "$err" "(reason: COUPON_NOT_FOUND)"
done
expect 4 "the till's third unknown code is over the limit" -- \
  "$ctl" coupon show --code "$(unknown_code 3)"
contains "$err" "RESOURCE_EXHAUSTED"
contains "$err" "the limit is 2 a minute"
contains "$err" "(reason: UNKNOWN_CODE_LOOKUPS_LIMITED)"
expect 3 "the app's key has its own allowance" -- env LOYALTY_API_KEY=demo-app-key \
  "$ctl" coupon show --code "$(unknown_code 3)"
contains "$err" "(reason: COUPON_NOT_FOUND)"

kill -TERM "$server_pid"
wait "$server_pid" || fail "loyaltyd exited $? after SIGTERM"
ok "loyaltyd stops cleanly"

echo "$passed passed, 0 failed"
