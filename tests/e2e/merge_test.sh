#!/usr/bin/env bash
# End-to-end: `loyaltyctl merge` against a real loyaltyd on a free loopback
# port. A card-only member (points and a pending earn) is merged into an app
# member (app user id and phone): the balances add up on the target, the
# card finds the target, the source reads and writes as the target and its
# own history ends with the MERGE_OUT, a retry replays, and verify passes.
# Then the question before a merge (declined on a terminal, refused without
# one), a chain of merges confirmed on a terminal, and every refusal with its
# exit code and reason: bad flags, unknown members, an alias merged again,
# too many identifiers, the same order id, a closed member.
#
# Usage: merge_test.sh LOYALTYD LOYALTYCTL PROGRAM
set -euo pipefail

loyaltyd=$1
ctl=$2
program=$3
# The demo keys beside the sample program.
keys=$(dirname -- "$program")/keys.sample.textproto
work=$(mktemp -d)
server_pid=""

cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -9 "$server_pid" 2>/dev/null || true
  fi
  rm -rf -- "$work"
}
trap cleanup EXIT
# shellcheck source=tests/e2e/e2e_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/e2e_lib.sh"

# The interpreter itself: a version manager's python3 wrapper can take most
# of a second to start, and the checks below start Python often.
python=$(python3 -c 'import sys; print(sys.executable)')

# A statement table row starts with its sequence number.
table_rows() { grep -c -E '^ *[0-9]+ ' <<< "$1" || true; }

# balance_of MEMBER: sets $balance to "AVAILABLE PENDING HELD EARNED ADJUSTED"
# as GetBalance answers for MEMBER, and $balance_member to the member it
# answered for.
balance_of() {
  expect 0 "balance of $1" -- "$ctl" --json balance --member "$1"
  balance=$(json_field '" ".join(j[k] for k in ("available_points",
    "pending_points", "held_points", "earned_points_total",
    "adjusted_points_total"))')
  balance_member=$(json_field 'j["member_id"]')
}

# entry_count MEMBER: sets $count to how many entries MEMBER's own history
# lists (an alias lists its own, up to its MERGE_OUT).
entry_count() {
  expect 0 "history of $1" -- "$ctl" history --member "$1" --all
  count=$(table_rows "$out")
}

# merge_flags: what every merge below names besides the members.
merge_flags=(--reason SAME_PERSON --operator support.jane)

openssl rand -hex 32 > "$work/identifier.key" 2>/dev/null ||
  od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "$work/identifier.key"
export LOYALTY_API_KEY=demo-admin-key
"$loyaltyd" --listen 127.0.0.1:0 --data-dir "$work/data" --program "$program" --keys-file "$keys" \
  --identifier-key-file "$work/identifier.key" > "$work/server.log" 2>&1 &
server_pid=$!
await_listening "$work/server.log" "$server_pid" "loyaltyd"

# --- Two members who are one person -------------------------------------------
expect 0 "enroll cara with a card only" -- "$ctl" enroll --member cara --card 4000123412341234
expect 0 "enroll appy with an app user id" -- "$ctl" enroll --member appy --app-user app-appy
expect 0 "link appy's phone" -- "$ctl" member link --member appy --phone "030 5551234"
expect 0 "cara gets 1500 points" -- "$ctl" adjust --member cara --points 1500 \
  --reason GOODWILL --operator support.jane
expect 0 "cara earns in the app, pending for the return window" -- "$ctl" earn \
  --member cara --order C-1 --currency EUR --line COFFEE-1KG,grocery,2,1299 --channel app
expect 0 "appy gets 700 points" -- "$ctl" adjust --member appy --points 700 \
  --reason GOODWILL --operator support.jane
expect 0 "appy earns in the app too" -- "$ctl" earn --member appy --order A-1 \
  --currency EUR --line COFFEE-1KG,grocery,1,1299 --channel app
balance_of cara
read -r cara_available cara_pending cara_held cara_earned cara_adjusted <<< "$balance"
balance_of appy
read -r appy_available appy_pending appy_held appy_earned appy_adjusted <<< "$balance"
((cara_pending > 0 && appy_pending > 0)) || fail "both should have pending points: $cara_pending, $appy_pending"
entry_count cara
cara_entries=$count
entry_count appy
appy_entries=$count

# --- Asking first ---------------------------------------------------------------
expect 2 "a merge without --yes and no terminal is refused" -- "$ctl" merge cara appy \
  "${merge_flags[@]}"
contains "$err" "merge: merging member cara into appy cannot be undone and needs --yes when stdin is not a terminal"
[[ -z $out ]] || fail "a refused merge printed: $out"
[[ $(wc -l < "$work/err") == 1 ]] || fail "the refusal is not one line: $err"
expect 2 "it is refused before anything is sent" -- "$ctl" --server 127.0.0.1:1 \
  --timeout-ms 2000 merge cara appy "${merge_flags[@]}"
on_terminal n 2 "answering no at the terminal merges nothing" -- "$ctl" merge cara appy \
  "${merge_flags[@]}"
contains "$err" "Everything cara has moves to appy"
grep -q -E "^source +cara +active +1 +$cara_available +$cara_pending +$cara_held +member, " <<< "$err" ||
  fail "no source row in the preview: $err"
grep -q -E "^target +appy +active +2 +$appy_available +$appy_pending +$appy_held +member, " <<< "$err" ||
  fail "no target row in the preview: $err"
grep -q -E "^after +appy +active +3 +$((cara_available + appy_available)) +$((cara_pending + appy_pending)) +$((cara_held + appy_held)) " <<< "$err" ||
  fail "the preview does not add up the target after: $err"
contains "$err" "Merge cara into appy? [y/N]"
contains "$err" "not merged"
[[ -z $out ]] || fail "a declined merge printed: $out"
entry_count cara
[[ $count == "$cara_entries" ]] || fail "a declined merge wrote to cara: $count entries, was $cara_entries"
entry_count appy
[[ $count == "$appy_entries" ]] || fail "a declined merge wrote to appy: $count entries, was $appy_entries"

# --- Bad flags: exit 2, nothing sent (the server address leads nowhere) ----------
nowhere=(--server 127.0.0.1:1 --timeout-ms 2000)
expect 2 "merge needs --reason" -- "$ctl" "${nowhere[@]}" merge cara appy \
  --operator support.jane --yes
contains "$err" "--reason"
expect 2 "and --operator" -- "$ctl" "${nowhere[@]}" merge cara appy --reason SAME_PERSON --yes
contains "$err" "--operator"
expect 2 "a reason code is A-Z, 0-9 and _" -- "$ctl" "${nowhere[@]}" merge cara appy \
  --reason "same person" --operator support.jane --yes
contains "$err" '--reason: "same person" is not a reason code'
expect 2 "a reason code is at most 32 characters" -- "$ctl" "${nowhere[@]}" merge cara appy \
  --reason "$(printf 'A%.0s' {1..33})" --operator support.jane --yes
contains "$err" "--reason"
expect 2 "merge needs TARGET" -- "$ctl" "${nowhere[@]}" merge cara "${merge_flags[@]}" --yes
contains "$err" "TARGET is required"
expect 2 "a member cannot be merged into itself" -- "$ctl" "${nowhere[@]}" merge cara cara \
  "${merge_flags[@]}" --yes
contains "$err" 'SOURCE and TARGET are both "cara"'
[[ $(wc -l < "$work/err") == 1 ]] || fail "the error is not one line: $err"

# --- Unknown members ------------------------------------------------------------
expect 3 "an unknown source is MEMBER_NOT_FOUND" -- "$ctl" merge nobody appy "${merge_flags[@]}" --yes
contains "$err" "NOT_FOUND"
contains "$err" "source_member_id"
contains "$err" "(reason: MEMBER_NOT_FOUND)"
expect 3 "an unknown target too" -- "$ctl" merge cara nobody "${merge_flags[@]}" --yes
contains "$err" "target_member_id"
contains "$err" "(reason: MEMBER_NOT_FOUND)"
on_terminal y 3 "an unknown member fails before asking" -- "$ctl" merge cara nobody \
  "${merge_flags[@]}"
contains "$err" "(reason: MEMBER_NOT_FOUND)"
lacks "$err" "[y/N]"

# --- The merge --------------------------------------------------------------------
merge_cara=("$ctl" merge cara appy "${merge_flags[@]}" --note "same phone at the till" --yes
  --request-id merge-cara-1)
expect 0 "merge cara into appy with --yes" -- "${merge_cara[@]}"
contains "$out" "request id: merge-cara-1"
lacks "$out" "replayed"
grep -q -E '^merged: +cara$' <<< "$out" || fail "no merged line: $out"
grep -q -E '^into: +appy$' <<< "$out" || fail "no into line: $out"
grep -q -E "^moved: +$cara_available points available, $cara_pending pending, $cara_held held$" <<< "$out" ||
  fail "the merge does not say what moved: $out"
grep -q -E '^identifiers: +card_number 4000123412341234$' <<< "$out" || fail "no moved card: $out"
grep -q -E "^ *[0-9]+ .* merge_out +-$cara_available +0 +admin .*into appy; pending $cara_pending moved; reason SAME_PERSON by support\.jane; note: same phone at the till$" \
  <<< "$out" || fail "no MERGE_OUT row: $out"
grep -q -E "^ *[0-9]+ .* merge_in +\\+$cara_available +$((cara_available + appy_available)) +admin .*from cara; pending $cara_pending moved; moved card_number; reason SAME_PERSON" \
  <<< "$out" || fail "no MERGE_IN row: $out"
out_sequence=$(grep -E ' merge_out ' <<< "$out" | awk '{print $1}')
in_sequence=$(grep -E ' merge_in ' <<< "$out" | awk '{print $1}')
((in_sequence == out_sequence + 1)) || fail "MERGE_IN $in_sequence does not follow MERGE_OUT $out_sequence"
grep -q -E "^available: +$((cara_available + appy_available)) points$" <<< "$out" ||
  fail "the merge does not show the target's new balance: $out"
grep -q -E '^merged: +cara$' <<< "$(sed -n '/^member:/,$p' <<< "$out")" ||
  fail "the target's record does not list cara: $out"
ok "the merge prints the MERGE_OUT / MERGE_IN pair and the target's balance"

balance_of appy
read -r available pending held earned adjusted <<< "$balance"
[[ $available == $((cara_available + appy_available)) ]] || fail "available $available after the merge"
[[ $pending == $((cara_pending + appy_pending)) ]] || fail "pending $pending after the merge"
[[ $held == $((cara_held + appy_held)) ]] || fail "held $held after the merge"
[[ $earned == $((cara_earned + appy_earned)) ]] || fail "earned total $earned after the merge"
[[ $adjusted == $((cara_adjusted + appy_adjusted)) ]] || fail "adjusted total $adjusted after the merge"
ok "the target's balances and totals are the sums of both"
merged_balance=$balance

expect 0 "the card now finds appy" -- "$ctl" --json member lookup --card 4000123412341234
contains "$out" '"member_id":"appy"'
expect 0 "appy keeps its phone" -- "$ctl" --json member lookup --phone "+49 30 5551234"
contains "$out" '"member_id":"appy"'
expect 0 "member show of cara shows appy" -- "$ctl" --json member show --member cara
[[ $(json_field 'j["member_id"], j["merged_member_ids"], len(j["identifiers"])') == "('appy', ['cara'], 3)" ]] ||
  fail "member show cara: $out"
[[ $(json_field 'j["requested_member_id"], j["balance"]["requested_member_id"]') == "('cara', 'cara')" ]] ||
  fail "member show cara does not say cara was asked for: $out"
expect 0 "member show of cara says so, for people" -- "$ctl" member show --member cara
grep -q -E '^asked for: +cara \(merged into appy\)$' <<< "$out" || fail "no 'asked for' line: $out"
expect 0 "balance of cara says so too" -- "$ctl" balance --member cara
grep -q -E '^asked for: +cara \(merged into appy\)$' <<< "$out" || fail "no 'asked for' line: $out"
expect 0 "appy's own record names no other id" -- "$ctl" --json member show --member appy
[[ $(json_field 'j["requested_member_id"]') == "" ]] || fail "appy: $out"
expect 0 "member show of appy lists cara as merged" -- "$ctl" member show --member appy
grep -q -E '^merged: +cara$' <<< "$out" || fail "no merged line: $out"
grep -q -E '^card_number +4000123412341234$' <<< "$out" || fail "appy lacks cara's card: $out"
balance_of cara
[[ $balance_member == appy && $balance == "$merged_balance" ]] ||
  fail "balance of cara should be appy's: $balance_member $balance"
ok "balance of cara is appy's"
entry_count cara
[[ $count == $((cara_entries + 1)) ]] || fail "cara's history should gain only the MERGE_OUT: $count"
newest=$(grep -m1 -E '^ *[0-9]+ ' <<< "$out")
[[ $newest == *" merge_out "* && $newest == *"into appy"* ]] || fail "cara's history does not end with the MERGE_OUT: $out"
ok "cara's own history ends with the MERGE_OUT"
lacks "$out" "merge_in"
entry_count appy
[[ $count == $((appy_entries + 1)) ]] || fail "appy's history should gain the MERGE_IN: $count"
appy_entries=$count

expect 0 "an earn naming cara" -- "$ctl" --json earn --member cara --order C-2 \
  --currency EUR --line COFFEE-1KG,grocery,2,1299 --channel app
[[ $(json_field 'j["entry"]["member_id"], j["balance"]["member_id"]') == "('appy', 'appy')" ]] ||
  fail "the earn did not land on appy: $out"
earned_now=$(json_field 'j["points_earned"]')
balance_of appy
read -r _ pending _ <<< "$balance"
[[ $pending == $((cara_pending + appy_pending + earned_now)) ]] || fail "appy's pending after the earn: $pending"
ok "an earn naming cara lands on appy"
entry_count appy
appy_entries=$count
entry_count cara
cara_entries=$count

# --- Retries and merging again ---------------------------------------------------
expect 0 "the same merge again replays" -- "${merge_cara[@]}"
contains "$out" "(replayed: the first outcome of this request id; nothing was written)"
grep -q -E "^ *$in_sequence .* merge_in " <<< "$out" || fail "the replay is not the first answer: $out"
entry_count appy
[[ $count == "$appy_entries" ]] || fail "the replay wrote to appy: $count entries, was $appy_entries"
on_terminal n 0 "a retry with the request id replays without asking" -- "$ctl" merge cara appy \
  "${merge_flags[@]}" --note "same phone at the till" --request-id merge-cara-1
contains "$err" 'member "cara" was merged into "appy" already; asking for the first outcome of request id merge-cara-1'
lacks "$err" "[y/N]"
contains "$out" "replayed"
expect 3 "merging the alias again is MEMBER_MERGED" -- "$ctl" merge cara appy "${merge_flags[@]}" --yes
contains "$err" "FAILED_PRECONDITION"
contains "$err" "(reason: MEMBER_MERGED)"
on_terminal y 3 "and is refused before asking on a terminal" -- "$ctl" merge cara appy "${merge_flags[@]}"
contains "$err" 'merge: member "cara" was merged into "appy" already; nothing to merge'
contains "$err" "(reason: MEMBER_MERGED)"
lacks "$err" "[y/N]"
expect 3 "a target that resolves to the source is MEMBER_MERGED" -- "$ctl" merge appy cara \
  "${merge_flags[@]}" --yes
contains "$err" "(reason: MEMBER_MERGED)"
on_terminal y 3 "and is refused before asking on a terminal" -- "$ctl" merge appy cara "${merge_flags[@]}"
contains "$err" "they are one member already"
contains "$err" "(reason: MEMBER_MERGED)"
lacks "$err" "[y/N]"
expect 3 "a request id reused for another merge is REQUEST_ID_REUSED" -- "$ctl" merge cara appy \
  "${merge_flags[@]}" --note "another note" --yes --request-id merge-cara-1
contains "$err" "(reason: REQUEST_ID_REUSED)"
entry_count appy
[[ $count == "$appy_entries" ]] || fail "refused merges wrote to appy: $count entries, was $appy_entries"
entry_count cara
[[ $count == "$cara_entries" ]] || fail "refused merges wrote to cara: $count entries, was $cara_entries"

# --- A chain, confirmed at the terminal ------------------------------------------
expect 0 "enroll kim" -- "$ctl" enroll --member kim --app-user app-kim
expect 0 "kim gets 100 points" -- "$ctl" adjust --member kim --points 100 \
  --reason GOODWILL --operator support.jane
balance_of appy
read -r appy_available _ <<< "$balance"
on_terminal y 0 "answering yes at the terminal merges appy into kim" -- "$ctl" merge appy kim \
  "${merge_flags[@]}"
contains "$err" "Merge appy into kim? [y/N]"
grep -q -E "^after +kim +active +4 +$((appy_available + 100)) " <<< "$err" ||
  fail "the preview does not add up kim after: $err"
grep -q -E '^merged: +appy$' <<< "$out" || fail "no merged line: $out"
grep -q -E '^merged: +appy, cara$' <<< "$out" || fail "kim's record does not list both aliases: $out"
expect 0 "cara now resolves to kim" -- "$ctl" --json member show --member cara
[[ $(json_field 'j["member_id"]') == kim ]] || fail "cara does not resolve to kim: $out"
expect 0 "enroll lou" -- "$ctl" enroll --member lou
on_terminal y 0 "a target named by an alias merges into the member it resolves to" -- \
  "$ctl" merge lou cara "${merge_flags[@]}"
contains "$err" 'note: TARGET "cara" was merged into "kim"; the merge goes there'
contains "$err" "Merge lou into kim? [y/N]"
grep -q -E '^into: +kim$' <<< "$out" || fail "lou was not merged into kim: $out"

# --- JSON --------------------------------------------------------------------------
expect 0 "enroll dana" -- "$ctl" enroll --member dana --card 4000999988887777
expect 0 "enroll eve" -- "$ctl" enroll --member eve
expect 0 "merge --json prints the response" -- "$ctl" --json merge dana eve "${merge_flags[@]}" --yes
[[ $(json_field '[e["kind"] for e in j["entries"]], j["member"]["member_id"], j["replayed"]') == \
  "(['ENTRY_KIND_MERGE_OUT', 'ENTRY_KIND_MERGE_IN'], 'eve', False)" ]] || fail "merge --json: $out"
lacks "$out" "request id:"

# --- Refusals the server makes ------------------------------------------------------
# fin has 5 identifiers and gil 4: together more than the 8 a member may have.
expect 0 "enroll fin with a card and an app user" -- "$ctl" enroll --member fin \
  --card 4000111100001111 --app-user app-fin
expect 0 "link fin's phone" -- "$ctl" member link --member fin --phone "+49 40 1110001"
expect 0 "link fin's email" -- "$ctl" member link --member fin --email fin@example.com
expect 0 "link fin's partner account" -- "$ctl" member link --member fin --partner airline:FIN1
expect 0 "enroll gil with a card and an app user" -- "$ctl" enroll --member gil \
  --card 4000222200002222 --app-user app-gil
expect 0 "link gil's phone" -- "$ctl" member link --member gil --phone "+49 40 2220002"
expect 0 "link gil's email" -- "$ctl" member link --member gil --email gil@example.com
expect 3 "9 identifiers together are TOO_MANY_IDENTIFIERS" -- "$ctl" merge fin gil \
  "${merge_flags[@]}" --yes
contains "$err" "FAILED_PRECONDITION"
contains "$err" "(reason: TOO_MANY_IDENTIFIERS)"
expect 0 "after unlinking one" -- "$ctl" member unlink --member fin --partner airline:FIN1
expect 0 "8 identifiers together merge" -- "$ctl" merge fin gil "${merge_flags[@]}" --yes

expect 0 "enroll hugo" -- "$ctl" enroll --member hugo
expect 0 "enroll ida" -- "$ctl" enroll --member ida
for member in hugo ida; do
  expect 0 "$member earns order SAME-1" -- "$ctl" earn --member "$member" --order SAME-1 \
    --currency EUR --line COFFEE-1KG,grocery,1,1299 --channel app
done
expect 3 "both with an order SAME-1 is ORDER_ID_CONFLICT" -- "$ctl" merge hugo ida \
  "${merge_flags[@]}" --yes
contains "$err" "FAILED_PRECONDITION"
contains "$err" "(reason: ORDER_ID_CONFLICT)"

expect 0 "enroll jon" -- "$ctl" enroll --member jon
expect 0 "close jon" -- "$ctl" member close --member jon --reason MEMBER_REQUEST \
  --operator support.jane --yes
expect 3 "a closed source is MEMBER_CLOSED" -- "$ctl" merge jon ida "${merge_flags[@]}" --yes
contains "$err" "(reason: MEMBER_CLOSED)"
expect 3 "so is a closed target" -- "$ctl" merge ida jon "${merge_flags[@]}" --yes
contains "$err" "(reason: MEMBER_CLOSED)"
entry_count ida
[[ $count == 2 ]] || fail "refused merges wrote to ida: $count entries"

expect 0 "verify passes" -- "$ctl" verify

kill -TERM "$server_pid"
wait "$server_pid" || fail "loyaltyd exited $? after SIGTERM"
ok "loyaltyd stops cleanly"

echo "$passed passed, 0 failed"
