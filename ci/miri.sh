#!/usr/bin/env bash
# The Miri subset: the runtime's unit tests whose names match ci/miri-filters.txt, run under Miri
# with the dated nightly of ci/toolchains.sh (Miri refuses PROT_EXEC, so nothing that runs
# generated code is in the list). Skips, saying why, when that
# toolchain cannot be installed.
#
#   ci/miri.sh [FILTER...]     FILTERs replace the list in ci/miri-filters.txt
# shellcheck source=ci/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=ci/toolchains.sh
source "$ci_dir/toolchains.sh"

if ! command -v rustup >/dev/null; then
  skip "Miri: rustup is not installed"
  exit 0
fi
if ! rustup component list --installed --toolchain "$NEURLANG_NIGHTLY" 2>/dev/null | grep '^miri' >/dev/null; then
  if ! run rustup toolchain install "$NEURLANG_NIGHTLY" --profile minimal --component miri,rust-src --no-self-update; then
    skip "Miri: could not install $NEURLANG_NIGHTLY with the miri and rust-src components"
    exit 0
  fi
fi

if [ $# -gt 0 ]; then
  filters=$*
else
  filters=$(grep -v '^[[:space:]]*\(#\|$\)' "$ci_dir/miri-filters.txt" | tr '\n' ' ')
fi
[ -n "${filters// /}" ] || die "no Miri filters (ci/miri-filters.txt is empty)"
say "filters: $filters"

# proptest asks for the working directory (failure persistence): let that fail quietly, and keep
# model-based tests to a few cases, since Miri runs them ~1000x slower.
export MIRIFLAGS="${MIRIFLAGS:--Zmiri-isolation-error=warn-nobacktrace}"
export PROPTEST_CASES="${PROPTEST_CASES:-8}"
step "miri setup" cargo "+$NEURLANG_NIGHTLY" miri setup
# shellcheck disable=SC2086 # one argument per filter
step "miri test" cargo_test miri cargo "+$NEURLANG_NIGHTLY" miri test -p neurlang --lib -- $filters
finish
