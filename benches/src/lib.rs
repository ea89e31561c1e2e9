//! Shared code of the Neurlang benches: the instruction-count gate's checker (see
//! `benches/README.md` and `ci/bench-gate.sh`).

pub mod gate;
