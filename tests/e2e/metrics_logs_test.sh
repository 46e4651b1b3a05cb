#!/usr/bin/env bash
# End-to-end: loyaltyd's --metrics-listen, --log-format and --log-level.
# Bad values stop the start with exit 2, the flag named and no data
# directory made; a metrics port in use is exit 1. A running loyaltyd with
# JSON logs says where it serves metrics, /metrics answers over HTTP with
# the calls made through loyaltyctl counted, every log line is one JSON
# object, and neither the API key nor the phone number appears in the log.
#
# Usage: metrics_logs_test.sh LOYALTYD LOYALTYCTL PROGRAM
set -euo pipefail

loyaltyd=$1
ctl=$2
program=$3
keys=$(dirname -- "$program")/keys.sample.textproto
# shellcheck source=tests/e2e/e2e_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/e2e_lib.sh"
e2e_begin

printf '%s' e2e-metrics-identifier-key-0123456789 > "$work/identifier.key"
start() {
  "$loyaltyd" --listen 127.0.0.1:0 --data-dir "$work/data" --program "$program" \
    --keys-file "$keys" --identifier-key-file "$work/identifier.key" "$@"
}

for bad in 9464 localhost:9464 127.0.0.1:65536 127.0.0.1: "::1:9464" ""; do
  expect 2 "loyaltyd refuses --metrics-listen '$bad'" -- start --metrics-listen "$bad"
  contains "$err" "--metrics-listen"
  lacks "$out" "listening on"
done
expect 2 "loyaltyd refuses --log-level loud" -- start --log-level loud
contains "$err" "--log-level"
expect 2 "loyaltyd refuses --log-format xml" -- start --log-format xml
contains "$err" "--log-format"
[[ ! -e $work/data ]] || fail "a refused start created the data directory"

expect 0 "loyaltyd --help lists the flags" -- "$loyaltyd" --help
contains "$out" "--metrics-listen"
contains "$out" "--log-format"
contains "$out" "--log-level"

# Not through start(): $! must be loyaltyd itself, for the SIGTERM below.
"$loyaltyd" --listen 127.0.0.1:0 --data-dir "$work/data" --program "$program" \
  --keys-file "$keys" --identifier-key-file "$work/identifier.key" \
  --metrics-listen 127.0.0.1:0 --log-format json > "$work/loyaltyd.out" \
  2> "$work/loyaltyd.log" &
server_pid=$!
await_listening "$work/loyaltyd.out" "$server_pid" loyaltyd
for _ in $(seq 1 50); do grep -q '"metrics":' "$work/loyaltyd.log" && break; sleep 0.1; done
metrics_url=$(grep -o '"metrics":"http://127\.0\.0\.1:[0-9]*/metrics"' "$work/loyaltyd.log" |
  head -1 | sed 's/"metrics":"//; s/"$//')
[[ -n $metrics_url ]] || fail "no metrics address in the log: $(cat "$work/loyaltyd.log")"
ok "loyaltyd logs where it serves metrics: $metrics_url"

export LOYALTY_API_KEY=demo-pos-key
expect 0 "a till enrols a member" -- "$ctl" enroll --member e2e-metrics --channel pos --store S001
expect 0 "and links a phone number" -- "$ctl" member link --member e2e-metrics --channel pos --store S001 \
  --phone "+49 30 98765432"
expect 0 "which is found again" -- "$ctl" member lookup --phone "+49 30 98765432"
expect 3 "an unknown member is NOT_FOUND" -- "$ctl" balance --member nobody-here

scrape() {
  "${python:-python3}" - "$metrics_url" <<'PY'
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=10) as response:
    assert response.status == 200, response.status
    sys.stdout.write(response.read().decode())
PY
}
metrics=$(scrape)
contains "$metrics" 'grpc_server_handled_total{grpc_code="OK",grpc_method="EnrollMember",grpc_service="loyalty.v1.LoyaltyService",grpc_type="unary"} 1'
contains "$metrics" 'grpc_server_handled_total{grpc_code="NotFound",grpc_method="GetBalance",grpc_service="loyalty.v1.LoyaltyService",grpc_type="unary"} 1'
contains "$metrics" "loyalty_members 1"
ok "/metrics counts the calls"

# A second loyaltyd cannot take the same metrics port: exit 1, nothing made.
metrics_address=${metrics_url#http://}
metrics_address=${metrics_address%/metrics}
expect 1 "a metrics port in use stops the start" -- "$loyaltyd" --listen 127.0.0.1:0 \
  --data-dir "$work/data-2" --program "$program" --keys-file "$keys" \
  --metrics-listen "$metrics_address"
contains "$err" "--metrics-listen: cannot listen on $metrics_address"
[[ ! -e $work/data-2 ]] || fail "a refused start created the data directory"

kill -TERM "$server_pid"
wait "$server_pid" || fail "loyaltyd exited $? after SIGTERM"
server_pid=
log=$(cat "$work/loyaltyd.log")
"${python:-python3}" - "$work/loyaltyd.log" <<'PY' || fail "log lines are not JSON: $log"
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    event = json.loads(line)
    assert {"ts", "level", "msg"} <= set(event), line
PY
ok "every log line is one JSON object"
contains "$log" '"msg":"rpc","method":"EnrollMember","service":"loyalty.v1.LoyaltyService","code":"OK"'
contains "$log" '"principal":"demo-pos"'
contains "$log" '"msg":"stopped cleanly"'
lacks "$log" "demo-pos-key"
lacks "$log" "98765432"
ok "the log names calls and principals, never the key or the phone"
echo "PASS: $passed checks"
