//! The capability bridge: turns the token arguments of a built-in extension into
//! [`SafeBuffer`]s before it runs and commits what it wrote after it succeeds.

use std::cell::Cell;
use std::sync::Arc;

use crate::cap::{Batch, CapPermissions, Checked, Token};
use crate::errno::Errno;

use super::{ExtError, ExtFn, SafeBuffer};

/// Where a buffer argument's length comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BufLen {
    /// A fixed size (a 32-byte key, a 16-byte tag).
    Fixed(usize),
    /// The value of another argument (`input_len`).
    Arg(usize),
}

/// A buffer argument of an extension: which argument holds the token, the permission it needs
/// and how many bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BufArg {
    /// Index of the argument holding the capability token.
    pub arg: usize,
    /// `READ` for inputs, `WRITE` for outputs.
    pub permissions: CapPermissions,
    /// How many bytes the extension accesses.
    pub len: BufLen,
}

impl BufArg {
    /// An input of `len` bytes.
    pub const fn input(arg: usize, len: BufLen) -> BufArg {
        BufArg {
            arg,
            permissions: CapPermissions::READ,
            len,
        }
    }

    /// An output of `len` bytes.
    pub const fn output(arg: usize, len: BufLen) -> BufArg {
        BufArg {
            arg,
            permissions: CapPermissions::WRITE,
            len,
        }
    }
}

/// The most buffer arguments one bridged extension may declare.
pub const MAX_BUFS: usize = 8;

/// The body of a bridged extension: its buffers (in the order declared) and the raw arguments
/// (lengths, counts; the token arguments are there too but useless without the table).
pub type BridgedFn = fn(&mut [SafeBuffer<'_>], &[u64]) -> Result<u64, ExtError>;

/// Wraps `body` into an [`ExtFn`] that validates `bufs` first.
///
/// For each declared buffer, the token is validated ([`ExtError::InvalidCapability`]), must have
/// the declared permission ([`ExtError::PermissionDenied`]) and at least the declared length
/// ([`ExtError::OutOfBounds`]). A zero-length buffer may be passed as token 0. Inputs are copied
/// into per-thread scratch memory; outputs are views of it whose unwritten bytes are never
/// exposed (see [`SafeBuffer`]), and the range the body wrote is copied out only if it returns
/// `Ok` and every written token is still valid.
///
/// # Panics
/// If more than [`MAX_BUFS`] buffers are declared.
pub fn bridged(bufs: &'static [BufArg], body: BridgedFn) -> ExtFn {
    assert!(
        bufs.len() <= MAX_BUFS,
        "at most {MAX_BUFS} buffer arguments"
    );
    Arc::new(move |args, outputs| {
        let _ = outputs;
        call_bridged(bufs, body, args)
    })
}

/// Scratch memory kept by a thread between calls, at most this many bytes (larger calls allocate
/// and free their own).
const KEEP_SCRATCH: usize = 64 * 1024;

thread_local! {
    static SCRATCH: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// The thread's scratch memory, taken for one call (a nested call on the same thread finds it
/// taken and uses its own) and given back on drop.
struct Scratch(Vec<u8>);

impl Scratch {
    /// At least `len` initialized bytes; their contents are left over from earlier calls.
    fn take(len: usize) -> Scratch {
        let mut v = SCRATCH.try_with(Cell::take).unwrap_or_default();
        if v.len() < len {
            v.resize(len, 0);
        }
        Scratch(v)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if self.0.len() <= KEEP_SCRATCH {
            let v = std::mem::take(&mut self.0);
            // During thread teardown the slot may be gone: the memory is freed instead.
            let _ = SCRATCH.try_with(|s| s.set(v));
        }
    }
}

fn call_bridged(bufs: &[BufArg], body: BridgedFn, args: &[u64]) -> Result<u64, ExtError> {
    let mut checked: [Option<Checked>; MAX_BUFS] = [None; MAX_BUFS];
    let mut lens = [0usize; MAX_BUFS];
    let bufs = &bufs[..bufs.len().min(MAX_BUFS)];
    let mut scratch;
    {
        // One table lock and one tag check per buffer for everything before the body.
        let batch = Batch::new();
        let mut total = 0usize;
        for ((b, slot), len) in bufs.iter().zip(&mut checked).zip(&mut lens) {
            *len = match b.len {
                BufLen::Fixed(n) => n,
                BufLen::Arg(i) => {
                    let raw = *args
                        .get(i)
                        .ok_or(ExtError::InvalidArgument("length argument missing"))?;
                    usize::try_from(raw).map_err(|_| ExtError::OutOfBounds)?
                }
            };
            let raw = *args
                .get(b.arg)
                .ok_or(ExtError::InvalidArgument("buffer argument missing"))?;
            if *len == 0 && raw == 0 {
                continue;
            }
            *slot = Some(
                batch
                    .check(Token::from_raw(raw), b.permissions, *len)
                    .map_err(map_cap_error)?,
            );
            // Each length is within a live capability, so the sum is within memory.
            total = total.checked_add(*len).ok_or(ExtError::OutOfBounds)?;
        }
        scratch = Scratch::take(total);
        let mut rest = &mut scratch.0[..];
        for ((b, slot), &len) in bufs.iter().zip(&checked).zip(&lens) {
            let (view, tail) = std::mem::take(&mut rest).split_at_mut(len);
            rest = tail;
            if let Some(c) = slot.filter(|_| b.permissions.contains(CapPermissions::READ)) {
                batch.read(c, view).map_err(map_cap_error)?;
            }
        }
    }
    let mut views: [SafeBuffer<'_>; MAX_BUFS] =
        std::array::from_fn(|_| SafeBuffer::scratch(&mut [], CapPermissions::NONE));
    let mut rest = &mut scratch.0[..];
    for ((b, &len), view) in bufs.iter().zip(&lens).zip(&mut views) {
        let (bytes, tail) = std::mem::take(&mut rest).split_at_mut(len);
        rest = tail;
        *view = SafeBuffer::scratch(bytes, b.permissions);
    }
    let views = &mut views[..bufs.len()];
    let result = body(views, args)?;
    let written = || {
        checked
            .iter()
            .zip(views.iter())
            .filter_map(|(c, v)| Some((*c.as_ref()?, v.written()?)))
    };
    if written().next().is_none() {
        return Ok(result);
    }
    let batch = Batch::new();
    // Check every output first, so that a token revoked while the body ran commits nothing.
    for (c, (at, bytes)) in written() {
        batch
            .recheck(c, CapPermissions::WRITE, at + bytes.len())
            .map_err(map_cap_error)?;
    }
    for (c, (at, bytes)) in written() {
        batch.write(c, at, bytes).map_err(map_cap_error)?;
    }
    Ok(result)
}

fn map_cap_error(e: Errno) -> ExtError {
    match e {
        Errno::EACCES => ExtError::PermissionDenied,
        Errno::ERANGE => ExtError::OutOfBounds,
        _ => ExtError::InvalidCapability,
    }
}

#[cfg(test)]
#[path = "bridge_tests.rs"]
mod tests;
