#!/usr/bin/env bash
# What the Neurlang runtime adds to a C program: the I/O, concurrency, capability, time and
# random functions of the C ABI (tests/c/size.c references each), linked from the static library
# into a stripped, -Os, --gc-sections C program, minus the same program without the runtime.
# Figures are in bytes (1 KB = 1000 bytes, the unit of the spec's "~100KB").
#
#   ci/size.sh               both figures, each checked against its limit below
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

# The limits: today's figures plus a little, so that growth is noticed. The build-std one was the
# spec's ~100 KB (100 000) until the race-free file sandbox (runtime/src/perm/walk.rs: one name
# at a time from held directory handles) took the figure one 4096-byte page over it, to 103 456;
# the README's "Size" section says why that is worth it. Section layout is page-aligned, so a
# figure moves in steps of up to 4096 bytes when a segment crosses a page boundary.
limit_stable=450000
limit_build_std=104000

if [ "$(host_os)-$(host_arch)" != linux-x86_64 ]; then
  skip "size: the figures are measured on x86_64 Linux (this is $(host_os)-$(host_arch))"
  exit 0
fi
command -v cc >/dev/null || die "no C compiler (cc)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2054 # -Wl,--gc-sections is one argument
flags=(-Os -ffunction-sections -fdata-sections -Wl,--gc-sections -s)
cc "${flags[@]}" -o "$tmp/without" tests/c/size.c
without=$(wc -c <"$tmp/without")

# measure NAME LIB LIMIT: links the probe against LIB, prints the figure and checks the limit.
measure() {
  local name=$1 lib=$2 limit=$3 with added
  cc "${flags[@]}" -DUSE_RUNTIME -Iruntime/include -o "$tmp/with-$name" tests/c/size.c "$lib" \
    -lpthread -ldl -lm
  with=$(wc -c <"$tmp/with-$name")
  added=$((with - without))
  say "$name: C program without the runtime $without bytes, with it $with bytes"
  say "$name: the runtime adds $added bytes ($((added / 1000)) KB, $((added / 1024)) KiB); spec: ~100KB; limit $limit bytes"
  [ "$added" -le "$limit" ] || { say "$name: $added bytes is over the limit of $limit"; return 1; }
}

stable() {
  run cargo build -p neurlang --profile min-size --lib
  measure stable target/min-size/libneurlang.a "$limit_stable"
}

build_std() {
  local triple
  triple=$(rustc -vV | sed -n 's/^host: //p')
  RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Cforce-unwind-tables=no -Zplt=yes -Zlocation-detail=none" \
    CARGO_TARGET_DIR=target/size-std run cargo "+$NEURLANG_NIGHTLY" build \
    -Z build-std=std,panic_abort -p neurlang --lib --profile min-size --target "$triple"
  measure build-std "target/size-std/$triple/min-size/libneurlang.a" "$limit_build_std"
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
