//! CPU time consumed by the calling thread (`CLOCK_THREAD_CPUTIME_ID`).
#![allow(unsafe_code)] // one clock_gettime call

use std::time::Duration;

/// CPU time the calling thread has used, if the OS reports it.
pub fn thread_cpu_time() -> Option<Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, exclusively borrowed timespec for the kernel to fill.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}
