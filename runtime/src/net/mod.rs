//! TCP sockets: connect / listen through the host allow-list, then send / recv / accept /
//! close on descriptors of the context's table (shared with files).
//!
//! Errors: `EPERM` when the context may not connect / listen, `EACCES` for a host outside the
//! allow-list, `EINVAL` for a port above 65535 (or 0 for connect), `EBADF` for an unknown
//! descriptor, `ENOTSOCK` for a descriptor that is a file (or the wrong kind of socket), and the
//! mapped OS error otherwise (`ECONNREFUSED`, …).

use crate::ctx::{Context, Handle, Object};
use crate::errno::Errno;
use crate::perm::NetOp;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
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

impl Context {
    fn socket(&self, fd: Handle) -> Result<Arc<Object>, Errno> {
        match self.objects.get(fd) {
            Some(obj) if matches!(*obj, Object::File(..)) => Err(Errno::ENOTSOCK),
            Some(obj) => Ok(obj),
            None => Err(Errno::EBADF),
        }
    }

    /// Connects to `host:port` over TCP; returns the socket's descriptor.
    pub fn net_connect(&self, host: &[u8], port: u64) -> Result<Handle, Errno> {
        let host = self.permissions().check_host(host, NetOp::Connect)?;
        if port == 0 {
            return Err(Errno::EINVAL);
        }
        let addrs = resolve(&host, port)?;
        let stream = crate::sys::tcp_connect(&addrs).map_err(io_err)?;
        self.objects.insert(Object::Stream(stream))
    }

    /// Listens on `host:port` (port 0 picks a free one, see [`Context::net_port`]).
    pub fn net_listen(&self, host: &[u8], port: u64) -> Result<Handle, Errno> {
        let host = self.permissions().check_host(host, NetOp::Listen)?;
        let addrs = resolve(&host, port)?;
        let listener = TcpListener::bind(&addrs[..]).map_err(io_err)?;
        self.objects.insert(Object::Listener(listener))
    }

    /// Waits for a connection on a listening socket; returns the new socket's descriptor.
    pub fn net_accept(&self, fd: Handle) -> Result<Handle, Errno> {
        let obj = self.socket(fd)?;
        let Object::Listener(l) = &*obj else {
            return Err(Errno::EINVAL);
        };
        let (stream, _) = l.accept().map_err(io_err)?;
        self.objects.insert(Object::Stream(stream))
    }

    /// The local port of a socket.
    pub fn net_port(&self, fd: Handle) -> Result<u16, Errno> {
        let obj = self.socket(fd)?;
        let addr = match &*obj {
            Object::Listener(l) => l.local_addr(),
            Object::Stream(s) => s.local_addr(),
            Object::File(..) => return Err(Errno::ENOTSOCK),
        };
        addr.map(|a| a.port()).map_err(io_err)
    }

    fn stream(&self, fd: Handle) -> Result<Arc<Object>, Errno> {
        let obj = self.socket(fd)?;
        match &*obj {
            Object::Stream(_) => Ok(obj),
            _ => Err(Errno::ENOTCONN),
        }
    }

    /// Sends up to `buf.len()` bytes; returns how many were sent.
    pub fn net_send(&self, fd: Handle, buf: &[u8]) -> Result<usize, Errno> {
        let obj = self.stream(fd)?;
        let Object::Stream(s) = &*obj else {
            return Err(Errno::ENOTCONN);
        };
        (&*s).write(buf).map_err(io_err)
    }

    /// Receives up to `buf.len()` bytes; 0 when the peer has closed.
    pub fn net_recv(&self, fd: Handle, buf: &mut [u8]) -> Result<usize, Errno> {
        let obj = self.stream(fd)?;
        let Object::Stream(s) = &*obj else {
            return Err(Errno::ENOTCONN);
        };
        (&*s).read(buf).map_err(io_err)
    }

    /// Closes a socket descriptor.
    pub fn net_close(&self, fd: Handle) -> Result<(), Errno> {
        self.socket(fd)?;
        self.objects.remove(fd).map(drop).ok_or(Errno::EBADF)
    }
}

#[cfg(test)]
mod tests;
