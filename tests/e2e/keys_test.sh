#!/usr/bin/env bash
# End-to-end: loyaltyd's API keys file. loyaltyd does not start without a
# valid one (or with a program that still lists keys), naming the problem,
# before the data directory exists. While it runs, SIGHUP and a changed file
# load new keys: a rollover keeps old and new keys working together, a bad
# file keeps the keys before, and a POS key writes only for its stores.
#
# Usage: keys_test.sh LOYALTYD LOYALTYCTL PROGRAM
set -euo pipefail

loyaltyd=$1
ctl=$2
program=$3
# shellcheck source=tests/e2e/e2e_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/e2e_lib.sh"
e2e_begin

keys=$work/keys.textproto
hash() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
key_entry() {  # principal key grant...
  printf 'keys { principal: "%s" key_sha256_hex: "%s" %s }\n' "$1" "$(hash "$2")" "${*:3}"
}
# Written beside and renamed over, as deployments replace files.
write_keys() { printf '%s' "$1" > "$keys.next" && mv "$keys.next" "$keys"; }

refused() {
  local what=$1 message=$2
  shift 2
  # timeout: a loyaltyd that wrongly starts must fail the check, not hang it.
  expect 2 "$what" -- timeout 30 "$loyaltyd" --listen 127.0.0.1:0 --data-dir "$work/refused" "$@"
  contains "$err" "$message"
  [[ ! -e $work/refused ]] || fail "$what: created the data directory"
}
refused "no keys file" "--keys-file is required" --program "$program"
write_keys "$(key_entry till k1 role: ROLE_POS)"
refused "a POS key without stores" "keys[0].store_ids: a ROLE_POS key needs its stores" \
  --program "$program" --keys-file "$keys"
printf 'api_keys { principal: "x" }\n' > "$work/old-program.textproto"
cat "$program" >> "$work/old-program.textproto"
write_keys "$(key_entry ops ops-key role: ROLE_ADMIN)"
refused "a program that still lists API keys" "moved out of the program into the keys file" \
  --program "$work/old-program.textproto" --keys-file "$keys"

write_keys "$(key_entry ops ops-key role: ROLE_ADMIN)
$(key_entry till-12 old-till-key role: ROLE_POS store_ids: '"store-12"')"
"$loyaltyd" --listen 127.0.0.1:0 --data-dir "$work/data" --program "$program" \
  --keys-file "$keys" > "$work/loyaltyd.log" 2>&1 &
server_pid=$!
await_listening "$work/loyaltyd.log" "$server_pid" loyaltyd

as() { local key=$1; shift; LOYALTY_API_KEY=$key "$ctl" "$@"; }
expect 0 "the operator enrols alice" -- as ops-key enroll --member alice --channel app
expect 0 "the till earns for its store" -- as old-till-key earn --member alice \
  --order T-1 --currency EUR --channel pos --store store-12 --line MUG,home,1,899
expect 3 "the till may not earn for another store" -- as old-till-key earn --member alice \
  --order T-2 --currency EUR --channel pos --store store-13 --line MUG,home,1,899
contains "$err" "PERMISSION_DENIED"
contains "$err" "store \"store-13\""
expect 3 "nor adjust" -- as old-till-key adjust --member alice --points 5 --reason X --operator y
contains "$err" "may not call Adjust"
expect 3 "a key not in the file is unknown" -- as new-till-key balance --member alice
contains "$err" "UNAUTHENTICATED"

# Rollover, step 1: the new key beside the old one, same principal; SIGHUP.
lines_before=$(grep -c 'msg="keys loaded"' "$work/loyaltyd.log" || true)
write_keys "$(key_entry ops ops-key role: ROLE_ADMIN)
$(key_entry till-12 old-till-key role: ROLE_POS store_ids: '"store-12"')
$(key_entry till-12 new-till-key role: ROLE_POS store_ids: '"store-12"')"
kill -HUP "$server_pid"
for _ in $(seq 1 100); do
  (( $(grep -c 'msg="keys loaded"' "$work/loyaltyd.log" || true) > lines_before )) && break
  sleep 0.1
done
contains "$(cat "$work/loyaltyd.log")" "msg=\"keys loaded\" file=$keys keys=3"
expect 0 "after SIGHUP the new key works" -- as new-till-key earn --member alice \
  --order T-3 --currency EUR --channel pos --store store-12 --line MUG,home,1,899
expect 0 "and the old one still does" -- as old-till-key balance --member alice
# A retry under the new key of a write first sent with the old one is a
# replay: request ids belong to the principal, not the key.
expect 0 "the till sends an order with the old key" -- as old-till-key earn --member alice \
  --order T-4 --currency EUR --channel pos --store store-12 --line MUG,home,1,899 \
  --request-id till-12-T-4
expect 0 "and retries it with the new key" -- as new-till-key earn --member alice \
  --order T-4 --currency EUR --channel pos --store store-12 --line MUG,home,1,899 \
  --request-id till-12-T-4
contains "$out" "replayed"

# A file that does not load changes nothing.
write_keys 'keys { principal: "ops" key_sha256_hex: '
kill -HUP "$server_pid"
for _ in $(seq 1 100); do
  grep -q 'keeping the keys loaded" file=.* keys=3' "$work/loyaltyd.log" && break
  sleep 0.1
done
contains "$(cat "$work/loyaltyd.log")" "keeping the keys loaded\" file=$keys keys=3 error="
expect 0 "a malformed file keeps the old keys" -- as old-till-key balance --member alice

# Rollover, step 3: the old key goes, noticed without a signal.
write_keys "$(key_entry ops ops-key role: ROLE_ADMIN)
$(key_entry till-12 new-till-key role: ROLE_POS store_ids: '"store-12"')"
for _ in $(seq 1 100); do
  LOYALTY_API_KEY=old-till-key "$ctl" balance --member alice > /dev/null 2>&1 || break
  sleep 0.1
done
expect 3 "a changed file is loaded without a signal: the old key is gone" -- \
  as old-till-key balance --member alice
contains "$err" "UNAUTHENTICATED"
expect 0 "the new key stays" -- as new-till-key balance --member alice

kill -TERM "$server_pid"
wait "$server_pid" || fail "loyaltyd did not stop cleanly"
server_pid=
echo "keys_test: $passed checks passed"
