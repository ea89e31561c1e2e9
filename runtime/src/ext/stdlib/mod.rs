//! The standard-library extensions (IDs 100–181): Vec, HashMap, String and JSON values that
//! Neurlang code holds through `u64` handles.
//!
//! Where the spec keeps every value in a global `RwLock<HashMap>` keyed by a counter, this
//! module uses one [`HandleTable`] per type: generational handles (never 0, never reused while
//! a stale copy could name them), typed (a vec handle given to a hashmap operation is
//! `InvalidHandle`), and a lock per value, so threads on different handles do not contend.
//!
//! Every operation is a plain method of [`Stdlib`] (`vec_push`, `json_parse`, …); the
//! registration code binds them to the spec's IDs. Each module documents its decisions where
//! the spec is silent (out-of-range indexes, invalid UTF-8, JSON type mismatches, ownership of
//! returned handles).

mod error;
mod handle;
mod hashmap;
mod json;
pub mod ops;
mod string;
mod tree;
mod vec;

pub use error::StdlibError;
pub use handle::{Handle, HandleTable, Tag};
pub use tree::{Json, code as json_type};

use std::collections::HashMap;

/// The stdlib's state: one handle table per type.
#[derive(Debug)]
pub struct Stdlib {
    vecs: HandleTable<Vec<u64>>,
    maps: HandleTable<HashMap<u64, u64>>,
    strings: HandleTable<String>,
    jsons: HandleTable<Json>,
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
