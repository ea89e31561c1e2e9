#!/usr/bin/env bash
# Shows that the compile-time checks of the errno table's host numbers (runtime/src/errno/table.rs,
# against libc / windows-sys) can fail. In a scratch copy of the tree (the checkout is never
# modified), EAGAIN's number for TARGET's platform is flipped: `cargo check -p neurlang` for TARGET
# must then fail with the check's message for that row; with the real table, it must pass.
#
#   ci/errno-guard.sh [TARGET]    default x86_64-unknown-freebsd (run by ci/check-cross.sh)
#
# The copy sits at a fixed place in the target dir and builds into that target dir, so only
# neurlang itself is rebuilt, twice.
# shellcheck source=ci/lib.sh
source "$(dirname "$0")/lib.sh"

target=${1:-x86_64-unknown-freebsd}
table=runtime/src/errno/table.rs
# The row:  EAGAIN = 11, "Resource temporarily unavailable",
#               darwin [35], freebsd [35], windows [WSAEWOULDBLOCK = 10035];
# FLIP is a sed command applied to that row only; MESSAGE is what the failed check must say.
case $target in
  *-freebsd) flip='s/freebsd \[35\]/freebsd [1035]/' message="EAGAIN is not libc's (FreeBSD)" ;;
  *-apple-darwin) flip='s/darwin \[35\]/darwin [1035]/' message="EAGAIN is not libc's (macOS)" ;;
  *-windows-*) flip='s/WSAEWOULDBLOCK = 10035/WSAEWOULDBLOCK = 11035/'
    message="WSAEWOULDBLOCK is not windows-sys's" ;;
  *-linux-*) flip='s/EAGAIN = 11,/EAGAIN = 1011,/' message="EAGAIN is not libc's (Linux)" ;;
  *) die "no errno column to flip for $target" ;;
esac
has_target "$target" || die "the Rust target $target is not installed (ci/install-deps.sh cross)"

target_dir=${CARGO_TARGET_DIR:-target}
mkdir -p "$target_dir"
target_dir=$(cd "$target_dir" && pwd)
tree=$target_dir/errno-guard/tree
say "copying the tree (git's tracked and untracked, not ignored, files) to $tree"
rm -rf "$tree"
mkdir -p "$tree"
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
  tar --null -T - -cf - | tar -C "$tree" -xf -

check() { (cd "$tree" && cargo check -p neurlang --locked --target "$target" --target-dir "$target_dir"); }

flipped_fails() {
  sed "/^ *EAGAIN = 11,/,/;\$/ $flip" "$table" >"$tree/$table"
  say "the flip in the copy's $table:"
  if diff "$table" "$tree/$table"; then
    say "the flip changed nothing (has the row's layout changed?)"
    return 1
  fi
  local log=$out/errno-guard-$target.log status=0
  say "\$ cargo check -p neurlang --locked --target $target (in the copy; output in $log)"
  check >"$log" 2>&1 || status=$?
  if [ "$status" = 0 ]; then
    say "the flipped table BUILT: the compile-time check does not work for $target"
    return 1
  fi
  if ! grep -F "$message" "$log"; then
    tail -n 30 "$log"
    say "the build failed (exit $status), but not with the check's message '$message'"
    return 1
  fi
  say "failed as expected (exit $status), with the check's message above"
}

real_passes() {
  cp "$table" "$tree/$table"
  say "\$ cargo check -p neurlang --locked --target $target (in the copy, its table restored)"
  check
}

step "flipped table must not build" flipped_fails
step "real table builds" real_passes
finish
