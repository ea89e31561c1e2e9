#!/usr/bin/env bash
# Mutation testing with cargo-mutants: how much of runtime/ and server/src/ the tests can tell
# apart from a broken copy (README "Mutation testing").
#
#   ci/mutants.sh [--shard K/N | --sample K/N] [--jobs J] [--timeout SECS] [--time-box SECS]
#   ci/mutants.sh [--shard K/N | --sample K/N] --retest
#   ci/mutants.sh --in-diff [--budget SECS]
#   ci/mutants.sh --summary [--record] [RUN...]
#
# What is mutated and the oracle (the workspace tests) are in .cargo/mutants.toml.
# --shard K/N   the K-th of N consecutive slices of every mutant (K from 1); no option: all.
# --sample K/N  the K-th of N round-robin samples: every N-th mutant in source order, so a
#               sample is spread over every file.
#   Each run keeps its output in ci/out/mutants/RUN (shard-K-of-N, sample-K-of-N, all) with the
#   commit it measured (the last commit that changed the code or its tests). A finished run of
#   the same commit is not redone; an unfinished one resumes with the mutants not yet tested.
#   --timeout is each mutant's test time limit (default 120 s, several times the unmutated
#   tests' time, which cargo-mutants prints as its baseline); --time-box stops the run after
#   SECS, resumable later. Then prints the summary.
# --retest      after tests were added: a run of an earlier commit (finished or not) tests, at
#               the current one, its mutants that were not caught (missed or timed out) and those
#               not tested yet, and then counts as a run of the current commit. Refused unless
#               `cargo mutants --list` gives exactly the run's planned mutants (same files, lines
#               and order): the code under mutation is the same and only tests changed, so a
#               mutant caught earlier stays caught (as long as no test was taken away).
# --in-diff     the leg of .ci/run: mutates only the code changed in runtime/ and server/src/
#               since the commit of mutants/measured.toml, within --budget (default 600 s; a
#               fixed, evenly spread sample of the diff's mutants when not all fit), and fails
#               on a missed mutant that mutants/accepted.txt does not list.
# --summary     caught / missed / timeout / unviable per module and overall, over the given runs
#               (default: every run under ci/out/mutants), less mutants `exclude_re` excludes
#               now (an equivalent one a run found); --record writes mutants/measured.toml.
# shellcheck source=ci/lib.sh
source "$(dirname "$0")/lib.sh"

base=$out/mutants
measured=mutants/measured.toml
accepted=mutants/accepted.txt
mode=all part="" jobs=1 timeout=${NEURLANG_MUTANTS_TIMEOUT:-120} time_box="" budget=600 record=false retest=false
runs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --shard) mode=shard part=$2; shift 2 ;;
    --sample) mode=sample part=$2; shift 2 ;;
    --in-diff) mode=in-diff; shift ;;
    --summary) mode=summary; shift ;;
    --record) record=true; shift ;;
    --retest) retest=true; shift ;;
    --jobs | -j) jobs=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --time-box) time_box=$2; shift 2 ;;
    --budget) budget=$2; shift 2 ;;
    -h | --help) sed -n '2,32p' "$0"; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) runs+=("$1"); shift ;;
  esac
done

# A hung conformance case fails at its deadline, and any other test binary that hangs fails at
# its own (ci/test-deadline.sh as the target runner), both well within the mutant's time limit,
# so a mutant that makes the runtime hang counts as caught by the case or binary it hangs.
export NEURLANG_CASE_DEADLINE_SECS=${NEURLANG_CASE_DEADLINE_SECS:-40}
export NEURLANG_TEST_DEADLINE_SECS=${NEURLANG_TEST_DEADLINE_SECS:-60}
host_triple=$(rustc -vV | sed -n 's/^host: //p')
runner_var=CARGO_TARGET_$(echo "$host_triple" | tr 'a-z.-' 'A-Z__')_RUNNER
export "$runner_var=$root/ci/test-deadline.sh"
# The race trials (abi.race.*) run 0.3 s each instead of 1 s: they still go on until both states
# were met, and the walk's and the kernel's mutants are also caught by the escape rows and unit tests.
export NEURLANG_RACE_SECS=${NEURLANG_RACE_SECS:-0.3}
# Each mutant rebuilds the runtime and relinks every test binary: without debug info that takes
# much less time (README "Mutation testing"), and the tests are the same.
export CARGO_PROFILE_DEV_DEBUG=${CARGO_PROFILE_DEV_DEBUG:-0} CARGO_PROFILE_TEST_DEBUG=${CARGO_PROFILE_TEST_DEBUG:-0}

ensure_cargo_mutants() {
  if ! cargo mutants --version >/dev/null 2>&1; then
    say "installing cargo-mutants"
    run cargo install --quiet --locked cargo-mutants
  fi
  say "$(cargo mutants --version)"
}

# part_of K/N: checks the form and prints "K N".
part_of() {
  case "$1" in
    [1-9]*/[1-9]*) ;;
    *) die "expected K/N with 1 <= K <= N, got '$1'" ;;
  esac
  local k=${1%/*} n=${1#*/}
  [ "$k" -le "$n" ] || die "expected K/N with 1 <= K <= N, got '$1'"
  echo "$k $n"
}

# What a run measures: the code and its tests (a commit that changes neither measures the same).
measured_paths=(runtime server conformance fuzz-cases benches .cargo Cargo.toml Cargo.lock)

# The commit a run measures: the last that changed a measured path, marked -dirty when one has
# uncommitted changes.
measured_commit() {
  local c
  c=$(git log -1 --format=%H -- "${measured_paths[@]}")
  if [ -n "$(git status --porcelain -- "${measured_paths[@]}")" ]; then
    c="$c-dirty"
  fi
  echo "$c"
}

# planned RUN_DIR: the run's planned mutants less those `exclude_re` of .cargo/mutants.toml
# excludes now: a mutant a run found equivalent and that was excluded after it is not counted.
# (cargo-mutants applies the exclusions before sharding, so a run cannot simply be listed
# again: the sample would change.)
planned() {
  local patterns
  patterns=$(sed -n '/^exclude_re *= *\[/,/^\]/p' .cargo/mutants.toml | sed -n "s/^ *'\(.*\)',\{0,1\} *$/\1/p")
  if [ -n "$patterns" ]; then
    grep -vE -f <(printf '%s\n' "$patterns") "$1/planned.txt" || true
  else
    cat "$1/planned.txt"
  fi
}

# outcomes RUN_DIR: "KIND NAME" for every planned mutant of the run that was tested (KIND is
# caught, missed, timeout or unviable; NAME as cargo-mutants lists it, with line and column),
# the last session's outcome where a mutant ran in several.
outcomes() {
  local s kind
  [ -s "$1/planned.txt" ] || return 0
  for s in "$1"/s*/mutants.out; do
    [ -d "$s" ] || continue
    for kind in caught missed timeout unviable; do
      sed "s/^/$kind /" "$s/$kind.txt" 2>/dev/null || true
    done
  done | awk 'NR == FNR { planned[$0] = 1; next }
              { name = $0; sub(/^[a-z]+ /, "", name) }
              name in planned { last[name] = $1; if (!(name in order)) order[name] = ++n }
              END { for (m in last) printf "%d %s %s\n", order[m], last[m], m }' <(planned "$1") - |
    sort -n | cut -d' ' -f2-
}

# mutants_txt RUN_DIR KIND: the names of one outcome, without line and column, one a line.
mutants_txt() {
  outcomes "$1" | awk -v k="$2" '$1 == k' | cut -d' ' -f2- | sed -E 's/^([^:]+):[0-9]+:[0-9]+: /\1: /'
}

# summary RUN_DIR...: the table, per top-level module (runtime/src/<module>, server/src).
summary() {
  local d
  for d in "$@"; do outcomes "$d"; done | awk '
    {
      split($2, p, "/"); sub(/:$/, "", p[3]); sub(/\.rs:?$/, "", p[3])
      mod = p[1] == "server" ? "server/src" : p[1] "/" p[2] "/" p[3]
      n[mod, $1]++; n["all", $1]++; mods[mod] = 1
    }
    END {
      fmt = "%-26s %7s %7s %8s %9s\n"
      printf fmt, "module", "caught", "missed", "timeout", "unviable"
      for (m in mods) printf fmt, m, n[m, "caught"] + 0, n[m, "missed"] + 0, n[m, "timeout"] + 0, n[m, "unviable"] + 0 | "sort"
      close("sort")
      printf fmt, "all", n["all", "caught"] + 0, n["all", "missed"] + 0, n["all", "timeout"] + 0, n["all", "unviable"] + 0
    }'
}

# count RUN_DIR... KIND: how many mutants had that outcome.
count() {
  local kind=${*: -1} d n=0
  for d in "${@:1:$#-1}"; do
    n=$((n + $(mutants_txt "$d" "$kind" | wc -l)))
  done
  echo "$n"
}

# regex_of NAME: an anchored regex matching exactly that mutant name.
regex_of() {
  printf '^%s$' "$(printf '%s' "$1" | sed 's/[][\\.*+?(){}|^$#&~-]/\\&/g')"
}

# campaign RUN_NAME CARGO_MUTANTS_ARGS...: runs (or resumes, or leaves alone) one run. Each
# session of a run writes its own RUN/sN/mutants.out; a resumed run tests exactly the planned
# mutants no session has tested yet (selected by name: filtering before sharding would change
# which mutants a shard holds).
campaign() {
  local name=$1 dir=$base/$1 commit rc=0 select=()
  shift
  commit=$(measured_commit)
  if [ -f "$dir/done" ] && [ "$(cat "$dir/commit" 2>/dev/null)" = "$commit" ]; then
    say "$name: finished earlier at $commit: not redone"
    return 0
  fi
  if $retest; then
    [ -f "$dir/planned.txt" ] || die "$name: --retest needs an earlier run of $name"
    case $commit in *-dirty) die "--retest measures uncommitted changes ($commit): commit first" ;; esac
    cargo mutants --list "$@" 2>/dev/null >"$dir/planned-now.txt"
    if ! cmp -s "$dir/planned.txt" "$dir/planned-now.txt"; then
      diff "$dir/planned.txt" "$dir/planned-now.txt" | head -5 || true
      die "$name: the mutants differ from those of $(cat "$dir/commit") (the code under mutation changed): run the whole campaign again"
    fi
    rm "$dir/planned-now.txt"
    local again
    local tested
    tested=$(outcomes "$dir")
    again=$({
      printf '%s\n' "$tested" | awk '$1 == "missed" || $1 == "timeout"' | cut -d' ' -f2-
      printf '%s\n' "$tested" | cut -d' ' -f2- | grep -vxF -f - <(planned "$dir") || true
    })
    say "$name: testing at $commit the $(printf '%s' "$again" | grep -c . || true) mutants of $(cat "$dir/commit") not caught or not tested yet"
    echo "$commit" >"$dir/commit"
    [ -n "$again" ] || return 0
    rm -f "$dir/done"
    while IFS= read -r m; do select+=(--re "$(regex_of "$m")"); done <<<"$again"
  elif [ -f "$dir/planned.txt" ] && [ "$(cat "$dir/commit" 2>/dev/null)" = "$commit" ]; then
    local remaining
    remaining=$(outcomes "$dir" | cut -d' ' -f2- | grep -vxF -f - <(planned "$dir") || true)
    if [ -z "$remaining" ]; then
      echo "$commit" >"$dir/done"
      say "$name: every planned mutant was tested earlier at $commit: not redone"
      return 0
    fi
    say "$name: resuming at $commit: $(printf '%s\n' "$remaining" | wc -l) of $(wc -l <"$dir/planned.txt") mutants still to test"
    while IFS= read -r m; do select+=(--re "$(regex_of "$m")"); done <<<"$remaining"
  else
    [ -d "$dir" ] && say "$name: the earlier output is of $(cat "$dir/commit" 2>/dev/null || echo 'an unknown commit'): starting again"
    rm -rf "$dir"
    mkdir -p "$dir"
    echo "$commit" >"$dir/commit"
    cargo mutants --list "$@" 2>/dev/null >"$dir/planned.txt"
    say "$name: $(wc -l <"$dir/planned.txt") mutants"
    select=("$@")
  fi
  cargo mutants --version | awk '{print $2}' >"$dir/cargo-mutants-version"
  local session=1
  while [ -d "$dir/s$session" ]; do session=$((session + 1)); done
  local start
  start=$(date +%s)
  local cmd=(cargo mutants --no-shuffle -j "$jobs" --timeout "$timeout" -o "$dir/s$session" ${select[@]+"${select[@]}"})
  if [ -n "$time_box" ]; then
    say "time box: ${time_box}s (an unfinished run resumes next time)"
    cmd=(timeout --signal=INT --kill-after=60 "$time_box" "${cmd[@]}")
  fi
  run "${cmd[@]}" || rc=$?
  # Wall time over every session of the run, for the seconds per mutant in measured.toml.
  echo $(($(cat "$dir/seconds" 2>/dev/null || echo 0) + $(date +%s) - start)) >"$dir/seconds"
  # cargo-mutants: 0 all caught, 2 some missed, 3 some timed out; anything else did not finish.
  case $rc in
    0 | 2 | 3) echo "$commit" >"$dir/done"; say "$name: finished" ;;
    124) say "$name: stopped by the time box; run the same command again to resume" ;;
    *) say "$name: cargo mutants exited $rc (see $dir/s$session/mutants.out/debug.log)"; return 1 ;;
  esac
}

# record RUN_DIR...: writes mutants/measured.toml from finished or partial runs of one commit.
record() {
  local commits commit sample label complete=true d tested secs=0
  commits=$(cat "${@/%//commit}" | sort -u)
  [ "$(echo "$commits" | wc -l)" = 1 ] || die "the runs measured different commits: $commits"
  commit=$commits
  case $commit in *-dirty) die "the runs measured uncommitted changes ($commit): commit, then measure" ;; esac
  label=""
  for d in "$@"; do
    label="$label ${d##*/}"
    [ -f "$d/done" ] || complete=false
    secs=$((secs + $(cat "$d/seconds" 2>/dev/null || echo 0)))
  done
  sample=${label# }
  tested=$(($(count "$@" caught) + $(count "$@" missed) + $(count "$@" timeout) + $(count "$@" unviable)))
  mkdir -p "$(dirname "$measured")"
  cat >"$measured" <<EOF
# The last mutation campaign, written by \`bash ci/mutants.sh --summary --record\`
# (README "Mutation testing"). \`ci/mutants.sh --in-diff\` mutates what changed since \`commit\`.
commit = "$commit"
date = "$(date -u +%Y-%m-%d)"
runs = "$sample"
complete = $complete
cargo_mutants = "$(cat "${@/%//cargo-mutants-version}" | sort -u | tr '\n' ' ' | sed 's/ $//')"
planned = $(for d in "$@"; do planned "$d"; done | wc -l)
tested = $tested
caught = $(count "$@" caught)
missed = $(count "$@" missed)
timeout = $(count "$@" timeout)
unviable = $(count "$@" unviable)
seconds_per_mutant = $((secs / (tested > 0 ? tested : 1)))
EOF
  say "wrote $measured:"
  cat "$measured"
}

# toml_value KEY: a value of mutants/measured.toml.
toml_value() {
  sed -n "s/^$1 = \"\{0,1\}\([^\"]*\)\"\{0,1\}$/\1/p" "$measured"
}

in_diff() {
  local since dir=$base/in-diff names missed unexpected spm fit total shards
  [ -f "$measured" ] || { skip "mutants: no $measured yet (run a campaign and --record it)"; return 0; }
  since=$(toml_value commit)
  if ! git cat-file -e "$since^{commit}" 2>/dev/null; then
    local recorded
    recorded=$(git log -1 --format=%H -- "$measured" 2>/dev/null || true)
    [ -n "$recorded" ] || { skip "mutants: commit $since of $measured is not in this clone, nor is the file's history"; return 0; }
    say "commit $since of $measured is not in this clone (rebased or shallow): diffing from $recorded, the commit that recorded it"
    since=$recorded
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  git diff "$since" -- runtime server/src >"$dir/diff.patch"
  if [ ! -s "$dir/diff.patch" ]; then
    skip "mutants: nothing changed in runtime/ or server/src/ since $since"
    return 0
  fi
  ensure_cargo_mutants
  local select=()
  cargo mutants --list --in-diff "$dir/diff.patch" >"$dir/planned.txt" 2>"$dir/list.log" ||
    { cat "$dir/list.log"; die "cargo mutants --list failed"; }
  total=$(wc -l <"$dir/planned.txt")
  if [ "$total" = 0 ]; then
    skip "mutants: the changes since $since ($(grep -c '^+++ ' "$dir/diff.patch") files) have no mutants"
    return 0
  fi
  spm=$(toml_value seconds_per_mutant)
  [ -n "$spm" ] && [ "$spm" -gt 0 ] || spm=120
  fit=$((budget / spm))
  [ "$fit" -ge 1 ] || fit=1
  if [ "$total" -gt "$fit" ]; then
    shards=$(((total + fit - 1) / fit))
    select=(--shard "0/$shards" --sharding round-robin)
    cargo mutants --list --in-diff "$dir/diff.patch" ${select[@]+"${select[@]}"} 2>/dev/null >"$dir/planned.txt"
    skip "mutants: $total mutants in the diff since $since, ${spm}s each ($measured) and a ${budget}s budget: testing every ${shards}th, $(wc -l <"$dir/planned.txt") of them"
  else
    say "$total mutants in the diff since $since"
  fi
  # The native leg has just built and passed the same tests: no baseline run. In CI the clone is
  # throwaway, so the mutants are applied in place and reuse its build.
  local where=(-j "$jobs")
  [ "${CI:-}" = true ] && where=(--in-place)
  local rc=0
  run timeout --signal=INT --kill-after=60 $((budget + 120)) \
    cargo mutants --no-shuffle --timeout "$timeout" --baseline skip "${where[@]}" \
    --in-diff "$dir/diff.patch" ${select[@]+"${select[@]}"} -o "$dir/s1" || rc=$?
  case $rc in 0 | 2 | 3) ;; 124) skip "mutants: the run passed its time limit; the rest of the diff's mutants were not tested" ;; *) die "cargo mutants exited $rc" ;; esac
  summary "$dir"
  missed=$(mutants_txt "$dir" missed)
  [ -z "$missed" ] && { say "no missed mutant"; return 0; }
  names=$(grep -v '^#' "$accepted" 2>/dev/null | sed 's/ # .*//' | sed '/^$/d' || true)
  unexpected=$(printf '%s\n' "$missed" | grep -vxF -f <(printf '%s\n' "$names") || true)
  printf '%s\n' "$missed" | grep -xF -f <(printf '%s\n' "$names") | sed 's/^/accepted (see mutants\/accepted.txt): /' || true
  if [ -n "$unexpected" ]; then
    say "missed mutants: add a test that fails on each, or list it in $accepted with why it cannot be observed:"
    printf '%s\n' "$unexpected" | sed 's/^/  MISSED /'
    return 1
  fi
}

case $mode in
  summary)
    if [ ${#runs[@]} = 0 ]; then
      for d in "$base"/*/; do [ -f "$d/planned.txt" ] && [ "${d%/}" != "$base/in-diff" ] && runs+=("${d%/}"); done
    fi
    [ ${#runs[@]} -gt 0 ] || die "no runs under $base"
    for d in "${runs[@]}"; do
      say "${d##*/}: commit $(cat "$d/commit"), $([ -f "$d/done" ] && echo finished || echo unfinished)"
    done
    summary "${runs[@]}"
    missed=$(for d in "${runs[@]}"; do mutants_txt "$d" missed; done)
    [ -n "$missed" ] && { say "missed:"; printf '%s\n' "$missed" | sed 's/^/  /'; }
    if $record; then record "${runs[@]}"; fi
    ;;
  in-diff)
    in_diff
    ;;
  *)
    ensure_cargo_mutants
    args=()
    name=all
    if [ -n "$part" ]; then
      read -r k n <<<"$(part_of "$part")"
      name=$mode-$k-of-$n
      args=(--shard "$((k - 1))/$n")
      [ "$mode" = sample ] && args+=(--sharding round-robin)
    fi
    status=0
    campaign "$name" ${args[@]+"${args[@]}"} || status=$?
    summary "$base/$name"
    exit "$status"
    ;;
esac
