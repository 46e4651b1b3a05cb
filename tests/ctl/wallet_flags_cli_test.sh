#!/usr/bin/env bash
# The wallet flags of the loyaltyctl binary refuse bad input before any
# call: no --member, a page size that is not a plain decimal number, a
# flag without its value, an unknown flag. Each must exit 2 with a line
# naming the flag, and send nothing: loyaltyctl talks to a listener that
# counts the connections it gets. A well-formed request to the same
# listener shows that a call would be counted.
#
# Usage: wallet_flags_cli_test.sh LOYALTYCTL
set -euo pipefail

ctl=$1
# shellcheck source=tests/ctl/counting_listener_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/counting_listener_lib.sh"

expect 2 "wallet without --member" -- "$ctl" wallet
contains "$err" "--member"
expect 2 "wallet with a --page-size that is no number" -- \
  "$ctl" wallet --member alice --page-size ten
contains "$err" "--page-size"
expect 2 "wallet with a hexadecimal --page-size" -- \
  "$ctl" wallet --member alice --page-size 0x10
contains "$err" "--page-size"
expect 2 "wallet with a --page-size past int32" -- \
  "$ctl" wallet --member alice --page-size 3000000000
contains "$err" "--page-size"
expect 2 "wallet with --page-token and no token" -- \
  "$ctl" wallet --member alice --page-token
contains "$err" "--page-token"
expect 2 "wallet with an unknown flag" -- \
  "$ctl" wallet --member alice --usable-only
contains "$err" "--usable-only"
[[ $(connections) == 0 ]] || fail "bad input reached the server: $(connections) connections"
ok "no bad input was sent"

# The control: a good request does go out (the listener never answers, so
# the call times out: exit 4; one attempt, --retries 0, shows it).
expect 4 "a good wallet request is sent" -- "$ctl" --timeout-ms 1000 --retries 0 wallet \
  --member alice --include-unusable --page-size 20 --all
[[ $(connections) -ge 1 ]] || fail "the listener saw no call"
ok "the listener counts a call"

echo "$passed passed, 0 failed"
