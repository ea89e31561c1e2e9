//! The clocks as a program sees them: `time_now` is the wall clock in nanoseconds since the Unix
//! epoch, `time_monotonic` advances by at least what `time_sleep` slept.

use neurlang::abi::{neurlang_time_monotonic, neurlang_time_now, neurlang_time_sleep};
use std::time::{SystemTime, UNIX_EPOCH};

fn wall_ns() -> i64 {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(d.as_nanos()).unwrap()
}

#[test]
fn time_now_reads_the_wall_clock_in_nanoseconds() {
    let before = wall_ns();
    let now = neurlang_time_now();
    let after = wall_ns();
    // A second of slack: Windows' wall clock is coarser than std's (sys/windows/api.rs).
    let slack = 1_000_000_000;
    assert!(
        before - slack <= now && now <= after + slack,
        "{now} is not between {before} and {after}"
    );
}

#[test]
fn time_monotonic_advances_by_at_least_the_time_slept() {
    let a = neurlang_time_monotonic();
    assert_eq!(neurlang_time_sleep(2_000_000), 0);
    let b = neurlang_time_monotonic();
    assert!(a >= 0 && b - a >= 2_000_000, "{a} then {b}");
}
