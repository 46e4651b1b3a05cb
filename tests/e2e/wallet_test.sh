#!/usr/bin/env bash
# End-to-end: a member's wallet through loyaltyctl against a real loyaltyd
# on a free loopback port, with the sample program. Alice gets a welcome
# coupon and two free coffees, buys twelve coffees online and gives bob two;
# `wallet` lists hers oldest first with what each is worth, what it applies
# to and when it expires, and bob's received voucher in his. Used-up items
# leave the default listing and come back with --include-unusable; pages of
# one follow their tokens, --all reads them all; after merging alice into
# bob his wallet holds both, under either id; bad flags and input are
# refused; a restart keeps every wallet, and verify passes.
#
# Usage: wallet_test.sh LOYALTYD LOYALTYCTL PROGRAM
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

# The codes of a --json wallet answer, one line.
wallet_codes() {
  json_field '" ".join(i.get("coupon", i.get("voucher", {})).get("code", "?") for i in j["items"])'
}

start_server
export LOYALTY_API_KEY=demo-admin-key
app=(env LOYALTY_API_KEY=demo-app-key "$ctl")
pos=(env LOYALTY_API_KEY=demo-pos-key "$ctl")
expect 0 "enrol alice" -- "$ctl" enroll --member alice
expect 0 "enrol bob" -- "$ctl" enroll --member bob

expect 0 "an empty wallet says so" -- "$ctl" wallet --member alice
contains "$out" "no coupons or vouchers"

expect 0 "alice gets her welcome coupon" -- "$ctl" --json coupon issue --member alice \
  --template welcome-10
welcome=$(json_field 'j["coupon"]["code"]')
expect 0 "and two free coffees" -- "$ctl" --json coupon issue --member alice \
  --template coffee-2 --channel app
coffees=$(json_field 'j["coupon"]["code"]')
expect 0 "the app sells alice twelve coffees" -- "${app[@]}" --json voucher issue \
  --member alice --product coffee-12 --units 12 --price 3000 --currency EUR \
  --order W-1 --channel app
bundle=$(json_field 'j["voucher"]["code"]')
expect 0 "alice gives bob two" -- "${app[@]}" --json voucher transfer --member alice \
  --code "$bundle" --to bob --units 2 --channel app
received=$(json_field 'j["received"]["code"]')

expect 0 "alice's wallet, for people" -- "$ctl" wallet --member alice
contains "$out" "KIND"
contains "$out" "APPLIES_TO"
contains "$out" "$welcome"
contains "$out" "10% off"
contains "$out" "free COFFEE-S"
contains "$out" "10 of 12 units left"
contains "$out" "usable"
lacks "$out" "$received"
expect 0 "alice's wallet in the channel's own words (the app's key)" -- \
  "${app[@]}" --json wallet --member alice
[[ $(wallet_codes) == "$welcome $coffees $bundle" ]] || fail "oldest first: $out"
expect 0 "and the till's, the same" -- "${pos[@]}" --json wallet --member alice
[[ $(wallet_codes) == "$welcome $coffees $bundle" ]] || fail "till: $out"
expect 0 "bob's wallet holds what he received" -- "$ctl" --json wallet --member bob
[[ $(wallet_codes) == "$received" ]] || fail "bob: $out"
[[ $(json_field 'j["items"][0]["voucher"]["units_left"]') == 2 ]] || fail "bob's units: $out"

expect 0 "the coffees are used twice at a till" -- "${pos[@]}" coupon redeem \
  --member alice --code "$coffees" --order T-1 --channel pos --store store-12
expect 0 "and used up" -- "${pos[@]}" coupon redeem \
  --member alice --code "$coffees" --order T-2 --channel pos --store store-12
expect 0 "a used-up coupon leaves the wallet" -- "$ctl" --json wallet --member alice
[[ $(wallet_codes) == "$welcome $bundle" ]] || fail "after use: $out"
expect 0 "--include-unusable shows it, used up" -- "$ctl" wallet --member alice \
  --include-unusable
contains "$out" "$coffees"
contains "$out" "used up"

expect 0 "a page of one, with a token" -- "$ctl" --json wallet --member alice --page-size 1
[[ $(wallet_codes) == "$welcome" ]] || fail "first page: $out"
token=$(json_field 'j["next_page_token"]')
[[ -n $token ]] || fail "no token: $out"
expect 0 "the token continues" -- "$ctl" --json wallet --member alice --page-size 1 \
  --page-token "$token"
[[ $(wallet_codes) == "$bundle" ]] || fail "second page: $out"
expect 0 "for people the page prints its token" -- "$ctl" wallet --member alice --page-size 1
contains "$out" "next page token: $token"
expect 0 "--all follows every page" -- "$ctl" --json wallet --member alice --page-size 1 \
  --include-unusable --all
[[ $(wallet_codes) == "$welcome $coffees $bundle" ]] || fail "all pages: $out"
[[ $(json_field 'j["next_page_token"]') == "" ]] || fail "--all ends with a token: $out"

expect 3 "a page size over 500 is the server's INVALID_ARGUMENT" -- "$ctl" wallet \
  --member alice --page-size 501
contains "$err" "page_size"
expect 3 "alice's token is not bob's" -- "$ctl" wallet --member bob --page-token "$token"
contains "$err" "page_token"
expect 3 "an unknown member is NOT_FOUND" -- "$ctl" wallet --member nobody
contains "$err" "(reason: MEMBER_NOT_FOUND)"
expect 2 "wallet without --member is a usage error" -- "$ctl" wallet
contains "$err" "--member"
expect 2 "a page size that is no number is bad input" -- "$ctl" wallet --member alice \
  --page-size ten
contains "$err" "--page-size"

expect 0 "merge alice into bob" -- "$ctl" merge alice bob \
  --reason SAME_PERSON --operator support.jane --yes
expect 0 "bob's wallet holds both, in entry order" -- "$ctl" --json wallet --member bob
[[ $(wallet_codes) == "$welcome $bundle $received" ]] || fail "merged: $out"
expect 0 "and alice's id answers as bob" -- "$ctl" --json wallet --member alice
[[ $(wallet_codes) == "$welcome $bundle $received" ]] || fail "alias: $out"

kill -TERM "$server_pid"
wait "$server_pid" || fail "loyaltyd exited $? after SIGTERM"
start_server
expect 0 "after a restart the wallet is the same" -- "$ctl" --json wallet --member bob \
  --include-unusable
[[ $(wallet_codes) == "$welcome $coffees $bundle $received" ]] || fail "restart: $out"
expect 0 "verify passes" -- "$ctl" verify
kill -TERM "$server_pid"
wait "$server_pid" || fail "loyaltyd exited $? after SIGTERM"
ok "loyaltyd stops cleanly"

echo "$passed passed, 0 failed"
