#!/usr/bin/env bash
# Installs missing dependencies, configures once and builds Loyalty Ledger.
# Later runs reuse the build dir (and ccache), so a warm rebuild is fast;
# `cmake --build` re-runs configure by itself when a CMakeLists.txt changes.
#
# Env: BUILD_DIR (default: build/ at the repo root; a relative path is taken
#      from the current directory), JOBS (default: 2, the machine's cores).
set -euo pipefail

# Resolve the repo root from this file, so the script works from any cwd.
root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$root/build}
[[ $BUILD_DIR == /* ]] || BUILD_DIR=$PWD/$BUILD_DIR
export BUILD_DIR

"$root/deploy/install-deps.sh"

# build.ninja (Makefile for a dir someone configured by hand) is written only
# when configure+generate succeeded, so a missing one means "never configured"
# or "last configure failed": configure again.
if [[ ! -f $BUILD_DIR/build.ninja && ! -f $BUILD_DIR/Makefile ]]; then
  # Pass -G only for a fresh dir: cmake refuses a generator that differs from
  # the one already recorded in an existing CMakeCache.txt.
  generator=()
  [[ -f $BUILD_DIR/CMakeCache.txt ]] || generator=(-G Ninja)
  cmake -S "$root" -B "$BUILD_DIR" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi

# Arguments name targets to build (start.sh builds only the two binaries it
# needs); none builds everything, tests included.
targets=()
for target in "$@"; do targets+=(--target "$target"); done
cmake --build "$BUILD_DIR" -j "${JOBS:-2}" "${targets[@]}"
