#!/usr/bin/env bash
# The coupon flags of the loyaltyctl binary refuse bad input before any
# call: a mistyped --coupon, six codes, one coupon twice, a validation
# basket with only --currency or only --line. Each must exit 2 with one
# line naming the flag, and send nothing: loyaltyctl talks to a listener
# that counts the connections it gets. A well-formed request to the same
# listener shows that a call would be counted.
#
# Usage: coupon_flags_cli_test.sh LOYALTYCTL
set -euo pipefail

ctl=$1
# shellcheck source=tests/ctl/counting_listener_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/counting_listener_lib.sh"

# Codes with a valid check character (coupon_code.h), and one mistyped.
code1=S04H-W92F-53F1-DKD1-K
code2=0000-0000-0000-0001-Y
code3=0000-0000-0000-0002-W
code4=0000-0000-0000-0003-T
code5=0000-0000-0000-0004-R
code6=0000-0000-0000-0005-P
typo=S04H-W92F-53F1-DKE1-K
basket=(--member alice --currency EUR --channel pos --store store-12 --line MUG,home,2,899)

expect 2 "earn with a mistyped --coupon" -- \
  "$ctl" earn --order T-1 "${basket[@]}" --coupon "$code1" --coupon "$typo"
contains "$err" "--coupon: \"$typo\": check character does not match"
expect 2 "quote with a mistyped --coupon" -- "$ctl" quote "${basket[@]}" --coupon "$typo"
contains "$err" "--coupon: \"$typo\""
expect 2 "quote with a --coupon that is no code" -- "$ctl" quote "${basket[@]}" --coupon WELCOME10
contains "$err" "--coupon: \"WELCOME10\": is not a coupon code"
expect 2 "earn with six coupons" -- "$ctl" earn --order T-1 "${basket[@]}" \
  --coupon "$code1" --coupon "$code2" --coupon "$code3" --coupon "$code4" \
  --coupon "$code5" --coupon "$code6"
contains "$err" "--coupon: at most 5 coupons per order, got 6"
expect 2 "earn with one coupon twice" -- "$ctl" earn --order T-1 "${basket[@]}" \
  --coupon "$code1" --coupon "s04hw92f53f1dkd1k"
contains "$err" "--coupon: \"s04hw92f53f1dkd1k\" is the same coupon as \"$code1\""
expect 2 "validate with a basket of only --currency" -- "$ctl" coupon validate \
  --member alice --code "$code1" --channel pos --store store-12 --currency EUR
contains "$err" "loyaltyctl: --line: a basket needs"
expect 2 "validate with a basket of only --line" -- "$ctl" coupon validate \
  --member alice --code "$code1" --channel pos --store store-12 --line MUG,home,2,899
contains "$err" "loyaltyctl: --currency: a basket needs"
expect 2 "validate with a malformed basket line" -- "$ctl" coupon validate \
  --member alice --code "$code1" --currency EUR --line MUG,2
contains "$err" "--line: \"MUG,2\""
expect 2 "validate with a mistyped --code" -- "$ctl" coupon validate \
  --member alice --code "$typo" --currency EUR --line MUG,home,2,899
contains "$err" "--code: check character does not match"
[[ $(connections) == 0 ]] || fail "bad input reached the server: $(connections) connections"
ok "no bad input was sent"

# The control: five good codes do go out (the listener never answers, so
# the call times out: exit 4; one attempt, --retries 0, shows it).
expect 4 "earn with five good coupons is sent" -- "$ctl" --timeout-ms 1000 --retries 0 earn --order T-1 \
  "${basket[@]}" --coupon "$code1" --coupon "$code2" --coupon "$code3" --coupon "$code4" \
  --coupon "$code5"
[[ $(connections) -ge 1 ]] || fail "the listener saw no call"
ok "the listener counts a call"

echo "$passed passed, 0 failed"
