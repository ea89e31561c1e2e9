//! The calls of the specification's Platform Abstraction table where the standard library
//! already reaches them (`read`, `write`, `socket` + `connect`, `clock_gettime`): every target
//! but Windows, whose backend names the Win32 calls itself (`windows/api.rs`).

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Reads into `buf` from the file's current position (`read(2)`).
pub(crate) fn file_read(f: &File, buf: &mut [u8]) -> io::Result<usize> {
    (&*f).read(buf)
}

/// Writes `buf` at the file's current position (`write(2)`).
pub(crate) fn file_write(f: &File, buf: &[u8]) -> io::Result<usize> {
    (&*f).write(buf)
}

/// Connects a new TCP socket to the first address that accepts (`socket(2)`, `connect(2)`).
pub(crate) fn tcp_connect(addrs: &[SocketAddr]) -> io::Result<TcpStream> {
    TcpStream::connect(addrs)
}

/// The wall clock since the Unix epoch; `None` before it.
pub(crate) fn wall_clock() -> Option<Duration> {
    SystemTime::now().duration_since(UNIX_EPOCH).ok()
}
