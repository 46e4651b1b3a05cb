#!/usr/bin/env bash
# Installs the Debian 12 packages Loyalty Ledger needs to build and test.
# Idempotent: asks dpkg which packages are missing and touches apt only when
# something is, so build.sh can call it on every run at almost no cost.
set -euo pipefail

# Keep in sync with the find_package() calls in the top-level CMakeLists.txt.
packages=(
  build-essential g++ cmake ninja-build ccache pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libabsl-dev catch2 libcli11-dev libssl-dev libphonenumber-dev
  libbenchmark-dev
  # The C++ client's offline journal.
  libsqlite3-dev
  # loyaltyd's allocator (server/CMakeLists.txt says why).
  libjemalloc-dev
  # loyaltyd --metrics-listen: the Prometheus client and its HTTP listener.
  prometheus-cpp-dev
  git ca-certificates
  # Tests make TLS certificates with the openssl command.
  openssl
  # Program time zones (ProgramConfig.time_zone) other than UTC.
  tzdata
  # tests/deploy/k8s_manifests_test.py parses the Kubernetes manifests (and
  # monitoring_test.py the alert rules).
  python3-yaml
  # libFuzzer builds (tests/fuzz/run_fuzzers.sh): clang and its runtimes.
  clang-14 libclang-rt-14-dev
)

# Node.js 20 and npm for the TypeScript client (clients/typescript/setup.sh
# says why they are not in the list above). Only its tests need them, so a
# missing or old Node.js does not stop building and running the service.
if ! bash "$(dirname -- "${BASH_SOURCE[0]}")/../clients/typescript/setup.sh" --node-only; then
  echo "install-deps: the TypeScript client's tests will fail until Node.js 20 or newer is installed" >&2
fi

missing=()
for pkg in "${packages[@]}"; do
  # dpkg-query fails for a package it has never seen; treat that as missing too.
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "installed" ]]; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages already installed."
  exit 0
fi

echo "install-deps: missing: ${missing[*]}"

# Root runs apt directly; anyone else needs sudo, and is told so plainly.
as_root=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    echo "install-deps: not running as root; using sudo to install them." >&2
    as_root=(sudo)
  else
    echo "install-deps: not running as root and sudo is not available." >&2
    echo "install-deps: run as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

# env passes DEBIAN_FRONTEND through sudo, which resets the environment.
# The lock timeout waits out a first-boot unattended-upgrades instead of failing.
apt_get=("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive
         apt-get -y -q -o DPkg::Lock::Timeout=300)
"${apt_get[@]}" update
"${apt_get[@]}" install --no-install-recommends "${missing[@]}"
echo "install-deps: installed ${#missing[@]} package(s)."
