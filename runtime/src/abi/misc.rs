//! Time, random numbers, and the embedder's sandbox set-up.

#![allow(unsafe_code)] // C exports (`no_mangle`) and raw pointers from C callers.

use super::{bytes, guard, output};
use crate::ctx::Context;
use crate::errno::Errno;
use crate::perm::IOPermissions;
use std::path::PathBuf;
use std::sync::Arc;

/// Wall-clock time: nanoseconds since the Unix epoch.
#[unsafe(no_mangle)]
pub extern "C" fn neurlang_time_now() -> i64 {
    guard(crate::time::now_ns)
}

/// Monotonic time in nanoseconds (from an arbitrary origin; never goes back: see
/// [`crate::time::monotonic_ns`]).
#[unsafe(no_mangle)]
pub extern "C" fn neurlang_time_monotonic() -> i64 {
    guard(|| Ok::<_, Errno>(crate::time::monotonic_ns()))
}

/// Sleeps at least `ns` nanoseconds; returns 0.
#[unsafe(no_mangle)]
pub extern "C" fn neurlang_time_sleep(ns: u64) -> i64 {
    guard(|| {
        crate::time::sleep_ns(ns);
        Ok::<_, Errno>(0)
    })
}

/// Fills `len` bytes of capability `buf` (needs `WRITE`) with cryptographic random bytes;
/// returns `len`.
#[unsafe(no_mangle)]
pub extern "C" fn neurlang_rand_fill(buf: u64, len: u64) -> i64 {
    guard(|| {
        output(buf, len, |b| {
            crate::rand::fill(b)?;
            Ok(b.len())
        })
    })
}

/// Sandbox flag: allow reading files.
pub const SANDBOX_FILE_READ: u64 = 1;
/// Sandbox flag: allow writing files.
pub const SANDBOX_FILE_WRITE: u64 = 2;
/// Sandbox flag: allow outgoing connections.
pub const SANDBOX_NET_CONNECT: u64 = 4;
/// Sandbox flag: allow listening.
pub const SANDBOX_NET_LISTEN: u64 = 8;
/// Sandbox flag: allow printing.
pub const SANDBOX_IO_PRINT: u64 = 16;
/// Sandbox flag: allow reading lines from input.
pub const SANDBOX_IO_READ: u64 = 32;

/// A newline-separated list read from C.
///
/// # Safety
/// `ptr` must be null with `len` 0, or valid for reads of `len` bytes.
unsafe fn list(ptr: *const u8, len: u64) -> Result<Vec<String>, Errno> {
    if len == 0 {
        return Ok(Vec::new());
    }
    // SAFETY: forwarded from this function's contract.
    let raw = unsafe { bytes(ptr, len, 1 << 20, Errno::EINVAL) }?;
    lines(&raw)
}

fn lines(raw: &[u8]) -> Result<Vec<String>, Errno> {
    let text = std::str::from_utf8(raw).map_err(|_| Errno::EINVAL)?;
    Ok(text
        .split('\n')
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect())
}

/// For the embedder, never for generated code: replaces the process-default context with a
/// fresh one (empty tables) whose permissions are `flags` (`NEURLANG_SANDBOX_*`), the
/// newline-separated allowed `paths` and `hosts`. Each allowed path (a directory, or a single
/// file) is opened now and its handle kept: later opens resolve beneath that handle, never by
/// name from the top (see [`Sandbox`](crate::perm::Sandbox)). Returns 0.
///
/// # Safety
/// `paths` and `hosts` must each be null with length 0, or valid for reads of their length.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn neurlang_sandbox_init(
    flags: u64,
    paths: *const u8,
    paths_len: u64,
    hosts: *const u8,
    hosts_len: u64,
) -> i64 {
    guard(|| {
        if flags >= 64 {
            return Err(Errno::EINVAL);
        }
        // SAFETY: forwarded from this function's contract.
        let paths = unsafe { list(paths, paths_len) }?;
        // SAFETY: forwarded from this function's contract.
        let hosts = unsafe { list(hosts, hosts_len) }?;
        let perms = IOPermissions {
            file_read: flags & SANDBOX_FILE_READ != 0,
            file_write: flags & SANDBOX_FILE_WRITE != 0,
            file_paths: paths.into_iter().map(PathBuf::from).collect(),
            net_connect: flags & SANDBOX_NET_CONNECT != 0,
            net_listen: flags & SANDBOX_NET_LISTEN != 0,
            net_hosts: hosts,
            io_print: flags & SANDBOX_IO_PRINT != 0,
            io_read: flags & SANDBOX_IO_READ != 0,
        };
        Context::set_default(Arc::new(Context::new(perms)));
        Ok(0)
    })
}
