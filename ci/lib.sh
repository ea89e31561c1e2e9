# shellcheck shell=bash
# Helpers shared by the ci/ scripts (sourced, never run on its own).
#
# Written for bash 3.2 as well (macOS runners): no associative arrays, no mapfile, no ${x,,}.
# Every script prints what it runs ("$ cmd") and why it skips anything ("SKIPPED: why").
set -euo pipefail

ci_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$ci_dir/.." && pwd)
cd "$root"
# Relative on purpose: Windows programs (under Wine too) read it as well as Unix ones.
out=ci/out
mkdir -p "$out"
script=$(basename "$0" .sh)
failed_steps=""
step_times=""

# CI runs build once from scratch: incremental artefacts only cost time and disk there.
if [ "${CI:-}" = true ]; then
  export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
fi
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-auto}
# Seconds per sandbox race trial (conformance abi.race.*) in the legs' report runs; the tests
# run each for 1 s (conformance/cases/abi-race.toml).
# shellcheck disable=SC2034 # used by the scripts that source this file
race_secs=${NEURLANG_RACE_SECS:-10}

say() { printf '[%s] %s\n' "$script" "$*"; }

# skip WHY: says why something does not run. .ci/run collects these ($NEURLANG_CI_SKIPS) and
# repeats them in its summary; GitHub Actions shows them as warnings.
skip() {
  say "SKIPPED: $*"
  if [ -n "${NEURLANG_CI_SKIPS:-}" ]; then
    printf '%s: %s\n' "$script" "$*" >>"$NEURLANG_CI_SKIPS"
  fi
  if [ "${GITHUB_ACTIONS:-}" = true ]; then
    printf '::warning title=%s skipped::%s\n' "$script" "$*"
  fi
}

die() {
  say "ERROR: $*" >&2
  exit 1
}

# run CMD...: prints the command, then runs it.
run() {
  say "\$ $*"
  "$@"
}

# step NAME CMD...: runs one step with a header and its time; a failure is recorded and the
# script goes on with the next step, so one run reports every problem. `finish` exits 1 if any
# step failed.
step() {
  local name=$1 start status
  shift
  printf '\n[%s] ---- %s\n' "$script" "$name"
  start=$(date +%s)
  if run "$@"; then status=ok; else status=FAILED; failed_steps="$failed_steps $name"; fi
  local secs=$(($(date +%s) - start))
  say "---- $name: $status (${secs}s)"
  step_times="$step_times$(printf '  %-28s %-7s %5ss' "$name" "$status" "$secs")
"
}

finish() {
  if [ -n "$step_times" ]; then
    say "steps:"
    printf '%s' "$step_times"
  fi
  if [ -n "$failed_steps" ]; then
    die "failed:$failed_steps"
  fi
  say "all steps passed"
}

# host_label: the report's column name for a native run (`linux-x86_64-native`, …), the same
# as the report binary's Host::label().
host_os() {
  case "$(uname -s)" in
    Linux) echo linux ;;
    Darwin) echo macos ;;
    FreeBSD) echo freebsd ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT) echo windows ;;
    *) uname -s | tr '[:upper:]' '[:lower:]' ;;
  esac
}
host_arch() {
  case "$(uname -m)" in
    x86_64 | amd64 | AMD64) echo x86_64 ;;
    aarch64 | arm64 | ARM64) echo aarch64 ;;
    *) uname -m ;;
  esac
}
host_label() { echo "$(host_os)-$(host_arch)-native"; }

# test_totals LOG: adds up every libtest summary line ("test result: ok. 5 passed; 0 failed;
# 1 ignored; 0 measured; 2 filtered out; …") of a cargo test log into one line
# "N passed, N failed, N skipped" (skipped = ignored: libtest-mimic reports skipped cases so).
test_totals() {
  awk '/^test result: /{
         for (i = 1; i <= NF; i++) {
           w = $(i+1); sub(/[;,.]$/, "", w)
           if (w == "passed") p += $i; else if (w == "failed") f += $i; else if (w == "ignored") s += $i
         }
         n++
       }
       END { if (n == 0) exit 1; printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$1"
}

# cargo_test NAME CMD...: runs a cargo test command with its output kept in ci/out/test-NAME.log,
# then prints the totals of all its test binaries on one line.
cargo_test() {
  local name=$1 log status=0 totals
  shift
  log=$out/test-$name.log
  say "output also in $log"
  "$@" 2>&1 | tee "$log" || status=$?
  totals=$(test_totals "$log") || totals="no test ran"
  say "$name: $totals (exit $status)"
  return "$status"
}

# criterion_benches: the criterion bench targets of neurlang-benches, one per line (every
# [[bench]] of benches/Cargo.toml but the instruction-count gate).
criterion_benches() {
  awk '/^\[\[bench\]\]/ { b = 1; next } b && /^name *=/ { gsub(/.*= *"|".*/, ""); print; b = 0 }' \
    "$root/benches/Cargo.toml" | grep -vx gate
}

# has_target TRIPLE: is the Rust target's standard library installed for the pinned toolchain?
has_target() {
  rustup target list --installed 2>/dev/null | grep -x "$1" >/dev/null
}

# apt_install PKG...: installs the given Debian/Ubuntu packages with apt-get (through password-less
# sudo when not root), quietly and without recommends. Callers decide which are missing.
apt_install() {
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo -n"
    else die "packages missing: $* (not root and no password-less sudo)"; fi
  fi
  say "installing missing packages: $*"
  export DEBIAN_FRONTEND=noninteractive
  run $sudo apt-get update -q
  run $sudo apt-get install -y -q --no-install-recommends "$@"
}
