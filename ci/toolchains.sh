# shellcheck shell=bash
# Toolchains besides the stable one pinned in rust-toolchain.toml (sourced by ci/ scripts).
#
# Miri and cargo-fuzz need nightly. A dated nightly keeps them reproducible; a rustup channel
# `nightly-D` holds the compiler committed the day before D, so this one is
# rustc 1.97.0-nightly (e50aa6fba 2026-05-19). Check that a newer date still ships the miri
# component (https://rust-lang.github.io/rustup-components-history) before moving it:
# nightly-2026-05-19 itself has no miri.
NEURLANG_NIGHTLY=${NEURLANG_NIGHTLY:-nightly-2026-05-20}
