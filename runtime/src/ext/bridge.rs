//! The capability bridge: turns the token arguments of a built-in extension into
//! [`SafeBuffer`]s before it runs and commits what it wrote after it succeeds.

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
    /// For an output of an in-place algorithm: the argument holding a readable token whose
    /// first `len` bytes the output starts with (copied once, straight into the output's view).
    pub init_from: Option<usize>,
}

impl BufArg {
    /// An input of `len` bytes.
    pub const fn input(arg: usize, len: BufLen) -> BufArg {
        BufArg {
            arg,
            permissions: CapPermissions::READ,
            len,
            init_from: None,
        }
    }

    /// An output of `len` bytes.
    pub const fn output(arg: usize, len: BufLen) -> BufArg {
        BufArg {
            arg,
            permissions: CapPermissions::WRITE,
            len,
            init_from: None,
        }
    }

    /// An output of `len` bytes that starts as a copy of the first `len` bytes of the token in
    /// argument `source` (which needs `READ`), for algorithms that work in place.
    pub const fn output_from(arg: usize, len: BufLen, source: usize) -> BufArg {
        BufArg {
            init_from: Some(source),
            ..BufArg::output(arg, len)
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
/// `Ok` and every written token is still valid (a token revoked while the body ran gets
/// nothing).
///
/// # Panics
/// If more than `MAX_BUFS` buffers are declared.
pub fn bridged(bufs: &'static [BufArg], body: BridgedFn) -> ExtFn {
    wrap(bufs, body, false)
}

/// As [`bridged`], for a body that is a pure computation over its buffers (it never creates,
/// derives or revokes tokens) taking time linear in their size: for a call whose buffers total
/// at most [`HOLD_LIMIT`] bytes, the table's read lock is held across the body, so the call
/// takes one lock round trip instead of two. Token changes on other threads wait for at most
/// that short body; none can happen during it, so every commit succeeds.
pub(crate) fn bridged_short(bufs: &'static [BufArg], body: BridgedFn) -> ExtFn {
    wrap(bufs, body, true)
}

/// The largest call (sum of buffer lengths) of a [`bridged_short`] body that holds the lock.
pub(crate) const HOLD_LIMIT: usize = 4096;

fn wrap(bufs: &'static [BufArg], body: BridgedFn, short: bool) -> ExtFn {
    assert!(
        bufs.len() <= MAX_BUFS,
        "at most {MAX_BUFS} buffer arguments"
    );
    Arc::new(move |args, outputs| {
        let _ = outputs;
        call_bridged(bufs, body, args, short)
    })
}

/// Runs a call with the thread's scratch memory ([`crate::scratch`]).
fn call_bridged(
    bufs: &[BufArg],
    body: BridgedFn,
    args: &[u64],
    short: bool,
) -> Result<u64, ExtError> {
    // The per-buffer arrays and views are filled and dropped on every call: sized for the
    // built-ins (at most 4 buffers, 5 for `aes256_gcm_encrypt`) where that suffices.
    if bufs.len() <= 4 {
        call_with::<4>(bufs, body, args, short)
    } else if bufs.len() <= 5 {
        call_with::<5>(bufs, body, args, short)
    } else {
        call_with::<MAX_BUFS>(bufs, body, args, short)
    }
}

/// Every view starts at an address that is a multiple of this (a cache line), so that copying
/// into a view and block ciphers working in place on it never split a vector access across
/// cache lines where a fresh allocation would not.
const ALIGN: usize = 64;

/// The next `len` bytes of `rest` (then skipping to the next multiple of [`ALIGN`]).
fn next_view<'a>(rest: &mut &'a mut [u8], len: usize) -> &'a mut [u8] {
    let (view, tail) = std::mem::take(rest).split_at_mut(len);
    *rest = tail
        .get_mut(len.next_multiple_of(ALIGN) - len..)
        .unwrap_or_default();
    view
}

/// A length argument or a fixed length.
fn length(len: BufLen, args: &[u64]) -> Result<usize, ExtError> {
    match len {
        BufLen::Fixed(n) => Ok(n),
        BufLen::Arg(i) => {
            let raw = *args
                .get(i)
                .ok_or(ExtError::InvalidArgument("length argument missing"))?;
            usize::try_from(raw).map_err(|_| ExtError::OutOfBounds)
        }
    }
}

/// Checks the token in argument `arg` for `need` and `len` bytes; `None` for a zero-length
/// buffer passed as token 0.
fn check(
    batch: &Batch,
    args: &[u64],
    arg: usize,
    need: CapPermissions,
    len: usize,
) -> Result<Option<Checked>, ExtError> {
    let raw = *args
        .get(arg)
        .ok_or(ExtError::InvalidArgument("buffer argument missing"))?;
    if len == 0 && raw == 0 {
        return Ok(None);
    }
    batch
        .check(Token::from_raw(raw), need, len)
        .map(Some)
        .map_err(map_cap_error)
}

/// The call itself, for at most `N` buffers.
fn call_with<const N: usize>(
    bufs: &[BufArg],
    body: BridgedFn,
    args: &[u64],
    short: bool,
) -> Result<u64, ExtError> {
    let bufs = &bufs[..bufs.len().min(N)];
    // Per buffer: its token, the token its bytes are copied from (itself for an input), length.
    let mut checked: [Option<Checked>; N] = [None; N];
    let mut sources: [Option<Checked>; N] = [None; N];
    let mut lens = [0usize; N];
    // One table lock and one tag check per token for everything before the body.
    let batch = Batch::new();
    let mut total = ALIGN;
    for (i, b) in bufs.iter().enumerate() {
        let len = length(b.len, args)?;
        checked[i] = check(&batch, args, b.arg, b.permissions, len)?;
        sources[i] = match b.init_from {
            Some(from) => check(&batch, args, from, CapPermissions::READ, len)?,
            None if b.permissions.contains(CapPermissions::READ) => checked[i],
            None => None,
        };
        lens[i] = len;
        // Each length is within a live capability, so the sum is within memory.
        total = len
            .checked_next_multiple_of(ALIGN)
            .and_then(|l| total.checked_add(l))
            .ok_or(ExtError::OutOfBounds)?;
    }
    // The scratch memory is unzeroed: every view of an input is filled before the body runs,
    // and only what the body wrote of an output is copied out.
    crate::scratch::with(total, |scratch| {
        let mut views: [SafeBuffer<'_>; N] =
            std::array::from_fn(|_| SafeBuffer::scratch(&mut [], CapPermissions::NONE, false));
        // `total` includes `ALIGN` bytes of slack for the first view's alignment.
        let start = scratch.as_ptr().align_offset(ALIGN).min(ALIGN);
        let mut rest = &mut scratch[start..];
        for (i, b) in bufs.iter().enumerate() {
            let bytes = next_view(&mut rest, lens[i]);
            if let Some(source) = sources[i] {
                batch.read(source, 0, bytes).map_err(map_cap_error)?;
            }
            views[i] =
                SafeBuffer::scratch(bytes, b.permissions, sources[i].is_some() || lens[i] == 0);
        }
        let held = (short && total <= HOLD_LIMIT).then_some(batch);
        let views = &mut views[..bufs.len()];
        let result = body(views, args)?;
        let written = || {
            checked
                .iter()
                .zip(views.iter())
                .filter_map(|(c, v)| Some((*c.as_ref()?, v.written()?)))
        };
        let batch = match held {
            // No token can have changed: the lock was held all along.
            Some(batch) => batch,
            None => {
                if written().next().is_none() {
                    return Ok(result);
                }
                let batch = Batch::new();
                // Check every output first, so that a token revoked while the body ran commits
                // nothing. Only whether it still lives: a live token's length and permissions
                // never change, and each write below checks its bounds again.
                for (c, _) in written() {
                    batch
                        .recheck(c, CapPermissions::WRITE, 0)
                        .map_err(map_cap_error)?;
                }
                batch
            }
        };
        for (c, (at, bytes)) in written() {
            batch.write(c, at, bytes).map_err(map_cap_error)?;
        }
        Ok(result)
    })
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
