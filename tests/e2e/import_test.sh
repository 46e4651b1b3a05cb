#!/usr/bin/env bash
# End-to-end: `loyaltyctl import` of legacy balances against a real loyaltyd
# (the sample program, a fresh identifier key, a free loopback port):
#   - a file with bad rows is refused whole (exit 2) and writes nothing;
#   - --dry-run prints the plan and writes nothing;
#   - --skip-invalid imports the good rows, with the right balances;
#   - phones: one that belongs to another member, one shared by two rows;
#   - earned_on two years back: the points expire at once;
#   - loyaltyctl killed half-way: the same command again credits every card
#     exactly once and counts the rest as already imported;
#   - loyaltyd killed half-way (kill -9): loyaltyctl gives up with exit 4,
#     and the same command against the restarted server resumes;
#   - the same rows in another order are all "already imported";
#   - a re-run with one balance changed is a conflict (exit 3), no change.
#
# Usage: import_test.sh LOYALTYD LOYALTYCTL PROGRAM
set -euo pipefail

# Absolute: the test works in its own directory.
loyaltyd=$(realpath "$1")
ctl=$(realpath "$2")
program=$(realpath "$3")
# The demo keys beside the sample program.
keys=$(dirname -- "$program")/keys.sample.textproto
work=$(mktemp -d)
server_pid=""
ctl_pid=""

cleanup() {
  for pid in "$ctl_pid" "$server_pid"; do
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
      kill -9 "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf -- "$work"
}
trap cleanup EXIT
# shellcheck source=tests/e2e/e2e_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/e2e_lib.sh"


# 32 random bytes as hex: the HMAC key for phone numbers.
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/identifier.key"

start_server() {
  : > "$work/server.log"
  "$loyaltyd" --listen 127.0.0.1:0 --data-dir "$work/data" --program "$program" --keys-file "$keys" \
    --identifier-key-file "$work/identifier.key" > "$work/server.log" 2>&1 &
  server_pid=$!
  await_listening "$work/server.log" "$server_pid" "loyaltyd"
}



# summary_count LABEL: the number on the summary line "LABEL: N" in $out.
summary_count() {
  local line
  line=$(grep -E "^  $1: " <<< "$out") || fail "no '$1' in the summary: $out"
  tr -dc '0-9' <<< "${line#*:}"
}

# Prints "CARD AVAILABLE" for every card of FILE (a card_number,... CSV):
# a dry run that credits 0 points under another --name reads each member's
# balance as it is now, and writes nothing.
balances_of() {
  local file=$1
  awk -F, 'NR > 1 { print $1 ",0" }' "$file" |
    { echo "card_number,balance_points"; cat; } > "$work/audit.csv"
  "$ctl" import "$work/audit.csv" --name audit --dry-run 2> "$work/audit.err" |
    sed -n 's/^line [0-9]*: card \([0-9]*\): credit member [^,]*, 0 points, available after \([0-9-]*\)$/\1 \2/p'
}

# check_exactly_once FILE: every card of FILE has exactly its CSV balance
# (its balance_points column is the 3rd), and the sums agree.
check_exactly_once() {
  local file=$1 rows
  rows=$(($(wc -l < "$file") - 1))
  balances_of "$file" | sort > "$work/have"
  awk -F, 'NR > 1 { print $1, $3 }' "$file" | sort > "$work/want"
  [[ $(wc -l < "$work/have") == "$rows" ]] ||
    fail "only $(wc -l < "$work/have") of $rows cards have a member: $(head -5 "$work/audit.err")"
  diff "$work/want" "$work/have" > "$work/diff" ||
    fail "balances differ from the file (want / have): $(head -10 "$work/diff")"
  local want_sum have_sum
  want_sum=$(awk '{ s += $2 } END { print s }' "$work/want")
  have_sum=$(awk '{ s += $2 } END { print s }' "$work/have")
  [[ $want_sum == "$have_sum" ]] || fail "sum of balances $have_sum, file says $want_sum"
}

# make_rows CARD_PREFIX PHONE_BASE COUNT: a file of COUNT rows with distinct
# cards CARD_PREFIX000000.., every third row with a distinct Berlin number in
# national notation (030 PHONE_BASE+i), balances 0..49,999 and no earned_on
# (nothing expires during the test).
make_rows() {
  awk -v prefix="$1" -v phone_base="$2" -v count="$3" 'BEGIN {
    print "card_number,phone,balance_points,earned_on"
    for (i = 0; i < count; i++) {
      phone = (i % 3 == 0) ? sprintf("030 %d", phone_base + i) : ""
      printf "%s%06d,%s,%d,\n", prefix, i, phone, (i * 7919 + 13) % 50000
    }
  }'
}

export LOYALTY_API_KEY=demo-admin-key
start_server
cd "$work"

# ---- A file with bad rows: refused whole, nothing written ----
cat > bad.csv <<'EOF'
card_number,phone,balance_points,earned_on
5000000001,+49 30 11111111,100,
5000000002,,abc,
123,,5,
5000000001,,7,
5000000003,,5,2023-02-29
5000000004,not a phone,5,
"5000000005","030
22222222",5,
5000000006,,60,
EOF
expect 2 "a file with bad rows is refused" -- "$ctl" import bad.csv
contains "$err" "bad.csv:3: column balance_points: \"abc\" is not a whole number"
contains "$err" "bad.csv:4: column card_number: \"123\" is not a card number"
contains "$err" "bad.csv:5: column card_number: the same card as line 2"
contains "$err" "bad.csv:6: column earned_on: \"2023-02-29\" is not a real date"
contains "$err" "bad.csv:7: column phone: \"not a phone\" is not a phone number"
contains "$err" "bad.csv:8: column phone:"  # A line break: quoted, on line 8.
contains "$err" "bad.csv: 6 of 8 rows are bad"
contains "$err" "nothing was written"
lacks "$err" "bad.csv:2:"
lacks "$err" "bad.csv:10:"
expect 3 "nothing was written: the good row's card is unknown" -- \
  "$ctl" member lookup --card 5000000001
contains "$err" "NOT_FOUND"

# ---- --dry-run: the plan, nothing written ----
expect 0 "a dry run prints the plan of the good rows" -- \
  "$ctl" import bad.csv --dry-run --skip-invalid
contains "$out" "line 2: card 5000000001: enrol new member, link phone, 100 points, lot expires "
contains "$out" "line 10: card 5000000006: enrol new member, 60 points"
contains "$out" "dry run: what the import would do; nothing was written"
[[ $(summary_count "enrolled") == 2 ]] || fail "dry run should enrol 2: $out"
[[ $(summary_count "skipped invalid") == 6 ]] || fail "dry run should skip 6: $out"
expect 3 "the dry run wrote nothing" -- "$ctl" member lookup --card 5000000001

# ---- --skip-invalid: the good rows are imported ----
expect 0 "--skip-invalid imports the good rows" -- "$ctl" import bad.csv --skip-invalid
[[ $(summary_count "enrolled") == 2 ]] || fail "should enrol 2: $out"
[[ $(summary_count "phones linked") == 1 ]] || fail "should link 1 phone: $out"
[[ $(summary_count "points credited") == 160 ]] || fail "should credit 160: $out"
[[ $(summary_count "skipped invalid") == 6 ]] || fail "should skip 6: $out"
expect 0 "the imported card finds its member" -- "$ctl" --json member lookup --card 5000000001
member_a=$(jq -r .member_id <<< "$out")
expect 0 "its balance is the file's" -- "$ctl" --json balance --member "$member_a"
[[ $(jq -r .available_points <<< "$out") == 100 ]] || fail "balance: $out"
[[ $(jq -r .opening_points_total <<< "$out") == 100 ]] || fail "balance: $out"
expect 0 "the same command again imports nothing twice" -- "$ctl" import bad.csv --skip-invalid
[[ $(summary_count "already imported") == 2 ]] || fail "should find 2 imported: $out"
[[ $(summary_count "enrolled") == 0 ]] || fail "should enrol none: $out"
expect 0 "balance unchanged" -- "$ctl" --json balance --member "$member_a"
[[ $(jq -r .available_points <<< "$out") == 100 ]] || fail "balance: $out"

# ---- Phones ----
cat > phones.csv <<'EOF'
card_number,phone,balance_points
5200000001,030 11111111,5
5200000002,+49 30 33333333,5
5200000003,0049 30 33333333,5
5000000006,+49 30 44444444,5
EOF
expect 3 "a phone of another member, and one phone on two new cards" -- \
  "$ctl" import phones.csv --name phones
contains "$err" "phones.csv:2: column phone: \"030 11111111\" belongs to another member"
contains "$err" "phones.csv:4: column phone: the same phone as line 3"
contains "$err" "phones.csv: 2 of 4 rows are bad"
lacks "$err" "phones.csv:5:"
expect 0 "the other rows import, one linking a phone to an existing member" -- \
  "$ctl" import phones.csv --name phones --skip-invalid
[[ $(summary_count "found existing") == 1 ]] || fail "should find 1: $out"
[[ $(summary_count "phones linked") == 2 ]] || fail "should link 2: $out"
expect 0 "the linked phone finds the member of card 5000000006" -- \
  "$ctl" --json member lookup --phone "030 44444444"
contains "$out" "\"value\":\"5000000006\""

# ---- earned_on two years back: the points expire at once ----
two_years_ago=$(TZ=Europe/Berlin date -d "2 years ago" +%F)
printf 'card_number,balance_points,earned_on\n5300000001,300,%s\n' "$two_years_ago" > old.csv
expect 0 "a dry run says old points expire at once" -- "$ctl" import old.csv --dry-run
contains "$out" "300 points, lot expires "
contains "$out" "(already past: they expire at once), available after 0"
expect 0 "old points are imported" -- "$ctl" import old.csv
expect 0 "the old card's member" -- "$ctl" --json member lookup --card 5300000001
member_old=$(jq -r .member_id <<< "$out")
expect 0 "the old points show as expired" -- "$ctl" --json balance --member "$member_old"
[[ $(jq -r .available_points <<< "$out") == 0 ]] || fail "balance: $out"
[[ $(jq -r .expired_points_total <<< "$out") == 300 ]] || fail "balance: $out"
[[ $(jq -r .opening_points_total <<< "$out") == 300 ]] || fail "balance: $out"

# ---- loyaltyctl killed half-way, then the same command again ----
rows=6000
make_rows 6000 31000000 "$rows" > big.csv
# One call at a time and a progress line after each, so that the kill
# lands after the first call and well before the last.
"$ctl" import big.csv --in-flight 1 --progress-ms 1 > big.out 2> big.err &
ctl_pid=$!
for _ in $(seq 1 1200); do
  grep -qE '^import: [1-9][0-9]{3,}/' big.err && break
  kill -0 "$ctl_pid" 2>/dev/null || break
  sleep 0.02
done
kill -9 "$ctl_pid" 2>/dev/null || true
wait "$ctl_pid" 2>/dev/null || true
ctl_pid=""
grep -qE '^import: [1-9][0-9]{3,}/' big.err || fail "the import never got going: $(cat big.err)"
grep -q "import summary" big.out && fail "the import finished before the kill; nothing to resume"
ok "loyaltyctl killed half-way through the import"
expect 0 "the same command resumes" -- "$ctl" import big.csv
already=$(summary_count "already imported")
enrolled=$(summary_count "enrolled")
((already >= 1000 && already < rows)) || fail "already imported: $already of $rows: $out"
((already + enrolled == rows)) || fail "already $already + enrolled $enrolled != $rows: $out"
check_exactly_once big.csv
ok "every card of the resumed import has its balance exactly once"

# ---- loyaltyd killed half-way (kill -9), restarted: the same command resumes ----
make_rows 7000 32000000 4000 > big2.csv
"$ctl" import big2.csv --in-flight 1 --progress-ms 1 > big2.out 2> big2.err &
ctl_pid=$!
for _ in $(seq 1 1200); do
  grep -qE '^import: [1-9][0-9]{3,}/' big2.err && break
  kill -0 "$ctl_pid" 2>/dev/null || break
  sleep 0.02
done
kill -9 "$server_pid"
wait "$server_pid" 2>/dev/null || true
grep -q "import summary" big2.out && fail "the import finished before loyaltyd was killed"
set +e
wait "$ctl_pid"
ctl_exit=$?
set -e
ctl_pid=""
[[ $ctl_exit == 4 ]] || fail "loyaltyctl without its server: exit $ctl_exit, wanted 4: $(tail -5 big2.err)"
grep -q "Re-running the same command resumes" big2.err || fail "no resume advice: $(tail -5 big2.err)"
ok "loyaltyctl gives up with exit 4 when loyaltyd is gone"
start_server
expect 0 "the same command resumes against the restarted loyaltyd" -- "$ctl" import big2.csv
already=$(summary_count "already imported")
((already >= 1000 && already < 4000)) || fail "already imported: $already of 4000: $out"
check_exactly_once big2.csv
ok "every card imported before and after the crash has its balance exactly once"

# ---- The same rows sorted differently: the request ids follow the cards ----
{ head -1 big.csv; tail -n +2 big.csv | sort -r; } > sorted.csv
expect 0 "a re-sorted file finds every row imported" -- "$ctl" import sorted.csv
[[ $(summary_count "already imported") == "$rows" ]] || fail "$out"
[[ $(summary_count "enrolled") == 0 ]] || fail "$out"

# ---- A re-run with one balance changed: a conflict, nothing changes ----
awk -F, 'BEGIN { OFS = "," } NR == 51 { $3 = $3 + 1 } { print }' big.csv > changed.csv
expect 3 "a changed balance is a conflict" -- "$ctl" import changed.csv
contains "$err" "changed.csv:51: this card was imported under --name legacy before with another balance, phone or date"
contains "$err" "1 of $rows rows are bad"
expect 0 "with --skip-invalid the conflict is skipped and the rest is done already" -- \
  "$ctl" import changed.csv --skip-invalid
[[ $(summary_count "already imported") == $((rows - 1)) ]] || fail "$out"
[[ $(summary_count "skipped invalid") == 1 ]] || fail "$out"
check_exactly_once big.csv
ok "the changed balance changed nothing"

expect 0 "the ledger verifies" -- "$ctl" verify
echo "import_test: $passed checks passed"
