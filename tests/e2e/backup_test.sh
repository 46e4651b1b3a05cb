#!/usr/bin/env bash
# End-to-end: `loyaltyctl backup NAME` against a loyaltyd with --backup-dir,
# and `loyaltyd --restore-from`: the backup names the head it ends at; a
# restore into a new directory serves exactly the ledger as it was (the
# balance, a phone lookup under the same identifier key, no write made
# after the backup) and verifies. Refused, each changing nothing: Backup
# without --backup-dir, a bad or taken name, an auditor's key; a restore into
# a data directory that is not empty, of a backup without its manifest or
# with a damaged one, with another identifier key; bad flags.
#
# Usage: backup_test.sh LOYALTYD LOYALTYCTL PROGRAM
set -euo pipefail

loyaltyd=$1
ctl=$2
program=$3
keys=$(dirname -- "$program")/keys.sample.textproto
# shellcheck source=tests/e2e/e2e_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/e2e_lib.sh"
e2e_begin

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/identifier.key"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/other.key"
mkdir "$work/backups"
export LOYALTY_API_KEY=demo-admin-key

# start DATA_DIR [FLAGS...]: loyaltyd on a free port over DATA_DIR.
start() {
  local data=$1
  shift
  "$loyaltyd" --listen 127.0.0.1:0 --data-dir "$data" --program "$program" \
    --keys-file "$keys" --identifier-key-file "$work/identifier.key" "$@" \
    > "$work/loyaltyd.log" 2>&1 &
  server_pid=$!
  await_listening "$work/loyaltyd.log" "$server_pid" loyaltyd
}
stop() {
  kill -TERM "$server_pid"
  wait "$server_pid" || fail "loyaltyd did not stop cleanly: $(cat "$work/loyaltyd.log")"
  server_pid=
}

start "$work/data"
expect 3 "no --backup-dir: Backup is refused, naming the flag" -- "$ctl" backup first
contains "$err" "FAILED_PRECONDITION"
contains "$err" "--backup-dir"
[[ -z $(ls -A "$work/backups") ]] || fail "a refused backup wrote something"
stop

start "$work/data" --backup-dir "$work/backups"
expect 0 "enrol alice" -- "$ctl" enroll --member alice
expect 0 "link alice's phone (hashed under the identifier key)" -- \
  "$ctl" member link --member alice --phone "0171 2345678"
for order in 1 2 3; do
  expect 0 "alice earns (order $order)" -- "$ctl" earn --member alice \
    --order "A-$order" --currency EUR --channel app --line MUG,home,1,899
done
expect 0 "alice's balance before the backup" -- "$ctl" balance --member alice --json
balance_before=$out

expect 0 "loyaltyctl backup makes a backup" -- "$ctl" backup nightly --json
backup_head=$(json_field 'j["last_sequence"]')
backup_hash=$(json_field 'j["last_hash_hex"]')
[[ $backup_head == 5 ]] || fail "the backup should end at entry 5: $out"
[[ $(json_field 'int(j["files"]) > 0 and int(j["size_bytes"]) > 0') == True ]] ||
  fail "the backup says it holds nothing: $out"
[[ -f $work/backups/nightly/backup_manifest.textproto ]] || fail "no manifest"
expect 0 "the text form names the head" -- "$ctl" backup text-form
contains "$out" "last sequence"

expect 3 "a name that is a path is refused" -- "$ctl" backup ../escape
contains "$err" "INVALID_ARGUMENT"
contains "$err" "name:"
[[ ! -e $work/escape ]] || fail "a backup escaped --backup-dir"
expect 3 "a taken name is refused" -- "$ctl" backup nightly
contains "$err" "ALREADY_EXISTS"
contains "$err" "nightly"
expect 3 "an auditor may not back up" -- env LOYALTY_API_KEY=demo-auditor-key "$ctl" backup by-auditor
contains "$err" "PERMISSION_DENIED"
[[ ! -e $work/backups/by-auditor ]] || fail "the auditor's backup was made"
expect 2 "a name is required" -- "$ctl" backup

expect 0 "alice earns after the backup" -- "$ctl" earn --member alice \
  --order A-4 --currency EUR --channel app --line MUG,home,1,899
stop

# Restores that are refused change nothing.
refused_restore() {
  local what=$1 message=$2 data=$3
  shift 3
  local before
  before=$(ls -A "$data" 2>/dev/null | sort | tr '\n' ' ' || true)
  expect 2 "$what" -- timeout 60 "$loyaltyd" --listen 127.0.0.1:0 --data-dir "$data" \
    --program "$program" --keys-file "$keys" "$@"
  contains "$err" "$message"
  contains "$err" "was not changed"
  [[ $(ls -A "$data" 2>/dev/null | sort | tr '\n' ' ' || true) == "$before" ]] ||
    fail "$what: the data directory changed"
  [[ ! -e $data.restoring ]] || fail "$what: left $data.restoring"
}
refused_restore "a restore into the data directory in use is refused" "not empty" \
  "$work/data" --identifier-key-file "$work/identifier.key" \
  --restore-from "$work/backups/nightly"
refused_restore "a restore with another identifier key is refused" "--identifier-key-file" \
  "$work/restored" --identifier-key-file "$work/other.key" \
  --restore-from "$work/backups/nightly"
refused_restore "a restore without the identifier key is refused" "--identifier-key-file" \
  "$work/restored" --restore-from "$work/backups/nightly"
cp -r "$work/backups/nightly" "$work/half"
rm "$work/half/backup_manifest.textproto"
refused_restore "a backup without its manifest is refused" "no whole backup" \
  "$work/restored" --identifier-key-file "$work/identifier.key" --restore-from "$work/half"
cp -r "$work/backups/nightly" "$work/edited"
sed -i "s/^last_sequence: 5$/last_sequence: 4/" "$work/edited/backup_manifest.textproto"
refused_restore "a manifest naming another head is refused" "the manifest says entry 4" \
  "$work/restored" --identifier-key-file "$work/identifier.key" --restore-from "$work/edited"
expect 2 "--restore-only needs --restore-from" -- "$loyaltyd" --data-dir "$work/x" \
  --program "$program" --restore-only
contains "$err" "--restore-from"

expect 0 "--restore-only restores, verifies and exits" -- timeout 60 "$loyaltyd" \
  --data-dir "$work/restored" --program "$program" \
  --identifier-key-file "$work/identifier.key" \
  --restore-from "$work/backups/nightly" --restore-only
contains "$out" "restored $work/backups/nightly into $work/restored: entry 5 (hash $backup_hash)"
[[ ! -e $work/restored.restoring ]] || fail "left the staging directory"

start "$work/restored"
expect 0 "the restored ledger verifies" -- "$ctl" verify --json
[[ $(json_field 'j["ok"]') == True ]] || fail "verify: $out"
[[ $(json_field 'j["last_sequence"]') == 5 ]] || fail "the restored head: $out"
[[ $(json_field 'j["last_hash_hex"]') == "$backup_hash" ]] || fail "the restored hash: $out"
expect 0 "alice's balance is as it was at the backup" -- "$ctl" balance --member alice --json
strip_time() { "${python:-python3}" -c 'import json,sys; j=json.loads(sys.argv[1]); j.pop("as_of_ms", None); print(json.dumps(j, sort_keys=True))' "$1"; }
[[ $(strip_time "$out") == $(strip_time "$balance_before") ]] ||
  fail "balance after restore: $out, before: $balance_before"
expect 0 "a phone lookup finds alice under the same identifier key" -- \
  "$ctl" member lookup --phone "0171 2345678" --json
[[ $(json_field 'j["member_id"]') == alice ]] || fail "lookup: $out"
expect 0 "the order earned after the backup is not in it" -- \
  "$ctl" history --member alice --json
lacks "$out" "A-4"
contains "$out" "A-3"
stop

# Restore and serve in one start.
start "$work/restored-and-served" --restore-from "$work/backups/nightly"
contains "$(cat "$work/loyaltyd.log")" "restored $work/backups/nightly"
expect 0 "a restore that serves at once verifies" -- "$ctl" verify
stop

expect 2 "a --backup-dir that does not exist stops the start" -- timeout 30 \
  "$loyaltyd" --listen 127.0.0.1:0 --data-dir "$work/refused" --program "$program" \
  --keys-file "$keys" --backup-dir "$work/no-such-dir"
contains "$err" "--backup-dir"
[[ ! -e $work/refused ]] || fail "created the data directory"

echo "backup_test: $passed checks passed"
