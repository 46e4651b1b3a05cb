#!/usr/bin/env bash
# End-to-end: members across channels through loyaltyctl against a real
# loyaltyd on a free loopback port, with a fresh identifier key. Covers
# identifiers (link in one notation, look up in another, conflicts, unlink),
# member show / history, transfers and their limits, the CSV export, the
# confirmation of large adjustments, closing members (forfeited points,
# erased identifiers, writes refused afterwards), bad flags, that no phone
# number or email leaves the server in clear, and a loyaltyd without a key.
#
# Usage: members_test.sh LOYALTYD LOYALTYCTL PROGRAM
set -euo pipefail

loyaltyd=$1
ctl=$2
program=$3
# The demo keys beside the sample program.
keys=$(dirname -- "$program")/keys.sample.textproto
work=$(mktemp -d)
server_pids=()

cleanup() {
  for pid in "${server_pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
  done
  rm -rf -- "$work"
}
trap cleanup EXIT
# shellcheck source=tests/e2e/e2e_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/e2e_lib.sh"

# The interpreter itself: a version manager's python3 wrapper can take most
# of a second to start, and the checks below start Python often.
python=$(python3 -c 'import sys; print(sys.executable)')

# start_server NAME [LOYALTYD FLAGS...]: starts loyaltyd on a free port with
# its own data directory and sets LOYALTY_SERVER to where it listens.
start_server() {
  local name=$1
  shift
  local log="$work/$name.log"
  "$loyaltyd" --listen 127.0.0.1:0 --data-dir "$work/$name-data" --program "$program" --keys-file "$keys" \
    "$@" > "$log" 2>&1 &
  local pid=$!
  server_pids+=("$pid")
  await_listening "$log" "$pid" "loyaltyd $name"
}

# check_available MEMBER POINTS WHY: the member has POINTS available; the
# balance stays in $out.
check_available() {
  expect 0 "balance of $1" -- "$ctl" --json balance --member "$1"
  [[ $out == *"\"available_points\":\"$2\""* ]] || fail "$3: wanted $2 points available: $out"
}

# A statement table row starts with its sequence number.
table_rows() { grep -c -E '^ *[0-9]+ ' <<< "$1" || true; }

# Transfer limits count per day in the program's time zone (Berlin). Keep
# the transfers below on one side of midnight there.
wait_clear_of_berlin_midnight() {
  local hours minutes seconds
  read -r hours minutes seconds <<< "$(TZ=Europe/Berlin date '+%H %M %S')"
  local seconds_left=$((86400 - 10#$hours * 3600 - 10#$minutes * 60 - 10#$seconds))
  if ((seconds_left <= 60)); then sleep $((seconds_left + 2)); fi
}

openssl rand -hex 32 > "$work/identifier.key" 2>/dev/null ||
  od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "$work/identifier.key"
export LOYALTY_API_KEY=demo-admin-key
start_server keyed --identifier-key-file "$work/identifier.key"

# --- Members and identifiers -------------------------------------------------
expect 0 "enroll ann with a card and an app user" -- "$ctl" enroll --member ann \
  --card 4000111122223333 --app-user app-ann
expect 0 "enroll bob with a card" -- "$ctl" enroll --member bob --card 4000444455556666
expect 0 "enroll carl, who has no points" -- "$ctl" enroll --member carl
expect 0 "link a partner account" -- "$ctl" member link --member ann --partner airline:AB123456
contains "$out" "partner_account"
expect 0 "link a phone in national notation" -- "$ctl" member link --member ann --phone "030 1234567"
contains "$out" "linked"
contains "$out" "phone"
contains "$out" "(hashed)"
lacks "$out" "1234567"
expect 0 "the phone is found in international notation" -- "$ctl" --json member lookup \
  --phone "+49 30 1234567"
contains "$out" '"member_id":"ann"'
lacks "$out" "1234567"
expect 0 "the phone is found written with a dash" -- "$ctl" --json member lookup --phone "+4930-1234567"
contains "$out" '"member_id":"ann"'
expect 0 "link an email in mixed case" -- "$ctl" member link --member ann --email "Ann@Example.COM"
expect 0 "the email is found in lower case" -- "$ctl" --json member lookup --email "ann@example.com"
contains "$out" '"member_id":"ann"'
lacks "$out" "example"
expect 0 "lookup by card" -- "$ctl" member lookup --card 4000111122223333
contains "$out" "member:"
contains "$out" "ann"
expect 0 "lookup by app user" -- "$ctl" --json member lookup --app-user app-ann
contains "$out" '"member_id":"ann"'
expect 0 "lookup by partner account" -- "$ctl" --json member lookup --partner airline:AB123456
contains "$out" '"member_id":"ann"'
expect 3 "a card nobody has is MEMBER_NOT_FOUND" -- "$ctl" member lookup --card 9999888877776666
contains "$err" "NOT_FOUND"
contains "$err" "MEMBER_NOT_FOUND"
expect 3 "ann's phone cannot be linked to bob" -- "$ctl" member link --member bob --phone "+49 30 1234567"
contains "$err" "ALREADY_EXISTS"
contains "$err" "IDENTIFIER_TAKEN"
expect 3 "nor linked to ann a second time" -- "$ctl" member link --member ann --email "ann@example.com"
contains "$err" "IDENTIFIER_TAKEN"
expect 0 "unlink the partner account" -- "$ctl" member unlink --member ann --partner airline:AB123456
contains "$out" "unlinked"
grep -q -E '^partner_account +airline:AB123456$' <<< "$out" && fail "still listed after the unlink: $out"
expect 3 "the unlinked partner account finds nobody" -- "$ctl" member lookup --partner airline:AB123456
contains "$err" "MEMBER_NOT_FOUND"
expect 3 "unlinking it again is IDENTIFIER_NOT_FOUND" -- "$ctl" member unlink --member ann \
  --partner airline:AB123456
contains "$err" "IDENTIFIER_NOT_FOUND"
expect 0 "the freed partner account can go to bob" -- "$ctl" member link --member bob \
  --partner airline:AB123456
expect 0 "and is found at bob" -- "$ctl" --json member lookup --partner airline:AB123456
contains "$out" '"member_id":"bob"'

# --- member show ---------------------------------------------------------------
expect 0 "member show --json parses" -- "$ctl" --json member show --member ann
"$python" -c 'import json, sys; json.load(sys.stdin)' <<< "$out" || fail "not JSON: $out"
lacks "$out" "1234567"
lacks "$out" "example"
phone_hash=$(json_field '[i["value"] for i in j["identifiers"] if i["kind"] == "IDENTIFIER_KIND_PHONE"][0]')
[[ $phone_hash =~ ^[0-9a-f]{64}$ ]] || fail "the phone is not kept as 64 hex digits: $phone_hash"
expect 0 "member show for people" -- "$ctl" member show --member ann
contains "$out" "status:"
contains "$out" "active"
contains "$out" "tier:"
contains "$out" "transferred out:"
grep -q -E '^card_number +4000111122223333$' <<< "$out" || fail "no card row: $out"
grep -q -E "^phone +\\(hashed\\) ${phone_hash:0:12}$" <<< "$out" || fail "no hashed phone row: $out"
grep -q -E '^email +\(hashed\) [0-9a-f]{12}$' <<< "$out" || fail "no hashed email row: $out"
lacks "$out" "1234567"
expect 3 "member show of an unknown member is NOT_FOUND" -- "$ctl" member show --member nobody
contains "$err" "NOT_FOUND"

# --- Transfers -------------------------------------------------------------------
expect 0 "ann gets 9000 points" -- "$ctl" adjust --member ann --points 9000 --reason GOODWILL \
  --operator support.jane
expect 0 "and 9000 more" -- "$ctl" adjust --member ann --points 9000 --reason GOODWILL \
  --operator support.jane
wait_clear_of_berlin_midnight
note='for "Ann", with love'
expect 0 "transfer within the limits" -- "$ctl" transfer --from ann --to bob --points 3000 --note "$note"
contains "$out" "ann: 15000 points available"
contains "$out" "bob: 3000 points available"
contains "$out" "transfer_out"
contains "$out" "transfer_in"
[[ $(table_rows "$out") == 2 ]] || fail "transfer should print both entries: $out"
expect 3 "a transfer over 5000 points is refused" -- "$ctl" transfer --from ann --to bob --points 6000
contains "$err" "FAILED_PRECONDITION"
contains "$err" "TRANSFER_LIMIT_REACHED"
expect 0 "a second transfer the same day" -- "$ctl" transfer --from ann --to bob --points 5000
expect 3 "past 10000 points a day is refused" -- "$ctl" transfer --from ann --to bob --points 3000
contains "$err" "TRANSFER_LIMIT_REACHED"
contains "$err" "gave 8000 today"
expect 3 "a transfer to oneself is refused by the server" -- "$ctl" transfer --from ann --to ann --points 10
contains "$err" "INVALID_ARGUMENT"
contains "$err" "to_member_id"
expect 3 "a transfer without the points is INSUFFICIENT_POINTS" -- "$ctl" transfer --from carl --to ann --points 10
contains "$err" "INSUFFICIENT_POINTS"
expect 3 "a transfer to an unknown member is NOT_FOUND" -- "$ctl" transfer --from ann --to nobody --points 10
contains "$err" "NOT_FOUND"
expect 2 "negative transfer points are a flag error" -- "$ctl" transfer --from ann --to bob --points -5
contains "$err" "--points"
expect 2 "zero transfer points are a flag error" -- "$ctl" transfer --from ann --to bob --points 0
check_available ann 10000 "ann gave 8000 of 18000"
contains "$out" '"transferred_out_points_total":"8000"'
check_available bob 8000 "bob received 8000"
contains "$out" '"transferred_in_points_total":"8000"'

# --- Large adjustments ask first ------------------------------------------------
expect 2 "a large credit without --yes and no terminal is refused" -- "$ctl" adjust --member ann \
  --points 20000 --reason GOODWILL --operator support.jane
contains "$err" "needs --yes when stdin is not a terminal"
expect 2 "so is a large debit" -- "$ctl" adjust --member ann --points -10001 --reason FRAUD \
  --operator support.jane
check_available ann 10000 "refused adjustments write nothing"
on_terminal n 2 "answering no at the terminal adjusts nothing" -- "$ctl" adjust --member ann \
  --points 20000 --reason GOODWILL --operator support.jane
contains "$err" "Adjust member ann by +20000 points (reason GOODWILL, operator support.jane)? [y/N]"
contains "$err" "not adjusted"
check_available ann 10000 "a declined adjustment writes nothing"
on_terminal y 0 "answering yes at the terminal adjusts" -- "$ctl" adjust --member ann \
  --points 20000 --reason GOODWILL --operator support.jane
check_available ann 30000 "a confirmed credit of 20000"
expect 0 "--yes adjusts without asking" -- "$ctl" adjust --member ann --points -20000 \
  --reason CORRECTION --operator support.jane --yes
check_available ann 10000 "a debit of 20000 with --yes"
expect 0 "a raised --confirm-above lets a larger change through" -- "$ctl" adjust --member ann \
  --points 15000 --reason GOODWILL --operator support.jane --confirm-above 15000
check_available ann 25000 "a credit of 15000 at --confirm-above 15000"
expect 2 "an empty reason is a flag error" -- "$ctl" adjust --member ann --points 5 --reason "" \
  --operator support.jane

# --- Statement: member history, history, export --------------------------------
expect 0 "ann's entry count" -- "$ctl" --json balance --member ann
entry_count=$(json_field 'j["entry_count"]')
((entry_count >= 12)) || fail "ann should have at least 12 entries: $out"
expect 0 "member history lists every entry, newest first" -- "$ctl" member history --member ann \
  --limit 1000
[[ $(table_rows "$out") == "$entry_count" ]] || fail "member history should list $entry_count entries: $out"
contains "$out" "to bob; note: $note"
contains "$out" "linked phone"
contains "$out" "unlinked partner_account"
contains "$out" "reason GOODWILL by support.jane"
first_sequence=$(grep -m1 -o -E '^ *[0-9]+ ' <<< "$out" | tr -d ' ')
last_sequence=$(grep -o -E '^ *[0-9]+ ' <<< "$out" | tail -1 | tr -d ' ')
((first_sequence > last_sequence)) || fail "member history is not newest first: $out"
lacks "$out" "1234567"
expect 0 "member history stops at --limit" -- "$ctl" member history --member ann --limit 3
[[ $(table_rows "$out") == 3 ]] || fail "member history --limit 3 should list 3 entries: $out"
expect 0 "history follows small pages to the oldest entry" -- "$ctl" history --member ann \
  --page-size 2 --all
[[ $(table_rows "$out") == "$entry_count" ]] || fail "history --all should list $entry_count entries: $out"

expect 0 "export to a file" -- "$ctl" export --member ann --output "$work/ann.csv"
contains "$out" "exported $entry_count entries"
expect 0 "export to stdout" -- "$ctl" export --member ann
cmp -s "$work/out" "$work/ann.csv" || fail "stdout and --output exports differ"
header='sequence,recorded_at,occurred_at,kind,points_delta,bucket,available_after,pending_after,held_after,order_id,counterparty_member_id,channel,store_id,terminal_id,principal,request_id,operator_id,reason_code,note'
[[ $(head -1 "$work/ann.csv") == "$header"$'\r' ]] || fail "export header: $(head -1 "$work/ann.csv")"
grep -q -F '"for ""Ann"", with love"' "$work/ann.csv" || fail "the note is not quoted: $(cat "$work/ann.csv")"
"$python" - "$work/ann.csv" "$entry_count" "$note" <<'PY' || fail "the export does not read back"
import csv, sys
path, entry_count, note = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(path, newline="") as f:
    rows = list(csv.DictReader(f))
assert len(rows) == entry_count, f"{len(rows)} rows for {entry_count} entries"
sequences = [int(r["sequence"]) for r in rows]
assert sequences == sorted(sequences), "not oldest first"
assert rows[0]["kind"] == "enroll", rows[0]
out = [r for r in rows if r["kind"] == "transfer_out"]
assert len(out) == 2, out
assert out[0]["note"] == note and out[0]["counterparty_member_id"] == "bob", out[0]
assert out[0]["points_delta"] == "-3000" and out[0]["bucket"] == "available", out[0]
assert all(r["recorded_at"].endswith("Z") for r in rows)
assert sum(int(r["points_delta"]) for r in rows) == int(rows[-1]["available_after"])
PY
ok "the export reads back: one row per entry, oldest first, the note quoted"
grep -q "1234567\|example" "$work/ann.csv" && fail "the export holds the phone or email in clear"
ok "the export holds no phone or email in clear"
expect 3 "an export of an unknown member fails" -- "$ctl" export --member nobody --output "$work/nobody.csv"
[[ -z $(find "$work" -maxdepth 1 -name 'nobody.csv*') ]] || fail "a failed export left a file"
ok "a failed export leaves no file behind"
expect 2 "an export into a missing directory is a flag error" -- "$ctl" export --member ann \
  --output "$work/missing/ann.csv"
contains "$err" "--output"
expect 2 "export refuses --json" -- "$ctl" --json export --member ann

# --- Closing members -----------------------------------------------------------
# fay is closed with --yes and keeps her card; gus is closed at the terminal
# with his identifiers erased; hal has pending points, so he cannot be closed
# yet. (A member with an open hold is refused the same way, but loyaltyctl
# has no command that places a hold.)

# member_state MEMBER: sets $state to "STATUS ENTRIES AVAILABLE FORFEITED".
member_state() {
  expect 0 "member show --json $1" -- "$ctl" --json member show --member "$1"
  state=$(json_field '" ".join([j["status"]] + [j["balance"][k] for k in
    ("entry_count", "available_points", "forfeited_points_total")])')
}

expect 0 "balance lists every total" -- "$ctl" balance --member ann
for line in '^debt: +0 points$' '^opening: +0 points in total$' \
  '^transferred out: +8000 points in total$' '^transferred in: +0 points in total$' \
  '^forfeited: +0 points in total$'; do
  grep -q -E "$line" <<< "$out" || fail "balance lacks a line matching $line: $out"
done
ok "balance shows debt, opening, transferred and forfeited totals"

expect 0 "enroll fay with a card" -- "$ctl" enroll --member fay --card 4000222233334444
expect 0 "fay gets 1200 points" -- "$ctl" adjust --member fay --points 1200 --reason GOODWILL \
  --operator support.jane
member_state fay
[[ $state == "MEMBER_STATUS_ACTIVE 2 1200 0" ]] || fail "fay before closing: $state"
expect 2 "closing without --yes and no terminal is refused" -- "$ctl" member close --member fay \
  --reason MEMBER_REQUEST --operator support.jane
contains "$err" "member close: closing member fay cannot be undone and needs --yes when stdin is not a terminal"
[[ -z $out ]] || fail "a refused close printed: $out"
expect 2 "it is refused before anything is sent" -- "$ctl" --server 127.0.0.1:1 --timeout-ms 2000 \
  member close --member fay --reason MEMBER_REQUEST --operator support.jane
on_terminal n 2 "answering no at the terminal closes nothing" -- "$ctl" member close --member fay \
  --reason MEMBER_REQUEST --operator support.jane
contains "$err" "Close member fay for good, forfeiting 1200 points? [y/N]"
contains "$err" "not closed"
member_state fay
[[ $state == "MEMBER_STATUS_ACTIVE 2 1200 0" ]] || fail "a refused or declined close changed fay: $state"
on_terminal y 3 "closing an unknown member fails before asking" -- "$ctl" member close \
  --member nobody --reason MEMBER_REQUEST --operator support.jane
contains "$err" "MEMBER_NOT_FOUND"
lacks "$err" "[y/N]"

expect 0 "close fay with --yes" -- "$ctl" member close --member fay --reason MEMBER_REQUEST \
  --operator support.jane --note "moved abroad" --yes --request-id close-fay-1
grep -q -E '^points: +-1200 points \(forfeited\)$' <<< "$out" || fail "the close does not say what it forfeited: $out"
grep -q -E '^status: +closed$' <<< "$out" || fail "the close does not show fay as closed: $out"
grep -q -E '^card_number +4000222233334444$' <<< "$out" || fail "fay keeps her card without --erase-personal-data: $out"
expect 0 "fay's balance after closing" -- "$ctl" balance --member fay
grep -q -E '^forfeited: +1200 points in total$' <<< "$out" || fail "balance does not show the forfeited points: $out"
grep -q -E '^available: +0 points$' <<< "$out" || fail "fay kept points: $out"
check_available fay 0 "closing forfeits every available point"
contains "$out" '"forfeited_points_total":"1200"'
member_state fay
[[ $state == "MEMBER_STATUS_CLOSED 3 0 1200" ]] || fail "fay after closing: $state"
expect 0 "a retried close replays" -- "$ctl" member close --member fay --reason MEMBER_REQUEST \
  --operator support.jane --note "moved abroad" --yes --request-id close-fay-1
contains "$out" "replayed"
expect 0 "fay is still found by her card" -- "$ctl" --json member lookup --card 4000222233334444
contains "$out" '"member_id":"fay"'
expect 0 "fay's newest entry is the CLOSE" -- "$ctl" member history --member fay --limit 1
grep -q -E '^ *[0-9]+ .* close +-1200 +0 +admin .*reason MEMBER_REQUEST by support\.jane; note: moved abroad$' \
  <<< "$out" || fail "no CLOSE row: $out"
expect 3 "a transfer to closed fay is MEMBER_CLOSED" -- "$ctl" transfer --from ann --to fay --points 10
contains "$err" "FAILED_PRECONDITION"
contains "$err" "(reason: MEMBER_CLOSED)"
expect 3 "so is an adjustment of fay" -- "$ctl" adjust --member fay --points 10 --reason GOODWILL \
  --operator support.jane
contains "$err" "FAILED_PRECONDITION"
contains "$err" "(reason: MEMBER_CLOSED)"
expect 3 "and a link to fay" -- "$ctl" member link --member fay --app-user app-fay
contains "$err" "(reason: MEMBER_CLOSED)"
member_state fay
[[ $state == "MEMBER_STATUS_CLOSED 3 0 1200" ]] || fail "refused writes changed fay: $state"
check_available ann 25000 "the refused transfer took nothing from ann"

expect 0 "enroll gus with a card" -- "$ctl" enroll --member gus --card 4000555566667777
expect 0 "link gus's phone" -- "$ctl" member link --member gus --phone "040 5550199"
expect 0 "gus gets 300 points" -- "$ctl" adjust --member gus --points 300 --reason GOODWILL \
  --operator support.jane
on_terminal y 0 "answering yes at the terminal closes gus and erases his identifiers" -- "$ctl" \
  member close --member gus --reason MEMBER_REQUEST --operator support.jane --erase-personal-data
contains "$err" "Close member gus for good, forfeiting 300 points and erasing its identifiers? [y/N]"
grep -q -E '^erased: +card_number 4000555566667777, phone \(hashed\) [0-9a-f]{12}$' <<< "$out" ||
  fail "the close does not list the erased identifiers: $out"
contains "$out" "identifiers: none"
lacks "$out" "5550199"
expect 3 "gus's card finds nobody" -- "$ctl" member lookup --card 4000555566667777
contains "$err" "MEMBER_NOT_FOUND"
expect 3 "nor does his phone" -- "$ctl" member lookup --phone "+49 40 5550199"
contains "$err" "MEMBER_NOT_FOUND"
expect 0 "gus's card is free for carl" -- "$ctl" member link --member carl --card 4000555566667777
expect 0 "and is found at carl" -- "$ctl" --json member lookup --card 4000555566667777
contains "$out" '"member_id":"carl"'
expect 0 "so is his phone" -- "$ctl" member link --member carl --phone "+49 40 5550199"
member_state gus
[[ $state == "MEMBER_STATUS_CLOSED 4 0 300" ]] || fail "gus after closing: $state"
[[ $(json_field 'len(j["identifiers"])') == 0 ]] || fail "gus still has identifiers: $out"

expect 0 "enroll hal" -- "$ctl" enroll --member hal
expect 0 "hal earns points, pending for the return window" -- "$ctl" earn --member hal \
  --order H-1 --currency EUR --line COFFEE-1KG,grocery,2,1299 --channel app
member_state hal
hal_before=$state
[[ $hal_before == "MEMBER_STATUS_ACTIVE "* ]] || fail "hal before closing: $state"
expect 3 "hal with pending points cannot be closed" -- "$ctl" member close --member hal \
  --reason MEMBER_REQUEST --operator support.jane --yes
contains "$err" "FAILED_PRECONDITION"
contains "$err" "(reason: MEMBER_NOT_SETTLED)"
member_state hal
[[ $state == "$hal_before" ]] || fail "a refused close changed hal: $state, was $hal_before"

expect 2 "member close needs --reason" -- "$ctl" member close --member hal --operator support.jane --yes
contains "$err" "--reason"
expect 2 "and --operator" -- "$ctl" member close --member hal --reason MEMBER_REQUEST --yes
contains "$err" "--operator"
expect 3 "the server names a malformed reason code" -- "$ctl" member close --member hal \
  --reason "not a code" --operator support.jane --yes
contains "$err" "reason_code"

# --- Bad flags: exit 2, nothing sent ----------------------------------------------
expect 2 "member show needs --member" -- "$ctl" member show
contains "$err" "--member"
expect 2 "member needs a subcommand" -- "$ctl" member
expect 2 "lookup needs an identifier" -- "$ctl" member lookup
contains "$err" "exactly one of --card, --phone, --email, --app-user, --partner"
expect 2 "lookup takes only one identifier" -- "$ctl" member lookup --card 4000111122223333 \
  --phone "+49 30 1234567"
contains "$err" "got --card, --phone"
[[ $(wc -l < "$work/err") == 1 ]] || fail "the error is not one line: $err"
expect 2 "link takes only one identifier" -- "$ctl" member link --member carl --app-user app-carl \
  --partner airline:CC1
expect 3 "and sent nothing" -- "$ctl" member lookup --app-user app-carl
expect 2 "link needs --member" -- "$ctl" member link --app-user app-carl
expect 2 "transfer needs --to" -- "$ctl" transfer --from ann --points 5
expect 0 "verify passes" -- "$ctl" verify

# --- A loyaltyd without an identifier key --------------------------------------
start_server keyless
expect 0 "enroll at a loyaltyd without a key" -- "$ctl" enroll --member dora --card 4000777788889999
expect 3 "it refuses a phone, naming the key" -- "$ctl" member link --member dora --phone "+49 30 7654321"
contains "$err" "INVALID_ARGUMENT"
contains "$err" "identifier-key-file"
expect 0 "and still finds cards" -- "$ctl" --json member lookup --card 4000777788889999
contains "$out" '"member_id":"dora"'

for pid in "${server_pids[@]}"; do
  kill -TERM "$pid"
  wait "$pid" || fail "loyaltyd exited $? after SIGTERM"
done
ok "both loyaltyd stop cleanly"

echo "$passed passed, 0 failed"
