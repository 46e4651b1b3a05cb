#!/usr/bin/env bash
# End-to-end: the rewards catalog through loyaltyctl against a real
# loyaltyd on a free loopback port, with the sample program's items. alice
# exchanges points for two free coffees (a coupon) and for four coffees to
# pick up (a voucher); the coupon works at a till; an unused reward goes
# back for its points and into stock; every refusal (too few points, the
# tier, the channel, the per-member limit, another member's reward, a used
# one, bad flags) changes nothing; a restart keeps everything, and verify
# passes.
#
# Usage: rewards_test.sh LOYALTYD LOYALTYCTL PROGRAM
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
expect 0 "alice gets 1000 points" -- "$ctl" adjust --member alice --points 1000 \
  --reason GOODWILL --operator support.jane

app=(env LOYALTY_API_KEY=demo-app-key "$ctl")
pos=(env LOYALTY_API_KEY=demo-pos-key "$ctl")

expect 0 "the catalog as alice sees it in the app" -- "${app[@]}" reward list \
  --member alice --channel app
contains "$out" "free-coffee"
contains "$out" "coupon coffee-2"
contains "$out" "voucher coffee-12 x4"
contains "$out" "no: REWARD_TIER_TOO_LOW"

expect 0 "alice takes two free coffees for 150 points" -- "${app[@]}" --json \
  reward redeem --member alice --item free-coffee --channel app
coupon=$(json_field 'j["coupon"]["code"]')
[[ $(json_field 'j["balance"]["available_points"]') == 850 ]] || fail "balance: $out"
[[ $(json_field 'j["entries"][0]["kind"]') == ENTRY_KIND_REWARD_REDEEM ]] ||
  fail "first entry: $out"
[[ $(json_field 'j["entries"][1]["kind"]') == ENTRY_KIND_COUPON_ISSUE ]] ||
  fail "second entry: $out"
expect 0 "a till takes the coupon like any other" -- "${pos[@]}" coupon redeem \
  --member alice --code "$coupon" --order T-1 --channel pos --store store-12
expect 3 "a used reward cannot be given back" -- "${app[@]}" reward cancel \
  --member alice --code "$coupon" --channel app
contains "$err" "(reason: REWARD_NOT_CANCELLABLE)"

expect 0 "four coffees to pick up, for 400 points" -- "${app[@]}" --json \
  reward redeem --member alice --item coffee-bundle --channel app
bundle=$(json_field 'j["voucher"]["code"]')
[[ $(json_field 'j["voucher"]["units_left"]') == 4 ]] || fail "units: $out"
[[ $(json_field 'j["balance"]["available_points"]') == 450 ]] || fail "balance: $out"
expect 3 "bob cannot cancel alice's reward, and learns nothing about it" -- \
  "${app[@]}" reward cancel --member bob --code "$bundle" --channel app
contains "$err" "(reason: REWARD_NOT_FOUND)"
expect 0 "alice gives the untouched bundle back" -- "${app[@]}" reward cancel \
  --member alice --code "$bundle" --channel app
contains "$out" "cancelled (a reward given back for its points)"
contains "$out" "850 points"
expect 3 "once" -- "${app[@]}" reward cancel --member alice --code "$bundle" --channel app
contains "$err" "(reason: REWARD_NOT_CANCELLABLE)"

expect 3 "the bundle is not offered at a till" -- "${pos[@]}" reward redeem \
  --member alice --item coffee-bundle --channel pos --store store-12
contains "$err" "(reason: REWARD_WRONG_CHANNEL)"
expect 3 "lunches are for gold members" -- "${app[@]}" reward redeem \
  --member alice --item gold-lunches --channel app
contains "$err" "(reason: REWARD_TIER_TOO_LOW)"
expect 3 "bob has no points" -- "${app[@]}" reward redeem --member bob \
  --item free-coffee --channel app
contains "$err" "(reason: INSUFFICIENT_POINTS)"
expect 3 "an unknown item is NOT_FOUND" -- "${app[@]}" reward redeem --member alice \
  --item caviar --channel app
contains "$err" "(reason: REWARD_ITEM_NOT_FOUND)"
expect 0 "a bundle again (the cancelled one is not held)" -- "${app[@]}" reward redeem \
  --member alice --item coffee-bundle --channel app
expect 0 "and another" -- "${app[@]}" reward redeem --member alice \
  --item coffee-bundle --channel web
expect 3 "two bundles held is the limit" -- "${app[@]}" reward redeem --member alice \
  --item coffee-bundle --channel web
contains "$err" "(reason: REWARD_LIMIT_REACHED)"
expect 0 "the catalog counts the one coffee coupon out of stock" -- "$ctl" --json reward list
[[ $(json_field 'j["offers"][0]["stock_left"]') == 499 ]] || fail "stock: $out"
typo=$( [[ ${coupon:0:1} == A ]] && echo "B${coupon:1}" || echo "A${coupon:1}" )
expect 2 "loyaltyctl catches a mistyped code offline" -- "${app[@]}" reward cancel \
  --member alice --code "$typo" --channel app
contains "$err" "check character"
expect 2 "reward without a subcommand is a usage error" -- "$ctl" reward
expect 2 "redeem without --item is bad input" -- "${app[@]}" reward redeem --member alice
expect 2 "an unknown --channel is bad input" -- "$ctl" reward list --channel fax

kill -TERM "$server_pid"
wait "$server_pid" || fail "loyaltyd exited $? after SIGTERM"
start_server
expect 0 "after a restart the cancelled bundle stays cancelled" -- "$ctl" --json \
  voucher show --code "$bundle"
[[ $(json_field 'j["state"]') == VOUCHER_STATE_CANCELLED ]] || fail "state: $out"
[[ $(json_field 'j["units_cancelled"]') == 4 ]] || fail "cancelled units: $out"
expect 0 "and the balance is what the answers said" -- "$ctl" --json balance --member alice
[[ $(json_field 'j["available_points"]') == 50 ]] || fail "balance: $out"
expect 0 "verify passes" -- "$ctl" verify
kill -TERM "$server_pid"
wait "$server_pid" || fail "loyaltyd exited $? after SIGTERM"
ok "loyaltyd stops cleanly"

echo "$passed passed, 0 failed"
