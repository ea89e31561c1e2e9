//! Shared code of the Neurlang benches: the instruction-count gate's checker (see
//! `benches/README.md` and `ci/bench-gate.sh`) and the nginx comparison (driver, servers,
//! load generators; `ci/nginx-compare.sh` and `benches/http.rs`).

#[cfg(target_os = "linux")]
pub mod ceiling;
#[cfg(target_os = "linux")]
pub mod compare;
pub mod gate;
