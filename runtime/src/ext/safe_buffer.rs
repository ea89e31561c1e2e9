//! [`SafeBuffer`]: the only view of memory an extension gets.

use std::fmt;

use crate::cap::CapPermissions;

use super::ExtError;

/// A bounds- and permission-checked buffer handed to an extension.
///
/// The spec's `SafeBuffer` wraps a raw base pointer. Here it holds a private copy instead: the
/// registry bridge copies a readable argument in before the extension runs and copies the bytes
/// an extension wrote back out only after it returned `Ok`. That makes it sound
/// for input and output arguments to overlap or to be shared with generated code on other
/// threads (no Rust reference ever points into shared memory), and it makes "a failed decrypt
/// writes nothing" hold by construction: on `Err` nothing is committed.
///
/// The copy is either owned ([`SafeBuffer::new`]) or borrowed for the lifetime `'a` from the
/// bridge's per-thread scratch memory, which is reused from call to call without being cleared.
/// Bytes of a write-only buffer that this buffer has not written yet are therefore never handed
/// out: [`SafeBuffer::write`] and [`SafeBuffer::slice_mut`] zero any such bytes they expose or
/// skip over first, so every byte an extension can see or commit is its own or zero.
///
/// Checked by `bytes_of_an_earlier_call_are_never_seen_or_committed` and
/// `a_restricted_or_cloned_view_is_zero_where_nothing_was_written` (`ext/bridge_tests.rs`), the
/// model test `agrees_with_a_model` here, and, for a failed decrypt, `ext.wycheproof.aes_gcm.*`
/// (each invalid vector's output must stay untouched) and the `crypto_ext` fuzz target.
///
/// ```
/// use neurlang::runtime::{CapPermissions, ExtError, SafeBuffer};
/// let mut b = SafeBuffer::new(vec![1, 2, 3, 4], CapPermissions::READ | CapPermissions::WRITE);
/// b.write(2, &[9])?;
/// assert_eq!(b.read(1, 3)?, &[2, 9, 4]);
/// let ro = b.restrict(CapPermissions::READ);
/// assert_eq!(ro.clone().write(0, &[0]), Err(ExtError::PermissionDenied));
/// assert_eq!(b.read(3, 2), Err(ExtError::OutOfBounds));
/// # Ok::<(), ExtError>(())
/// ```
pub struct SafeBuffer<'a> {
    data: Bytes<'a>,
    permissions: CapPermissions,
    /// `data[..defined]` holds bytes of this buffer (copied in, written, or zeroed); the rest may
    /// be left over in the scratch memory from an earlier call and is never exposed. A readable
    /// buffer is always defined in full (see `scratch`).
    defined: usize,
    /// The smallest range covering every write, to commit back.
    dirty: Option<(usize, usize)>,
}

enum Bytes<'a> {
    Owned(Vec<u8>),
    Borrowed(&'a mut [u8]),
}

impl Bytes<'_> {
    #[inline]
    fn get(&self) -> &[u8] {
        match self {
            Bytes::Owned(v) => v,
            Bytes::Borrowed(s) => s,
        }
    }

    #[inline]
    fn get_mut(&mut self) -> &mut [u8] {
        match self {
            Bytes::Owned(v) => v,
            Bytes::Borrowed(s) => s,
        }
    }
}

impl SafeBuffer<'static> {
    /// A buffer holding `data` with `permissions`.
    pub fn new(data: Vec<u8>, permissions: CapPermissions) -> SafeBuffer<'static> {
        SafeBuffer {
            defined: data.len(),
            data: Bytes::Owned(data),
            permissions,
            dirty: None,
        }
    }
}

impl<'a> SafeBuffer<'a> {
    /// A view of scratch memory; `filled` says whether the caller copied the argument's bytes
    /// into it (a readable view must be filled). The bytes of a view that is not filled are
    /// treated as undefined until written.
    pub(crate) fn scratch(
        data: &'a mut [u8],
        permissions: CapPermissions,
        filled: bool,
    ) -> SafeBuffer<'a> {
        debug_assert!(filled || !permissions.contains(CapPermissions::READ));
        SafeBuffer {
            defined: if filled { data.len() } else { 0 },
            data: Bytes::Borrowed(data),
            permissions,
            dirty: None,
        }
    }

    /// The length in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.data.get().len()
    }

    /// Whether the buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The permissions.
    pub fn permissions(&self) -> CapPermissions {
        self.permissions
    }

    #[inline]
    fn check(&self, offset: usize, len: usize, need: CapPermissions) -> Result<usize, ExtError> {
        if !self.permissions.contains(need) {
            return Err(ExtError::PermissionDenied);
        }
        match offset.checked_add(len) {
            Some(end) if end <= self.len() => Ok(end),
            _ => Err(ExtError::OutOfBounds),
        }
    }

    /// `len` bytes at `offset`.
    ///
    /// # Errors
    /// [`ExtError::PermissionDenied`] without `READ`, [`ExtError::OutOfBounds`] past the end.
    #[inline]
    pub fn read(&self, offset: usize, len: usize) -> Result<&[u8], ExtError> {
        let end = self.check(offset, len, CapPermissions::READ)?;
        // A readable buffer is defined in full (see `scratch`), so no stale byte is read here.
        Ok(&self.data.get()[offset..end])
    }

    /// The whole buffer (needs `READ`).
    ///
    /// # Errors
    /// [`ExtError::PermissionDenied`] without `READ`.
    pub fn as_slice(&self) -> Result<&[u8], ExtError> {
        self.read(0, self.len())
    }

    /// Writes `data` at `offset`.
    ///
    /// # Errors
    /// [`ExtError::PermissionDenied`] without `WRITE`, [`ExtError::OutOfBounds`] past the end;
    /// nothing is written then.
    #[inline]
    pub fn write(&mut self, offset: usize, data: &[u8]) -> Result<(), ExtError> {
        let end = self.check(offset, data.len(), CapPermissions::WRITE)?;
        // Only the gap before `offset` needs zeroing: the range itself is overwritten whole.
        self.define(offset, end)[offset..end].copy_from_slice(data);
        self.mark(offset, end);
        Ok(())
    }

    /// `len` writable bytes at `offset` (for in-place algorithms). The range counts as written;
    /// bytes of it this buffer had not written before read as zero.
    ///
    /// # Errors
    /// As [`SafeBuffer::write`].
    #[inline]
    pub fn slice_mut(&mut self, offset: usize, len: usize) -> Result<&mut [u8], ExtError> {
        let end = self.check(offset, len, CapPermissions::WRITE)?;
        self.mark(offset, end);
        Ok(&mut self.define(end, end)[offset..end])
    }

    /// Zeroes the undefined bytes before `zero_to`, marks `..end` defined (the caller overwrites
    /// `zero_to..end` before anything can read it) and returns the bytes.
    #[inline]
    fn define(&mut self, zero_to: usize, end: usize) -> &mut [u8] {
        let bytes = self.data.get_mut();
        if end > self.defined {
            if zero_to > self.defined {
                bytes[self.defined..zero_to].fill(0);
            }
            self.defined = end;
        }
        bytes
    }

    #[inline]
    fn mark(&mut self, offset: usize, end: usize) {
        if offset < end {
            self.dirty = Some(match self.dirty {
                Some((lo, hi)) => (lo.min(offset), hi.max(end)),
                None => (offset, end),
            });
        }
    }

    /// A copy with permissions `self ∩ permissions` (restricting can only shrink).
    #[must_use]
    pub fn restrict(&self, permissions: CapPermissions) -> SafeBuffer<'static> {
        let mut copy = self.defined_copy();
        copy.permissions = self.permissions.intersection(permissions);
        copy
    }

    /// An owned copy (bytes never written read as zero), nothing written yet.
    fn defined_copy(&self) -> SafeBuffer<'static> {
        let mut data = vec![0; self.len()];
        data[..self.defined].copy_from_slice(self.defined_bytes());
        SafeBuffer::new(data, self.permissions)
    }

    fn defined_bytes(&self) -> &[u8] {
        &self.data.get()[..self.defined]
    }

    /// The written range and its bytes, if anything was written.
    pub fn written(&self) -> Option<(usize, &[u8])> {
        // Every written range is defined, and so is every gap between two of them.
        self.dirty.map(|(lo, hi)| (lo, &self.data.get()[lo..hi]))
    }
}

impl Clone for SafeBuffer<'_> {
    /// An owned copy with the same permissions and written range.
    fn clone(&self) -> Self {
        let mut copy = self.defined_copy();
        copy.dirty = self.dirty;
        copy
    }
}

impl PartialEq for SafeBuffer<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.permissions == other.permissions
            && self.dirty == other.dirty
            && self.len() == other.len()
            && self.defined_bytes() == other.defined_bytes()
    }
}

impl Eq for SafeBuffer<'_> {}

impl fmt::Debug for SafeBuffer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SafeBuffer")
            .field("len", &self.len())
            .field("permissions", &self.permissions)
            .field("defined", &self.defined_bytes())
            .field("dirty", &self.dirty)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        Read(usize, usize),
        Write(usize, Vec<u8>),
        Restrict(u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0usize..40, 0usize..40).prop_map(|(o, l)| Op::Read(o, l)),
            (0usize..40, proptest::collection::vec(any::<u8>(), 0..20))
                .prop_map(|(o, d)| Op::Write(o, d)),
            (0u8..8).prop_map(Op::Restrict),
        ]
    }

    #[test]
    fn an_empty_write_marks_nothing_written() {
        let mut buf = SafeBuffer::new(vec![9; 16], CapPermissions::WRITE);
        buf.write(4, &[]).unwrap();
        buf.slice_mut(6, 0).unwrap();
        assert_eq!(buf.written(), None);
        // Nor does it widen a written range, which would commit bytes nobody wrote.
        buf.write(0, &[1, 2]).unwrap();
        buf.write(12, &[]).unwrap();
        buf.slice_mut(14, 0).unwrap();
        assert_eq!(buf.written(), Some((0, &[1, 2][..])));
    }

    proptest! {
        /// The model: a plain Vec and a permission bit set, with the checks written out.
        #[test]
        fn agrees_with_a_model(init in proptest::collection::vec(any::<u8>(), 0..32), perms in 0u8..8, ops in proptest::collection::vec(op(), 0..40)) {
            let mut model = init.clone();
            let mut mperms = perms & 7;
            let mut buf = SafeBuffer::new(init, CapPermissions::from_bits_truncate(perms.into()));
            for op in ops {
                match op {
                    Op::Read(o, l) => {
                        let want = if mperms & 1 == 0 { Err(ExtError::PermissionDenied) }
                            else if o + l > model.len() { Err(ExtError::OutOfBounds) }
                            else { Ok(&model[o..o + l]) };
                        prop_assert_eq!(buf.read(o, l), want);
                    }
                    Op::Write(o, d) => {
                        let want = if mperms & 2 == 0 { Err(ExtError::PermissionDenied) }
                            else if o + d.len() > model.len() { Err(ExtError::OutOfBounds) }
                            else { model[o..o + d.len()].copy_from_slice(&d); Ok(()) };
                        prop_assert_eq!(buf.write(o, &d), want);
                    }
                    Op::Restrict(p) => {
                        mperms &= p;
                        buf = buf.restrict(CapPermissions::from_bits_truncate(p.into()));
                    }
                }
                prop_assert_eq!(buf.len(), model.len());
                prop_assert_eq!(buf.permissions().bits(), mperms);
            }
        }
    }

    #[test]
    fn buffers_are_equal_when_permissions_length_and_contents_agree() {
        let rw = CapPermissions::READ | CapPermissions::WRITE;
        let a = SafeBuffer::new(vec![1, 2, 3], rw);
        assert_eq!(a, a.clone());
        assert_eq!(a, SafeBuffer::new(vec![1, 2, 3], rw));
        assert_ne!(a, SafeBuffer::new(vec![1, 2, 4], rw));
        assert_ne!(a, SafeBuffer::new(vec![1, 2, 3], CapPermissions::READ));
        let mut written = a.clone();
        written.write(0, &[1]).unwrap();
        assert_ne!(a, written, "one was written to");
    }
}
