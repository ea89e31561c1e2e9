//! Listening sockets: address reuse, load-balanced port sharing, deferred and non-blocking accept.
#![allow(unsafe_code)] // one setsockopt through libc (TCP_DEFER_ACCEPT)

use std::io;

use socket2::{SockAddr, Socket};

/// Whether `SO_REUSEPORT` spreads incoming connections over every socket bound to the port
/// (`build.rs`: Linux, DragonFly). On macOS and the other BSDs it only lets sockets share the port: the most
/// recently bound one receives every connection.
pub(crate) const REUSE_PORT_BALANCES: bool = cfg!(neurlang_reuse_port = "balances");

/// Whether the load-balanced variant `SO_REUSEPORT_LB` exists (FreeBSD 12+).
pub(crate) const REUSE_PORT_LB: bool = cfg!(neurlang_reuse_port = "lb");

/// Prepares a socket that will listen: `SO_REUSEADDR`, so a restarted server can bind over
/// connections still in `TIME_WAIT` (on Unix it never lets two live listeners share a port:
/// `a_taken_port_is_addr_in_use` in `server/tests/strategies.rs`).
pub(crate) fn prepare_listener(socket: &Socket) -> io::Result<()> {
    socket.set_reuse_address(true)
}

/// Lets several sockets bind the same port, with the kernel balancing connections between them:
/// `SO_REUSEPORT` where it balances, `SO_REUSEPORT_LB` on FreeBSD, an `Unsupported` error where
/// neither exists.
pub(crate) fn set_balanced_reuse_port(socket: &Socket) -> io::Result<()> {
    #[cfg(neurlang_reuse_port = "balances")]
    return socket.set_reuse_port(true);
    #[cfg(neurlang_reuse_port = "lb")]
    return socket.set_reuse_port_lb(true);
    #[cfg(neurlang_reuse_port = "shares")]
    {
        let _ = socket;
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "SO_REUSEPORT does not balance connections on this OS",
        ))
    }
}

/// Accepts a connection as a non-blocking, close-on-exec socket: one `accept4` where it exists,
/// `accept` + `fcntl` elsewhere.
pub(crate) fn accept_nonblocking(listener: &Socket) -> io::Result<(Socket, SockAddr)> {
    #[cfg(neurlang_accept4)]
    return listener.accept4(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC);
    #[cfg(not(neurlang_accept4))]
    {
        let (socket, addr) = listener.accept()?;
        socket.set_nonblocking(true)?;
        Ok((socket, addr))
    }
}

/// Delays `accept` until the connection's first data has arrived (Linux `TCP_DEFER_ACCEPT`),
/// for at most `secs` seconds; `Unsupported` elsewhere.
pub(crate) fn set_defer_accept(socket: &Socket, secs: u32) -> io::Result<()> {
    #[cfg(neurlang_defer_accept)]
    {
        use std::os::fd::AsRawFd;
        let value = libc::c_int::try_from(secs).unwrap_or(libc::c_int::MAX);
        // SAFETY: the descriptor is open (borrowed from `socket` for the call); the option
        // value points at a live c_int whose size is passed alongside.
        let rc = unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                libc::IPPROTO_TCP,
                libc::TCP_DEFER_ACCEPT,
                (&raw const value).cast(),
                size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
    #[cfg(not(neurlang_defer_accept))]
    {
        let _ = (socket, secs);
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "deferred accept (TCP_DEFER_ACCEPT) is Linux-only",
        ))
    }
}
