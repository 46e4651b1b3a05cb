#!/usr/bin/env bash
# Builds, then runs loyaltyd in the foreground for local use (Ctrl-C stops it;
# loyaltyd drains its queue on SIGINT/SIGTERM). Extra arguments go to loyaltyd.
#
# Env (relative paths are taken from the current directory):
#   LISTEN    address to listen on   (default 127.0.0.1:50051, loopback only)
#   DATA_DIR  RocksDB data directory (default data/ at the repo root)
#   PROGRAM   program config         (default deploy/program.sample.textproto)
#   KEYS_FILE API keys file          (default deploy/keys.sample.textproto: the
#             public demo keys; kill -HUP reloads it, so does a change)
#   IDENTIFIER_KEY_FILE  secret keying phone/email hashes (default: beside
#             the data directory, DATA_DIR.identifier-key; made on first
#             start, and needed for as long as the data directory lives)
#   BUILD_DIR as in build.sh
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)

# Make a path absolute against the caller's cwd, so it means what the user typed.
absolute() { if [[ $1 == /* ]]; then printf '%s\n' "$1"; else printf '%s\n' "$PWD/$1"; fi; }

BUILD_DIR=$(absolute "${BUILD_DIR:-$root/build}")
export BUILD_DIR
LISTEN=${LISTEN:-127.0.0.1:50051}
DATA_DIR=$(absolute "${DATA_DIR:-$root/data}")
PROGRAM=$(absolute "${PROGRAM:-$root/deploy/program.sample.textproto}")
KEYS_FILE=$(absolute "${KEYS_FILE:-$root/deploy/keys.sample.textproto}")
IDENTIFIER_KEY_FILE=$(absolute "${IDENTIFIER_KEY_FILE:-$DATA_DIR.identifier-key}")

"$root/deploy/build.sh" loyaltyd loyaltyctl

if [[ ! -f $PROGRAM ]]; then
  echo "start: program config not found: $PROGRAM" >&2
  exit 1
fi
mkdir -p -- "$DATA_DIR"
if [[ ! -f $IDENTIFIER_KEY_FILE ]]; then
  # 32 random bytes as hex, readable by this user only.
  (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' \
     > "$IDENTIFIER_KEY_FILE")
  echo "start: made a new identifier key: $IDENTIFIER_KEY_FILE (back it up with the data)"
fi

# Show the client path as the user would type it from here.
ctl=$BUILD_DIR/clients/loyaltyctl/loyaltyctl
ctl=${ctl#"$PWD"/}

cat <<HINT

loyaltyd: listening on $LISTEN
  data:    $DATA_DIR
  program: $PROGRAM
  keys:    $KEYS_FILE
Try it from another shell (demo keys from deploy/keys.sample.textproto):
  export LOYALTY_API_KEY=demo-admin-key
  $ctl balance --member alice

HINT

exec "$BUILD_DIR/server/loyaltyd" --listen "$LISTEN" --data-dir "$DATA_DIR" \
  --program "$PROGRAM" --keys-file "$KEYS_FILE" \
  --identifier-key-file "$IDENTIFIER_KEY_FILE" "$@"
