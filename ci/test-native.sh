#!/usr/bin/env bash
# The native leg, on any host (Linux, macOS, Windows with Git Bash):
#   fmt check, clippy with -D warnings, rustdoc with -D warnings (broken or private links), the README's test command, the criterion benches in test
#   mode, and the conformance report (the README's main command) with its JSON written to
#   ci/out/report-<label>.json.
#
#   ci/test-native.sh [LABEL]     LABEL defaults to <os>-<arch>-native, e.g. linux-x86_64-native
# shellcheck source=ci/lib.sh
source "$(dirname "$0")/lib.sh"
label=${1:-$(host_label)}

step fmt cargo fmt --all --check
step clippy cargo clippy --workspace --all-targets --locked -- -D warnings
step rustdoc env RUSTDOCFLAGS="${RUSTDOCFLAGS:-} -D warnings" cargo doc --workspace --no-deps --locked --quiet
# The README's test command, verbatim:
step tests cargo_test native cargo test --workspace
# Criterion benches in test mode: each benchmark runs once, unmeasured (speed is for people; CI
# gates on instruction counts, ci/bench-gate.sh).
benches=()
while read -r b; do benches+=(--bench "$b"); done < <(criterion_benches)
step bench-test cargo bench --locked -p neurlang-benches "${benches[@]}" -- --test
step report env NEURLANG_RACE_SECS="$race_secs" cargo run --release -p neurlang-conformance -- --json "$out/report-$label.json"
finish
