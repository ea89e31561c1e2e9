//! JSON operations over `serde_json::Value` handles (IDs: [`crate::ext::ids::JSON_RANGE`]).
//!
//! Decisions where the spec is silent, each tested in `ext/stdlib/tests.rs` (`json_decisions`,
//! `json_parse_takes_127_nested_levels_and_refuses_128`, `a_value_100_000_deep_builds_stringifies_and_frees`,
//! and the model test `json_agrees_with_a_model`):
//!
//! - `json_parse` takes a string handle and accepts exactly what `serde_json` accepts (RFC 8259,
//!   no trailing commas or comments), with serde_json's recursion limit: at most **127** nested
//!   arrays/objects parse, deeper input is [`StdlibError::InvalidJson`]. Deeper values can still be *built* through `json_array_push` /
//!   `json_set`; every operation on them (free, stringify, get) is stack-safe (see [`super::tree`]).
//! - `json_stringify` returns a new string handle with the compact serialization; object keys
//!   come out in ascending order (serde_json's default map is ordered by key).
//! - **Ownership.** `json_get`, `json_array_get` return a **new handle to a copy** of the member,
//!   owned by the caller (free it with `json_free`); changing it does not change the parent.
//!   A missing key or an index past the end returns **0** (no handle).
//!   `json_object_keys` returns a new vec handle of new string handles, all owned by the caller.
//! - **Moves.** `json_array_push(json, value)` and `json_set(json, key, value)` **move** the value:
//!   on success the `value` handle is freed (using it again is `InvalidHandle`), which is what
//!   makes building deep values linear. Pushing or setting a value into itself is
//!   [`StdlibError::InvalidArgument`]. The key of `json_set` is a string handle and is only read.
//!   `json_set` on an existing key replaces (and frees) the old member. Checks run in this
//!   order: the same handle twice, the key, the target (handle, then JSON type), the value.
//! - **Wrong JSON type**: `json_get`, `json_set`, `json_object_keys` on a non-object, and
//!   `json_array_len`, `json_array_get`, `json_array_push` on a non-array, are
//!   [`StdlibError::WrongJsonType`], and change nothing.

use super::tree::{Json, RECURSIVE_DROP_DEPTH, clone_deep, stringify, type_code};
use super::{Handle, Stdlib, StdlibError};
use serde_json::{Map, Value};

impl Stdlib {
    /// 170 `json_parse`: parses a string handle's text.
    pub fn json_parse(&self, s: Handle) -> Result<Handle, StdlibError> {
        // Inserted while the string is still locked, so the parsed value goes straight into its
        // slot rather than through a nest of `Result`s on the stack (whose partial stores the
        // processor could not forward to the slot's wider loads; it shows in `cargo bench -p
        // neurlang-benches --bench stdlib`, `stdlib_json_parse`).
        self.strings
            .with(s, |s| match serde_json::from_str::<Value>(s) {
                // The parser nests at most 127 arrays/objects: no need to measure the value.
                Ok(v) => self.jsons.insert(Json::at_most(v, RECURSIVE_DROP_DEPTH)),
                Err(_) => Err(StdlibError::InvalidJson),
            })?
    }

    /// Wraps a value (of any depth) in a new handle.
    pub fn json_from(&self, v: Value) -> Result<Handle, StdlibError> {
        self.jsons.insert(Json::new(v))
    }

    /// 171 `json_stringify`: a new string handle.
    pub fn json_stringify(&self, h: Handle) -> Result<Handle, StdlibError> {
        let s = self.jsons.with(h, |j| stringify(j.value()))?;
        self.strings.insert(s)
    }

    /// 172 `json_get`: a new handle to a copy of member `key`, or 0 when missing.
    pub fn json_get(&self, h: Handle, key: Handle) -> Result<u64, StdlibError> {
        let key = self.string_contents(key)?;
        let member = self.jsons.with(h, |j| match j.value() {
            Value::Object(m) => Ok(m.get(&key).map(|c| part_of(j, c))),
            _ => Err(StdlibError::WrongJsonType),
        })??;
        self.json_handle_or_zero(member)
    }

    fn json_handle_or_zero(&self, v: Option<Json>) -> Result<u64, StdlibError> {
        match v {
            Some(v) => Ok(self.jsons.insert(v)?.raw()),
            None => Ok(0),
        }
    }

    /// 173 `json_set`: sets member `key` of an object to `value`, moving `value`.
    pub fn json_set(&self, h: Handle, key: Handle, value: Handle) -> Result<u64, StdlibError> {
        if h == value {
            return Err(StdlibError::InvalidArgument);
        }
        let key = self.string_contents(key)?;
        self.expect_type(h, |v| v.is_object())?;
        self.jsons.with(value, |_| ())?;
        let mut value = self.jsons.remove(value)?;
        // If `h` was freed by another thread meanwhile, `value` is dropped with the error.
        self.jsons.with(h, move |j| {
            let depth = j.depth_bound();
            let Value::Object(m) = j.value_mut() else {
                return Err(StdlibError::WrongJsonType);
            };
            if let Some(old) = m.insert(key, value.take()) {
                drop(Json::at_most(old, depth));
            }
            j.deepened_by(value.depth_bound());
            Ok(0)
        })?
    }

    fn expect_type(&self, h: Handle, ok: impl FnOnce(&Value) -> bool) -> Result<(), StdlibError> {
        if self.jsons.with(h, |j| ok(j.value()))? {
            Ok(())
        } else {
            Err(StdlibError::WrongJsonType)
        }
    }

    /// 174 `json_get_type`: NULL=0, BOOL=1, NUMBER=2, STRING=3, ARRAY=4, OBJECT=5.
    pub fn json_get_type(&self, h: Handle) -> Result<u64, StdlibError> {
        self.jsons.with(h, |j| type_code(j.value()))
    }

    /// 175 `json_array_len`.
    pub fn json_array_len(&self, h: Handle) -> Result<u64, StdlibError> {
        self.jsons.with(h, |j| match j.value() {
            Value::Array(a) => Ok(a.len() as u64),
            _ => Err(StdlibError::WrongJsonType),
        })?
    }

    /// 176 `json_array_get`: a new handle to a copy of element `index`, or 0 past the end.
    pub fn json_array_get(&self, h: Handle, index: u64) -> Result<u64, StdlibError> {
        let elem = self.jsons.with(h, |j| match j.value() {
            Value::Array(a) => Ok(usize::try_from(index)
                .ok()
                .and_then(|i| a.get(i))
                .map(|c| part_of(j, c))),
            _ => Err(StdlibError::WrongJsonType),
        })??;
        self.json_handle_or_zero(elem)
    }

    /// 177 `json_array_push`: appends `value` to an array, moving `value`.
    pub fn json_array_push(&self, h: Handle, value: Handle) -> Result<u64, StdlibError> {
        if h == value {
            return Err(StdlibError::InvalidArgument);
        }
        self.expect_type(h, |v| v.is_array())?;
        self.jsons.with(value, |_| ())?;
        let mut value = self.jsons.remove(value)?;
        self.jsons.with(h, move |j| {
            let Value::Array(a) = j.value_mut() else {
                return Err(StdlibError::WrongJsonType);
            };
            a.try_reserve(1).map_err(|_| StdlibError::OutOfMemory)?;
            a.push(value.take());
            j.deepened_by(value.depth_bound());
            Ok(0)
        })?
    }

    /// 178 `json_object_keys`: a new vec of new string handles (caller frees all), ascending.
    pub fn json_object_keys(&self, h: Handle) -> Result<Handle, StdlibError> {
        let keys = self.jsons.with(h, |j| match j.value() {
            Value::Object(m) => Ok(m.keys().cloned().collect::<Vec<_>>()),
            _ => Err(StdlibError::WrongJsonType),
        })??;
        self.strings_into_vec(keys)
    }

    /// 179 `json_free`.
    pub fn json_free(&self, h: Handle) -> Result<u64, StdlibError> {
        self.jsons.remove(h).map(|_| 0)
    }

    /// 180 `json_new_object`.
    pub fn json_new_object(&self) -> Result<Handle, StdlibError> {
        self.jsons
            .insert(Json::at_most(Value::Object(Map::new()), 1))
    }

    /// 181 `json_new_array`.
    pub fn json_new_array(&self) -> Result<Handle, StdlibError> {
        self.jsons
            .insert(Json::at_most(Value::Array(Vec::new()), 1))
    }

    /// A copy of a JSON value (stack-safe).
    pub fn json_contents(&self, h: Handle) -> Result<Value, StdlibError> {
        self.jsons.with(h, |j| clone_deep(j.value()))
    }
}

/// A copy of `member`, a part of `j`: no deeper than `j`.
fn part_of(j: &Json, member: &Value) -> Json {
    Json::at_most(clone_deep(member), j.depth_bound())
}
