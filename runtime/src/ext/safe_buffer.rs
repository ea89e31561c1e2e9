//! [`SafeBuffer`]: the only view of memory an extension gets.

use crate::cap::CapPermissions;

use super::ExtError;

/// A bounds- and permission-checked buffer handed to an extension.
///
/// The spec's `SafeBuffer` wraps a raw base pointer. Here it holds a private copy instead: the
/// registry bridge copies a readable argument in before the extension runs and copies the bytes
/// an extension wrote back out only after it returned `Ok` (DESIGN.md §3). That makes it sound
/// for input and output arguments to overlap or to be shared with generated code on other
/// threads (no Rust reference ever points into shared memory), and it makes "a failed decrypt
/// writes nothing" hold by construction: on `Err` nothing is committed.
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SafeBuffer {
    data: Vec<u8>,
    permissions: CapPermissions,
    /// The smallest range covering every write, to commit back.
    dirty: Option<(usize, usize)>,
}

impl SafeBuffer {
    /// A buffer holding `data` with `permissions`.
    pub fn new(data: Vec<u8>, permissions: CapPermissions) -> SafeBuffer {
        SafeBuffer {
            data,
            permissions,
            dirty: None,
        }
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The permissions.
    pub fn permissions(&self) -> CapPermissions {
        self.permissions
    }

    fn check(&self, offset: usize, len: usize, need: CapPermissions) -> Result<usize, ExtError> {
        if !self.permissions.contains(need) {
            return Err(ExtError::PermissionDenied);
        }
        match offset.checked_add(len) {
            Some(end) if end <= self.data.len() => Ok(end),
            _ => Err(ExtError::OutOfBounds),
        }
    }

    /// `len` bytes at `offset`.
    ///
    /// # Errors
    /// [`ExtError::PermissionDenied`] without `READ`, [`ExtError::OutOfBounds`] past the end.
    pub fn read(&self, offset: usize, len: usize) -> Result<&[u8], ExtError> {
        let end = self.check(offset, len, CapPermissions::READ)?;
        Ok(&self.data[offset..end])
    }

    /// The whole buffer (needs `READ`).
    ///
    /// # Errors
    /// [`ExtError::PermissionDenied`] without `READ`.
    pub fn as_slice(&self) -> Result<&[u8], ExtError> {
        self.read(0, self.data.len())
    }

    /// Writes `data` at `offset`.
    ///
    /// # Errors
    /// [`ExtError::PermissionDenied`] without `WRITE`, [`ExtError::OutOfBounds`] past the end;
    /// nothing is written then.
    pub fn write(&mut self, offset: usize, data: &[u8]) -> Result<(), ExtError> {
        self.slice_mut(offset, data.len())?.copy_from_slice(data);
        Ok(())
    }

    /// `len` writable bytes at `offset` (for in-place algorithms). The range counts as written.
    ///
    /// # Errors
    /// As [`SafeBuffer::write`].
    pub fn slice_mut(&mut self, offset: usize, len: usize) -> Result<&mut [u8], ExtError> {
        let end = self.check(offset, len, CapPermissions::WRITE)?;
        if len > 0 {
            self.dirty = Some(match self.dirty {
                Some((lo, hi)) => (lo.min(offset), hi.max(end)),
                None => (offset, end),
            });
        }
        Ok(&mut self.data[offset..end])
    }

    /// A copy with permissions `self ∩ permissions` (restricting can only shrink).
    #[must_use]
    pub fn restrict(&self, permissions: CapPermissions) -> SafeBuffer {
        SafeBuffer {
            data: self.data.clone(),
            permissions: self.permissions.intersection(permissions),
            dirty: None,
        }
    }

    /// The written range and its bytes, if anything was written.
    pub fn written(&self) -> Option<(usize, &[u8])> {
        self.dirty.map(|(lo, hi)| (lo, &self.data[lo..hi]))
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
}
