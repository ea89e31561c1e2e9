//! The ABI table: every stdlib extension's spec ID, name, argument count and `u64` entry point.
//!
//! Registration walks [`OPS`]; nothing else knows the numbers (the rest of the crate names them
//! through [`crate::ext::ids`], generated from the same rows). Handles cross the ABI as their raw
//! `u64`; operations that return a handle return its raw value.

use super::{Handle, Stdlib, StdlibError};
use crate::ext::{ExtError, ExtFn, ExtId};
use std::sync::Arc;

/// An entry point: the stdlib state and the call's arguments (exactly `argc` of them).
pub type OpFn = fn(&Stdlib, &[u64]) -> Result<u64, StdlibError>;

/// One stdlib extension as the spec lists it.
#[derive(Debug, Clone, Copy)]
pub struct Op {
    /// The spec's extension ID.
    pub id: ExtId,
    /// The spec's name.
    pub name: &'static str,
    /// One-line description.
    pub description: &'static str,
    /// Number of arguments.
    pub argc: usize,
    /// The entry point.
    pub call: OpFn,
}

fn h(raw: u64) -> Handle {
    Handle::from_raw(raw)
}

/// Writes [`OPS`], its binders and its ID constants ([`ids`], which [`crate::ext::ids`]
/// re-exports) from one row per operation: `ID CONSTANT name argc "description" => body`.
macro_rules! ops {
    ($( $id:literal $konst:ident $name:ident $argc:literal $desc:literal => |$lib:ident, $a:ident| $body:expr ;)*) => {
        /// The stdlib half of [`crate::ext::ids`].
        pub(in crate::ext) mod ids {
            crate::ext::ids::constants! {
                /// Every stdlib extension, in the order of [`OPS`](super::OPS) (ascending IDs).
                STDLIB: $($id $konst $name $desc)*
            }
        }

        /// The entry points, one function each, so that a registered closure calls (and
        /// inlines) its operation directly instead of through [`Op::call`].
        mod entry {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[allow(unused_variables)]
                #[inline]
                pub(super) fn $name($lib: &Stdlib, $a: &[u64]) -> Result<u64, StdlibError> { $body }
            )*
        }

        /// Every stdlib extension, by ID.
        pub static OPS: &[Op] = &[$(
            Op {
                id: ids::$konst,
                name: stringify!($name),
                description: $desc,
                argc: $argc,
                call: entry::$name,
            },
        )*];

        /// For each entry of [`OPS`], in order: its registry closure over a `Stdlib`.
        pub(super) static BINDERS: &[fn(&Arc<Stdlib>) -> ExtFn] = &[$(|lib| bind(lib, entry::$name),)*];
    };
}

/// The registry closure calling `f` on `lib`: `f` is a function item, so the call is direct.
fn bind<F>(lib: &Arc<Stdlib>, f: F) -> ExtFn
where
    F: Fn(&Stdlib, &[u64]) -> Result<u64, StdlibError> + Send + Sync + 'static,
{
    let lib = Arc::clone(lib);
    Arc::new(move |args, _outputs| f(&lib, args).map_err(ExtError::from))
}

ops! {
    100 VEC_NEW vec_new 0 "new empty vec" => |l, a| l.vec_new().map(Handle::raw);
    101 VEC_WITH_CAP vec_with_cap 1 "new vec with capacity" => |l, a| l.vec_with_cap(a[0]).map(Handle::raw);
    102 VEC_PUSH vec_push 2 "append a value" => |l, a| l.vec_push(h(a[0]), a[1]);
    103 VEC_POP vec_pop 1 "remove the last value (0 when empty)" => |l, a| l.vec_pop(h(a[0]));
    104 VEC_GET vec_get 2 "value at index" => |l, a| l.vec_get(h(a[0]), a[1]);
    105 VEC_SET vec_set 3 "set value at index" => |l, a| l.vec_set(h(a[0]), a[1], a[2]);
    106 VEC_LEN vec_len 1 "length" => |l, a| l.vec_len(h(a[0]));
    107 VEC_CAPACITY vec_capacity 1 "capacity" => |l, a| l.vec_capacity(h(a[0]));
    108 VEC_CLEAR vec_clear 1 "remove every value" => |l, a| l.vec_clear(h(a[0]));
    109 VEC_FREE vec_free 1 "free the vec" => |l, a| l.vec_free(h(a[0]));
    111 VEC_INSERT vec_insert 3 "insert at index" => |l, a| l.vec_insert(h(a[0]), a[1], a[2]);
    112 VEC_REMOVE vec_remove 2 "remove at index" => |l, a| l.vec_remove(h(a[0]), a[1]);

    120 HASHMAP_NEW hashmap_new 0 "new empty map" => |l, a| l.hashmap_new().map(Handle::raw);
    121 HASHMAP_INSERT hashmap_insert 3 "insert (old value or 0)" => |l, a| l.hashmap_insert(h(a[0]), a[1], a[2]);
    122 HASHMAP_GET hashmap_get 2 "value or 0" => |l, a| l.hashmap_get(h(a[0]), a[1]);
    123 HASHMAP_REMOVE hashmap_remove 2 "removed value or 0" => |l, a| l.hashmap_remove(h(a[0]), a[1]);
    124 HASHMAP_CONTAINS hashmap_contains 2 "1 if the key is present" => |l, a| l.hashmap_contains(h(a[0]), a[1]);
    125 HASHMAP_LEN hashmap_len 1 "number of entries" => |l, a| l.hashmap_len(h(a[0]));
    126 HASHMAP_CLEAR hashmap_clear 1 "remove every entry" => |l, a| l.hashmap_clear(h(a[0]));
    127 HASHMAP_FREE hashmap_free 1 "free the map" => |l, a| l.hashmap_free(h(a[0]));
    128 HASHMAP_KEYS hashmap_keys 1 "new vec of keys, ascending" => |l, a| l.hashmap_keys(h(a[0])).map(Handle::raw);
    129 HASHMAP_VALUES hashmap_values 1 "new vec of values, by ascending key" => |l, a| l.hashmap_values(h(a[0])).map(Handle::raw);

    140 STRING_NEW string_new 0 "new empty string" => |l, a| l.string_new().map(Handle::raw);
    141 STRING_FROM_BYTES string_from_bytes 2 "new string from UTF-8 bytes (capability, len)" => |l, a| l.string_from_capability(a[0], a[1]).map(Handle::raw);
    142 STRING_LEN string_len 1 "length in bytes" => |l, a| l.string_len(h(a[0]));
    143 STRING_CONCAT string_concat 2 "new concatenated string" => |l, a| l.string_concat(h(a[0]), h(a[1])).map(Handle::raw);
    144 STRING_SUBSTR string_substr 3 "new substring (byte start, byte len)" => |l, a| l.string_substr(h(a[0]), a[1], a[2]).map(Handle::raw);
    145 STRING_FIND string_find 2 "byte offset or -1" => |l, a| l.string_find(h(a[0]), h(a[1]));
    146 STRING_REPLACE string_replace 3 "new string, every occurrence replaced" => |l, a| l.string_replace(h(a[0]), h(a[1]), h(a[2])).map(Handle::raw);
    147 STRING_SPLIT string_split 2 "new vec of new strings" => |l, a| l.string_split(h(a[0]), h(a[1])).map(Handle::raw);
    148 STRING_TRIM string_trim 1 "new trimmed string" => |l, a| l.string_trim(h(a[0])).map(Handle::raw);
    149 STRING_TO_UPPER string_to_upper 1 "new upper-case string" => |l, a| l.string_to_upper(h(a[0])).map(Handle::raw);
    150 STRING_TO_LOWER string_to_lower 1 "new lower-case string" => |l, a| l.string_to_lower(h(a[0])).map(Handle::raw);
    151 STRING_STARTS_WITH string_starts_with 2 "1 if prefix" => |l, a| l.string_starts_with(h(a[0]), h(a[1]));
    152 STRING_ENDS_WITH string_ends_with 2 "1 if suffix" => |l, a| l.string_ends_with(h(a[0]), h(a[1]));
    153 STRING_TO_BYTES string_to_bytes 1 "new vec of bytes" => |l, a| l.string_to_bytes(h(a[0])).map(Handle::raw);
    154 STRING_FREE string_free 1 "free the string" => |l, a| l.string_free(h(a[0]));
    155 STRING_PARSE_INT string_parse_int 1 "i64 value" => |l, a| l.string_parse_int(h(a[0]));
    156 STRING_PARSE_FLOAT string_parse_float 1 "f64 bits" => |l, a| l.string_parse_float(h(a[0]));
    157 STRING_FROM_INT string_from_int 1 "new decimal string of an i64" => |l, a| l.string_from_int(a[0]).map(Handle::raw);
    158 STRING_FROM_FLOAT string_from_float 1 "new string of f64 bits" => |l, a| l.string_from_float(a[0]).map(Handle::raw);

    170 JSON_PARSE json_parse 1 "new JSON value from a string" => |l, a| l.json_parse(h(a[0])).map(Handle::raw);
    171 JSON_STRINGIFY json_stringify 1 "new compact JSON string" => |l, a| l.json_stringify(h(a[0])).map(Handle::raw);
    172 JSON_GET json_get 2 "new copy of a member, or 0" => |l, a| l.json_get(h(a[0]), h(a[1]));
    173 JSON_SET json_set 3 "set a member (moves the value)" => |l, a| l.json_set(h(a[0]), h(a[1]), h(a[2]));
    174 JSON_GET_TYPE json_get_type 1 "type code 0-5" => |l, a| l.json_get_type(h(a[0]));
    175 JSON_ARRAY_LEN json_array_len 1 "array length" => |l, a| l.json_array_len(h(a[0]));
    176 JSON_ARRAY_GET json_array_get 2 "new copy of an element, or 0" => |l, a| l.json_array_get(h(a[0]), a[1]);
    177 JSON_ARRAY_PUSH json_array_push 2 "append (moves the value)" => |l, a| l.json_array_push(h(a[0]), h(a[1]));
    178 JSON_OBJECT_KEYS json_object_keys 1 "new vec of new key strings" => |l, a| l.json_object_keys(h(a[0])).map(Handle::raw);
    179 JSON_FREE json_free 1 "free the value" => |l, a| l.json_free(h(a[0]));
    180 JSON_NEW_OBJECT json_new_object 0 "new empty object" => |l, a| l.json_new_object().map(Handle::raw);
    181 JSON_NEW_ARRAY json_new_array 0 "new empty array" => |l, a| l.json_new_array().map(Handle::raw);
}

/// The op with this ID.
pub fn by_id(id: ExtId) -> Option<&'static Op> {
    OPS.iter().find(|op| op.id == id)
}

/// The op with this name.
pub fn by_name(name: &str) -> Option<&'static Op> {
    OPS.iter().find(|op| op.name == name)
}
