//! CPU time consumed by the calling thread (`GetThreadTimes`).
#![allow(unsafe_code)] // one GetThreadTimes call

use std::time::Duration;

use windows_sys::Win32::Foundation::FILETIME;
use windows_sys::Win32::System::Threading::{GetCurrentThread, GetThreadTimes};

/// CPU time the calling thread has used (kernel + user), if the OS reports it.
pub fn thread_cpu_time() -> Option<Duration> {
    let zero = FILETIME {
        dwLowDateTime: 0,
        dwHighDateTime: 0,
    };
    let (mut created, mut exited, mut kernel, mut user) = (zero, zero, zero, zero);
    // SAFETY: GetCurrentThread takes nothing and returns a pseudo-handle, always valid.
    let thread = unsafe { GetCurrentThread() };
    // SAFETY: `thread` is valid (above); the four pointers are valid, exclusively borrowed
    // FILETIMEs.
    let ok = unsafe { GetThreadTimes(thread, &mut created, &mut exited, &mut kernel, &mut user) };
    let ticks = |t: FILETIME| (u64::from(t.dwHighDateTime) << 32) | u64::from(t.dwLowDateTime);
    (ok != 0).then(|| Duration::from_nanos((ticks(kernel) + ticks(user)) * 100))
}
