//! Shared code of the Neurlang benches: the set-up of the C-ABI benches, the instruction-count
//! gate's checker, the traditional JIT cycle the pool is compared with (see `benches/README.md` and `ci/bench-gate.sh`), the nginx comparison
//! (driver, servers, load generators; `ci/nginx-compare.sh` and `benches/http.rs`), and the
//! machine every bench prints first.

pub mod abi;
#[cfg(target_os = "linux")]
pub mod ceiling;
#[cfg(target_os = "linux")]
pub mod compare;
pub mod gate;
pub mod machine;
#[cfg(unix)]
pub mod traditional;
