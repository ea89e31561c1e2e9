//! Shared helpers of the Neurlang benches (see `benches/README.md`).
