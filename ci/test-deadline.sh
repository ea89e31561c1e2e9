#!/usr/bin/env bash
# A cargo target runner (CARGO_TARGET_<HOST>_RUNNER) for mutation campaigns: runs one test
# binary and fails it, naming it, when it has not finished after $NEURLANG_TEST_DEADLINE_SECS
# seconds, so a mutant that makes a unit test hang fails that binary instead of timing out the
# whole mutant. The conformance suite's own per-case deadline is shorter and names the case.
#
#   ci/test-deadline.sh BINARY ARGS...     (set by ci/mutants.sh, not run by hand)
set -uo pipefail
secs=${NEURLANG_TEST_DEADLINE_SECS:-60}
timeout --kill-after=5 "$secs" "$@"
rc=$?
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
  echo "test-deadline: ${1##*/} had not finished after ${secs}s (a hang): failed" >&2
  exit 1
fi
exit "$rc"
