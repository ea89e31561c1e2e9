//! The C ABI: every `#[unsafe(no_mangle)] extern "C" fn neurlang_*` of the runtime, and nothing
//! else.
//!
//! Each function is a thin shim over a safe module acting on the process-default
//! [`Context`]. Conventions, for every function:
//!
//! - the result is a value `>= 0` or `-code`, `code` from the canonical [`Errno`] table;
//! - a `buf: u64` argument is a capability token ([`crate::cap`]): a forged, stale or revoked
//!   token, one shorter than `len`, or one without the permission the call needs (`WRITE` to
//!   receive data, `READ` to send it) gives `-EFAULT` before any memory or descriptor is touched;
//!   a call that waits (a receive, a read, a line of input) holds no token while it waits, so
//!   revoking its token on another thread never waits for it: the call then gives `-EFAULT`, and
//!   what it had consumed is dropped (`abi::tests`);
//! - a `*const u8` + length pair (paths, hosts) is read by the runtime, which makes the function
//!   `unsafe extern "C"`; a null pointer gives `-EFAULT`, a length beyond the limit
//!   `-ENAMETOOLONG` (paths) or `-EACCES` (hosts), both without reading it;
//! - no panic crosses the ABI: a panic inside becomes `-EIO`;
//! - `ext.call` ([`neurlang_ext_call2`], [`neurlang_ext_call`]) returns 0 and writes the
//!   extension's full `u64` result through a pointer, since results may be `>= 2^63`.
//!
//! The contract of every function (arguments, result, each error) is the table
//! `conformance/cases/abi.toml`, which the conformance suite runs; `runtime/include/neurlang.h`
//! declares them for C.

mod cap;
mod conc;
mod ext;
mod io;
mod misc;

pub use cap::*;
pub use conc::*;
pub use ext::*;
pub use io::*;
pub use misc::*;

use crate::cap::{Batch, CapPermissions, Checked, Token};
use crate::ctx::{Context, Handle};
use crate::errno::Errno;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs a shim body, turning its error (or a panic) into a negative code.
fn guard<T: Into<i64>>(f: impl FnOnce() -> Result<T, Errno>) -> i64 {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => v.into(),
        Ok(Err(e)) => e.neg(),
        Err(_) => Errno::EIO.neg(),
    }
}

/// Runs a shim body with the process-default context.
fn with_ctx<T: Into<i64>>(f: impl FnOnce(&Context) -> Result<T, Errno>) -> i64 {
    guard(|| Context::with_current(f))
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A value returned through the ABI must stay non-negative to be told apart from an error.
fn positive(v: u64) -> Result<i64, Errno> {
    i64::try_from(v).map_err(|_| Errno::EOVERFLOW)
}

/// Checks in `batch` that `buf` is a live token with `need` and at least `len` bytes; every
/// failure is `EFAULT`, and nothing is touched.
fn check(batch: &Batch, buf: u64, len: usize, need: CapPermissions) -> Result<Checked, Errno> {
    batch
        .check(Token::from_raw(buf), need, len)
        .map_err(|_| Errno::EFAULT)
}

fn length(len: u64) -> Result<usize, Errno> {
    usize::try_from(len).map_err(|_| Errno::EFAULT)
}

/// Bytes copied between a token and scratch memory under one hold of the capability table's
/// read lock: a longer copy takes the lock again for each further chunk, so that it never keeps a
/// `cap_create` or a revoke (and every call queued behind one) waiting for long.
const CHUNK: usize = crate::scratch::KEEP;

/// Runs `f` on the bytes a call sends: `len` bytes of `buf`, which must be readable. The token
/// is checked before any memory is reserved or touched, the bytes are copied out (the first
/// chunk under the check's lock), and `f` runs without the lock.
fn input<R>(buf: u64, len: u64, f: impl FnOnce(&[u8]) -> Result<R, Errno>) -> Result<R, Errno> {
    let len = length(len)?;
    let first = Batch::new();
    let checked = check(&first, buf, len, CapPermissions::READ)?;
    crate::scratch::with(len, move |data| {
        copy_out(first, checked, data)?;
        f(data)
    })
}

/// Fills `data` from a checked token, chunk by chunk, the first under `first` (released when
/// this returns). Not generic: one copy for every function that sends.
fn copy_out(first: Batch, checked: Checked, data: &mut [u8]) -> Result<(), Errno> {
    let mut held = Some(first);
    for (i, chunk) in data.chunks_mut(CHUNK).enumerate() {
        let batch = held.take().unwrap_or_else(Batch::new);
        batch
            .read(checked, i * CHUNK, chunk)
            .map_err(|_| Errno::EFAULT)?;
    }
    Ok(())
}

/// Writes `data` into a checked token, chunk by chunk, each under its own lock. Not generic: one
/// copy for every function that receives.
fn copy_in(checked: Checked, data: &[u8]) -> Result<(), Errno> {
    for (i, chunk) in data.chunks(CHUNK).enumerate() {
        Batch::new()
            .write(checked, i * CHUNK, chunk)
            .map_err(|_| Errno::EFAULT)?;
    }
    Ok(())
}

/// Runs `f` with a scratch buffer of `len` bytes and copies what it produced into `buf`, which
/// must be writable and long enough: checked before `f` runs, and again when the bytes are
/// copied in (a read lock of the capability table for each chunk; none held while `f` runs, so
/// a revoke never waits for a call that waits for data). A token revoked meanwhile gets nothing
/// more: if `f` produced bytes, the call gives `EFAULT`, and what `f` consumed (a socket's bytes,
/// a file's position, a line of input) is not given back.
fn output(
    buf: u64,
    len: u64,
    f: impl FnOnce(&mut [u8]) -> Result<usize, Errno>,
) -> Result<i64, Errno> {
    let len = length(len)?;
    let checked = check(&Batch::new(), buf, len, CapPermissions::WRITE)?;
    crate::scratch::with(len, |scratch| {
        let n = f(scratch)?.min(len);
        copy_in(checked, &scratch[..n])?;
        Ok(count(n))
    })
}

/// Copies `len` bytes from a C pointer.
///
/// # Safety
/// `ptr` must be null or valid for reads of `len` bytes.
#[allow(unsafe_code)] // reads memory a C caller points at
unsafe fn bytes(ptr: *const u8, len: u64, limit: usize, too_long: Errno) -> Result<Vec<u8>, Errno> {
    let len = usize::try_from(len).map_err(|_| too_long)?;
    if len > limit {
        return Err(too_long);
    }
    if ptr.is_null() {
        return Err(Errno::EFAULT);
    }
    // SAFETY: the caller guarantees `ptr` is valid for `len` bytes; it is not null (checked).
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec())
}

fn handle(h: u64) -> Handle {
    Handle::from_raw(h)
}

fn id(h: Handle) -> i64 {
    positive(h.raw()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests;
