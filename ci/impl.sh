#!/usr/bin/env bash
# The conformance report against the artefact that ships, not the linked crate: the runtime
# built with the `min-size` profile ci/size.sh measures, as a shared library exporting the C ABI
# (`cargo rustc --crate-type cdylib`: the runtime's own crate types stay rlib and staticlib, so
# no other build links a .so), loaded by `neurlang-conformance --impl` (README, "Any build of the
# runtime"). Then the proof that a build missing a function is a failed row naming it, not a
# crash: the same library built without `neurlang_chan_send` (ci/drop-export-cc.sh leaves it out
# of the linker's version script) must fail exactly the row `impl.exports.neurlang_chan_send`
# and the cases that call it, each naming it, with every other case run as before.
#
#   ci/impl.sh
# shellcheck source=ci/lib.sh
source "$(dirname "$0")/lib.sh"

drop=neurlang_chan_send

if [ "$(host_os)-$(host_arch)" != linux-x86_64 ]; then
  skip "impl: the shipped artefact is the x86_64 Linux build ci/size.sh measures (this is $(host_os)-$(host_arch))"
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# cdylib [RUSTC ARGS...]: builds target/min-size/libneurlang.so.
cdylib() {
  run cargo rustc -p neurlang --lib --profile min-size --crate-type cdylib -- "$@"
}

# report LIB NAME: the report against LIB, its text in $tmp/NAME.txt; returns its exit status.
report() {
  local status=0
  ./target/release/neurlang-conformance --impl "$1" --quiet >"$tmp/$2.txt" 2>&1 || status=$?
  cat "$tmp/$2.txt"
  return $status
}

# totals NAME: "PASSED FAILED SKIPPED" of a report's last line.
totals() {
  sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped.*/\1 \2 \3/p' "$tmp/$1.txt"
}

build() {
  run cargo build --release -p neurlang-conformance
  # The copy without the function first, so that target/min-size/libneurlang.so is left the
  # whole library.
  NEURLANG_DROP_EXPORT=$drop cdylib -C linker="$root/ci/drop-export-cc.sh"
  cp target/min-size/libneurlang.so "$tmp/without-$drop.so"
  cdylib
  say "target/min-size/libneurlang.so: $(wc -c <target/min-size/libneurlang.so) bytes"
}

whole() {
  report target/min-size/libneurlang.so whole
}

# The report without the function must exit 1 (a failure, not a crash), fail the export row and
# only cases naming the function, and run as many cases as the whole library's report.
missing() {
  local status=0 p f s p2 f2 s2 named
  report "$tmp/without-$drop.so" without || status=$?
  [ "$status" = 1 ] || { say "the report exited $status, not 1"; return 1; }
  read -r p f s <<<"$(totals whole)"
  read -r p2 f2 s2 <<<"$(totals without)"
  grep -q "^  impl.exports.$drop: $drop is not exported by " "$tmp/without.txt" ||
    { say "no failed row impl.exports.$drop naming it"; return 1; }
  named=$(grep -c "^  [^ ]*: $drop is not exported by " "$tmp/without.txt")
  say "without $drop: $f2 failed (each naming it: $named), $p2 passed, $s2 skipped; the whole library: $p passed, $f failed, $s skipped"
  [ "$f" = 0 ] && [ "$named" = "$f2" ] && [ "$s2" = "$s" ] && [ $((p2 + f2)) = "$p" ] ||
    { say "the failures are not exactly the cases calling $drop"; return 1; }
}

step build build
step whole whole
step missing-function missing
finish
