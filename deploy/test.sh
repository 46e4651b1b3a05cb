#!/usr/bin/env bash
# Builds, then runs every test with ctest. Exits with ctest's exit code.
#
# Tests are run serially: several start in-process servers and fsync-heavy
# ledgers, and on 2 cores running them in parallel makes timings (and so
# failures) depend on scheduling. Serial runs are deterministic.
#
# Env: BUILD_DIR (as in build.sh), CTEST_TIMEOUT (seconds per test that sets
#      no TIMEOUT of its own; default 600, so a hung server fails the run
#      instead of hanging CI).
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$root/build}
[[ $BUILD_DIR == /* ]] || BUILD_DIR=$PWD/$BUILD_DIR
export BUILD_DIR

"$root/deploy/build.sh"

# --no-tests=error: a build that registers no tests is a broken build, not a pass.
exec ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error \
  --timeout "${CTEST_TIMEOUT:-600}"
