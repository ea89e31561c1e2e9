#!/usr/bin/env bash
# Compile checks of what no runner here can run or does not build otherwise:
# - macOS x86_64 and aarch64 (kqueue, MAP_JIT paths), FreeBSD x86_64 and Windows x86_64 (the
#   wine leg also runs Windows, where wine is installed): clippy with -D warnings on every target
#   of the workspace (tests and benches included), so each platform's own code is linted too.
#   Nothing is linked, so no SDK is needed. Building for a platform also checks the errno table's
#   host numbers for it against libc / windows-sys (runtime/src/errno/table.rs);
# - the `shell` backend of unsupported targets (runtime/src/sys/shell.rs), selected on this host
#   with `--cfg neurlang_shell_backend`;
# - the errno guard (ci/errno-guard.sh): a flipped host number must stop the FreeBSD build.
# shellcheck source=ci/lib.sh
source "$(dirname "$0")/lib.sh"

for target in x86_64-apple-darwin aarch64-apple-darwin x86_64-unknown-freebsd x86_64-pc-windows-gnu; do
  if has_target "$target"; then
    step "clippy $target" cargo clippy --workspace --all-targets --locked --target "$target" -- -D warnings
  else
    skip "clippy for $target: the Rust target is not installed (ci/install-deps.sh cross)"
  fi
done

# Its own target dir: the cfg is in RUSTFLAGS, which every crate's build depends on.
step "clippy shell backend" env RUSTFLAGS="${RUSTFLAGS:-} --cfg neurlang_shell_backend" \
  CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}/shell-backend" \
  cargo clippy -p neurlang --all-targets --locked -- -D warnings

guard_target=x86_64-unknown-freebsd
if has_target "$guard_target"; then
  step "errno guard $guard_target" bash "$ci_dir/errno-guard.sh" "$guard_target"
else
  skip "errno guard: the Rust target $guard_target is not installed (ci/install-deps.sh cross)"
fi
finish
