//! [`AsyncSocket`]: a non-blocking TCP or UDP socket on `socket2`.
#![allow(unsafe_code)] // socket2's recv_from takes uninitialised storage: one cast, below

use std::io::{self, Read, Write};
use std::mem::MaybeUninit;
use std::net::SocketAddr;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::sys::{self, AsRawSource, RawSource};

/// Whether an error from [`AsyncSocket::connect`] means "connection in progress": wait for the
/// socket to become writable, then check [`AsyncSocket::take_error`].
///
/// The spec's example matches `ErrorKind::WouldBlock`, which is right only on Windows
/// (`WSAEWOULDBLOCK`). Unix reports `EINPROGRESS` (`ErrorKind::InProgress`, not a stable kind
/// yet), so portable code must use this helper.
pub fn connect_in_progress(e: &io::Error) -> bool {
    sys::connect_in_progress(e)
}

/// A non-blocking socket. Every operation returns at once; `WouldBlock` means "register it with
/// the runtime and retry when ready".
#[derive(Debug)]
pub struct AsyncSocket {
    socket: Socket,
}

impl AsyncSocket {
    /// A non-blocking IPv4 TCP socket.
    pub fn tcp() -> io::Result<AsyncSocket> {
        Self::new(Domain::IPV4, Type::STREAM, Protocol::TCP)
    }

    /// A non-blocking IPv6 TCP socket.
    pub fn tcp_v6() -> io::Result<AsyncSocket> {
        Self::new(Domain::IPV6, Type::STREAM, Protocol::TCP)
    }

    /// A non-blocking IPv4 UDP socket.
    pub fn udp() -> io::Result<AsyncSocket> {
        Self::new(Domain::IPV4, Type::DGRAM, Protocol::UDP)
    }

    /// A non-blocking IPv6 UDP socket.
    pub fn udp_v6() -> io::Result<AsyncSocket> {
        Self::new(Domain::IPV6, Type::DGRAM, Protocol::UDP)
    }

    fn new(domain: Domain, ty: Type, protocol: Protocol) -> io::Result<AsyncSocket> {
        Self::from_socket(Socket::new(domain, ty, Some(protocol))?)
    }

    fn from_socket(socket: Socket) -> io::Result<AsyncSocket> {
        socket.set_nonblocking(true)?;
        Ok(AsyncSocket { socket })
    }

    /// `SO_REUSEADDR`.
    pub fn set_reuse_addr(&mut self, on: bool) -> io::Result<()> {
        self.socket.set_reuse_address(on)
    }

    /// `TCP_NODELAY`.
    pub fn set_nodelay(&mut self, on: bool) -> io::Result<()> {
        self.socket.set_tcp_nodelay(on)
    }

    /// Binds to `addr`.
    pub fn bind(&mut self, addr: SocketAddr) -> io::Result<()> {
        self.socket.bind(&addr.into())
    }

    /// Starts listening (TCP).
    pub fn listen(&mut self, backlog: i32) -> io::Result<()> {
        self.socket.listen(backlog)
    }

    /// Starts a non-blocking connect. `Ok(())` if connected at once; an error for which
    /// [`connect_in_progress`] is true if the connection is under way (wait for writable, then
    /// read the outcome with [`take_error`](Self::take_error)); any other error is final.
    pub fn connect(&mut self, addr: SocketAddr) -> io::Result<()> {
        self.socket.connect(&addr.into())
    }

    /// The pending socket error (`SO_ERROR`), cleared by reading: after a non-blocking connect
    /// became writable, `Some(e)` is why it failed.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.socket.take_error()
    }

    /// Accepts a connection; the new socket is non-blocking too (one `accept4` where the OS has
    /// it).
    pub fn accept(&self) -> io::Result<(AsyncSocket, SocketAddr)> {
        let (socket, addr) = sys::accept_nonblocking(&self.socket)?;
        Ok((AsyncSocket { socket }, as_inet(&addr)?))
    }

    /// Makes this socket ready to listen: `SO_REUSEADDR` on Unix (rebinding over `TIME_WAIT`),
    /// `SO_EXCLUSIVEADDRUSE` on Windows (no other socket may take the port). Call before
    /// [`bind`](Self::bind).
    pub fn set_listener_defaults(&mut self) -> io::Result<()> {
        sys::prepare_listener(&self.socket)
    }

    /// Lets several sockets bind the same port with the kernel balancing new connections between
    /// them (`SO_REUSEPORT` on Linux, `SO_REUSEPORT_LB` on FreeBSD). An `Unsupported` error where
    /// the OS cannot balance (macOS's `SO_REUSEPORT` hands every connection to one socket;
    /// Windows has no such option). Call before [`bind`](Self::bind).
    pub fn set_reuse_port_balanced(&mut self) -> io::Result<()> {
        sys::set_balanced_reuse_port(&self.socket)
    }

    /// Makes a listening socket hand out connections only once their first data has arrived
    /// (waiting at most `secs` seconds), so the first read after `accept` finds the request
    /// (Linux `TCP_DEFER_ACCEPT`; an `Unsupported` error elsewhere).
    pub fn set_defer_accept(&mut self, secs: u32) -> io::Result<()> {
        sys::set_defer_accept(&self.socket, secs)
    }

    /// Another handle to the same socket (for sharing one listener between workers).
    pub fn try_clone(&self) -> io::Result<AsyncSocket> {
        Ok(AsyncSocket {
            socket: self.socket.try_clone()?,
        })
    }

    /// Reads into `buf`; `Ok(0)` is end of stream.
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&self.socket).read(buf)
    }

    /// Writes from `buf`.
    pub fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&self.socket).write(buf)
    }

    /// Receives one datagram (UDP).
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let uninit = as_uninit(buf);
        let (n, addr) = self.socket.recv_from(uninit)?;
        Ok((n, as_inet(&addr)?))
    }

    /// Sends one datagram to `addr` (UDP).
    pub fn send_to(&self, buf: &[u8], addr: SocketAddr) -> io::Result<usize> {
        self.socket.send_to(buf, &addr.into())
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        as_inet(&self.socket.local_addr()?)
    }

    /// The peer address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        as_inet(&self.socket.peer_addr()?)
    }

    /// Shuts down reading, writing or both.
    pub fn shutdown(&self, how: std::net::Shutdown) -> io::Result<()> {
        self.socket.shutdown(how)
    }

    /// The raw descriptor (Unix) or socket (Windows), for
    /// [`AsyncRuntime::register_fd`](super::AsyncRuntime::register_fd).
    pub fn raw(&self) -> RawSource {
        (&self.socket).as_raw_source()
    }
}

fn as_uninit(buf: &mut [u8]) -> &mut [MaybeUninit<u8>] {
    let len = buf.len();
    let ptr = buf.as_mut_ptr().cast::<MaybeUninit<u8>>();
    // SAFETY: `MaybeUninit<u8>` has the layout of `u8`; the slice covers exactly `buf`, which we
    // borrow mutably for the result's lifetime; socket2 only writes initialised bytes into it.
    unsafe { std::slice::from_raw_parts_mut(ptr, len) }
}

fn as_inet(addr: &SockAddr) -> io::Result<SocketAddr> {
    addr.as_socket()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not an IP address"))
}
