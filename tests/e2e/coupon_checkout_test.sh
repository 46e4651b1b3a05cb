#!/usr/bin/env bash
# End-to-end: coupons at checkout through loyaltyctl against a real loyaltyd
# on a free loopback port, with the sample program's grocery-5-off-20
# (5.00 EUR off 20.00 EUR of grocery and coffee, combinable) and welcome-10
# (10% off, alone). A till validates the coupon on a basket, quotes the
# order with it, earns with it and gets the quote's points and discount;
# the coupon is then used up and a second order with it is refused and
# writes nothing. A return gives back the returned line's share of the
# discount, so points come back on what was paid. Bad --coupon flags are
# refused before anything is sent.
#
# Usage: coupon_checkout_test.sh LOYALTYD LOYALTYCTL PROGRAM
set -euo pipefail

loyaltyd=$1
ctl=$2
program=$3
# The demo keys beside the sample program.
keys=$(dirname -- "$program")/keys.sample.textproto
# shellcheck source=tests/e2e/e2e_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/e2e_lib.sh"
e2e_begin

"$loyaltyd" --listen 127.0.0.1:0 --data-dir "$work/data" --program "$program" --keys-file "$keys" \
  > "$work/loyaltyd.log" 2>&1 &
server_pid=$!
await_listening "$work/loyaltyd.log" "$server_pid" loyaltyd

export LOYALTY_API_KEY=demo-admin-key
pos=(env LOYALTY_API_KEY=demo-pos-key "$ctl")
till=(--channel pos --store store-12)
# 2 x 12.99 of coffee beans (grocery) and a 8.99 mug: 34.97 EUR, of which
# 25.98 are lines the grocery coupon applies to.
basket=(--currency EUR --line COFFEE-1KG,grocery,2,1299 --line MUG,home,1,899)

expect 0 "enrol alice" -- "$ctl" enroll --member alice
expect 0 "the app issues alice the grocery coupon" -- env LOYALTY_API_KEY=demo-app-key \
  "$ctl" --json coupon issue --member alice --template grocery-5-off-20 --channel app
code=$(json_field 'j["coupon"]["code"]')
expect 0 "and her welcome coupon" -- "$ctl" --json coupon issue --member alice --template welcome-10
welcome=$(json_field 'j["coupon"]["code"]')

expect 0 "coupon show prints the template's checkout rules" -- "${pos[@]}" coupon show --code "$code"
contains "$out" "500 EUR minor units off"
contains "$out" "min spend:    2000 EUR minor units"
contains "$out" "categories:   grocery, coffee"
contains "$out" "combinable:   yes"
expect 0 "and --json has them too" -- "${pos[@]}" --json coupon show --code "$code"
[[ $(json_field 'j["min_spend"]["amount_minor"]') == 2000 ]] || fail "min spend: $out"
[[ $(json_field 'j["combinable"]') == True ]] || fail "combinable: $out"

expect 3 "validating it without a basket says it needs one" -- "${pos[@]}" coupon validate \
  --member alice --code "$code" "${till[@]}"
contains "$err" "FAILED_PRECONDITION"
contains "$err" "(reason: COUPON_NEEDS_BASKET)"
expect 0 "validating it on the basket shows the discount" -- "${pos[@]}" coupon validate \
  --member alice --code "$code" "${till[@]}" "${basket[@]}"
contains "$out" "discount:     500 minor units"
contains "$out" "0 of 1"
expect 3 "on a basket with 12.99 of groceries it is too small" -- "${pos[@]}" coupon validate \
  --member alice --code "$code" "${till[@]}" --currency EUR --line COFFEE-1KG,grocery,1,1299
contains "$err" "(reason: COUPON_BASKET_TOO_SMALL)"
expect 3 "the welcome coupon does not combine with it" -- "${pos[@]}" quote --member alice \
  "${till[@]}" "${basket[@]}" --coupon "$code" --coupon "$welcome"
contains "$err" "(reason: COUPON_NOT_COMBINABLE)"

expect 0 "the quote with the coupon shows the discount" -- "${pos[@]}" quote --member alice \
  "${till[@]}" "${basket[@]}" --coupon "$code"
contains "$out" "discount:        500 minor units"
contains "$out" "to pay:          2997 minor units"
contains "$out" "29 points"  # floor(29.97): points on what is paid.
contains "$out" "$code  grocery-5-off-20  500 minor units"
expect 0 "the same quote as JSON" -- "${pos[@]}" --json quote --member alice \
  "${till[@]}" "${basket[@]}" --coupon "$code"
quote_points=$(json_field 'j["points"]')
quote_discount=$(json_field 'j["discount_minor"]')
[[ $quote_points == 29 && $quote_discount == 500 ]] ||
  fail "quote: $quote_points points, $quote_discount off: $out"
[[ $(json_field 'j["coupons"][0]["code"]') == "$code" ]] || fail "quoted coupon: $out"
[[ $(json_field 'j["coupons"][0]["lines"][0]["line_index"]') == 0 ]] ||
  fail "the discount should go to the coffee line: $out"

expect 0 "earn with the coupon" -- "${pos[@]}" --json earn --member alice --order C-1 \
  "${till[@]}" "${basket[@]}" --coupon "${code//-/}"
[[ $(json_field 'j["points_earned"]') == "$quote_points" ]] || fail "earned other than quoted: $out"
[[ $(json_field 'j["discount_minor"]') == "$quote_discount" ]] || fail "discount other than quoted: $out"
[[ $(json_field 'j["coupons"][0]["code"]') == "$code" ]] || fail "the code as printed: $out"
[[ $(json_field 'j["coupons"][0]["template_id"]') == grocery-5-off-20 ]] || fail "template: $out"
[[ $(json_field 'j["entry"]["coupon_discount_minor"]') == 500 ]] || fail "the EARN's discount: $out"

expect 0 "the coupon shows used up" -- "${pos[@]}" coupon show --code "$code"
contains "$out" "1 of 1"
contains "$out" "used up"
expect 3 "a second order with it is refused" -- "${pos[@]}" earn --member alice --order C-2 \
  "${till[@]}" "${basket[@]}" --coupon "$code"
contains "$err" "loyaltyctl: FAILED_PRECONDITION"
contains "$err" "(reason: COUPON_USED_UP)"
expect 3 "and validation says so too" -- "${pos[@]}" coupon validate --member alice \
  --code "$code" "${till[@]}" "${basket[@]}"
contains "$err" "(reason: COUPON_USED_UP)"

typo=$( [[ ${welcome:0:1} == A ]] && echo "B${welcome:1}" || echo "A${welcome:1}" )
expect 2 "a mistyped --coupon is refused before anything is sent" -- "${pos[@]}" earn \
  --member alice --order C-2 "${till[@]}" "${basket[@]}" --coupon "$typo"
contains "$err" "--coupon: \"$typo\": check character does not match"
expect 0 "order C-2, refused twice, earns with the welcome coupon: nothing was written" -- \
  "${pos[@]}" earn --member alice --order C-2 "${till[@]}" "${basket[@]}" --coupon "$welcome"
contains "$out" "discount:   348 minor units"  # 10% of each line: 259 + 89.
contains "$out" "31 points"                     # floor(31.49).
contains "$out" "$welcome  welcome-10  348 minor units"

# Returning one of the two coffee bags brings back 12.99 less its half of the
# discount (2.50): 10.49 of the 29.97 paid, so floor(29 x 1049 / 2997) = 10.
expect 0 "a return takes back points on what was paid" -- "${pos[@]}" --json return \
  --member alice --order C-1 --line COFFEE-1KG,1 "${till[@]}"
[[ $(json_field 'j["points_reversed"]') == 10 ]] || fail "points reversed: $out"

expect 0 "history lists the coupon's use after the earn" -- "$ctl" --json history --member alice
json_field '[e["kind"] for e in j["entries"]]' | grep -q "ENTRY_KIND_COUPON_REDEEM" ||
  fail "no COUPON_REDEEM in: $out"
expect 0 "verify passes" -- "$ctl" verify
kill -TERM "$server_pid"
wait "$server_pid" || fail "loyaltyd exited $? after SIGTERM"
ok "loyaltyd stops cleanly"

echo "$passed passed, 0 failed"
