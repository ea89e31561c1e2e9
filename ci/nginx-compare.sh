#!/usr/bin/env bash
# nginx against the Neurlang HTTP server (issue 8): same worker count, both on 127.0.0.1 pinned
# to CPU 0, wrk (keep-alive) and ab (a connection per request) pinned to CPU 1, interleaved
# rounds; requests/s, requests per server CPU-second, p99 latency, and ours/nginx ratios.
#
#   ci/nginx-compare.sh [--workers 1,2] [--rounds 5] [--duration 10] [--ab-requests 20000]
#                       [--server CMD] [--name NAME] [--out ci/out]
#
# Arguments go to the driver unchanged (benches/src/compare/, `nginx-compare --help`).
# `--server nginx` compares nginx with a second nginx: the noise floor of the machine.
# Installs nginx, wrk and apache2-utils with apt if missing (Debian/Ubuntu), builds the server
# and the driver in release mode, prints the table, and writes ci/out/nginx-compare.json,
# ci/out/nginx-compare.md (the markdown is ready for docs/performance.md) and
# ci/out/nginx-compare.svg (requests per server CPU-second as a bar chart). Linux with 2+ CPUs only;
# elsewhere it says why and exits 0. Takes about 2 x rounds x (2 x duration + ab time) seconds
# per worker count; run it on a quiet machine.
# shellcheck source=ci/lib.sh
source "$(dirname "$0")/lib.sh"

if [ "$(host_os)" != linux ]; then
  skip "the nginx comparison runs on Linux only (it reads /proc and pins with taskset)"
  exit 0
fi

# ---- nginx, wrk, ab ----------------------------------------------------------------------
# nginx lives in /usr/sbin, not on every user's PATH (the driver looks there too).
has() { PATH="$PATH:/usr/sbin:/sbin:/usr/local/sbin" command -v "$1" >/dev/null; }
missing=""
has nginx || missing="$missing nginx"
has wrk || missing="$missing wrk"
has ab || missing="$missing apache2-utils"
if [ -z "$missing" ]; then
  say "already installed: nginx wrk ab"
elif ! command -v apt-get >/dev/null; then
  skip "packages$missing: no apt on this system (install nginx, wrk and ab by hand)"
  exit 0
else
  # shellcheck disable=SC2086 # word splitting of the package list is intended
  apt_install $missing
fi

# ---- build -------------------------------------------------------------------------------
# The server is only needed when no other server command is given.
packages="-p neurlang-benches"
case " $* " in
  *" --server "*) ;;
  *) packages="$packages -p neurlang-server" ;;
esac
# shellcheck disable=SC2086 # word splitting of the package list is intended
run cargo build --release $packages

# ---- run ---------------------------------------------------------------------------------
NEURLANG_COMPARE_COMMAND="ci/nginx-compare.sh${*:+ $*}" run target/release/nginx-compare --out "$out" "$@"
