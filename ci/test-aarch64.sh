#!/usr/bin/env bash
# The aarch64 Linux leg on an x86_64 Linux host: tests and the conformance report built for
# aarch64-unknown-linux-gnu and run under qemu-user. On an aarch64 host the
# native leg covers this platform instead.
#
# Under qemu, seccomp gives ENOSYS and strace sees the emulator: cases that depend on that skip
# themselves, reading NEURLANG_EMULATOR; child-process cases start through NEURLANG_CHILD_RUNNER.
# shellcheck source=ci/lib.sh
source "$(dirname "$0")/lib.sh"
target=aarch64-unknown-linux-gnu
sysroot=/usr/aarch64-linux-gnu

if [ "$(host_os)-$(host_arch)" != linux-x86_64 ]; then
  skip "the qemu-aarch64 leg runs on x86_64 Linux hosts (this is $(host_os)-$(host_arch))"
  exit 0
fi
if ! has_target "$target"; then
  skip "Rust target $target is not installed and ci/install-deps.sh could not add it"
  exit 0
fi
for tool in qemu-aarch64 aarch64-linux-gnu-gcc; do
  command -v "$tool" >/dev/null || die "$tool is missing: run ci/install-deps.sh aarch64"
done
[ -d "$sysroot" ] || die "$sysroot is missing (package libc6-dev-arm64-cross): run ci/install-deps.sh aarch64"

export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L $sysroot"
export NEURLANG_EMULATOR=qemu-aarch64
export NEURLANG_CHILD_RUNNER="qemu-aarch64 -L $sysroot"
say "runner: $CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER ($(qemu-aarch64 --version | head -n1))"

step tests cargo_test aarch64-qemu cargo test --target "$target" -p neurlang -p neurlang-conformance -p neurlang-server
# The report is built in the test profile: the same code as the tests just ran, without a
# second (release) build of every dependency for this target.
step report env NEURLANG_RACE_SECS="$race_secs" cargo run --target "$target" -p neurlang-conformance -- --json "$out/report-linux-aarch64-qemu-aarch64.json"
finish
