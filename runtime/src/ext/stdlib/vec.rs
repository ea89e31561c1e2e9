//! Vec operations over `Vec<u64>` handles (IDs: [`crate::ext::ids::VEC_RANGE`]).
//!
//! In-band results as the spec says: `vec_pop` on an empty vec returns 0. Indexes past the end
//! (`vec_get`, `vec_set`, `vec_remove`, `vec_insert` beyond `len`) are [`StdlibError::OutOfRange`];
//! the vec is left unchanged.

use super::{Handle, Stdlib, StdlibError};

impl Stdlib {
    /// 100 `vec_new`.
    pub fn vec_new(&self) -> Result<Handle, StdlibError> {
        self.vecs.insert(Vec::new())
    }

    /// 101 `vec_with_cap`: a vec with room for at least `cap` values; a capacity that cannot be
    /// allocated is [`StdlibError::OutOfMemory`], not an abort.
    pub fn vec_with_cap(&self, cap: u64) -> Result<Handle, StdlibError> {
        let mut v = Vec::new();
        let cap = usize::try_from(cap).map_err(|_| StdlibError::OutOfMemory)?;
        v.try_reserve_exact(cap)
            .map_err(|_| StdlibError::OutOfMemory)?;
        self.vecs.insert(v)
    }

    /// Wraps an existing vec in a new handle (used by operations that return vecs).
    pub fn vec_from(&self, v: Vec<u64>) -> Result<Handle, StdlibError> {
        self.vecs.insert(v)
    }

    /// 102 `vec_push`.
    pub fn vec_push(&self, h: Handle, value: u64) -> Result<u64, StdlibError> {
        self.vecs.with(h, |v| {
            v.try_reserve(1).map_err(|_| StdlibError::OutOfMemory)?;
            v.push(value);
            Ok(0)
        })?
    }

    /// 103 `vec_pop`: the last value, or 0 when empty.
    pub fn vec_pop(&self, h: Handle) -> Result<u64, StdlibError> {
        self.vecs.with(h, |v| v.pop().unwrap_or(0))
    }

    /// 104 `vec_get`.
    pub fn vec_get(&self, h: Handle, index: u64) -> Result<u64, StdlibError> {
        self.vecs.with(h, |v| {
            at(index, v.len())
                .map(|i| v[i])
                .ok_or(StdlibError::OutOfRange)
        })?
    }

    /// 105 `vec_set`.
    pub fn vec_set(&self, h: Handle, index: u64, value: u64) -> Result<u64, StdlibError> {
        self.vecs.with(h, |v| {
            let i = at(index, v.len()).ok_or(StdlibError::OutOfRange)?;
            v[i] = value;
            Ok(0)
        })?
    }

    /// 106 `vec_len`.
    pub fn vec_len(&self, h: Handle) -> Result<u64, StdlibError> {
        self.vecs.with(h, |v| v.len() as u64)
    }

    /// 107 `vec_capacity`.
    pub fn vec_capacity(&self, h: Handle) -> Result<u64, StdlibError> {
        self.vecs.with(h, |v| v.capacity() as u64)
    }

    /// 108 `vec_clear`.
    pub fn vec_clear(&self, h: Handle) -> Result<u64, StdlibError> {
        self.vecs.with(h, |v| v.clear()).map(|()| 0)
    }

    /// 109 `vec_free`.
    pub fn vec_free(&self, h: Handle) -> Result<u64, StdlibError> {
        self.vecs.remove(h).map(|_| 0)
    }

    /// 111 `vec_insert`: `index` may equal the length (appends).
    pub fn vec_insert(&self, h: Handle, index: u64, value: u64) -> Result<u64, StdlibError> {
        self.vecs.with(h, |v| {
            let i = at(index, v.len() + 1).ok_or(StdlibError::OutOfRange)?;
            v.try_reserve(1).map_err(|_| StdlibError::OutOfMemory)?;
            v.insert(i, value);
            Ok(0)
        })?
    }

    /// 112 `vec_remove`: the removed value.
    pub fn vec_remove(&self, h: Handle, index: u64) -> Result<u64, StdlibError> {
        self.vecs.with(h, |v| {
            let i = at(index, v.len()).ok_or(StdlibError::OutOfRange)?;
            Ok(v.remove(i))
        })?
    }

    /// A copy of a vec's contents (for tests and tools).
    pub fn vec_contents(&self, h: Handle) -> Result<Vec<u64>, StdlibError> {
        self.vecs.with(h, |v| v.clone())
    }
}

/// `index` as a usize when it is below `len`.
fn at(index: u64, len: usize) -> Option<usize> {
    usize::try_from(index).ok().filter(|&i| i < len)
}
