#!/usr/bin/env bash
# The voucher flags of the loyaltyctl binary refuse bad input before any
# call: a mistyped --code or --claim-code, units that are not a positive
# number, a negative price, a missing required flag. Each must exit 2 with
# one line naming the flag, and send nothing: loyaltyctl talks to a
# listener that counts the connections it gets. A well-formed request to
# the same listener shows that a call would be counted.
#
# Usage: voucher_flags_cli_test.sh LOYALTYCTL
set -euo pipefail

ctl=$1
# shellcheck source=tests/ctl/counting_listener_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/counting_listener_lib.sh"

# A code with a valid check character (coupon_code.h), and one mistyped.
code=S04H-W92F-53F1-DKD1-K
typo=S04H-W92F-53F1-DKE1-K
till=(--channel pos --store store-12)

expect 2 "voucher redeem with a mistyped --code" -- \
  "$ctl" voucher redeem --member alice --code "$typo" --units 2 "${till[@]}"
contains "$err" "--code: check character does not match"
expect 2 "voucher show with a --code that is no code" -- \
  "$ctl" voucher show --code COFFEE12
contains "$err" "--code:"
expect 2 "voucher redeem with --units 0" -- \
  "$ctl" voucher redeem --member alice --code "$code" --units 0 "${till[@]}"
contains "$err" "--units"
expect 2 "voucher transfer with negative --units" -- \
  "$ctl" voucher transfer --member alice --code "$code" --to bob --units -2
contains "$err" "--units"
expect 2 "voucher gift with --units that is no number" -- \
  "$ctl" voucher gift --member alice --code "$code" --units two
contains "$err" "--units"
expect 2 "voucher claim with a mistyped --claim-code" -- \
  "$ctl" voucher claim --member bob --claim-code "$typo"
contains "$err" "--claim-code: check character does not match"
expect 2 "voucher issue with a negative --price" -- \
  "$ctl" voucher issue --member alice --product coffee-12 --units 12 \
  --price -1 --currency EUR --order W-1 --channel app
contains "$err" "--price"
expect 2 "voucher issue without --order" -- \
  "$ctl" voucher issue --member alice --product coffee-12 --units 12 \
  --price 3000 --currency EUR --channel app
contains "$err" "--order"
expect 2 "voucher refund with a mistyped --code" -- \
  "$ctl" voucher refund --member alice --code "$typo" --units 1
contains "$err" "--code: check character does not match"
expect 2 "voucher transfer with an empty --to" -- \
  "$ctl" voucher transfer --member alice --code "$code" --to "" --units 1
contains "$err" "--to"
[[ $(connections) == 0 ]] || fail "bad input reached the server: $(connections) connections"
ok "no bad input was sent"

# The control: a good pickup does go out (the listener never answers, so
# the call times out: exit 4; one attempt, --retries 0, shows it).
expect 4 "a good voucher redeem is sent" -- "$ctl" --timeout-ms 1000 --retries 0 voucher redeem \
  --member alice --code "$code" --units 2 "${till[@]}"
[[ $(connections) -ge 1 ]] || fail "the listener saw no call"
ok "the listener counts a call"

echo "$passed passed, 0 failed"
