#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang and runs each for a
# while. deploy/test.sh calls it for a short smoke run; run it by hand for
# longer sessions.
#
#   tests/fuzz/run_fuzzers.sh [seconds_per_target] [target...]
#
#   tests/fuzz/run_fuzzers.sh                 # 20 s each, all targets
#   tests/fuzz/run_fuzzers.sh 600             # 10 minutes each
#   tests/fuzz/run_fuzzers.sh 3600 program    # one target for an hour
#
# Targets: validation, program, page_token, csv_import, coupon_code, keys_file,
#          request_guard
# (tests/fuzz/<target>_fuzz.cc).
#
# Build: $FUZZ_BUILD_DIR (default build-fuzz/ at the repo root) is configured
# with clang-14, -DLOYALTY_FUZZ=ON, and CMAKE_CXX_FLAGS instrumenting every
# C++ file of that build dir (ASan, UBSan, libFuzzer coverage), so the fuzzers
# see the coverage of ledger_core and the generated protos, not only their own.
# Only the `fuzzers` target and what it links are built: protos, ledger_core,
# loyaltyctl_import_csv, loyalty_keys and the <target>_libfuzzer binaries,
# never gRPC code or tests.
# Warnings: the project's flags and -Werror apply here too (clang-14 warns
# about nothing g++ doesn't today). Should a clang-only warning ever block a
# fuzz run, FUZZ_WERROR=OFF turns -Werror off for this build dir only.
#
# Corpus: each run starts from a scratch copy of tests/fuzz/corpus/<target>/
# under $FUZZ_BUILD_DIR/fuzz-work/<target>/corpus (emptied every run), plus
# tests/fuzz/regressions/<target>/ read-only. What libFuzzer discovers stays
# in the scratch dir; the checked-in corpus never grows by itself. To keep a
# good new input, copy it into tests/fuzz/corpus/<target>/ by hand
# (`<target>_libfuzzer -merge=1 EMPTY_DIR tests/fuzz/corpus/<target> SCRATCH`
# writes to EMPTY_DIR a smallest set with the coverage of both), and keep the
# seeds few.
#
# Crashes: libFuzzer writes the input that crashed (or timed out, or leaked)
# to $FUZZ_BUILD_DIR/fuzz-work/<target>/crash-<sha1> (timeout-, leak-, oom-),
# the path is printed in the "Test unit written to ..." line, and the script
# exits 1 after running every target. Crash files stay until you delete
# them; only the scratch corpus is reset. To turn a crash into a regression:
#   1. Reproduce:  build-fuzz/tests/fuzz/<target>_libfuzzer CRASH_FILE
#   2. Optionally shrink it:
#        build-fuzz/tests/fuzz/<target>_libfuzzer -minimize_crash=1 \
#          -runs=100000 -exact_artifact_path=/tmp/min CRASH_FILE
#   3. Keep it under a name that says what it is:
#        cp /tmp/min tests/fuzz/regressions/<target>/rule_id_not_utf8
#   The g++ ctest test "fuzz-replay: <target>" replays every regression file
#   on each test run (and fails until the bug is fixed); so does every run of
#   this script.
#
# Env: FUZZ_BUILD_DIR (see above), JOBS (build parallelism, default 2),
#      FUZZ_WERROR (ON or OFF, default ON),
#      LIBFUZZER_FLAGS (extra libFuzzer flags for every target, e.g.
#      "-fork=1 -ignore_crashes=1" to keep going past a known crash).
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
fuzz_dir=$root/tests/fuzz
FUZZ_BUILD_DIR=${FUZZ_BUILD_DIR:-$root/build-fuzz}
[[ $FUZZ_BUILD_DIR == /* ]] || FUZZ_BUILD_DIR=$PWD/$FUZZ_BUILD_DIR

seconds=${1:-20}
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(validation program page_token csv_import coupon_code keys_file request_guard)
if ! [[ $seconds =~ ^[0-9]+$ ]] || [[ $seconds -eq 0 ]]; then
  echo "run_fuzzers: seconds_per_target must be a positive integer" >&2
  exit 2
fi

for tool in clang-14 clang++-14; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "run_fuzzers: $tool not found; run deploy/install-deps.sh" >&2
    exit 2
  fi
done

# Instrument every file of this build dir; the fuzzer binaries themselves add
# -fsanitize=fuzzer (the libFuzzer main) in tests/fuzz/CMakeLists.txt.
sanitize="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
sanitize+=" -fsanitize=fuzzer-no-link -fno-omit-frame-pointer"

build_start=$SECONDS
# Configure every run (a few seconds) so a changed FUZZ_WERROR takes effect;
# CC/CXX only matter the first time, when CMake picks the compiler.
generator=()
[[ -f $FUZZ_BUILD_DIR/CMakeCache.txt ]] || generator=(-G Ninja)
# Build type "Fuzz": -O1 and line tables only, as fuzzing builds usually are.
# It builds in far less time than -O2 -g, and crash reports still name file
# and line. (The ledger's invariant checks are on in every build type.)
CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$FUZZ_BUILD_DIR" \
  "${generator[@]}" -DCMAKE_BUILD_TYPE=Fuzz \
  -DCMAKE_CXX_FLAGS_FUZZ="-O1 -gline-tables-only -DNDEBUG" \
  -DCMAKE_C_FLAGS_FUZZ="-O1 -gline-tables-only -DNDEBUG" \
  -DCMAKE_CXX_FLAGS="$sanitize" \
  -DLOYALTY_FUZZ=ON -DLOYALTY_WERROR="${FUZZ_WERROR:-ON}" >/dev/null
cmake --build "$FUZZ_BUILD_DIR" -j "${JOBS:-2}" --target fuzzers
echo "run_fuzzers: build took $((SECONDS - build_start)) s"

# One target at a time, one process each: the machine has 2 cores to share.
failed=()
for target in "${targets[@]}"; do
  binary=$FUZZ_BUILD_DIR/tests/fuzz/${target}_libfuzzer
  work=$FUZZ_BUILD_DIR/fuzz-work/$target
  if [[ ! -x $binary ]]; then
    echo "run_fuzzers: no such target: $target" >&2
    exit 2
  fi
  rm -rf "$work/corpus"
  mkdir -p "$work/corpus"
  cp -R "$fuzz_dir/corpus/$target/." "$work/corpus/"
  corpora=("$work/corpus")
  [[ -d $fuzz_dir/regressions/$target ]] &&
    corpora+=("$fuzz_dir/regressions/$target")
  dict=()
  [[ -f $fuzz_dir/$target.dict ]] && dict=("-dict=$fuzz_dir/$target.dict")

  echo "run_fuzzers: $target for ${seconds} s"
  # shellcheck disable=SC2086  # LIBFUZZER_FLAGS is a list of flags.
  if ! "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$work/" "${dict[@]}" \
      ${LIBFUZZER_FLAGS:-} "${corpora[@]}"; then
    echo "run_fuzzers: $target FAILED; the crashing input is in $work/" \
         "(see the 'Test unit written to' line above)" >&2
    failed+=("$target")
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "run_fuzzers: crashes in: ${failed[*]}" >&2
  exit 1
fi
echo "run_fuzzers: ${#targets[@]} target(s) ran ${seconds} s each without a crash"
