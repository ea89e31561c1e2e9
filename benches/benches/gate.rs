//! The instruction-count gate: every hot operation of the runtime, measured by callgrind
//! (through gungraun) as instructions executed, which are identical from run to run on a given
//! binary whatever else the machine does. `ci/bench-gate.sh` compares each count with its limit
//! in `benches/gate/limits.toml` and fails, naming the operation, when one rises beyond it.
//!
//! Each benchmark runs its operation [`N`] times so that a per-operation change of a few
//! instructions stands out of the fixed cost of the harness; setup runs outside the measurement.

use gungraun::{library_benchmark, library_benchmark_group, main};
use neurlang::runtime::Errno;
use std::hint::black_box;
use std::io;

/// Repetitions of the measured operation per benchmark.
const N: usize = 1000;

fn host_errors() -> Vec<io::Error> {
    // A mix of host codes: mapped ones from the front and back of the table, and an unmapped one.
    let codes = Errno::ECONNREFUSED
        .row()
        .host_codes(Platform::HOST.expect("a mapped host"))
        .next();
    let code = codes.unwrap_or(111) as i32;
    (0..N)
        .map(|i| io::Error::from_raw_os_error(if i % 3 == 0 { 2 } else { code }))
        .collect()
}

use neurlang::runtime::Platform;

#[library_benchmark]
#[bench::mixed(setup = host_errors)]
fn errno_from_io_error(errors: Vec<io::Error>) -> i64 {
    let mut sum = 0;
    for e in &errors {
        sum += black_box(Errno::from_io_error(black_box(e))).neg();
    }
    sum
}

library_benchmark_group!(name = errno; benchmarks = errno_from_io_error);

main!(library_benchmark_groups = errno);
