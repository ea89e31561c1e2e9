//! Raw I/O sources for the event loop: WinSock sockets.
#![allow(unsafe_code)] // borrowing a registered raw socket for polling's modify/delete

use std::io;
use std::os::windows::io::{AsRawSocket, AsSocket, BorrowedSocket, RawSocket};

use crate::sys::RawEvent;
use polling::{Event, PollMode, Poller};

/// The raw handle of a pollable source on this OS: a socket.
pub type RawSource = RawSocket;

/// Something the event loop can register: a raw socket or a borrowed socket owner.
pub trait AsRawSource {
    /// The raw socket.
    fn as_raw_source(&self) -> RawSource;
}

impl AsRawSource for RawSocket {
    fn as_raw_source(&self) -> RawSource {
        *self
    }
}

impl<T: AsSocket> AsRawSource for &T {
    fn as_raw_source(&self) -> RawSource {
        self.as_socket().as_raw_socket()
    }
}

/// Registers `raw` with `poller`.
///
/// # Safety
/// `raw` must be an open socket and must be removed with [`delete`] before it is closed.
pub(crate) unsafe fn add(
    poller: &Poller,
    raw: RawSource,
    ev: Event,
    mode: PollMode,
) -> io::Result<()> {
    // SAFETY: forwarded from this function's contract.
    unsafe { poller.add_with_mode(raw, ev, mode) }
}

fn borrow<'a>(raw: RawSource) -> BorrowedSocket<'a> {
    // SAFETY: only called for sockets registered through `add`, whose contract keeps them open
    // until `delete` returns; the borrow does not outlive the polling call it is made for.
    unsafe { BorrowedSocket::borrow_raw(raw) }
}

/// Changes the interest of a registered source (re-arms a oneshot registration).
pub(crate) fn modify(poller: &Poller, raw: RawSource, ev: Event, mode: PollMode) -> io::Result<()> {
    poller.modify_with_mode(borrow(raw), ev, mode)
}

/// Removes a registered source.
pub(crate) fn delete(poller: &Poller, raw: RawSource) -> io::Result<()> {
    poller.delete(borrow(raw))
}

/// IOCP has no cheap "anything pending?" probe: polling's full `wait` always.
pub(crate) const WAIT_BLOCKS: bool = false;

/// IOCP has no cheap "anything pending?" probe: always take polling's full `wait`.
pub(crate) fn wait_now(
    _poller: &Poller,
    _out: &mut Vec<RawEvent>,
    _timeout: Option<std::time::Duration>,
) -> io::Result<bool> {
    Ok(true)
}

/// Whether `e` from a non-blocking `connect` means "in progress" (`WSAEWOULDBLOCK` here).
pub(crate) fn connect_in_progress(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
}
