#!/usr/bin/env bash
# End-to-end: loyaltyd's port security. With --tls-cert and --tls-key it
# serves TLS (an openssl client verifies the certificate, one trusting
# another is refused); plaintext is refused on an address the network reaches unless
# --allow-plaintext; every certificate mistake stops it at start, naming the
# flag, before the data directory is created.
#
# Usage: tls_test.sh LOYALTYD PROGRAM
set -euo pipefail

loyaltyd=$1
program=$2
# The demo keys beside the sample program.
keys=$(dirname -- "$program")/keys.sample.textproto
# shellcheck source=tests/e2e/e2e_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/e2e_lib.sh"
e2e_begin

make_certificate() {
  openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -days 2 \
    -keyout "$1/key.pem" -out "$1/cert.pem" > /dev/null 2>&1 ||
    fail "openssl could not make a certificate"
}
mkdir -p "$work/tls" "$work/other"
make_certificate "$work/tls"
make_certificate "$work/other"

refused() {
  local what=$1 message=$2
  shift 2
  expect 2 "$what" -- "$loyaltyd" --data-dir "$work/refused" --program "$program" --keys-file "$keys" "$@"
  contains "$err" "$message"
  [[ ! -e $work/refused ]] || fail "$what: created the data directory"
}
refused "plaintext on every address" "--listen: 0.0.0.0:0 is not a loopback address" \
  --listen 0.0.0.0:0
refused "a certificate without its key" "--tls-key: is required with --tls-cert" \
  --listen 127.0.0.1:0 --tls-cert "$work/tls/cert.pem"
refused "a key that is not the certificate's" \
  "--tls-key: is not the key of the --tls-cert certificate" \
  --listen 127.0.0.1:0 --tls-cert "$work/tls/cert.pem" --tls-key "$work/other/key.pem"
refused "a certificate file that is not PEM" "--tls-cert: holds no PEM certificate" \
  --listen 127.0.0.1:0 --tls-cert "$program" --tls-key "$work/tls/key.pem"
refused "a missing certificate file" "--tls-cert: cannot read" \
  --listen 127.0.0.1:0 --tls-cert "$work/none.pem" --tls-key "$work/tls/key.pem"

: > "$work/loyaltyd.log"
"$loyaltyd" --listen 127.0.0.1:0 --data-dir "$work/data" --program "$program" --keys-file "$keys" \
  --tls-cert "$work/tls/cert.pem" --tls-key "$work/tls/key.pem" \
  > "$work/loyaltyd.log" 2>&1 &
server_pid=$!
await_listening "$work/loyaltyd.log" "$server_pid" loyaltyd
contains "$(cat "$work/loyaltyd.log")" "(TLS, program"
expect 0 "a client trusting the certificate completes the handshake" -- \
  openssl s_client -connect "$LOYALTY_SERVER" -servername localhost -alpn h2 \
  -CAfile "$work/tls/cert.pem" -verify_return_error -brief
contains "$err$out" "Verification: OK"
expect 1 "a client trusting another certificate is refused" -- \
  openssl s_client -connect "$LOYALTY_SERVER" -servername localhost -alpn h2 \
  -CAfile "$work/other/cert.pem" -verify_return_error -brief
kill -TERM "$server_pid"
wait "$server_pid" || fail "loyaltyd did not stop cleanly"
server_pid=

"$loyaltyd" --listen 0.0.0.0:0 --allow-plaintext --data-dir "$work/data" \
  --program "$program" --keys-file "$keys" > "$work/plain.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$work/plain.log" && break
  kill -0 "$server_pid" 2>/dev/null || fail "loyaltyd died: $(cat "$work/plain.log")"
  sleep 0.1
done
contains "$(cat "$work/plain.log")" "(plaintext, program"
kill -TERM "$server_pid"
wait "$server_pid" || fail "loyaltyd did not stop cleanly"
server_pid=
ok "--allow-plaintext serves plaintext on every address"

echo "tls_test: $passed checks passed"
