#!/usr/bin/env bash
# End-to-end: the change stream through `loyaltyctl watch` against a real
# loyaltyd: the whole ledger as JSON lines, each entry checked against the
# chain; filters; a resume from a sequence with the hash before it, and one
# with a wrong hash refused; a watcher following live entries; who may
# watch; bad flags.
#
# Usage: watch_test.sh LOYALTYD LOYALTYCTL PROGRAM
set -euo pipefail

loyaltyd=$1
ctl=$2
program=$3
# The demo keys beside the sample program.
keys=$(dirname -- "$program")/keys.sample.textproto
# shellcheck source=tests/e2e/e2e_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/e2e_lib.sh"
e2e_begin

"$loyaltyd" --listen 127.0.0.1:0 --data-dir "$work/data" --program "$program" \
  --keys-file "$keys" > "$work/loyaltyd.log" 2>&1 &
server_pid=$!
await_listening "$work/loyaltyd.log" "$server_pid" loyaltyd
export LOYALTY_API_KEY=demo-admin-key

expect 0 "enrol alice" -- "$ctl" enroll --member alice
expect 0 "enrol bob" -- "$ctl" enroll --member bob
for order in 1 2 3; do
  expect 0 "alice earns (order $order)" -- "$ctl" earn --member alice \
    --order "A-$order" --currency EUR --channel app --line MUG,home,1,899
done
expect 0 "bob earns at a till" -- "$ctl" earn --member bob --order B-1 \
  --currency EUR --channel pos --store store-12 --line MUG,home,1,899

# sequence kind member, one line per entry of the JSON lines in $out.
summarize() {
  "${python:-python3}" -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    print(e["sequence"], e["kind"], e["member_id"])' <<< "$out"
}

expect 0 "watch prints the whole ledger and stops at the head" -- \
  "$ctl" watch --stop-at-head
lines=$(summarize)
[[ $(wc -l <<< "$lines") == 6 ]] || fail "expected 6 entries: $lines"
[[ $(cut -d' ' -f1 <<< "$lines" | tr '\n' ' ') == "1 2 3 4 5 6 " ]] ||
  fail "sequences not 1..6 in order: $lines"
contains "$lines" "1 ENTRY_KIND_ENROLL alice"
contains "$lines" "6 ENTRY_KIND_EARN bob"

expect 0 "filters: alice's earns only" -- \
  "$ctl" watch --stop-at-head --member alice --kind earn
lines=$(summarize)
[[ $(wc -l <<< "$lines") == 3 ]] || fail "expected alice's 3 earns: $lines"
lacks "$lines" "bob"
lacks "$lines" "ENROLL"
expect 0 "filters: the POS channel" -- "$ctl" watch --stop-at-head --channel pos
[[ $(summarize) == "6 ENTRY_KIND_EARN bob" ]] || fail "expected bob's till earn: $out"

# The hash of entry 4, to resume after it.
expect 0 "the ledger up to entry 4" -- "$ctl" watch --stop-at-head
hash4=$("${python:-python3}" -c '
import base64, json, sys
entries = [json.loads(l) for l in sys.stdin]
print(base64.b64decode(entries[3]["hash"]).hex())' <<< "$out")
expect 0 "a resume after entry 4 with its hash checks the chain on" -- \
  "$ctl" watch --stop-at-head --from-sequence 5 --prev-hash "$hash4"
[[ $(summarize | cut -d' ' -f1 | tr '\n' ' ') == "5 6 " ]] || fail "resume: $out"
wrong=$(printf '%064d' 0)
expect 3 "a resume with another hash is refused: the chain does not link" -- \
  "$ctl" watch --stop-at-head --from-sequence 5 --prev-hash "$wrong"
contains "$err" "change stream entry 5: its prev_hash is not the hash of the entry before"

# A watcher following the tail sees a new entry as it becomes durable.
"$ctl" watch --from-sequence 7 > "$work/live.jsonl" 2> "$work/live.err" &
watcher=$!
sleep 0.3
expect 0 "bob earns again" -- "$ctl" earn --member bob --order B-2 \
  --currency EUR --channel app --line MUG,home,1,899
for _ in $(seq 1 100); do
  grep -q '"order_id":"B-2"' "$work/live.jsonl" && break
  sleep 0.1
done
kill "$watcher" 2>/dev/null || true
wait "$watcher" 2>/dev/null || true
grep -q '"sequence":"7"' "$work/live.jsonl" || fail "the live watcher missed entry 7: $(cat "$work/live.jsonl")"
ok "a live watcher prints the new entry"

expect 0 "an auditor may watch" -- env LOYALTY_API_KEY=demo-auditor-key \
  "$ctl" watch --stop-at-head --kind enroll
expect 3 "a till may not" -- env LOYALTY_API_KEY=demo-pos-key "$ctl" watch --stop-at-head
contains "$err" "may not call WatchEntries"
expect 2 "an unknown kind is bad input" -- "$ctl" watch --kind bogus
contains "$err" "--kind: \"bogus\" is not an entry kind"
expect 2 "so is a short hash" -- "$ctl" watch --prev-hash abc
contains "$err" "--prev-hash"

kill -TERM "$server_pid"
wait "$server_pid" || fail "loyaltyd did not stop cleanly"
server_pid=
echo "watch_test: $passed checks passed"
