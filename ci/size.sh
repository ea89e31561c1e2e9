#!/usr/bin/env bash
# What the Neurlang runtime adds to a C program: the I/O, concurrency, capability, time and
# random functions of the C ABI (tests/c/size.c references each), linked from the static library
# into a stripped, -Os, --gc-sections C program, minus the same program without the runtime.
# Figures are in bytes (1 KB = 1000 bytes, the unit of the spec's "~100KB").
# A second figure per toolchain is the extension tier on its own: tests/c/size-ext.c references
# only neurlang_ext_call2 and neurlang_ext_call, which bring the registry with the built-in
# crypto and stdlib extensions (not part of the spec's ~100 KB for the runtime library).
#
#   ci/size.sh               both toolchains, each figure checked against its limit below
#   ci/size.sh stable        stable toolchain, `min-size` profile (opt-level z, fat LTO, one
#                            codegen unit, panic=abort); std comes precompiled, with its panic
#                            message and backtrace machinery
#   ci/size.sh build-std     the dated nightly of ci/toolchains.sh rebuilding std with the same
#                            profile and: panic=immediate-abort (no panic messages, no backtrace
#                            symboliser), no unwind tables, direct calls instead of calls through
#                            the GOT (-Zplt=yes), no panic locations. Skips, saying why, without
#                            that toolchain and its rust-src component.
# shellcheck source=ci/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=ci/toolchains.sh
source "$ci_dir/toolchains.sh"

# The limits: today's figures plus a little, so that growth is noticed and has to be argued for
# in docs/performance.md ("Size of the runtime in a C program"), which records each step: the
# build-std one was the spec's ~100 KB (100 000) until the race-free file sandbox took one page
# (103 456), the one handle table for every context service took another (107 552), and the C
# ABI's lock-free path to the current context two more (115 744), the C ABI's scratch memory and
# chunked token copies one more (119 840). Section layout is page-aligned, so a figure moves in
# steps of up to 4096 bytes when a segment crosses a page boundary.
limit_stable=476000
limit_build_std=120500
# The extension tier has no figure in the spec: its limits are generous (about twice today's
# figures), there to catch a blow-up (a second copy of a crypto crate, std's formatting pulled
# back in), not to hold a budget.
limit_ext_stable=1700000
limit_ext_build_std=800000

if [ "$(host_os)-$(host_arch)" != linux-x86_64 ]; then
  skip "size: the figures are measured on x86_64 Linux (this is $(host_os)-$(host_arch))"
  exit 0
fi
command -v cc >/dev/null || die "no C compiler (cc)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2054 # -Wl,--gc-sections is one argument
flags=(-Os -ffunction-sections -fdata-sections -Wl,--gc-sections -s)

# measure NAME PROBE LIB LIMIT WHAT: links PROBE (a file of tests/c) against LIB, prints what
# it adds to the same program without the runtime (WHAT: the spec's figure for it, if any) and
# checks the limit.
measure() {
  local name=$1 probe=tests/c/$2 lib=$3 limit=$4 what=$5 without with added
  cc "${flags[@]}" -o "$tmp/without-$name" "$probe"
  without=$(wc -c <"$tmp/without-$name")
  cc "${flags[@]}" -DUSE_RUNTIME -Iruntime/include -o "$tmp/with-$name" "$probe" "$lib" \
    -lpthread -ldl -lm
  with=$(wc -c <"$tmp/with-$name")
  added=$((with - without))
  say "$name: C program ($probe) without the runtime $without bytes, with it $with bytes"
  say "$name: the runtime adds $added bytes ($((added / 1000)) KB, $((added / 1024)) KiB); $what; limit $limit bytes"
  [ "$added" -le "$limit" ] || { say "$name: $added bytes is over the limit of $limit"; return 1; }
}

# measure_both NAME LIB TIER1_LIMIT EXT_LIMIT: the Tier 1 figure, then the extension tier's.
measure_both() {
  local status=0
  measure "$1" size.c "$2" "$3" "spec: ~100KB" || status=1
  measure "$1-ext" size-ext.c "$2" "$4" "extension tier (ext_call2, ext_call), no spec figure" ||
    status=1
  return $status
}

stable() {
  run cargo build -p neurlang --profile min-size --lib
  measure_both stable target/min-size/libneurlang.a "$limit_stable" "$limit_ext_stable"
}

build_std() {
  local triple
  triple=$(rustc -vV | sed -n 's/^host: //p')
  RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Cforce-unwind-tables=no -Zplt=yes -Zlocation-detail=none" \
    CARGO_TARGET_DIR=target/size-std run cargo "+$NEURLANG_NIGHTLY" build \
    -Z build-std=std,panic_abort -p neurlang --lib --profile min-size --target "$triple"
  measure_both build-std "target/size-std/$triple/min-size/libneurlang.a" "$limit_build_std" \
    "$limit_ext_build_std"
}

what=${1:-both}
case $what in
  stable | both) step "stable" stable ;;
  build-std) ;;
  *) die "usage: ci/size.sh [stable|build-std]" ;;
esac
if [ "$what" = build-std ] || [ "$what" = both ]; then
  if rustup component list --installed --toolchain "$NEURLANG_NIGHTLY" 2>/dev/null | grep '^rust-src' >/dev/null; then
    step "build-std" build_std
  else
    skip "size build-std: the $NEURLANG_NIGHTLY toolchain with rust-src is not installed (ci/install-deps.sh miri installs it)"
  fi
fi
finish
