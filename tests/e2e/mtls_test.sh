#!/usr/bin/env bash
# End-to-end: mutual TLS through loyaltyctl. loyaltyd --tls-client-ca
# requires a client certificate from that CA on every connection; a
# certificate whose subject the keys file names is that principal without an
# API key, with its role and stores; certificate files replaced while
# loyaltyd runs serve new connections without a restart, and a bad set
# changes nothing. The test CA is made with the openssl commands the README
# shows ("Mutual TLS: a test CA with openssl").
#
# Usage: mtls_test.sh LOYALTYD LOYALTYCTL PROGRAM
set -euo pipefail

loyaltyd=$1
ctl=$2
program=$3
# shellcheck source=tests/e2e/e2e_lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/e2e_lib.sh"
e2e_begin

# ca NAME: a CA in $work/NAME.pem, NAME.key.
ca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/O=Retailer/CN=$1" -days 2 -keyout "$work/$1.key" -out "$work/$1.pem" \
    > /dev/null 2>&1 || fail "openssl could not make the CA $1"
}
# issue CA NAME SUBJ: a certificate of CA in $work/NAME.pem, NAME.key, also
# valid for localhost and 127.0.0.1.
issue() {
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$3" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$work/$2.key" -out "$work/$2.csr" > /dev/null 2>&1 &&
    openssl x509 -req -in "$work/$2.csr" -CA "$work/$1.pem" -CAkey "$work/$1.key" \
      -CAcreateserial -copy_extensions copy -days 2 -out "$work/$2.pem" \
      > /dev/null 2>&1 || fail "openssl could not issue $2"
}
# Written beside and renamed over, as deployments replace files.
replace() { cp "$2" "$1.next" && mv "$1.next" "$1"; }

ca ca
ca other-ca
issue ca server "/CN=localhost"
issue ca till "/O=Retailer/OU=store-12/CN=till-12"
issue ca ops "/O=Retailer/CN=ops-laptop"
issue other-ca stranger "/O=Retailer/OU=store-12/CN=till-12"
subject=$(openssl x509 -in "$work/till.pem" -noout -subject -nameopt RFC2253)
[[ $subject == "subject=CN=till-12,OU=store-12,O=Retailer" ]] ||
  fail "openssl printed the subject as: $subject"
replace "$work/cert.pem" "$work/server.pem"
replace "$work/key.pem" "$work/server.key"
replace "$work/client-ca.pem" "$work/ca.pem"

hash() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
keys=$work/keys.textproto
cat > "$keys" <<EOF
keys { principal: "ops" key_sha256_hex: "$(hash ops-key)" role: ROLE_ADMIN }
keys { principal: "till-12" client_cert_subject: "${subject#subject=}"
       role: ROLE_POS store_ids: "store-12" }
EOF

refused() {
  local what=$1 message=$2
  shift 2
  expect 2 "$what" -- timeout 30 "$loyaltyd" --listen 127.0.0.1:0 --data-dir "$work/refused" \
    --program "$program" --keys-file "$keys" "$@"
  contains "$err" "$message"
  [[ ! -e $work/refused ]] || fail "$what: created the data directory"
}
refused "a client CA without TLS" "--tls-client-ca: needs --tls-cert and --tls-key" \
  --tls-client-ca "$work/ca.pem"
refused "a client CA that is not PEM" "--tls-client-ca: holds no PEM certificate" \
  --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" --tls-client-ca "$keys"
refused "a missing client CA" "--tls-client-ca: cannot read" \
  --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" --tls-client-ca "$work/none.pem"
refused "a reload interval of 0" "--tls-reload-interval-s" \
  --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" --tls-reload-interval-s 0

"$loyaltyd" --listen 127.0.0.1:0 --data-dir "$work/data" --program "$program" \
  --keys-file "$keys" --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" \
  --tls-client-ca "$work/client-ca.pem" --tls-reload-interval-s 1 \
  > "$work/loyaltyd.log" 2>&1 &
server_pid=$!
await_listening "$work/loyaltyd.log" "$server_pid" loyaltyd
contains "$(cat "$work/loyaltyd.log")" "(mutual TLS, program"

# as CERT KEY -- loyaltyctl ARGS: presenting $work/CERT.pem, with the API
# key KEY ("": none), trusting $trust (the server's CA), without retries.
trust=$work/ca.pem
as() {
  local cert=$1 key=$2
  shift 3
  local with_key=(env -u LOYALTY_API_KEY)
  [[ -z $key ]] || with_key=(env "LOYALTY_API_KEY=$key")
  "${with_key[@]}" "$ctl" --retries 0 --tls-ca "$trust" \
    --tls-client-cert "$work/$cert.pem" --tls-client-key "$work/$cert.key" "$@"
}
order() {  # ORDER STORE
  echo earn --member alice --order "$1" --currency EUR --channel pos --store "$2" \
    --line MUG,home,1,899
}

expect 0 "the operator's certificate and key enrol alice" -- \
  as ops ops-key -- enroll --member alice --channel app
expect 4 "no client certificate: the handshake fails" -- \
  env LOYALTY_API_KEY=ops-key "$ctl" --retries 0 --tls-ca "$trust" balance --member alice
expect 4 "a certificate from another CA: the handshake fails" -- \
  as stranger ops-key -- balance --member alice
expect 3 "the operator's certificate names no principal: it needs its key" -- \
  as ops "" -- balance --member alice
contains "$err" "UNAUTHENTICATED"
contains "$err" "CN=ops-laptop,O=Retailer"

# shellcheck disable=SC2046
expect 0 "the till's certificate is principal till-12, without a key" -- \
  as till "" -- --json $(order T-1 store-12)
[[ $(json_field 'j["entry"]["principal"]') == till-12 ]] ||
  fail "the entry's principal: $out"
# shellcheck disable=SC2046
expect 3 "the till may not earn for another store" -- as till "" -- $(order T-2 store-13)
contains "$err" "PERMISSION_DENIED"
expect 3 "nor adjust" -- as till "" -- adjust --member alice --points 5 --reason X --operator y
contains "$err" "may not call Adjust"
expect 3 "another principal's key on the till's connection is refused" -- \
  as till ops-key -- balance --member alice
contains "$err" "UNAUTHENTICATED"
contains "$err" "the API key is principal \"ops\"'s"

expect 2 "a client certificate without its key" -- \
  "$ctl" --tls-ca "$trust" --tls-client-cert "$work/till.pem" balance --member alice
contains "$err" "--tls-client-key: is required with --tls-client-cert"
expect 2 "a client key that is not PEM" -- \
  "$ctl" --tls-ca "$trust" --tls-client-cert "$work/till.pem" \
  --tls-client-key "$work/till.pem" balance --member alice
contains "$err" "--tls-client-key"

# Rotation: a new CA issues the server's and the till's next certificates;
# the files are replaced while loyaltyd runs.
ca new-ca
issue new-ca new-server "/CN=localhost"
issue new-ca new-till "/O=Retailer/OU=store-12/CN=till-12"
replace "$work/cert.pem" "$work/new-server.pem"
replace "$work/key.pem" "$work/new-server.key"
replace "$work/client-ca.pem" "$work/new-ca.pem"
trust=$work/new-ca.pem
for _ in $(seq 1 100); do
  as new-till "" -- balance --member alice > /dev/null 2>&1 && break
  sleep 0.1
done
expect 0 "after the files change, the new certificates serve, without a restart" -- \
  as new-till "" -- balance --member alice
contains "$(cat "$work/loyaltyd.log")" "msg=\"certificates loaded\" file=$work/cert.pem"
expect 4 "the till's old certificate is refused" -- as till "" -- balance --member alice
trust=$work/ca.pem
expect 4 "and the old server certificate is gone" -- as new-till "" -- balance --member alice
trust=$work/new-ca.pem

# A key that is not the certificate's: SIGHUP reads it at once, refuses it,
# and the certificates served stay.
# (Counted: the replacement above may have been seen half done, and refused.)
refusals() { grep -c "certificates refused; keeping the certificates served" "$work/loyaltyd.log" || true; }
refusals_before=$(refusals)
replace "$work/key.pem" "$work/till.key"
kill -HUP "$server_pid"
for _ in $(seq 1 100); do
  (( $(refusals) > refusals_before )) && break
  sleep 0.1
done
contains "$(tail -n 3 "$work/loyaltyd.log")" \
  "keeping the certificates served\" error=\"--tls-key: is not the key of the --tls-cert certificate\""
sleep 2.5  # Past gRPC's next read.
expect 0 "a bad set changes nothing" -- as new-till "" -- balance --member alice

kill -TERM "$server_pid"
wait "$server_pid" || fail "loyaltyd did not stop cleanly"
server_pid=
echo "mtls_test: $passed checks passed"
