#!/usr/bin/env bash
# Installs what the CI legs need; idempotent and quick when everything is there.
#
#   ci/install-deps.sh [GROUP...]      GROUP: native aarch64 wine cross miri bench lint (default: all)
#
# Debian/Ubuntu packages (only the missing ones, `apt-get update` once if any is missing), the
# pinned Rust toolchain with rustfmt and clippy, the cross targets, and the dated nightly with
# Miri (ci/toolchains.sh). Emulation legs (aarch64, wine) only exist on x86_64 Linux; elsewhere
# their packages are skipped with a message. A failed download of an optional part (nightly,
# cross targets) is reported and left to the leg that needs it, which then skips with the reason.
# shellcheck source=ci/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=ci/toolchains.sh
source "$ci_dir/toolchains.sh"

groups=${*:-native aarch64 wine cross miri bench lint}
want() { case " $groups " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
for g in $groups; do
  case $g in native | aarch64 | wine | cross | miri | bench | lint) ;; *) die "unknown group '$g'" ;; esac
done
say "groups: $groups"

# ---- system packages ---------------------------------------------------------------------
pkgs=""
emulation_host=false
[ "$(host_os)-$(host_arch)" = linux-x86_64 ] && emulation_host=true
if want aarch64; then
  if $emulation_host; then pkgs="$pkgs qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross"
  else skip "aarch64 packages: the qemu leg runs on x86_64 Linux only (this is $(host_os)-$(host_arch))"; fi
fi
if want wine; then
  if $emulation_host; then pkgs="$pkgs wine64 gcc-mingw-w64-x86-64"
  else skip "Wine packages: the Wine leg runs on x86_64 Linux only (this is $(host_os)-$(host_arch))"; fi
fi
if want bench; then
  if [ "$(host_os)" = linux ]; then pkgs="$pkgs valgrind"
  else skip "valgrind: the instruction-count gate runs on Linux only"; fi
fi

if [ -n "$pkgs" ]; then
  if ! command -v dpkg >/dev/null || ! command -v apt-get >/dev/null; then
    skip "packages$pkgs: no apt on this system (not Debian/Ubuntu)"
  else
    missing=""
    for p in $pkgs; do
      dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
    done
    if [ -z "$missing" ]; then
      say "packages already installed:$pkgs"
    else
      # shellcheck disable=SC2086 # word splitting of the package list is intended
      apt_install $missing
    fi
  fi
fi

# ---- Rust ----------------------------------------------------------------------------------
if ! command -v rustup >/dev/null; then
  skip "Rust toolchains: rustup is not installed (install it from https://rustup.rs)"
  exit 0
fi
channel=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
installed_components() { rustup component list --installed --toolchain "$1" 2>/dev/null | sed 's/-[a-z0-9_]*-[a-z0-9_]*-[a-z0-9_]*\(-[a-z0-9_]*\)\{0,1\}$//'; }
comps=$(installed_components "$channel" || true)
if printf '%s\n' "$comps" | grep -x rustfmt >/dev/null && printf '%s\n' "$comps" | grep -x clippy >/dev/null; then
  say "toolchain $channel with rustfmt and clippy: present"
else
  run rustup toolchain install "$channel" --profile minimal --component rustfmt --component clippy
fi

targets=""
want aarch64 && $emulation_host && targets="$targets aarch64-unknown-linux-gnu"
# Windows for the wine leg, and for the cross leg's compile checks (which need no wine).
{ want wine && $emulation_host; } || want cross && targets="$targets x86_64-pc-windows-gnu"
want cross && targets="$targets x86_64-apple-darwin aarch64-apple-darwin x86_64-unknown-freebsd"
missing=""
for t in $targets; do has_target "$t" || missing="$missing $t"; done
if [ -n "$targets" ] && [ -z "$missing" ]; then
  say "targets already installed:$targets"
elif [ -n "$missing" ]; then
  # shellcheck disable=SC2086
  run rustup target add --toolchain "$channel" $missing ||
    skip "rustup could not add$missing: the legs that need them will skip"
fi

if want miri; then
  if rustup component list --installed --toolchain "$NEURLANG_NIGHTLY" 2>/dev/null | grep '^miri' >/dev/null; then
    say "toolchain $NEURLANG_NIGHTLY with miri: present"
  else
    start=$(date +%s)
    if run rustup toolchain install "$NEURLANG_NIGHTLY" --profile minimal --component miri,rust-src --no-self-update; then
      say "installed $NEURLANG_NIGHTLY in $(($(date +%s) - start))s"
    else
      skip "could not install $NEURLANG_NIGHTLY with miri: ci/miri.sh will skip"
    fi
  fi
fi

if want lint; then
  # The workflow linter comes from PyPI in its own venv: see ci/lint-workflows.sh.
  say "lint tools are installed by ci/lint-workflows.sh on first use"
fi
say "done"
