#!/usr/bin/env bash
# Merges every platform's JSON report (ci/out/report-*.json) into one markdown matrix,
# ci/out/conformance-matrix.md, prints it, and on GitHub Actions adds it to the job summary.
# Exits 1 if any merged report has a failure.
# shellcheck source=ci/lib.sh
source "$(dirname "$0")/lib.sh"

reports=$(ls "$out"/report-*.json 2>/dev/null || true)
if [ -z "$reports" ]; then
  die "no reports in $out/ (the test legs write them)"
fi
# shellcheck disable=SC2086 # one report a word
say "reports:" $reports
status=0
# shellcheck disable=SC2086 # one argument per report (paths have no spaces)
run cargo run --release --quiet -p neurlang-conformance -- merge $reports --markdown "$out/conformance-matrix.md" || status=$?
if [ -f "$out/conformance-matrix.md" ]; then
  cat "$out/conformance-matrix.md"
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    cat "$out/conformance-matrix.md" >>"$GITHUB_STEP_SUMMARY"
  fi
fi
exit "$status"
