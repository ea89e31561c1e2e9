//! The zero-timeout fast path of the event loop on kqueue: a kqueue descriptor is readable while
//! events are pending, so one poll(2) on it tells whether polling's `wait` (which re-arms timers)
//! is needed at all. Nothing is consumed.
#![allow(unsafe_code)] // one poll(2) call

use std::io;
use std::os::fd::AsRawFd;

use polling::Poller;

use super::RawEvent;

/// Whether closing a descriptor removes it from the poller: kqueue drops a closed
/// descriptor's events by itself.
pub(crate) const CLOSE_DEREGISTERS: bool = true;

/// Only zero-timeout probes here: blocking waits go through polling's `wait`.
pub(crate) const WAIT_BLOCKS: bool = false;

/// Returns whether polling's own `wait` is needed (never collects events itself). Called with a
/// zero timeout only.
pub(crate) fn wait_now(
    poller: &Poller,
    _out: &mut Vec<RawEvent>,
    _timeout: Option<std::time::Duration>,
) -> io::Result<bool> {
    let mut pfd = libc::pollfd {
        fd: poller.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    loop {
        // SAFETY: `pfd` is one valid, exclusively borrowed pollfd; nfds is 1; timeout 0.
        let n = unsafe { libc::poll(&mut pfd, 1, 0) };
        if n >= 0 {
            return Ok(n > 0);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}
