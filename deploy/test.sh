#!/usr/bin/env bash
# Builds, runs the libFuzzer targets briefly, then runs every test with
# ctest, last, so its summary ends the output. Exits non-zero if the build,
# the fuzzers or any test failed.
#
# Tests are run serially: several start in-process servers and fsync-heavy
# ledgers, and on 2 cores running them in parallel makes timings (and so
# failures) depend on scheduling. Serial runs are deterministic.
#
# Env: BUILD_DIR (as in build.sh), CTEST_TIMEOUT (seconds per test that sets
#      no TIMEOUT of its own; default 600, so a hung server fails the run
#      instead of hanging CI), FUZZ_SECONDS (per fuzz target, default 15;
#      0 skips the clang build and the fuzz run), FUZZ_BUILD_DIR (as in
#      tests/fuzz/run_fuzzers.sh, default build-fuzz/).
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$root/build}
[[ $BUILD_DIR == /* ]] || BUILD_DIR=$PWD/$BUILD_DIR
export BUILD_DIR

"$root/deploy/build.sh"
# The TypeScript client's dependencies, exactly as package-lock.json pins
# them (npm ci; node and npm installed first if missing).
"$root/clients/typescript/setup.sh"

# A short libFuzzer smoke run in its own clang build dir (about 3 minutes from
# clean, under a minute warm). A crash fails the script, but ctest still runs
# so one run shows everything.
fuzz_failed=0
if [[ ${FUZZ_SECONDS:-15} != 0 ]]; then
  "$root/tests/fuzz/run_fuzzers.sh" "${FUZZ_SECONDS:-15}" || fuzz_failed=1
fi

# --no-tests=error: a build that registers no tests is a broken build, not a pass.
ctest_args=(--test-dir "$BUILD_DIR" --output-on-failure --no-tests=error
            --timeout "${CTEST_TIMEOUT:-600}")
if [[ $fuzz_failed == 0 ]]; then
  exec ctest "${ctest_args[@]}"
fi
ctest "${ctest_args[@]}" || true
echo "test.sh: FAILED: a fuzzer crashed (run_fuzzers output above)" >&2
exit 1
