#!/usr/bin/env bash
# The instruction-count regression gate (benches/benches/gate.rs + benches/gate/limits.toml).
#
#   ci/bench-gate.sh            measure every hot operation under callgrind, compare with limits
#   ci/bench-gate.sh --update   regenerate the limits after an intended change (commit the diff)
#
# Instruction counts are exact for a given binary, so the gate is deterministic on a given
# toolchain (pinned in rust-toolchain.toml) and valgrind. Fails naming the operation, by how
# much, and the command that reproduces it.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-check}

if ! command -v valgrind >/dev/null; then
  if [ "${CI:-}" = true ]; then echo "bench-gate: valgrind is missing (ci/install-deps.sh installs it)" >&2; exit 1; fi
  echo "bench-gate: skipped: valgrind is not installed (apt-get install valgrind)"; exit 0
fi
# gungraun-runner must match the gungraun library version in Cargo.lock.
want=$(awk '/^name = "gungraun"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have=$(gungraun-runner --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have" != "$want" ]; then
  echo "bench-gate: installing gungraun-runner $want (found: ${have:-none})"
  cargo install --quiet --locked gungraun-runner --version "$want"
fi

mkdir -p target/gate
echo "bench-gate: measuring (callgrind; a few seconds per operation)"
cargo bench --quiet -p neurlang-benches --bench gate -- --output-format=json > target/gate/summaries.json
case "$mode" in
  --update) cargo run --quiet --release -p neurlang-benches --bin gate-check -- --update < target/gate/summaries.json ;;
  check) cargo run --quiet --release -p neurlang-benches --bin gate-check < target/gate/summaries.json ;;
  *) echo "usage: ci/bench-gate.sh [--update]" >&2; exit 2 ;;
esac
