//! The standard-library extensions (IDs: [`ids::STDLIB`]): Vec, HashMap,
//! String and JSON values that Neurlang code holds through `u64` handles.
//!
//! Where the spec keeps every value in a global `RwLock<HashMap>` keyed by a counter, this
//! module uses one [`HandleTable`] per type: generational handles (never 0, never reused while
//! a stale copy could name them), typed (a vec handle given to a hashmap operation is
//! `InvalidHandle`), and a lock per value, so threads on different handles do not contend.
//!
//! Every operation is a plain method of [`Stdlib`] (`vec_push`, `json_parse`, …); [`ops::OPS`]
//! binds them to the spec's IDs, names and argument counts, and [`register_all`] (called by
//! [`ExtensionRegistry::with_builtins`](super::ExtensionRegistry::with_builtins)) registers them.
//! Each module documents its decisions where the spec is silent: [`vec`](self) out-of-range
//! indexes, strings (invalid UTF-8 is rejected, byte offsets, parse failures), JSON (type
//! mismatches, at most 127 nested levels when parsing, push/set **move** their value).
//!
//! ## Ownership of returned handles
//!
//! Every handle an operation returns is **new and owned by the caller**, who frees it with the
//! type's `*_free`: `hashmap_keys`/`hashmap_values` (a vec), `string_split` (a vec *and* each
//! string in it), `string_to_bytes` (a vec), `json_get`/`json_array_get` (a copy of the member;
//! 0 when missing), `json_object_keys` (a vec and each string), `json_stringify` (a string).
//! [`Stdlib::live`] counts live handles per type, so leaks are observable.
//!
//! ## Errors
//!
//! A freed, forged or wrong-type handle is [`ExtError::InvalidHandle`](super::ExtError::InvalidHandle); a bad capability token
//! for `string_from_bytes` is `InvalidCapability` / `PermissionDenied` / `OutOfBounds`; every
//! other failure is `InvalidArgument` with a fixed message (see [`StdlibError`]). The spec's
//! in-band results (0 for missing, `u64::MAX` = -1 for not found) are results, not errors.

mod error;
mod hashmap;
mod json;
pub mod ops;
mod string;
mod tree;
mod vec;

pub use crate::handle::{Handle, HandleTable, Tag};
pub use error::StdlibError;
pub use ops::{OPS, Op};
pub use tree::{Json, code as json_type};

use super::{ExtCategory, ExtId, ExtensionRegistry, ids};
use std::collections::HashMap;
use std::sync::Arc;

/// Registers every stdlib extension ([`OPS`]) with fresh handle tables.
///
/// # Panics
/// If one of the stdlib's IDs or names is already registered (a programming error: the
/// registry reserves [`ids::STDLIB_RANGE`] for the stdlib).
pub fn register_all(registry: &mut ExtensionRegistry) {
    register_into(registry, Arc::new(Stdlib::new()));
}

/// Registers every stdlib extension over `lib`, so the caller can watch [`Stdlib::live`].
///
/// # Panics
/// As [`register_all`].
pub fn register_into(registry: &mut ExtensionRegistry, lib: Arc<Stdlib>) {
    for (op, bind) in OPS.iter().zip(ops::BINDERS) {
        registry
            .register_with_id(
                op.id,
                op.name,
                op.description,
                op.argc,
                true,
                category(op.id),
                bind(&lib),
            )
            .unwrap_or_else(|e| panic!("registering stdlib extension {}: {e}", op.name));
    }
}

fn category(id: ExtId) -> ExtCategory {
    match id.get() {
        n if ids::VEC_RANGE.contains(&n) => ExtCategory::Vec,
        n if ids::HASHMAP_RANGE.contains(&n) => ExtCategory::HashMap,
        n if ids::STRING_RANGE.contains(&n) => ExtCategory::String,
        _ => ExtCategory::Json,
    }
}

/// The stdlib's state: one handle table per type.
#[derive(Debug)]
pub struct Stdlib {
    vecs: HandleTable<Vec<u64>, StdlibError>,
    maps: HandleTable<HashMap<u64, u64>, StdlibError>,
    strings: HandleTable<String, StdlibError>,
    jsons: HandleTable<Json, StdlibError>,
}

/// How many handles of each type are live: leaks are observable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiveHandles {
    /// Live vec handles.
    pub vecs: usize,
    /// Live hashmap handles.
    pub maps: usize,
    /// Live string handles.
    pub strings: usize,
    /// Live JSON handles.
    pub jsons: usize,
}

impl LiveHandles {
    /// The total over all types.
    pub fn total(&self) -> usize {
        self.vecs + self.maps + self.strings + self.jsons
    }
}

impl Default for Stdlib {
    fn default() -> Self {
        Stdlib::new()
    }
}

impl Stdlib {
    /// Empty tables.
    pub fn new() -> Stdlib {
        Stdlib {
            vecs: HandleTable::new(Tag::Vec),
            maps: HandleTable::new(Tag::HashMap),
            strings: HandleTable::new(Tag::String),
            jsons: HandleTable::new(Tag::Json),
        }
    }

    /// The live-handle count of each type.
    pub fn live(&self) -> LiveHandles {
        LiveHandles {
            vecs: self.vecs.live(),
            maps: self.maps.live(),
            strings: self.strings.live(),
            jsons: self.jsons.live(),
        }
    }
}

#[cfg(test)]
mod tests;
