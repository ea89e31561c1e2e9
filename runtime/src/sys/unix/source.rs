//! Raw I/O sources for the event loop: Unix file descriptors.
#![allow(unsafe_code)] // borrowing a registered raw descriptor for polling's modify/delete

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use polling::{Event, PollMode, Poller};

/// The raw handle of a pollable source on this OS: a file descriptor.
pub type RawSource = RawFd;

/// Something the event loop can register: a raw descriptor or a borrowed descriptor owner.
pub trait AsRawSource {
    /// The raw descriptor.
    fn as_raw_source(&self) -> RawSource;
}

impl AsRawSource for RawFd {
    fn as_raw_source(&self) -> RawSource {
        *self
    }
}

impl<T: AsFd> AsRawSource for &T {
    fn as_raw_source(&self) -> RawSource {
        self.as_fd().as_raw_fd()
    }
}

/// Registers `raw` with `poller`.
///
/// # Safety
/// `raw` must be an open descriptor and must be removed with [`delete`] before it is closed.
pub(crate) unsafe fn add(
    poller: &Poller,
    raw: RawSource,
    ev: Event,
    mode: PollMode,
) -> io::Result<()> {
    // SAFETY: forwarded from this function's contract.
    unsafe { poller.add_with_mode(raw, ev, mode) }
}

fn borrow<'a>(raw: RawSource) -> BorrowedFd<'a> {
    // SAFETY: only called for descriptors registered through `add`, whose contract keeps them
    // open until `delete` returns; the borrow does not outlive the polling call it is made for.
    unsafe { BorrowedFd::borrow_raw(raw) }
}

/// Changes the interest of a registered source (re-arms a oneshot registration).
pub(crate) fn modify(poller: &Poller, raw: RawSource, ev: Event, mode: PollMode) -> io::Result<()> {
    poller.modify_with_mode(borrow(raw), ev, mode)
}

/// Removes a registered source.
pub(crate) fn delete(poller: &Poller, raw: RawSource) -> io::Result<()> {
    poller.delete(borrow(raw))
}

/// Whether `e` from a non-blocking `connect` means "in progress" (`EINPROGRESS` here).
pub(crate) fn connect_in_progress(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::EINPROGRESS) || e.kind() == io::ErrorKind::WouldBlock
}
