#!/bin/sh
# What the Neurlang runtime adds to a C program: the I/O, concurrency, capability, time and
# random functions of the C ABI, linked from the `min-size` static library into a stripped,
# -Os, --gc-sections C program, minus the same program without the runtime.
# Usage: ci/size.sh              stable toolchain, `min-size` profile
#        ci/size.sh --build-std  nightly: std rebuilt with -Cpanic=immediate-abort (no panic
#                                 messages, no backtrace symboliser), same profile
set -eu
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--build-std" ]; then
    triple=$(rustc -vV | sed -n 's/^host: //p')
    RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort" CARGO_TARGET_DIR=target/size-std \
        cargo +nightly build -Z build-std=std,panic_abort -p neurlang --lib --profile min-size \
        --target "$triple" >&2
    lib=target/size-std/$triple/min-size/libneurlang.a
else
    cargo build -p neurlang --profile min-size --lib >&2
    lib=target/min-size/libneurlang.a
fi
out=${TMPDIR:-/tmp}/neurlang-size.$$
mkdir -p "$out"
trap 'rm -rf "$out"' EXIT
flags="-Os -ffunction-sections -fdata-sections -Wl,--gc-sections -s"
# shellcheck disable=SC2086
cc $flags -o "$out/without" tests/c/size.c
# shellcheck disable=SC2086
cc $flags -DUSE_RUNTIME -Iruntime/include -o "$out/with" tests/c/size.c "$lib" -lpthread -ldl -lm
without=$(wc -c < "$out/without")
with=$(wc -c < "$out/with")
added=$((with - without))
echo "C program without the runtime: $without bytes"
echo "C program with the runtime:    $with bytes"
echo "runtime adds: $added bytes ($((added / 1024)) KiB); spec: ~100KB"
