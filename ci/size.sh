#!/bin/sh
# What the Neurlang runtime adds to a C program: the I/O, concurrency, capability, time and
# random functions of the C ABI, linked from the `min-size` static library into a stripped,
# -Os, --gc-sections C program, minus the same program without the runtime.
# Usage: ci/size.sh            (from the repository root; needs cc and cargo)
set -eu
cd "$(dirname "$0")/.."
cargo build -p neurlang --profile min-size --lib >&2
lib=target/min-size/libneurlang.a
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
