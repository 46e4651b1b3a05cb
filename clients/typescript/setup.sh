#!/usr/bin/env bash
# Makes the TypeScript client ready to build and test: Node.js (20 or
# newer) and npm, installed from Debian's packages when missing, then the
# package's dependencies exactly as package-lock.json pins them (npm ci).
#
# Usage: clients/typescript/setup.sh [--node-only]
#   --node-only   only make sure node and npm are there (deploy/install-deps.sh)
# Idempotent; exits non-zero, saying why, when something cannot be done.
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
node_major_min=20

node_only=0
case "${1:-}" in
  "") ;;
  --node-only) node_only=1 ;;
  *) echo "setup.sh: unknown argument '$1' (known: --node-only)" >&2; exit 2 ;;
esac

if ! command -v node > /dev/null 2>&1 || ! command -v npm > /dev/null 2>&1; then
  echo "setup.sh: node or npm is missing; installing Debian's nodejs and npm."
  as_root=()
  if [[ $(id -u) -ne 0 ]]; then
    if ! command -v sudo > /dev/null 2>&1; then
      echo "setup.sh: not root and no sudo: run as root: apt-get install nodejs npm" >&2
      exit 1
    fi
    as_root=(sudo)
  fi
  apt_get=("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive
           apt-get -y -q -o DPkg::Lock::Timeout=300)
  "${apt_get[@]}" update
  "${apt_get[@]}" install --no-install-recommends nodejs npm
fi

# Connect's Node transport needs Node.js 20 (package.json "engines").
node_major=$(node -p 'process.versions.node.split(".")[0]')
if (( node_major < node_major_min )); then
  echo "setup.sh: node $(node --version) is too old: the client needs Node.js ${node_major_min} or newer" >&2
  exit 1
fi
echo "setup.sh: node $(node --version), npm $(npm --version)."
if (( node_only )); then exit 0; fi

cd -- "$here"
# --no-audit --no-fund: no advisory or funding look-ups, only the packages.
npm ci --no-audit --no-fund
echo "setup.sh: dependencies installed from package-lock.json."
