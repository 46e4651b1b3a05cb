#!/usr/bin/env bash
# Installs the client library's package (component loyalty_client) to a
# temporary prefix, then configures, builds and runs tests/client_consumer
# against it with find_package(LoyaltyClient), and checks loyalty-client.pc.
#
#   install_consumer_test.sh BUILD_DIR CONSUMER_SOURCE_DIR
set -euo pipefail
build_dir=$1
consumer_dir=$2
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build_dir" --component loyalty_client --prefix "$work/prefix" \
  > "$work/install.log" || { cat "$work/install.log"; fail "install"; }
for header in loyalty/client/client.h loyalty/v1/contract.h \
              loyalty/v1/loyalty_service.grpc.pb.h loyalty/v1/common.pb.h; do
  [[ -f $work/prefix/include/$header ]] || fail "$header is not installed"
done

launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S "$consumer_dir" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" "${launcher[@]}" > "$work/configure.log" 2>&1 \
  || { cat "$work/configure.log"; fail "configuring the consumer"; }
cmake --build "$work/build" > "$work/build.log" 2>&1 \
  || { cat "$work/build.log"; fail "building the consumer"; }

output=$("$work/build/till_demo") || fail "till_demo: $output"
[[ $output =~ ^outcome\ unknown\;\ resend\ under\ request\ id\ [0-9a-f]{32}$ ]] \
  || fail "till_demo printed: $output"

flags=$(PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" \
  pkg-config --cflags --libs loyalty-client) || fail "pkg-config loyalty-client"
include_dir= lib_dir=
for flag in $flags; do
  case $flag in
    -I*) [[ -n $include_dir ]] || include_dir=${flag#-I} ;;
    -L*) [[ -n $lib_dir ]] || lib_dir=${flag#-L} ;;
  esac
done
[[ -f $include_dir/loyalty/client/client.h ]] \
  || fail "pkg-config's include directory lacks the headers: $flags"
[[ -f $lib_dir/libloyalty_client.a && $flags == *-lloyalty_client* ]] \
  || fail "pkg-config's libraries are not the installed ones: $flags"
echo "PASS: the installed LoyaltyClient package builds and runs a consumer"
