//! The fast path of the event loop on epoll (Linux, Android).
//!
//! polling's `wait` re-arms its timerfd and its notifier on every call (about five syscalls; the
//! event-loop row of docs/performance.md has its time against one `epoll_wait`, from
//! `cargo bench -p neurlang-benches --bench aio`, `polling_wait_zero`). A poll needs none of that: one `epoll_wait`
//! on polling's own epoll descriptor, with the timeout in whole milliseconds (rounded up, so timers
//! never fire early; the runtime's timers have millisecond resolution anyway). Events of our
//! registrations are returned to the caller (their keys are our tokens, and oneshot disarming is
//! what polling itself would have done). If polling's notifier or timer (key `usize::MAX`) shows
//! up, the caller must also run polling's `wait`, which clears the notification and re-arms both
//! unconditionally.
#![allow(unsafe_code)] // one epoll_wait on polling's epoll descriptor

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::AsRawFd;
use std::time::Duration;

use polling::Poller;

use super::RawEvent;

const BATCH: usize = 64;

/// Whether closing a descriptor removes it from the poller: epoll drops a closed file's
/// registrations by itself.
pub(crate) const CLOSE_DEREGISTERS: bool = true;

/// This backend also blocks in its own wait (not only polls).
pub(crate) const WAIT_BLOCKS: bool = true;

/// Collects ready events, waiting up to `timeout` (`None`: until one arrives); returns whether
/// polling's own `wait` is needed too. A wait interrupted by a signal returns no events.
pub(crate) fn wait_now(
    poller: &Poller,
    out: &mut Vec<RawEvent>,
    timeout: Option<Duration>,
) -> io::Result<bool> {
    let ms = match timeout {
        None => -1,
        Some(t) if t.is_zero() => 0,
        Some(t) => {
            let ms = t.as_millis() + u128::from(t.subsec_nanos() % 1_000_000 != 0);
            i32::try_from(ms).unwrap_or(i32::MAX)
        }
    };
    let mut buf = [MaybeUninit::<libc::epoll_event>::uninit(); BATCH];
    let n = loop {
        // SAFETY: `buf` holds BATCH writable (uninitialised) epoll_events; the descriptor is
        // polling's epoll instance, open for as long as `poller` is borrowed.
        let n = unsafe {
            libc::epoll_wait(
                poller.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                BATCH as i32,
                ms,
            )
        };
        if n >= 0 {
            break n as usize;
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
        if ms != 0 {
            break 0; // the caller recomputes its timers and waits again
        }
    };
    let mut full = false;
    let (read, write) = (
        (libc::EPOLLIN | libc::EPOLLHUP | libc::EPOLLERR | libc::EPOLLPRI) as u32,
        (libc::EPOLLOUT | libc::EPOLLHUP | libc::EPOLLERR) as u32,
    );
    for ev in &buf[..n] {
        // SAFETY: epoll_wait initialised the first `n` entries.
        let ev = unsafe { ev.assume_init_read() };
        let (flags, key) = (ev.events, ev.u64);
        if key as usize == usize::MAX {
            full = true;
            continue;
        }
        out.push(RawEvent {
            key: key as usize,
            readable: flags & read != 0,
            writable: flags & write != 0,
            error: flags & libc::EPOLLERR as u32 != 0,
        });
    }
    Ok(full)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    extern "C" fn ignore(_: libc::c_int) {}

    /// A signal that interrupts a blocking wait is not an error: the wait returns no events
    /// (and the event loop recomputes its timers and waits again).
    #[test]
    fn a_wait_interrupted_by_a_signal_returns_no_events() {
        // SAFETY: all-zero is a valid `sigaction` (no flags, empty mask, default handler).
        let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
        sa.sa_sigaction = ignore as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // SAFETY: installs a handler that does nothing for SIGURG, which nothing else in this
        // test binary uses; without SA_RESTART, so the blocked epoll_wait fails with EINTR.
        let rc = unsafe { libc::sigaction(libc::SIGURG, &raw const sa, std::ptr::null_mut()) };
        assert_eq!(rc, 0);
        let poller = Poller::new().unwrap();
        // SAFETY: pthread_self has no preconditions.
        let me = unsafe { libc::pthread_self() };
        let done = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&done);
        // A signal sent before the wait starts is lost to it: keep sending until it returns.
        let kicker = std::thread::spawn(move || {
            while !stop.load(Ordering::Acquire) {
                std::thread::sleep(Duration::from_millis(20));
                // SAFETY: `me` is the test thread, alive until `done` is set and this joined.
                unsafe { libc::pthread_kill(me, libc::SIGURG) };
            }
        });
        let mut out = Vec::new();
        let got = wait_now(&poller, &mut out, Some(Duration::from_secs(30)));
        done.store(true, Ordering::Release);
        kicker.join().unwrap();
        assert!(matches!(got, Ok(false)), "{got:?}");
        assert!(out.is_empty());
    }
}
