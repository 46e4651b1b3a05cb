#!/usr/bin/env bash
# End-to-end: a voucher's life through loyaltyctl against a real loyaltyd
# on a free loopback port, with the sample program's products. The app
# sells alice twelve coffees; tills in two stores hand out a few at a time;
# she gives two to bob and sets three aside for a friend, who enrols and
# claims them once; she refunds one for its share of the price; every
# refusal (too few units, another member's voucher, a used claim code, a
# product without refunds or gifts, bad flags) changes nothing; a restart
# keeps every unit where it went, and verify passes.
#
# Usage: vouchers_test.sh LOYALTYD LOYALTYCTL PROGRAM
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

app=(env LOYALTY_API_KEY=demo-app-key "$ctl")
pos=(env LOYALTY_API_KEY=demo-pos-key "$ctl")

expect 0 "the app sells alice twelve coffees for 30.00 EUR" -- "${app[@]}" --json \
  voucher issue --member alice --product coffee-12 --units 12 --price 3000 \
  --currency EUR --order W-1 --channel app
code=$(json_field 'j["voucher"]["code"]')
[[ $code =~ ^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}-[0-9A-HJKMNP-TV-Z]$ ]] ||
  fail "the code is not four groups and a check character: $code"
[[ $(json_field 'j["voucher"]["units_left"]') == 12 ]] || fail "units: $out"

expect 0 "a till in store 12 hands out three, the code typed in lower case" -- \
  "${pos[@]}" voucher redeem --member alice --code "$(tr 'A-Z' 'a-z' <<< "$code")" \
  --units 3 --channel pos --store store-12
contains "$out" "9 of 12"
contains "$out" "voucher_redeem on alice"
expect 0 "a till in store 7 two more" -- "${pos[@]}" voucher redeem --member alice \
  --code "${code//-/}" --units 2 --channel pos --store store-14
contains "$out" "7 of 12"

expect 0 "alice gives bob two" -- "${app[@]}" --json voucher transfer --member alice \
  --code "$code" --to bob --units 2 --channel app
bob_code=$(json_field 'j["received"]["code"]')
[[ $(json_field 'j["voucher"]["units_left"]') == 5 ]] || fail "alice after the transfer: $out"
expect 0 "bob picks his up" -- "${pos[@]}" voucher redeem --member bob --code "$bob_code" \
  --units 2 --channel pos --store store-12
contains "$out" "0 of 2"
contains "$out" "used up"
expect 3 "bob cannot use alice's voucher, and learns nothing about it" -- \
  "${pos[@]}" voucher redeem --member bob --code "$code" --units 1 --channel pos --store store-12
contains "$err" "(reason: VOUCHER_NOT_FOUND)"

expect 0 "alice sets three aside for a friend" -- "${app[@]}" --json voucher gift \
  --member alice --code "$code" --units 3 --channel app
claim=$(json_field 'j["gift"]["claim_code"]')
expect 0 "the friend enrols" -- "$ctl" enroll --member carol
expect 0 "and claims them" -- "${app[@]}" voucher claim --member carol --claim-code "$claim" \
  --channel app
contains "$out" "claimed by"
contains "$out" "carol"
contains "$out" "3 of 3"
expect 3 "a claim code is claimed once" -- "${app[@]}" voucher claim --member bob \
  --claim-code "$claim" --channel app
contains "$err" "(reason: VOUCHER_GIFT_NOT_CLAIMABLE)"

expect 0 "alice returns one unused coffee for its share: 30.00 / 12" -- "${app[@]}" --json \
  voucher refund --member alice --code "$code" --units 1 --channel app
[[ $(json_field 'j["refund"]["amount_minor"]') == 250 ]] || fail "refund: $out"
expect 3 "a pickup of more than is left takes none" -- "${pos[@]}" voucher redeem \
  --member alice --code "$code" --units 2 --channel pos --store store-12
contains "$err" "(reason: VOUCHER_UNITS_TOO_FEW)"

expect 0 "lunches for bob" -- "${app[@]}" --json voucher issue --member bob \
  --product lunch-5 --units 5 --price 4000 --currency EUR --order W-2 --channel web
lunch=$(json_field 'j["voucher"]["code"]')
expect 3 "lunches are not refundable" -- "${app[@]}" voucher refund --member bob \
  --code "$lunch" --units 1 --channel app
contains "$err" "(reason: VOUCHER_NOT_REFUNDABLE)"
expect 3 "nor giftable" -- "${app[@]}" voucher gift --member bob --code "$lunch" \
  --units 1 --channel app
contains "$err" "(reason: VOUCHER_GIFTS_NOT_ALLOWED)"
expect 3 "vouchers are not sold at a till" -- "${pos[@]}" voucher issue --member bob \
  --product lunch-5 --units 5 --price 4000 --currency EUR --order T-2 --channel pos \
  --store store-12
contains "$err" "may not call IssueVoucher"
expect 3 "an unknown product is NOT_FOUND" -- "${app[@]}" voucher issue --member bob \
  --product nope --units 1 --price 0 --currency EUR --order W-3 --channel app
contains "$err" "(reason: VOUCHER_PRODUCT_NOT_FOUND)"
typo=$( [[ ${code:0:1} == A ]] && echo "B${code:1}" || echo "A${code:1}" )
expect 2 "loyaltyctl catches a mistyped code offline" -- "$ctl" voucher show --code "$typo"
contains "$err" "check character"
expect 2 "voucher without a subcommand is a usage error" -- "$ctl" voucher
expect 2 "redeem with --units 0 is bad input" -- "${pos[@]}" voucher redeem \
  --member alice --code "$code" --units 0

kill -TERM "$server_pid"
wait "$server_pid" || fail "loyaltyd exited $? after SIGTERM"
start_server
expect 0 "after a restart every unit is where it went" -- "$ctl" --json voucher show --code "$code"
[[ $(json_field 'j["units_left"]') == 1 ]] || fail "left after restart: $out"
[[ $(json_field 'j["units_redeemed"]') == 5 ]] || fail "picked up: $out"
[[ $(json_field 'j["units_transferred_out"]') == 2 ]] || fail "transferred: $out"
[[ $(json_field 'j["units_gifted_claimed"]') == 3 ]] || fail "gifted: $out"
[[ $(json_field 'j["units_refunded"]') == 1 ]] || fail "refunded: $out"
expect 0 "verify passes" -- "$ctl" verify
kill -TERM "$server_pid"
wait "$server_pid" || fail "loyaltyd exited $? after SIGTERM"
ok "loyaltyd stops cleanly"

echo "$passed passed, 0 failed"
