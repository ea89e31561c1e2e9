//! Files, sockets and console I/O.

#![allow(unsafe_code)] // C exports (`no_mangle`) and raw pointers from C callers.

use super::{bytes, count, handle, id, input, output, with_ctx};
use crate::errno::Errno;
use crate::perm::{MAX_HOST, MAX_PATH};

/// Opens `path` (`path_len` bytes, not NUL-terminated) with `flags` (`NEURLANG_OPEN_*`);
/// returns a descriptor.
///
/// # Safety
/// `path` must be null or valid for reads of `path_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn neurlang_file_open(path: *const u8, path_len: u64, flags: u64) -> i64 {
    with_ctx(|ctx| {
        // SAFETY: forwarded from this function's contract.
        let path = unsafe { bytes(path, path_len, MAX_PATH, Errno::ENAMETOOLONG) }?;
        ctx.file_open(&path, flags).map(id)
    })
}

/// Reads up to `len` bytes of file `fd` into capability `buf` (needs `WRITE`); returns the count.
#[unsafe(no_mangle)]
pub extern "C" fn neurlang_file_read(fd: u64, buf: u64, len: u64) -> i64 {
    with_ctx(|ctx| output(buf, len, |b| ctx.file_read(handle(fd), b)))
}

/// Writes `len` bytes of capability `buf` (needs `READ`) to file `fd`; returns the count.
#[unsafe(no_mangle)]
pub extern "C" fn neurlang_file_write(fd: u64, buf: u64, len: u64) -> i64 {
    with_ctx(|ctx| input(buf, len, |data| ctx.file_write(handle(fd), data).map(count)))
}

/// Moves the position of file `fd` (`whence`: 0 start, 1 current, 2 end); returns the new one.
#[unsafe(no_mangle)]
pub extern "C" fn neurlang_file_seek(fd: u64, offset: i64, whence: u64) -> i64 {
    with_ctx(|ctx| {
        ctx.file_seek(handle(fd), offset, whence)
            .and_then(super::positive)
    })
}

/// The size in bytes of file `fd`.
#[unsafe(no_mangle)]
pub extern "C" fn neurlang_file_size(fd: u64) -> i64 {
    with_ctx(|ctx| ctx.file_size(handle(fd)).and_then(super::positive))
}

/// Closes file `fd`; returns 0.
#[unsafe(no_mangle)]
pub extern "C" fn neurlang_file_close(fd: u64) -> i64 {
    with_ctx(|ctx| ctx.file_close(handle(fd)).map(|()| 0))
}

/// Removes the file at `path`; returns 0.
///
/// # Safety
/// `path` must be null or valid for reads of `path_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn neurlang_file_unlink(path: *const u8, path_len: u64) -> i64 {
    with_ctx(|ctx| {
        // SAFETY: forwarded from this function's contract.
        let path = unsafe { bytes(path, path_len, MAX_PATH, Errno::ENAMETOOLONG) }?;
        ctx.file_unlink(&path).map(|()| 0)
    })
}

/// Connects over TCP to `host:port`; returns a socket descriptor.
///
/// # Safety
/// `host` must be null or valid for reads of `host_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn neurlang_net_connect(host: *const u8, host_len: u64, port: u64) -> i64 {
    with_ctx(|ctx| {
        // SAFETY: forwarded from this function's contract.
        let host = unsafe { bytes(host, host_len, MAX_HOST, Errno::EACCES) }?;
        ctx.net_connect(&host, port).map(id)
    })
}

/// Listens on `host:port` (0: any free port); returns a listening socket descriptor.
///
/// # Safety
/// `host` must be null or valid for reads of `host_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn neurlang_net_listen(host: *const u8, host_len: u64, port: u64) -> i64 {
    with_ctx(|ctx| {
        // SAFETY: forwarded from this function's contract.
        let host = unsafe { bytes(host, host_len, MAX_HOST, Errno::EACCES) }?;
        ctx.net_listen(&host, port).map(id)
    })
}

/// Waits for a connection on listening socket `fd`; returns the new socket's descriptor.
#[unsafe(no_mangle)]
pub extern "C" fn neurlang_net_accept(fd: u64) -> i64 {
    with_ctx(|ctx| ctx.net_accept(handle(fd)).map(id))
}

/// The local port of socket `fd`.
#[unsafe(no_mangle)]
pub extern "C" fn neurlang_net_port(fd: u64) -> i64 {
    with_ctx(|ctx| ctx.net_port(handle(fd)).map(i64::from))
}

/// Sends `len` bytes of capability `buf` (needs `READ`); returns the count.
#[unsafe(no_mangle)]
pub extern "C" fn neurlang_net_send(fd: u64, buf: u64, len: u64) -> i64 {
    with_ctx(|ctx| input(buf, len, |data| ctx.net_send(handle(fd), data).map(count)))
}

/// Receives up to `len` bytes into capability `buf` (needs `WRITE`); returns the count.
#[unsafe(no_mangle)]
pub extern "C" fn neurlang_net_recv(fd: u64, buf: u64, len: u64) -> i64 {
    with_ctx(|ctx| output(buf, len, |b| ctx.net_recv(handle(fd), b)))
}

/// Closes socket `fd`; returns 0.
#[unsafe(no_mangle)]
pub extern "C" fn neurlang_net_close(fd: u64) -> i64 {
    with_ctx(|ctx| ctx.net_close(handle(fd)).map(|()| 0))
}

/// Prints `len` bytes of capability `buf` (needs `READ`); returns the count.
#[unsafe(no_mangle)]
pub extern "C" fn neurlang_io_print(buf: u64, len: u64) -> i64 {
    with_ctx(|ctx| input(buf, len, |data| ctx.io_print(data).map(count)))
}

/// Reads one line (at most `len` bytes) into capability `buf` (needs `WRITE`); returns its
/// length, 0 at end of input.
#[unsafe(no_mangle)]
pub extern "C" fn neurlang_io_read_line(buf: u64, len: u64) -> i64 {
    with_ctx(|ctx| output(buf, len, |b| ctx.io_read_line(b)))
}
