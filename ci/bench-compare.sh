#!/usr/bin/env bash
# Criterion benches on a base commit and on the working tree, with a ratio table (for people;
# CI gates on instruction counts instead, ci/bench-gate.sh).
#
#   ci/bench-compare.sh [--rounds N] BASE_REF [BENCH...] [-- CRITERION_ARGS...]
#
# BENCH: criterion bench targets of neurlang-benches (default: every one but the gate).
# CRITERION_ARGS go to every run, e.g. `-- --warm-up-time 1 --measurement-time 3 dispatch`.
# Each round runs the base (built in a temporary `git worktree`, target dir
# target/bench-compare/base-build, kept between uses) saved as criterion baseline `base`, then
# the working tree with `--baseline-lenient base`. Prints each bench id's mean on both and
# new/base; with N > 1 rounds (interleaved, so a slow spell of the machine hits both sides),
# those of the round with the median ratio, and the range of the ratios. Results and HTML reports:
# target/bench-compare/criterion (emptied first, so the table shows only this comparison).
# shellcheck source=ci/lib.sh
source "$(dirname "$0")/lib.sh"

usage() { sed -n '5,8p' "$0" >&2; exit 2; }
rounds=1
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage ;;
    --rounds) rounds=${2:-}; shift 2 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || usage
case "$rounds" in '' | *[!0-9]* | 0) die "--rounds wants a positive number, not '$rounds'" ;; esac
base_ref=$1
shift
benches=() crit=()
while [ $# -gt 0 ]; do
  if [ "$1" = -- ]; then shift; crit=("$@"); break; fi
  benches+=("$1"); shift
done
base_rev=$(git rev-parse --verify --quiet "$base_ref^{commit}") || die "$base_ref is not a commit"
all=$(criterion_benches | tr '\n' ' ')
if [ ${#benches[@]} -eq 0 ]; then read -r -a benches <<<"$all"; fi
for b in "${benches[@]}"; do
  case " $all" in *" $b "*) ;; *) die "no criterion bench '$b' (have: $all)" ;; esac
done

dest=$root/target/bench-compare
export CRITERION_HOME=$dest/criterion
rm -rf "$CRITERION_HOME" "$dest/rounds.txt"
mkdir -p "$dest"
tree=$(mktemp -d "${TMPDIR:-/tmp}/bench-compare.XXXXXX")
cleanup() { git -C "$root" worktree remove --force "$tree" >/dev/null 2>&1 || rm -rf "$tree"; }
trap cleanup EXIT
git worktree add --quiet --detach "$tree" "$base_rev"
say "base: $base_ref ($(git log -1 --format='%h %s' "$base_rev"))"
say "new: the working tree ($(git describe --always --dirty))"

# mean FILE: the mean point estimate (ns) of a criterion estimates.json.
mean() { sed -E 's/.*"mean":\{"confidence_interval":\{[^}]*\},"point_estimate":([-0-9.eE+]+).*/\1/' "$1"; }

# collect: appends "ID BASE NEW" (ns; BASE `-` when the base has no such bench) of every bench
# measured in this round to rounds.txt (ids have no spaces: criterion names them so).
collect() {
  find "$CRITERION_HOME" -path '*/new/benchmark.json' | while read -r json; do
    local dir id
    dir=$(dirname "$(dirname "$json")")
    id=$(sed -E 's/.*"full_id":"([^"]*)".*/\1/' "$json" | tr ' ' '_')
    if [ -f "$dir/base/estimates.json" ]; then
      echo "$id $(mean "$dir/base/estimates.json") $(mean "$dir/new/estimates.json")"
    else
      echo "$id - $(mean "$dir/new/estimates.json")"
    fi
  done >>"$dest/rounds.txt"
}

for round in $(seq "$rounds"); do
  for b in "${benches[@]}"; do
    if grep -q "^name = \"$b\"" "$tree/benches/Cargo.toml"; then
      say "round $round/$rounds: base $b"
      (cd "$tree" && CARGO_TARGET_DIR=$dest/base-build cargo bench --quiet -p neurlang-benches \
        --bench "$b" -- --save-baseline base ${crit[@]+"${crit[@]}"} >/dev/null)
    else
      say "round $round/$rounds: $b does not exist at $base_ref: new only"
    fi
    say "round $round/$rounds: new $b"
    cargo bench --quiet -p neurlang-benches --bench "$b" -- --baseline-lenient base \
      ${crit[@]+"${crit[@]}"} >/dev/null
  done
  collect
  # The next round's base must not compare with (or fall back on) this round's results.
  find "$CRITERION_HOME" -type d \( -name base -o -name new -o -name change \) -prune -exec rm -rf {} +
done

echo
# Per id: the round with the median new/base, and the range of the ratios.
awk '{ r = ($2 == "-") ? "-" : $3 / $2; print $1, $2, $3, r }' "$dest/rounds.txt" |
  sort -k1,1 -k4,4g |
  awk -v rounds="$rounds" '
    function t(x) { return x == "-" ? "-" : x >= 1e6 ? sprintf("%.2f ms", x / 1e6) : x >= 1e3 ? sprintf("%.2f us", x / 1e3) : sprintf("%.2f ns", x) }
    function flush() {
      if (n == 0) return
      m = int((n + 1) / 2)
      ratio = (rs[m] == "-") ? "new only" : sprintf("%.3f", rs[m])
      range = (rs[1] == "-" || n == 1) ? "" : sprintf("%.3f-%.3f", rs[1], rs[n])
      printf "%-56s %11s %11s %9s %s\n", id, t(bs[m]), t(ns[m]), ratio, range
    }
    BEGIN { printf "%-56s %11s %11s %9s %s\n", "bench (" rounds " round" (rounds > 1 ? "s, median ratio)" : ")"), "base", "new", "new/base", (rounds > 1 ? "range" : "") }
    $1 != id { flush(); id = $1; n = 0 }
    { n++; bs[n] = $2; ns[n] = $3; rs[n] = $4 }
    END { flush() }'
echo
say "HTML reports of the last round: target/bench-compare/criterion/report/index.html"
