//! Listening sockets on WinSock: exclusive address use, no port sharing.
#![allow(unsafe_code)] // one setsockopt through windows-sys

use std::io;
use std::os::windows::io::AsRawSocket;

use socket2::{SockAddr, Socket};
use windows_sys::Win32::Networking::WinSock::{
    SO_EXCLUSIVEADDRUSE, SOCKET, SOCKET_ERROR, SOL_SOCKET, WSAGetLastError, setsockopt,
};

/// Windows has no load-balancing `SO_REUSEPORT`.
pub(crate) const REUSE_PORT_BALANCES: bool = false;

/// No `SO_REUSEPORT_LB` either.
pub(crate) const REUSE_PORT_LB: bool = false;

/// Prepares a socket that will listen: `SO_EXCLUSIVEADDRUSE`, so no other socket can bind the
/// same port (WinSock's `SO_REUSEADDR` would let another process bind it too and take its
/// connections).
pub(crate) fn prepare_listener(socket: &Socket) -> io::Result<()> {
    let on: i32 = 1;
    // SAFETY: the socket is open (borrowed for the call); the option value points at a live i32
    // whose size is passed alongside.
    let rc = unsafe {
        setsockopt(
            socket.as_raw_socket() as SOCKET,
            SOL_SOCKET,
            SO_EXCLUSIVEADDRUSE,
            (&raw const on).cast(),
            size_of::<i32>() as i32,
        )
    };
    if rc == SOCKET_ERROR {
        // SAFETY: reads this thread's last WinSock error; no preconditions.
        return Err(io::Error::from_raw_os_error(unsafe { WSAGetLastError() }));
    }
    Ok(())
}

/// Port sharing with load balancing does not exist on Windows.
pub(crate) fn set_balanced_reuse_port(_socket: &Socket) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "Windows has no load-balancing SO_REUSEPORT",
    ))
}

/// Accepts a connection and makes it non-blocking.
pub(crate) fn accept_nonblocking(listener: &Socket) -> io::Result<(Socket, SockAddr)> {
    let (socket, addr) = listener.accept()?;
    socket.set_nonblocking(true)?;
    Ok((socket, addr))
}

/// No deferred accept on Windows (`AcceptEx` with a receive buffer is another API).
pub(crate) fn set_defer_accept(_socket: &Socket, _secs: u32) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "deferred accept (TCP_DEFER_ACCEPT) is Linux-only",
    ))
}

/// WinSock sockets must be removed from the poller explicitly before they are closed.
pub(crate) const CLOSE_DEREGISTERS: bool = false;
