#!/usr/bin/env bash
# Compile checks for the platforms no machine here can run (DESIGN.md §2): macOS x86_64 and
# aarch64 (kqueue, MAP_JIT paths) and FreeBSD x86_64. Type-checks every target of the workspace
# (tests and benches included); nothing is linked, so no SDK is needed.
# shellcheck source=ci/lib.sh
source "$(dirname "$0")/lib.sh"

for target in x86_64-apple-darwin aarch64-apple-darwin x86_64-unknown-freebsd; do
  if has_target "$target"; then
    step "check $target" cargo check --workspace --all-targets --locked --target "$target"
  else
    skip "cargo check for $target: the Rust target is not installed (ci/install-deps.sh cross)"
  fi
done
finish
