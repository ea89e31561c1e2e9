//! Capabilities.

#![allow(unsafe_code)] // C exports (`no_mangle`) and a raw pointer from C callers.

use super::{guard, positive};
use crate::cap::{CapPermissions, Token};
use crate::errno::Errno;

fn perms(bits: u64) -> Result<CapPermissions, Errno> {
    if bits & !u64::from(CapPermissions::ALL.bits()) != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(CapPermissions::from_bits_truncate(bits))
}

/// A token as a result: tokens in the error range `-4095..=-1` (as `i64`) are never handed out.
fn issue(token: Token) -> Result<i64, Errno> {
    let v = token.get() as i64;
    if (-4095..0).contains(&v) {
        let _ = token.revoke();
        return Err(Errno::ENOMEM);
    }
    Ok(v)
}

/// Issues a root capability for `len` bytes at `base` with `perms` (`NEURLANG_CAP_READ` 1,
/// `NEURLANG_CAP_WRITE` 2, `NEURLANG_CAP_EXEC` 4); returns the token (any value outside
/// `-4095..=-1`, possibly negative as `i64`: compare with the error range, not with 0).
///
/// # Safety
/// `base..base + len` must be valid for the access `perms` grants, from any thread, until
/// `neurlang_cap_revoke` of the returned token has returned.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn neurlang_cap_create(base: *mut u8, len: u64, perms: u64) -> i64 {
    guard(|| {
        let perms = self::perms(perms)?;
        if base.is_null() {
            return Err(Errno::EFAULT);
        }
        let len = usize::try_from(len).map_err(|_| Errno::EINVAL)?;
        // SAFETY: forwarded from this function's contract.
        let token = unsafe { Token::new_raw(base, len, perms) }?;
        issue(token)
    })
}

/// A derived token of `token` with only `perms` (intersected: never more).
#[unsafe(no_mangle)]
pub extern "C" fn neurlang_cap_restrict(token: u64, perms: u64) -> i64 {
    guard(|| issue(Token::from_raw(token).restrict(self::perms(perms)?)?))
}

/// A derived token for `len` bytes at `offset` within `token`.
#[unsafe(no_mangle)]
pub extern "C" fn neurlang_cap_slice(token: u64, offset: u64, len: u64) -> i64 {
    guard(|| {
        let offset = usize::try_from(offset).map_err(|_| Errno::EFAULT)?;
        let len = usize::try_from(len).map_err(|_| Errno::EFAULT)?;
        issue(Token::from_raw(token).slice(offset, len)?)
    })
}

/// Revokes `token` and every token derived from it; returns 0.
#[unsafe(no_mangle)]
pub extern "C" fn neurlang_cap_revoke(token: u64) -> i64 {
    guard(|| Token::from_raw(token).revoke().map(|()| 0))
}

/// Checks that `token` is valid, at least `len` bytes long and has `perms`; returns its length.
#[unsafe(no_mangle)]
pub extern "C" fn neurlang_cap_check(token: u64, perms: u64, len: u64) -> i64 {
    guard(|| {
        let len = usize::try_from(len).map_err(|_| Errno::EFAULT)?;
        let length = Token::from_raw(token).check(self::perms(perms)?, len)?;
        positive(length as u64)
    })
}
