//! Stack-safe operations on JSON trees of any depth.
//!
//! `serde_json::Value`'s own `Drop`, `Clone`, `Display` and serializer recurse once per level:
//! a value nested 100 000 deep (which `json_array_push` can build one level at a time) overflows
//! the stack in each of them. Everything here uses an explicit worklist on the heap instead, and
//! [`Json`] is the owner that stores such values: it knows a bound on its value's depth, leaves
//! shallow values to `serde_json`'s drop and takes deeper ones apart with `drop_deep`.
//! Checked by `a_value_100_000_deep_clones_stringifies_and_drops` (here) and
//! `a_value_100_000_deep_builds_stringifies_and_frees` (`ext/stdlib/tests.rs`).

use serde_json::{Map, Value};

/// A JSON value that drops without deep recursion, whatever its depth.
///
/// It carries an upper bound on its nesting depth (containers on the longest path from the root),
/// kept by the only operations that deepen a value (`Json::deepened_by` after a push or set),
/// so that dropping a shallow value, the common case, is `serde_json`'s own drop: no walk over
/// the tree and no worklist. Deeper values go through `drop_deep`.
pub struct Json {
    value: Value,
    depth: usize,
}

/// Values at most this deep are dropped by `serde_json`'s recursive drop: the parser's own
/// recursion limit, so a dropping thread recurses no deeper than parsing the value did.
pub const RECURSIVE_DROP_DEPTH: usize = 128;

impl Json {
    /// Wraps a value of any depth (measured once, reading at most `RECURSIVE_DROP_DEPTH`
    /// levels).
    pub fn new(value: Value) -> Json {
        let depth = if nested_deeper_than(&value, RECURSIVE_DROP_DEPTH - 1) {
            usize::MAX
        } else {
            RECURSIVE_DROP_DEPTH
        };
        Json { value, depth }
    }

    /// Wraps a value known to be nested at most `depth` deep (as parsed, or a part of a value
    /// with that bound).
    pub(super) fn at_most(value: Value, depth: usize) -> Json {
        Json { value, depth }
    }

    /// The value.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// An upper bound on the value's nesting depth.
    pub fn depth_bound(&self) -> usize {
        self.depth
    }

    /// The value, for a change that puts no value of unknown depth into it (see
    /// `Json::deepened_by`).
    pub(super) fn value_mut(&mut self) -> &mut Value {
        &mut self.value
    }

    /// Records that a value with depth bound `child` was put into this one.
    pub(super) fn deepened_by(&mut self, child: usize) {
        self.depth = self.depth.max(child.saturating_add(1));
    }

    /// Moves the value out, leaving `null`: the caller puts it into a value that it then marks
    /// with `Json::deepened_by` this one's bound.
    pub(super) fn take(&mut self) -> Value {
        std::mem::take(&mut self.value)
    }
}

impl Drop for Json {
    fn drop(&mut self) {
        if self.depth > RECURSIVE_DROP_DEPTH {
            drop_deep(std::mem::take(&mut self.value));
        }
    }
}

/// Whether `v` has containers nested more than `limit` levels below it (recursion at most
/// `limit` deep).
fn nested_deeper_than(v: &Value, limit: usize) -> bool {
    let deeper = |c: &Value| is_container(c) && (limit == 0 || nested_deeper_than(c, limit - 1));
    match v {
        Value::Array(a) => a.iter().any(deeper),
        Value::Object(m) => m.values().any(deeper),
        _ => false,
    }
}

impl std::fmt::Debug for Json {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Json(type {})", type_code(&self.value))
    }
}

/// The spec's JSON type codes.
pub mod code {
    /// `null`.
    pub const NULL: u64 = 0;
    /// `true` / `false`.
    pub const BOOL: u64 = 1;
    /// Any number.
    pub const NUMBER: u64 = 2;
    /// A string.
    pub const STRING: u64 = 3;
    /// An array.
    pub const ARRAY: u64 = 4;
    /// An object.
    pub const OBJECT: u64 = 5;
}

/// The spec's type code of a value (NULL=0 … OBJECT=5).
pub fn type_code(v: &Value) -> u64 {
    match v {
        Value::Null => code::NULL,
        Value::Bool(_) => code::BOOL,
        Value::Number(_) => code::NUMBER,
        Value::String(_) => code::STRING,
        Value::Array(_) => code::ARRAY,
        Value::Object(_) => code::OBJECT,
    }
}

/// Drops a value of any depth, children first, on a heap worklist.
pub fn drop_deep(v: Value) {
    let mut work = vec![v];
    while let Some(mut v) = work.pop() {
        match &mut v {
            Value::Array(a) => work.extend(a.drain(..).filter(is_container)),
            Value::Object(m) => work.extend(
                std::mem::take(m)
                    .into_iter()
                    .map(|(_, c)| c)
                    .filter(is_container),
            ),
            _ => {}
        }
    }
}

fn is_container(v: &Value) -> bool {
    matches!(v, Value::Array(_) | Value::Object(_))
}

enum Frame<'a> {
    Array(std::slice::Iter<'a, Value>, Vec<Value>),
    Object(
        serde_json::map::Iter<'a>,
        Map<String, Value>,
        Option<String>,
    ),
}

/// Clones a value of any depth.
pub fn clone_deep(v: &Value) -> Value {
    let mut stack: Vec<Frame<'_>> = Vec::new();
    let mut next = Some(v);
    loop {
        let mut done = match next.take() {
            Some(Value::Array(a)) => {
                stack.push(Frame::Array(a.iter(), Vec::with_capacity(a.len())));
                None
            }
            Some(Value::Object(m)) => {
                stack.push(Frame::Object(m.iter(), Map::new(), None));
                None
            }
            Some(leaf) => Some(leaf.clone()),
            None => None,
        };
        // Hand the finished value to its parent and find the next child to descend into.
        while next.is_none() {
            let Some(top) = stack.last_mut() else {
                return done.unwrap_or(Value::Null);
            };
            match top {
                Frame::Array(iter, out) => {
                    out.extend(done.take());
                    next = iter.next();
                }
                Frame::Object(iter, out, key) => {
                    if let (Some(k), Some(d)) = (key.take(), done.take()) {
                        out.insert(k, d);
                    }
                    if let Some((k, c)) = iter.next() {
                        *key = Some(k.clone());
                        next = Some(c);
                    }
                }
            }
            if next.is_none() {
                done = Some(match stack.pop() {
                    Some(Frame::Array(_, out)) => Value::Array(out),
                    Some(Frame::Object(_, out, _)) => Value::Object(out),
                    None => unreachable!("the loop checked the stack is not empty"),
                });
            }
        }
    }
}

enum Item<'a> {
    Value(&'a Value),
    Text(&'static [u8]),
    Key(&'a str),
}

/// Serializes a value of any depth compactly, byte for byte as `serde_json::to_string` does.
pub fn stringify(v: &Value) -> String {
    let mut out: Vec<u8> = Vec::new();
    let mut work = vec![Item::Value(v)];
    while let Some(item) = work.pop() {
        match item {
            Item::Text(t) => out.extend_from_slice(t),
            Item::Key(k) => {
                serde_json::to_writer(&mut out, k).expect("writing into memory cannot fail");
                out.push(b':');
            }
            Item::Value(Value::Array(a)) => {
                out.push(b'[');
                work.push(Item::Text(b"]"));
                for (i, c) in a.iter().enumerate().rev() {
                    work.push(Item::Value(c));
                    if i > 0 {
                        work.push(Item::Text(b","));
                    }
                }
            }
            Item::Value(Value::Object(m)) => {
                out.push(b'{');
                work.push(Item::Text(b"}"));
                let n = m.len();
                for (i, (k, c)) in m.iter().rev().enumerate() {
                    work.push(Item::Value(c));
                    work.push(Item::Key(k));
                    if i + 1 < n {
                        work.push(Item::Text(b","));
                    }
                }
            }
            Item::Value(leaf) => {
                serde_json::to_writer(&mut out, leaf).expect("writing into memory cannot fail");
            }
        }
    }
    String::from_utf8(out).expect("serde_json writes UTF-8 and the punctuation is ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deep(n: usize) -> Value {
        let mut v = Value::Array(Vec::new());
        for _ in 0..n {
            v = Value::Array(vec![v]);
        }
        v
    }

    #[test]
    fn stringify_matches_serde_json() {
        let v =
            json!({"a": [1, 2.5, -3, "x\"y\u{1}", null, true], "b": {}, "": [[], {}], "é": 1e300});
        assert_eq!(stringify(&v), serde_json::to_string(&v).unwrap());
    }

    #[test]
    fn clone_matches_serde_json() {
        let v = json!({"a": [1, {"b": [null, [false]]}], "c": "d"});
        assert_eq!(clone_deep(&v), v);
        assert_eq!(clone_deep(&json!(3)), json!(3));
    }

    #[test]
    fn a_value_100_000_deep_clones_stringifies_and_drops() {
        let v = deep(100_000);
        let c = clone_deep(&v);
        let s = stringify(&c);
        assert_eq!(s.len(), 2 * 100_001);
        assert!(s.starts_with("[[[") && s.ends_with("]]]"));
        drop_deep(c);
        let j = Json::new(v);
        assert_eq!(j.depth_bound(), usize::MAX, "measured as deep");
        drop(j);
        let limit = RECURSIVE_DROP_DEPTH;
        // `deep(n)` is n + 1 nested arrays.
        assert_eq!(Json::new(deep(limit - 1)).depth_bound(), limit);
        assert_eq!(Json::new(deep(limit)).depth_bound(), usize::MAX);
    }

    #[test]
    fn nesting_is_measured_through_objects_too() {
        // n objects, each the only member of the one outside it.
        let objects = |n: usize| {
            let mut v = json!({});
            for _ in 1..n {
                v = json!({ "k": v });
            }
            v
        };
        let limit = RECURSIVE_DROP_DEPTH;
        assert_eq!(Json::new(objects(limit)).depth_bound(), limit);
        assert_eq!(Json::new(objects(limit + 1)).depth_bound(), usize::MAX);
        let mixed = json!([{ "k": objects(limit) }]);
        assert_eq!(Json::new(mixed).depth_bound(), usize::MAX);
    }

    #[test]
    fn debug_names_the_type_code_only() {
        let debug = |v: Value| format!("{:?}", Json::new(v));
        assert_eq!(
            debug(json!([1, "secret"])),
            format!("Json(type {})", code::ARRAY)
        );
        assert_eq!(debug(Value::Null), format!("Json(type {})", code::NULL));
    }
}
