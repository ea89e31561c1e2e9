//! Capabilities: unforgeable, revocable tokens for memory that runtime functions and extensions
//! may touch.
//!
//! A `buf: u64` argument of a runtime function or an extension is a [`Token`]: a reference into a
//! process-wide capability table that holds the base, length and [`CapPermissions`] of a memory
//! range. [`Capability::from_raw`] validates a token; a forged, stale or revoked token gives
//! [`Errno::EFAULT`] and no memory is ever touched through it.
//!
//! ```
//! use neurlang::runtime::{CapPermissions, Capability, Errno, CapToken as Token};
//!
//! let tok = Token::new_owned(vec![0u8; 16].into_boxed_slice(), CapPermissions::READ | CapPermissions::WRITE)?;
//! let ro = tok.restrict(CapPermissions::READ)?;          // only shrinks
//! let tail = ro.slice(8, 8)?;                            // only shrinks
//! Capability::from_raw(tok.get())?.write(0, b"abcdefgh12345678")?;
//! assert_eq!(Capability::from_raw(tail.get())?.to_vec(0, 8)?, b"12345678");
//! assert_eq!(Capability::from_raw(tail.get())?.write(0, b"x"), Err(Errno::EFAULT));
//! tok.revoke()?;                                         // revokes `ro` and `tail` too
//! assert_eq!(Capability::from_raw(tail.get()).err(), Some(Errno::EFAULT));
//! # Ok::<(), Errno>(())
//! ```
//!
//! # Token format and forgery probability
//!
//! A token is a `u64`: bits 63..40 hold `slot index + 1` (so a token is never 0), bits 39..0 hold
//! a 40-bit tag, `SipHash-2-4(secret, slot index, slot generation)` truncated to 40 bits. The
//! 128-bit `secret` is drawn from the OS random generator once per process; the 64-bit generation
//! of a slot is bumped every time the slot is freed, and never wraps in practice.
//!
//! * A **forged** token (any value not issued by the table) is accepted only if its tag equals
//!   the PRF output for a live slot: probability 2⁻⁴⁰ (≈ 9.1·10⁻¹³) per attempt, even for an
//!   attacker who knows the slot index and generation, as long as SipHash is a PRF and the
//!   secret stays secret. The tag never leaves the process except as the token itself.
//! * A **stale** token (its slot was freed and reused) carries the tag of an older generation:
//!   accepted with the same 2⁻⁴⁰ probability per reuse.
//! * A **revoked** token whose slot has not been reused names an empty slot: always rejected.
//!
//! The 2⁻⁴⁰ figures follow from the tag's width, not from a test. What the tests in
//! `cap/tests.rs` check: 0, `u64::MAX` and every one-bit change of a live token are rejected
//! (`forged_and_zero_tokens_are_rejected`), and so are revoked tokens and stale ones after their
//! slot is reused (`revoked_and_stale_tokens_are_rejected`).
//!
//! # Derivation and revocation
//!
//! [`Token::restrict`] and [`Token::slice`] issue *derived* tokens that name the same memory with
//! fewer permissions or a sub-range: they can only shrink. Revoking a token revokes every token
//! derived from it (transitively). Revoking a root token additionally waits until no
//! [`Capability`] value of that memory is alive, so when [`Token::revoke`] returns, the runtime
//! will never touch the memory again — this is what makes [`Token::new_raw`] usable. Revoking a
//! root from a thread that itself holds a live [`Capability`] of the same memory deadlocks; drop
//! it first. Checked by `restrict_and_slice_only_shrink`, `revoking_a_child_keeps_the_parent`,
//! `revoking_a_root_waits_for_live_capabilities` and `raw_memory_is_untouched_after_revoke`
//! (`cap/tests.rs`), and against a model by the `safe_buffer` fuzz target.
//!
//! # Access
//!
//! A [`Capability`] never hands out references into the memory (it may be shared with generated
//! code running on other threads); [`Capability::read`] and [`Capability::write`] copy in and out
//! after checking bounds and permissions (`owned_round_trip_and_bounds`).

mod region;
mod siphash;
mod table;

use std::fmt;
use std::ops::BitOr;
use std::sync::Arc;

use crate::errno::Errno;
use region::Region;
pub(crate) use table::{Batch, Checked};

/// Access rights of a capability (a bit set: `READ | WRITE | EXEC`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CapPermissions(u8);

impl CapPermissions {
    /// No access.
    pub const NONE: CapPermissions = CapPermissions(0);
    /// The memory may be read.
    pub const READ: CapPermissions = CapPermissions(1);
    /// The memory may be written.
    pub const WRITE: CapPermissions = CapPermissions(2);
    /// The memory may be executed (recorded; the runtime never executes through a capability).
    pub const EXEC: CapPermissions = CapPermissions(4);
    /// Every permission.
    pub const ALL: CapPermissions = CapPermissions(7);

    /// The raw bits (`READ = 1`, `WRITE = 2`, `EXEC = 4`), as the C ABI passes them.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Permissions from raw bits; unknown bits are dropped.
    pub const fn from_bits_truncate(bits: u64) -> CapPermissions {
        CapPermissions((bits & 7) as u8)
    }

    /// Whether every permission in `other` is also in `self`.
    pub const fn contains(self, other: CapPermissions) -> bool {
        self.0 & other.0 == other.0
    }

    /// The permissions in both sets.
    #[must_use]
    pub const fn intersection(self, other: CapPermissions) -> CapPermissions {
        CapPermissions(self.0 & other.0)
    }

    /// The permissions in either set.
    #[must_use]
    pub const fn union(self, other: CapPermissions) -> CapPermissions {
        CapPermissions(self.0 | other.0)
    }

    /// Whether no permission is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl BitOr for CapPermissions {
    type Output = CapPermissions;
    fn bitor(self, rhs: CapPermissions) -> CapPermissions {
        self.union(rhs)
    }
}

impl fmt::Debug for CapPermissions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = if self.contains(Self::READ) { 'r' } else { '-' };
        let w = if self.contains(Self::WRITE) { 'w' } else { '-' };
        let x = if self.contains(Self::EXEC) { 'x' } else { '-' };
        write!(f, "CapPermissions({r}{w}{x})")
    }
}

/// A capability token: the `u64` that generated code holds (see the [module docs](self) for the
/// format). Copying a token is free; whether it is still valid is decided by the table.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Token(u64);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token({:#018x})", self.0)
    }
}

impl Token {
    /// Wraps a raw `u64` from the ABI. Nothing is validated until the token is used.
    pub const fn from_raw(raw: u64) -> Token {
        Token(raw)
    }

    /// The raw `u64` to hand to generated code.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// Issues a root token for memory the caller owns elsewhere.
    ///
    /// # Errors
    /// [`Errno::ENOMEM`] when the table is full (2²⁴ − 1 live tokens).
    ///
    /// # Safety
    /// `base..base + length` must be valid for reads (if `permissions` has `READ`) and writes (if
    /// it has `WRITE`), from any thread, until [`Token::revoke`] of the returned token (or of a
    /// token it derives from — there is none for a root) has returned. Accesses are byte copies
    /// that may race with other users of the memory only as far as the caller allows.
    #[allow(unsafe_code)] // an unsafe constructor over caller-owned memory
    pub unsafe fn new_raw(
        base: *mut u8,
        length: usize,
        permissions: CapPermissions,
    ) -> Result<Token, Errno> {
        // SAFETY: forwarded verbatim from this function's contract.
        let region = unsafe { Region::from_raw(base, length) };
        table::insert_root(Arc::new(region), permissions)
    }

    /// Issues a root token owning `buf`; the buffer is freed when the token is revoked and the
    /// last [`Capability`] of it is dropped.
    ///
    /// # Errors
    /// [`Errno::ENOMEM`] when the table is full.
    pub fn new_owned(buf: Box<[u8]>, permissions: CapPermissions) -> Result<Token, Errno> {
        table::insert_root(Arc::new(Region::owned(buf)), permissions)
    }

    /// A derived token with `self`'s permissions intersected with `permissions` (never more).
    ///
    /// # Errors
    /// [`Errno::EFAULT`] for an invalid token, [`Errno::ENOMEM`] when the table is full.
    pub fn restrict(self, permissions: CapPermissions) -> Result<Token, Errno> {
        table::derive(self, 0, None, permissions)
    }

    /// A derived token for `length` bytes at `offset` within `self`, with the same permissions.
    ///
    /// # Errors
    /// [`Errno::EFAULT`] for an invalid token or a range outside it, [`Errno::ENOMEM`] when the
    /// table is full.
    pub fn slice(self, offset: usize, length: usize) -> Result<Token, Errno> {
        table::derive(self, offset, Some(length), CapPermissions::ALL)
    }

    /// Revokes this token and every token derived from it. For a root token, waits until no
    /// [`Capability`] of the memory is alive (see the [module docs](self)).
    ///
    /// # Errors
    /// [`Errno::EFAULT`] if the token is not valid (already revoked, stale, forged).
    pub fn revoke(self) -> Result<(), Errno> {
        table::revoke(self)
    }

    /// Checks that the token is live, at least `length` bytes long and has `permissions`;
    /// returns its length. Touches no memory and holds nothing: what `neurlang_cap_check`
    /// answers.
    ///
    /// # Errors
    /// [`Errno::EFAULT`] otherwise.
    pub fn check(self, permissions: CapPermissions, length: usize) -> Result<usize, Errno> {
        let (have, granted) = table::peek(self)?;
        if length > have || !granted.contains(permissions) {
            return Err(Errno::EFAULT);
        }
        Ok(have)
    }
}

/// The number of live tokens (roots and derived), for leak checks.
pub fn live_tokens() -> usize {
    table::live()
}

/// A validated capability: base, length and permissions of a live token. While a `Capability`
/// is alive its memory stays valid (revoking the root waits for it to be dropped).
pub struct Capability {
    region: Arc<Region>,
    offset: usize,
    length: usize,
    permissions: CapPermissions,
}

impl fmt::Debug for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Capability")
            .field("base", &format_args!("{:#x}", self.base_address()))
            .field("length", &self.length)
            .field("permissions", &self.permissions)
            .finish()
    }
}

impl Capability {
    /// Validates a raw token from generated code.
    ///
    /// # Errors
    /// [`Errno::EFAULT`] for a forged, stale or revoked token.
    pub fn from_raw(raw: u64) -> Result<Capability, Errno> {
        Capability::from_token(Token(raw))
    }

    /// Validates a token.
    ///
    /// # Errors
    /// [`Errno::EFAULT`] for a forged, stale or revoked token.
    pub fn from_token(token: Token) -> Result<Capability, Errno> {
        let (region, offset, length, permissions) = table::lookup(token)?;
        if !region.borrow() {
            return Err(Errno::EFAULT);
        }
        Ok(Capability {
            region,
            offset,
            length,
            permissions,
        })
    }

    /// The address of the first byte.
    pub fn base_address(&self) -> usize {
        self.region.addr() + self.offset
    }

    /// The length in bytes.
    pub fn length(&self) -> usize {
        self.length
    }

    /// The permissions.
    pub fn permissions(&self) -> CapPermissions {
        self.permissions
    }

    /// Whether the capability allows reading.
    pub fn has_read_permission(&self) -> bool {
        self.permissions.contains(CapPermissions::READ)
    }

    /// Whether the capability allows writing.
    pub fn has_write_permission(&self) -> bool {
        self.permissions.contains(CapPermissions::WRITE)
    }

    fn range(&self, offset: usize, len: usize, need: CapPermissions) -> Result<usize, Errno> {
        let end = offset.checked_add(len).ok_or(Errno::EFAULT)?;
        if end > self.length || !self.permissions.contains(need) {
            return Err(Errno::EFAULT);
        }
        Ok(self.offset + offset)
    }

    /// Copies `dst.len()` bytes at `offset` into `dst`.
    ///
    /// # Errors
    /// [`Errno::EFAULT`] without `READ` or if the range leaves the capability; `dst` is untouched.
    pub fn read(&self, offset: usize, dst: &mut [u8]) -> Result<(), Errno> {
        let at = self.range(offset, dst.len(), CapPermissions::READ)?;
        self.region.copy_out(at, dst);
        Ok(())
    }

    /// Copies `len` bytes at `offset` into a new vector.
    ///
    /// # Errors
    /// As [`Capability::read`].
    pub fn to_vec(&self, offset: usize, len: usize) -> Result<Vec<u8>, Errno> {
        self.range(offset, len, CapPermissions::READ)?;
        let mut v = vec![0; len];
        self.read(offset, &mut v)?;
        Ok(v)
    }

    /// Copies `src` into the memory at `offset`.
    ///
    /// # Errors
    /// [`Errno::EFAULT`] without `WRITE` or if the range leaves the capability; nothing is written.
    pub fn write(&self, offset: usize, src: &[u8]) -> Result<(), Errno> {
        let at = self.range(offset, src.len(), CapPermissions::WRITE)?;
        self.region.copy_in(at, src);
        Ok(())
    }
}

impl Drop for Capability {
    fn drop(&mut self) {
        self.region.release();
    }
}

#[cfg(test)]
mod tests;
