//! TCP sockets: connect / listen through the host allow-list, then send / recv / accept /
//! close on descriptors of the context's table (shared with files).
//!
//! Errors: `EPERM` when the context may not connect / listen, `EACCES` for a host outside the
//! allow-list, `EINVAL` for a port above 65535 (or 0 for connect), `EBADF` for an unknown
//! descriptor, `ENOTSOCK` for a descriptor that is a file (or the wrong kind of socket), and the
//! mapped OS error otherwise (`ECONNREFUSED`, …).

use crate::errno::Errno;
use crate::handle::{Handle, HandleTable};
use crate::perm::{IOPermissions, NetOp};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;

fn resolve(host: &str, port: u64) -> Result<Vec<SocketAddr>, Errno> {
    let port = u16::try_from(port).map_err(|_| Errno::EINVAL)?;
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|_| Errno::EHOSTUNREACH)?
        .collect();
    if addrs.is_empty() {
        return Err(Errno::EHOSTUNREACH);
    }
    Ok(addrs)
}

fn io_err(e: std::io::Error) -> Errno {
    Errno::from_io_error(&e)
}

#[derive(Debug)]
pub(crate) enum Socket {
    Stream(TcpStream),
    Listener(TcpListener),
}

/// A context's sockets (see [`Context`](crate::ctx::Context), which owns one), behind `Arc`: a
/// blocking `accept` or `recv` keeps its socket open across a `close`. An unknown descriptor is
/// `EBADF` here; the context turns it into `ENOTSOCK` when it names a file.
pub(crate) type Sockets = HandleTable<Arc<Socket>, Errno>;

impl crate::handle::ContextService for Arc<Socket> {
    const TAG: crate::handle::Tag = crate::handle::Tag::Socket;
}

impl Sockets {
    /// Connects to `host:port` over TCP if `perms` allow it; returns the socket's descriptor.
    pub(crate) fn connect(
        &self,
        perms: &IOPermissions,
        host: &[u8],
        port: u64,
    ) -> Result<Handle, Errno> {
        let host = perms.check_host(host, NetOp::Connect)?;
        if port == 0 {
            return Err(Errno::EINVAL);
        }
        let addrs = resolve(&host, port)?;
        let stream = crate::sys::tcp_connect(&addrs).map_err(io_err)?;
        self.insert(Arc::new(Socket::Stream(stream)))
    }

    /// Listens on `host:port` if `perms` allow it (port 0 picks a free one, see [`Sockets::port`]).
    pub(crate) fn listen(
        &self,
        perms: &IOPermissions,
        host: &[u8],
        port: u64,
    ) -> Result<Handle, Errno> {
        let host = perms.check_host(host, NetOp::Listen)?;
        let addrs = resolve(&host, port)?;
        let listener = TcpListener::bind(&addrs[..]).map_err(io_err)?;
        self.insert(Arc::new(Socket::Listener(listener)))
    }

    /// Waits for a connection on a listening socket; returns the new socket's descriptor.
    pub(crate) fn accept(&self, fd: Handle) -> Result<Handle, Errno> {
        let s = self.get(fd)?;
        let Socket::Listener(l) = &*s else {
            return Err(Errno::EINVAL);
        };
        let (stream, _) = l.accept().map_err(io_err)?;
        self.insert(Arc::new(Socket::Stream(stream)))
    }

    /// The local port of a socket.
    pub(crate) fn port(&self, fd: Handle) -> Result<u16, Errno> {
        let addr = match &*self.get(fd)? {
            Socket::Listener(l) => l.local_addr(),
            Socket::Stream(s) => s.local_addr(),
        };
        addr.map(|a| a.port()).map_err(io_err)
    }

    /// Sends up to `buf.len()` bytes; returns how many were sent.
    pub(crate) fn send(&self, fd: Handle, buf: &[u8]) -> Result<usize, Errno> {
        match &*self.get(fd)? {
            Socket::Stream(s) => (&*s).write(buf).map_err(io_err),
            Socket::Listener(_) => Err(Errno::ENOTCONN),
        }
    }

    /// Receives up to `buf.len()` bytes; 0 when the peer has closed.
    pub(crate) fn recv(&self, fd: Handle, buf: &mut [u8]) -> Result<usize, Errno> {
        match &*self.get(fd)? {
            Socket::Stream(s) => (&*s).read(buf).map_err(io_err),
            Socket::Listener(_) => Err(Errno::ENOTCONN),
        }
    }

    /// Closes a socket descriptor.
    pub(crate) fn close(&self, fd: Handle) -> Result<(), Errno> {
        self.remove(fd).map(drop)
    }
}

#[cfg(test)]
mod tests;
