//! Time: wall clock (the platform's call, `crate::sys::wall_clock`) and monotonic clock in
//! nanoseconds, and sleep.

use crate::errno::Errno;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Nanoseconds since the Unix epoch (wall clock; may jump). `EOVERFLOW` before 1970 or after 2262.
pub fn now_ns() -> Result<i64, Errno> {
    let d = crate::sys::wall_clock().ok_or(Errno::EOVERFLOW)?;
    i64::try_from(d.as_nanos()).map_err(|_| Errno::EOVERFLOW)
}

/// Nanoseconds of a monotonic clock since the runtime first read it (std's `Instant`, which
/// never goes back; no test of ours checks it).
pub fn monotonic_ns() -> i64 {
    static START: OnceLock<Instant> = OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    i64::try_from(start.elapsed().as_nanos()).unwrap_or(i64::MAX)
}

/// Sleeps at least `ns` nanoseconds.
pub fn sleep_ns(ns: u64) {
    std::thread::sleep(Duration::from_nanos(ns));
}
