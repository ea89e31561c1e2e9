#!/usr/bin/env bash
# The async I/O tests again with the `polling` crate forced onto its poll(2) backend (no epoll or
# kqueue), where edge-triggered mode does not exist: the portable oneshot + re-arm path must hold.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(uname -s)" != Linux ]; then echo "poll-backend: skipped: the forced poll(2) backend is exercised on Linux"; exit 0; fi
export RUSTFLAGS="${RUSTFLAGS:-} --cfg polling_test_poll_backend"
export CARGO_TARGET_DIR=target/poll-backend
cargo test --quiet -p neurlang --lib aio::
cargo test --quiet -p neurlang-conformance --test conformance -- aio.
