#!/usr/bin/env bash
# End-to-end: coupons through loyaltyctl against a real loyaltyd on a free
# loopback port, with the sample program's templates. An app issues, a till
# shows and redeems the code in other spellings until it is used up, a typo
# is caught by loyaltyctl offline, the per-member limit holds, another member
# cannot use the code, a web order reserves a coupon and releases, times out
# or commits it, a restart keeps every use, and bad flags change nothing.
#
# Usage: coupons_test.sh LOYALTYD LOYALTYCTL PROGRAM
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
expect 0 "enrol alice" -- "$ctl" enroll --member alice
expect 0 "enrol bob" -- "$ctl" enroll --member bob

expect 0 "the app issues alice two free coffees" -- env LOYALTY_API_KEY=demo-app-key \
  "$ctl" --json coupon issue --member alice --template coffee-2 --channel app
code=$(json_field 'j["coupon"]["code"]')
[[ $code =~ ^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}-[0-9A-HJKMNP-TV-Z]$ ]] ||
  fail "the code is not four groups and a check character: $code"
[[ $(json_field 'j["coupon"]["uses_allowed"]') == 2 ]] || fail "uses allowed: $out"

lower=$(tr 'A-Z' 'a-z' <<< "$code")
expect 0 "a till shows it typed in lower case" -- env LOYALTY_API_KEY=demo-pos-key \
  "$ctl" coupon show --code "$lower"
contains "$out" "free COFFEE-S"
contains "$out" "0 of 2"

expect 0 "the till validates it first" -- env LOYALTY_API_KEY=demo-pos-key \
  "$ctl" coupon validate --member alice --code "$code" --channel pos --store store-12
contains "$out" "0 of 2"
expect 0 "the till redeems it typed without dashes" -- env LOYALTY_API_KEY=demo-pos-key \
  "$ctl" coupon redeem --member alice --code "${code//-/}" --order T-1 --channel pos --store store-12
contains "$out" "1 of 2"
expect 0 "and once more" -- env LOYALTY_API_KEY=demo-pos-key \
  "$ctl" coupon redeem --member alice --code "$code" --order T-2 --channel pos --store store-12
contains "$out" "used up"
expect 3 "a third use is refused" -- env LOYALTY_API_KEY=demo-pos-key \
  "$ctl" coupon redeem --member alice --code "$code" --order T-3 --channel pos --store store-12
contains "$err" "(reason: COUPON_USED_UP)"
expect 3 "and validation says so too" -- env LOYALTY_API_KEY=demo-pos-key \
  "$ctl" coupon validate --member alice --code "$code" --channel pos --store store-12
contains "$err" "(reason: COUPON_USED_UP)"

typo=$( [[ ${code:0:1} == A ]] && echo "B${code:1}" || echo "A${code:1}" )
expect 2 "loyaltyctl catches a mistyped code offline" -- "$ctl" coupon show --code "$typo"
contains "$err" "check character"
expect 2 "and never sends a redemption of it" -- env LOYALTY_API_KEY=demo-pos-key \
  "$ctl" coupon redeem --member alice --code "$typo" --order T-9 --channel pos --store store-12
contains "$err" "--code: check character does not match"

expect 0 "alice gets her welcome coupon" -- "$ctl" --json coupon issue --member alice --template welcome-10
welcome=$(json_field 'j["coupon"]["code"]')
expect 3 "but only one" -- "$ctl" coupon issue --member alice --template welcome-10
contains "$err" "(reason: COUPON_LIMIT_REACHED)"
expect 3 "bob cannot use alice's coupon, and learns nothing about it" -- \
  "$ctl" coupon redeem --member bob --code "$welcome" --order B-1
contains "$err" "(reason: COUPON_NOT_FOUND)"
expect 3 "an unknown template is NOT_FOUND" -- "$ctl" coupon issue --member bob --template nope
contains "$err" "(reason: COUPON_TEMPLATE_NOT_FOUND)"

# An online order waits for payment: bob's welcome coupon is reserved.
expect 0 "bob gets his welcome coupon" -- "$ctl" --json coupon issue --member bob --template welcome-10
bob_code=$(json_field 'j["coupon"]["code"]')
expect 0 "the web shop reserves it for an order" -- env LOYALTY_API_KEY=demo-app-key \
  "$ctl" --json coupon reserve --member bob --code "$bob_code" --order WEB-1 --channel app
reservation=$(json_field 'j["reservation_id"]')
[[ $reservation =~ ^R[1-9][0-9]*$ ]] || fail "reservation id: $reservation"
[[ $(json_field 'j["coupon"]["uses_reserved"]') == 1 ]] || fail "uses_reserved: $out"
expect 3 "a till cannot take the reserved use" -- env LOYALTY_API_KEY=demo-pos-key \
  "$ctl" coupon redeem --member bob --code "$bob_code" --order T-7 --channel pos --store store-12
contains "$err" "reserved by an order waiting for payment"
expect 0 "the payment fails: the shop releases it" -- env LOYALTY_API_KEY=demo-app-key \
  "$ctl" coupon release --member bob --reservation "$reservation" --channel app
contains "$out" "usable"
expect 3 "a reservation ends once" -- env LOYALTY_API_KEY=demo-app-key \
  "$ctl" coupon commit --member bob --reservation "$reservation" --channel app
contains "$err" "(reason: COUPON_RESERVATION_NOT_ACTIVE)"
expect 0 "a reservation of one second" -- env LOYALTY_API_KEY=demo-app-key \
  "$ctl" --json coupon reserve --member bob --code "$bob_code" --order WEB-2 --timeout-ms 1000 --channel app
short=$(json_field 'j["reservation_id"]')
sleep 1.2
expect 0 "gives the use back by itself" -- "$ctl" coupon show --code "$bob_code"
contains "$out" "usable"
expect 3 "and cannot be committed after" -- env LOYALTY_API_KEY=demo-app-key \
  "$ctl" coupon commit --member bob --reservation "$short" --channel app
contains "$err" "(reason: COUPON_RESERVATION_NOT_ACTIVE)"
expect 0 "reserved again" -- env LOYALTY_API_KEY=demo-app-key \
  "$ctl" --json coupon reserve --member bob --code "$bob_code" --order WEB-3 --channel app
paid=$(json_field 'j["reservation_id"]')
expect 0 "and committed once paid" -- env LOYALTY_API_KEY=demo-app-key \
  "$ctl" coupon commit --member bob --reservation "$paid" --channel app
contains "$out" "used up"
expect 3 "a reservation id of nobody's is NOT_FOUND" -- env LOYALTY_API_KEY=demo-app-key \
  "$ctl" coupon release --member alice --reservation "$paid" --channel app
contains "$err" "(reason: COUPON_RESERVATION_NOT_FOUND)"
expect 3 "a malformed reservation id is refused with its field" -- \
  "$ctl" coupon commit --member bob --reservation H12
contains "$err" "reservation_id"
expect 3 "a timeout out of range is refused with its field" -- \
  "$ctl" coupon reserve --member alice --code "$welcome" --timeout-ms 999
contains "$err" "timeout_ms"
expect 2 "reserve without --code is a usage error" -- "$ctl" coupon reserve --member bob

expect 2 "coupon without a subcommand is a usage error" -- "$ctl" coupon
expect 2 "issue without --template is a usage error" -- "$ctl" coupon issue --member alice
expect 3 "a malformed member id is refused" -- "$ctl" coupon redeem --member "bad id" --code "$welcome" --order X

kill -TERM "$server_pid"
wait "$server_pid" || fail "loyaltyd exited $? after SIGTERM"
start_server
expect 0 "after a restart the coupon still has both uses" -- "$ctl" --json coupon show --code "$code"
[[ $(json_field 'j["uses"]') == 2 ]] || fail "uses after restart: $out"
expect 0 "and bob's committed reservation its use" -- "$ctl" --json coupon show --code "$bob_code"
[[ $(json_field 'j["uses"]') == 1 ]] || fail "bob's uses after restart: $out"
expect 0 "verify passes" -- "$ctl" verify
kill -TERM "$server_pid"
wait "$server_pid" || fail "loyaltyd exited $? after SIGTERM"
ok "loyaltyd stops cleanly"

echo "$passed passed, 0 failed"
