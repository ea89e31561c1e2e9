#!/usr/bin/env bash
# Fuzzing campaigns over every cargo-fuzz target in fuzz/ (see fuzz/README.md).
#
#   ci/fuzz.sh [--time SECONDS] [--jobs N] [--minimize] [TARGET...]
#
# Runs each target (default: all) for SECONDS (default 60) with AddressSanitizer on the pinned
# nightly, printing one progress line per target. Corpora live in fuzz/corpus/TARGET (kept
# between runs, not committed) and start from the committed seeds in fuzz/seeds/TARGET; a
# dictionary fuzz/dict/TARGET.dict is used when present. --minimize shrinks each corpus after
# its run (cargo fuzz cmin). A crash is copied to fuzz/regressions/TARGET/, which plain
# `cargo test` replays on stable (conformance area `fuzz`): commit it with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f ci/toolchains.sh ] && . ci/toolchains.sh
nightly=${NEURLANG_NIGHTLY:-nightly}
time=60 jobs=1 minimize=false targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) time=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --minimize) minimize=true; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [ ! -f fuzz/Cargo.toml ]; then echo "fuzz: skipped: no fuzz targets yet (fuzz/Cargo.toml)"; exit 0; fi
if ! rustup run "$nightly" rustc --version >/dev/null 2>&1; then
  echo "fuzz: installing the $nightly toolchain (cargo-fuzz needs nightly for sanitizers)"
  rustup toolchain install "$nightly" --profile minimal >/dev/null
fi
if ! command -v cargo-fuzz >/dev/null; then
  echo "fuzz: installing cargo-fuzz"
  cargo install --quiet --locked cargo-fuzz
fi
cd fuzz
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +"$nightly" fuzz list)
echo "fuzz: building the targets with AddressSanitizer"
build_log=$(mktemp)
if ! cargo +"$nightly" fuzz build --sanitizer address >"$build_log" 2>&1; then
  cat "$build_log"; echo "fuzz: the targets do not build"; exit 1
fi
rm -f "$build_log"
failed=()
i=0
for t in "${targets[@]}"; do
  i=$((i + 1))
  mkdir -p "corpus/$t" "seeds/$t" "regressions/$t"
  args=(-max_total_time="$time" -print_final_stats=1)
  # With -jobs, libFuzzer runs workers that log to fuzz-N.log here instead of to stderr.
  [ "$jobs" -gt 1 ] && args+=(-jobs="$jobs" -workers="$jobs")
  [ -f "dict/$t.dict" ] && args+=(-dict="dict/$t.dict")
  log=$(mktemp)
  printf '[%d/%d] %-16s %4ss ... ' "$i" "${#targets[@]}" "$t" "$time"
  ok=true
  cargo +"$nightly" fuzz run --sanitizer address "$t" "corpus/$t" "seeds/$t" -- "${args[@]}" >"$log" 2>&1 || ok=false
  for w in fuzz-[0-9]*.log; do
    [ -f "$w" ] && cat "$w" >>"$log" && rm -f "$w"
  done
  if $ok; then
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
    echo "ok: ${execs:-?} executions, coverage ${cov:-?}, corpus $(find "corpus/$t" -type f | wc -l) inputs"
  else
    echo "FOUND A FAILURE"
    tail -40 "$log"
    for a in artifacts/"$t"/*; do
      [ -f "$a" ] || continue
      cp "$a" "regressions/$t/"
      echo "fuzz: kept $a as fuzz/regressions/$t/$(basename "$a"); commit it with the fix"
    done
    failed+=("$t")
  fi
  if $minimize; then cargo +"$nightly" fuzz cmin --sanitizer address "$t" "corpus/$t" >/dev/null 2>&1 || true; fi
  rm -f "$log"
done
if [ ${#failed[@]} -gt 0 ]; then echo "fuzz: failures in: ${failed[*]}"; exit 1; fi
echo "fuzz: ${#targets[@]} targets, no findings"
