//! HashMap operations over `HashMap<u64, u64>` handles (IDs: [`crate::ext::ids::HASHMAP_RANGE`]).
//!
//! In-band results as the spec says: `hashmap_insert` returns the old value or 0,
//! `hashmap_get`/`hashmap_remove` return 0 for a missing key (use `hashmap_contains` to tell a
//! stored 0 from a missing key). `hashmap_keys` and `hashmap_values` return a **new vec handle
//! owned by the caller** (free it with `vec_free`), in ascending key order, so the two line up
//! and results are deterministic.

use super::{Handle, Stdlib, StdlibError};
use std::collections::HashMap;

impl Stdlib {
    /// 120 `hashmap_new`.
    pub fn hashmap_new(&self) -> Result<Handle, StdlibError> {
        self.maps.insert(HashMap::new())
    }

    /// 121 `hashmap_insert`: the previous value, or 0.
    pub fn hashmap_insert(&self, h: Handle, key: u64, value: u64) -> Result<u64, StdlibError> {
        self.maps.with(h, |m| {
            m.try_reserve(1).map_err(|_| StdlibError::OutOfMemory)?;
            Ok(m.insert(key, value).unwrap_or(0))
        })?
    }

    /// 122 `hashmap_get`: the value, or 0 when missing.
    pub fn hashmap_get(&self, h: Handle, key: u64) -> Result<u64, StdlibError> {
        self.maps.with(h, |m| m.get(&key).copied().unwrap_or(0))
    }

    /// 123 `hashmap_remove`: the removed value, or 0 when missing.
    pub fn hashmap_remove(&self, h: Handle, key: u64) -> Result<u64, StdlibError> {
        self.maps.with(h, |m| m.remove(&key).unwrap_or(0))
    }

    /// 124 `hashmap_contains`: 1 or 0.
    pub fn hashmap_contains(&self, h: Handle, key: u64) -> Result<u64, StdlibError> {
        self.maps.with(h, |m| u64::from(m.contains_key(&key)))
    }

    /// 125 `hashmap_len`.
    pub fn hashmap_len(&self, h: Handle) -> Result<u64, StdlibError> {
        self.maps.with(h, |m| m.len() as u64)
    }

    /// 126 `hashmap_clear`.
    pub fn hashmap_clear(&self, h: Handle) -> Result<u64, StdlibError> {
        self.maps.with(h, |m| m.clear()).map(|()| 0)
    }

    /// 127 `hashmap_free`.
    pub fn hashmap_free(&self, h: Handle) -> Result<u64, StdlibError> {
        self.maps.remove(h).map(|_| 0)
    }

    /// 128 `hashmap_keys`: a new vec handle (caller frees) of the keys, ascending.
    pub fn hashmap_keys(&self, h: Handle) -> Result<Handle, StdlibError> {
        let pairs = self.sorted_pairs(h)?;
        self.vec_from(pairs.into_iter().map(|(k, _)| k).collect())
    }

    /// 129 `hashmap_values`: a new vec handle (caller frees) of the values, in ascending key order.
    pub fn hashmap_values(&self, h: Handle) -> Result<Handle, StdlibError> {
        let pairs = self.sorted_pairs(h)?;
        self.vec_from(pairs.into_iter().map(|(_, v)| v).collect())
    }

    fn sorted_pairs(&self, h: Handle) -> Result<Vec<(u64, u64)>, StdlibError> {
        let mut pairs = self
            .maps
            .with(h, |m| m.iter().map(|(&k, &v)| (k, v)).collect::<Vec<_>>())?;
        pairs.sort_unstable();
        Ok(pairs)
    }
}
