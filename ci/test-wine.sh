#!/usr/bin/env bash
# The Windows leg on an x86_64 Linux host: tests and the conformance report built for
# x86_64-pc-windows-gnu and run under Wine, with the ProcessPrng stand-in DLL that
# ci/wine-setup.sh builds (Debian's Wine 8 lacks bcryptprimitives.dll, which std loads at start).
# windows-latest on GitHub Actions runs the native leg.
# shellcheck source=ci/lib.sh
source "$(dirname "$0")/lib.sh"
target=x86_64-pc-windows-gnu

if [ "$(host_os)-$(host_arch)" != linux-x86_64 ]; then
  skip "the Wine leg runs on x86_64 Linux hosts (this is $(host_os)-$(host_arch))"
  exit 0
fi
if ! has_target "$target"; then
  skip "Rust target $target is not installed and ci/install-deps.sh could not add it"
  exit 0
fi
command -v x86_64-w64-mingw32-gcc >/dev/null || die "x86_64-w64-mingw32-gcc is missing: run ci/install-deps.sh wine"

say "\$ eval \"\$(ci/wine-setup.sh)\""
eval "$("$ci_dir/wine-setup.sh")"
say "runner: $CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER, prefix $WINEPREFIX"

step tests cargo_test wine cargo test --target "$target" -p neurlang -p neurlang-conformance -p neurlang-server
# Test profile, as in ci/test-aarch64.sh: the code the tests just ran, no second build.
step report env NEURLANG_RACE_SECS="$race_secs" cargo run --target "$target" -p neurlang-conformance -- --json "$out/report-windows-x86_64-wine.json"
finish
