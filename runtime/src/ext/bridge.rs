//! The capability bridge: turns the token arguments of a built-in extension into
//! [`SafeBuffer`]s before it runs and commits what it wrote after it succeeds.

use std::sync::Arc;

use crate::cap::{Batch, CapPermissions, Token};
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
pub type BridgedFn = fn(&mut [SafeBuffer], &[u64]) -> Result<u64, ExtError>;

/// Wraps `body` into an [`ExtFn`] that validates `bufs` first.
///
/// For each declared buffer, the token is validated ([`ExtError::InvalidCapability`]), must have
/// the declared permission ([`ExtError::PermissionDenied`]) and at least the declared length
/// ([`ExtError::OutOfBounds`]). A zero-length buffer may be passed as token 0. Inputs are copied
/// in; outputs start zeroed and the range the body wrote is copied out only if it returns `Ok`.
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

fn call_bridged(bufs: &[BufArg], body: BridgedFn, args: &[u64]) -> Result<u64, ExtError> {
    let mut tokens: [Option<Token>; MAX_BUFS] = [None; MAX_BUFS];
    let mut views: Vec<SafeBuffer> = Vec::with_capacity(bufs.len());
    {
        // One table lock for every buffer of the call.
        let batch = Batch::new();
        for (b, slot) in bufs.iter().zip(tokens.iter_mut()) {
            let len = match b.len {
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
            if len == 0 && raw == 0 {
                views.push(SafeBuffer::new(Vec::new(), b.permissions));
                continue;
            }
            let token = Token::from_raw(raw);
            batch
                .check(token, b.permissions, len)
                .map_err(map_cap_error)?;
            let data = if b.permissions.contains(CapPermissions::READ) {
                batch.copy_out(token, len).map_err(map_cap_error)?
            } else {
                vec![0; len]
            };
            views.push(SafeBuffer::new(data, b.permissions));
            *slot = Some(token);
        }
    }
    let result = body(&mut views, args)?;
    let batch = Batch::new();
    // Check every output first, so that a token revoked while the body ran commits nothing.
    for (token, view) in tokens.iter().zip(&views) {
        if let (Some(token), Some((at, bytes))) = (token, view.written()) {
            batch
                .check(*token, CapPermissions::WRITE, at + bytes.len())
                .map_err(map_cap_error)?;
        }
    }
    for (token, view) in tokens.iter().zip(&views) {
        if let (Some(token), Some((at, bytes))) = (token, view.written()) {
            batch.copy_in(*token, at, bytes).map_err(map_cap_error)?;
        }
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
