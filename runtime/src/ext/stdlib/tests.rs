//! Model-based and decision tests of the stdlib operations.

use super::*;
use proptest::prelude::*;
use serde_json::json;
use std::collections::HashMap;

const BAD: Result<u64, StdlibError> = Err(StdlibError::InvalidHandle);

fn s(lib: &Stdlib, text: &str) -> Handle {
    lib.string_from_bytes(text.as_bytes()).unwrap()
}

fn text(lib: &Stdlib, h: Handle) -> String {
    lib.string_contents(h).unwrap()
}

#[derive(Debug, Clone)]
enum VecOp {
    New,
    Push(usize, u64),
    Pop(usize),
    Get(usize, u64),
    Set(usize, u64, u64),
    Insert(usize, u64, u64),
    Remove(usize, u64),
    Clear(usize),
    Free(usize),
}

fn vec_op() -> impl Strategy<Value = VecOp> {
    let i = any::<usize>();
    let idx = 0u64..12;
    prop_oneof![
        1 => Just(VecOp::New),
        4 => (i, any::<u64>()).prop_map(|(h, v)| VecOp::Push(h, v)),
        2 => i.prop_map(VecOp::Pop),
        2 => (i, idx.clone()).prop_map(|(h, x)| VecOp::Get(h, x)),
        2 => (i, idx.clone(), any::<u64>()).prop_map(|(h, x, v)| VecOp::Set(h, x, v)),
        2 => (i, idx.clone(), any::<u64>()).prop_map(|(h, x, v)| VecOp::Insert(h, x, v)),
        2 => (i, idx).prop_map(|(h, x)| VecOp::Remove(h, x)),
        1 => i.prop_map(VecOp::Clear),
        1 => i.prop_map(VecOp::Free),
    ]
}

#[derive(Debug, Clone)]
enum MapOp {
    New,
    Insert(usize, u64, u64),
    Get(usize, u64),
    Remove(usize, u64),
    Clear(usize),
    Free(usize),
    Keys(usize),
}

fn map_op() -> impl Strategy<Value = MapOp> {
    let i = any::<usize>();
    let k = 0u64..8;
    prop_oneof![
        1 => Just(MapOp::New),
        4 => (i, k.clone(), any::<u64>()).prop_map(|(h, k, v)| MapOp::Insert(h, k, v)),
        3 => (i, k.clone()).prop_map(|(h, k)| MapOp::Get(h, k)),
        2 => (i, k).prop_map(|(h, k)| MapOp::Remove(h, k)),
        1 => i.prop_map(MapOp::Clear),
        1 => i.prop_map(MapOp::Free),
        1 => i.prop_map(MapOp::Keys),
    ]
}

fn pick(hs: &[Handle], i: usize) -> Option<Handle> {
    hs.get(i % hs.len().max(1)).copied()
}

proptest! {
    /// Vec handles agree with a map from handle to `Option<Vec<u64>>` (None once freed); every
    /// handle is also refused by the hashmap table.
    #[test]
    fn vecs_agree_with_a_model(ops in proptest::collection::vec(vec_op(), 1..300)) {
        let lib = Stdlib::new();
        let mut hs = Vec::new();
        let mut model: HashMap<Handle, Option<Vec<u64>>> = HashMap::new();
        for op in ops {
            let (h, got, want) = match op {
                VecOp::New => {
                    let h = lib.vec_new().unwrap();
                    prop_assert!(model.insert(h, Some(Vec::new())).is_none());
                    hs.push(h);
                    continue;
                }
                VecOp::Push(i, v) => { let Some(h) = pick(&hs, i) else { continue };
                    (h, lib.vec_push(h, v), model[&h].clone().map(|_| 0)) }
                VecOp::Pop(i) => { let Some(h) = pick(&hs, i) else { continue };
                    (h, lib.vec_pop(h), model[&h].as_ref().map(|m| m.last().copied().unwrap_or(0))) }
                VecOp::Get(i, x) => { let Some(h) = pick(&hs, i) else { continue };
                    (h, lib.vec_get(h, x), model[&h].as_ref().map(|m| m.get(x as usize).copied().unwrap_or(u64::MAX - 1))) }
                VecOp::Set(i, x, v) => { let Some(h) = pick(&hs, i) else { continue };
                    (h, lib.vec_set(h, x, v), model[&h].as_ref().map(|m| if (x as usize) < m.len() { 0 } else { u64::MAX - 1 })) }
                VecOp::Insert(i, x, v) => { let Some(h) = pick(&hs, i) else { continue };
                    (h, lib.vec_insert(h, x, v), model[&h].as_ref().map(|m| if (x as usize) <= m.len() { 0 } else { u64::MAX - 1 })) }
                VecOp::Remove(i, x) => { let Some(h) = pick(&hs, i) else { continue };
                    (h, lib.vec_remove(h, x), model[&h].as_ref().map(|m| m.get(x as usize).copied().unwrap_or(u64::MAX - 1))) }
                VecOp::Clear(i) => { let Some(h) = pick(&hs, i) else { continue };
                    (h, lib.vec_clear(h), model[&h].as_ref().map(|_| 0)) }
                VecOp::Free(i) => { let Some(h) = pick(&hs, i) else { continue };
                    (h, lib.vec_free(h), model[&h].as_ref().map(|_| 0)) }
            };
            // u64::MAX - 1 in the model stands for OutOfRange.
            match want {
                None => prop_assert_eq!(got, BAD),
                Some(w) if w == u64::MAX - 1 => prop_assert_eq!(got, Err(StdlibError::OutOfRange)),
                Some(w) => prop_assert_eq!(got, Ok(w)),
            }
            // Apply the operation to the model when it succeeded.
            if got.is_ok() {
                let m = model.get_mut(&h).unwrap();
                match op {
                    VecOp::Push(_, v) => m.as_mut().unwrap().push(v),
                    VecOp::Pop(_) => { m.as_mut().unwrap().pop(); }
                    VecOp::Set(_, x, v) => m.as_mut().unwrap()[x as usize] = v,
                    VecOp::Insert(_, x, v) => m.as_mut().unwrap().insert(x as usize, v),
                    VecOp::Remove(_, x) => { m.as_mut().unwrap().remove(x as usize); }
                    VecOp::Clear(_) => m.as_mut().unwrap().clear(),
                    VecOp::Free(_) => *m = None,
                    VecOp::Get(..) | VecOp::New => {}
                }
            }
            prop_assert_eq!(lib.hashmap_len(h), BAD);
            if let Some(m) = &model[&h] {
                prop_assert_eq!(lib.vec_contents(h).unwrap(), m.clone());
            }
            prop_assert_eq!(lib.live().vecs, model.values().filter(|m| m.is_some()).count());
        }
    }

    /// HashMap handles agree with a model; keys/values come back sorted and are new vec handles.
    #[test]
    fn hashmaps_agree_with_a_model(ops in proptest::collection::vec(map_op(), 1..300)) {
        let lib = Stdlib::new();
        let mut hs = Vec::new();
        let mut model: HashMap<Handle, Option<std::collections::BTreeMap<u64, u64>>> = HashMap::new();
        for op in ops {
            match op {
                MapOp::New => {
                    let h = lib.hashmap_new().unwrap();
                    model.insert(h, Some(Default::default()));
                    hs.push(h);
                }
                MapOp::Insert(i, k, v) => if let Some(h) = pick(&hs, i) {
                    let want = model.get_mut(&h).unwrap().as_mut().map(|m| m.insert(k, v).unwrap_or(0));
                    prop_assert_eq!(lib.hashmap_insert(h, k, v).ok(), want);
                }
                MapOp::Get(i, k) => if let Some(h) = pick(&hs, i) {
                    let want = model[&h].as_ref().map(|m| m.get(&k).copied().unwrap_or(0));
                    prop_assert_eq!(lib.hashmap_get(h, k).ok(), want);
                    let want = model[&h].as_ref().map(|m| u64::from(m.contains_key(&k)));
                    prop_assert_eq!(lib.hashmap_contains(h, k).ok(), want);
                }
                MapOp::Remove(i, k) => if let Some(h) = pick(&hs, i) {
                    let want = model.get_mut(&h).unwrap().as_mut().map(|m| m.remove(&k).unwrap_or(0));
                    prop_assert_eq!(lib.hashmap_remove(h, k).ok(), want);
                }
                MapOp::Clear(i) => if let Some(h) = pick(&hs, i) {
                    let want = model.get_mut(&h).unwrap().as_mut().map(|m| { m.clear(); 0 });
                    prop_assert_eq!(lib.hashmap_clear(h).ok(), want);
                }
                MapOp::Free(i) => if let Some(h) = pick(&hs, i) {
                    let want = model.get_mut(&h).unwrap().take().map(|_| 0);
                    prop_assert_eq!(lib.hashmap_free(h).ok(), want);
                }
                MapOp::Keys(i) => if let Some(h) = pick(&hs, i) {
                    match &model[&h] {
                        None => prop_assert_eq!(lib.hashmap_keys(h), Err(StdlibError::InvalidHandle)),
                        Some(m) => {
                            let k = lib.hashmap_keys(h).unwrap();
                            let v = lib.hashmap_values(h).unwrap();
                            prop_assert_eq!(lib.vec_contents(k).unwrap(), m.keys().copied().collect::<Vec<_>>());
                            prop_assert_eq!(lib.vec_contents(v).unwrap(), m.values().copied().collect::<Vec<_>>());
                            lib.vec_free(k).unwrap();
                            lib.vec_free(v).unwrap();
                        }
                    }
                }
            }
            for (&h, m) in &model {
                prop_assert_eq!(lib.hashmap_len(h).ok(), m.as_ref().map(|m| m.len() as u64));
                prop_assert_eq!(lib.vec_len(h), BAD);
            }
            prop_assert_eq!(lib.live().maps, model.values().filter(|m| m.is_some()).count());
            prop_assert_eq!(lib.live().vecs, 0);
        }
    }

    /// String operations on arbitrary text agree with Rust's `str`, and free everything they make.
    #[test]
    fn strings_agree_with_str(a in "\\PC{0,12}", b in "\\PC{0,3}", start in 0u64..20, len in 0u64..20) {
        let lib = Stdlib::new();
        let (ha, hb) = (s(&lib, &a), s(&lib, &b));
        prop_assert_eq!(lib.string_len(ha), Ok(a.len() as u64));
        let c = lib.string_concat(ha, hb).unwrap();
        prop_assert_eq!(text(&lib, c), format!("{a}{b}"));
        prop_assert_eq!(lib.string_find(ha, hb), Ok(a.find(&b).map_or(u64::MAX, |i| i as u64)));
        prop_assert_eq!(lib.string_starts_with(ha, hb), Ok(u64::from(a.starts_with(&b))));
        prop_assert_eq!(lib.string_ends_with(ha, hb), Ok(u64::from(a.ends_with(&b))));
        let r = lib.string_replace(ha, hb, c).unwrap();
        prop_assert_eq!(text(&lib, r), a.replace(&b, &format!("{a}{b}")));
        let end = (start + len).min(a.len() as u64) as usize;
        match lib.string_substr(ha, start, len) {
            Ok(h) => { prop_assert_eq!(text(&lib, h), &a[start as usize..end]); lib.string_free(h).unwrap(); }
            Err(StdlibError::OutOfRange) => prop_assert!(start as usize > a.len()),
            Err(e) => { prop_assert_eq!(e, StdlibError::NotCharBoundary); prop_assert!(a.get(start as usize..end).is_none()); }
        }
        match lib.string_split(ha, hb) {
            Ok(v) => {
                let parts: Vec<String> = lib.vec_contents(v).unwrap().into_iter()
                    .map(|h| { let t = text(&lib, Handle::from_raw(h)); lib.string_free(Handle::from_raw(h)).unwrap(); t })
                    .collect();
                prop_assert_eq!(parts, a.split(&b).map(str::to_owned).collect::<Vec<_>>());
                lib.vec_free(v).unwrap();
            }
            Err(e) => { prop_assert_eq!(e, StdlibError::InvalidArgument); prop_assert!(b.is_empty()); }
        }
        for h in [ha, hb, c, r] { lib.string_free(h).unwrap(); }
        prop_assert_eq!(lib.live(), LiveHandles::default());
    }
}

#[test]
fn string_decisions() {
    let lib = Stdlib::new();
    assert_eq!(
        lib.string_from_bytes(b"\xff\xfe"),
        Err(StdlibError::InvalidUtf8)
    );
    let h = s(&lib, "héllo");
    assert_eq!(lib.string_len(h), Ok(6));
    assert_eq!(
        lib.string_substr(h, 2, 1),
        Err(StdlibError::NotCharBoundary)
    );
    assert_eq!(lib.string_substr(h, 7, 1), Err(StdlibError::OutOfRange));
    let tail = lib.string_substr(h, 3, u64::MAX).unwrap();
    assert_eq!(text(&lib, tail), "llo");
    let n = s(&lib, "-42");
    assert_eq!(lib.string_parse_int(n), Ok(-42i64 as u64));
    assert_eq!(lib.string_parse_int(h), Err(StdlibError::NotANumber));
    assert_eq!(lib.string_parse_float(h), Err(StdlibError::NotANumber));
    let f = s(&lib, "2.5");
    assert_eq!(lib.string_parse_float(f), Ok(2.5f64.to_bits()));
    let i = lib.string_from_int(-7i64 as u64).unwrap();
    assert_eq!(text(&lib, i), "-7");
    let x = lib.string_from_float(0.1f64.to_bits()).unwrap();
    assert_eq!(text(&lib, x), "0.1");
    let up = lib.string_to_upper(h).unwrap();
    assert_eq!(text(&lib, up), "HÉLLO");
    let b = lib.string_to_bytes(tail).unwrap();
    assert_eq!(lib.vec_contents(b).unwrap(), vec![108, 108, 111]);
    assert_eq!(lib.string_len(b), BAD, "a vec handle is not a string");
}

#[test]
fn json_decisions() {
    let lib = Stdlib::new();
    let obj = lib
        .json_parse(s(&lib, r#"{"b": [1, 2], "a": null}"#))
        .unwrap();
    let key = s(&lib, "b");
    let b = Handle::from_raw(lib.json_get(obj, key).unwrap());
    assert_eq!(lib.json_get_type(b), Ok(json_type::ARRAY));
    assert_eq!(lib.json_array_len(b), Ok(2));
    assert_eq!(lib.json_array_get(b, 2), Ok(0), "past the end is 0");
    assert_eq!(lib.json_get(obj, s(&lib, "zz")), Ok(0), "missing key is 0");
    assert_eq!(lib.json_get(b, key), Err(StdlibError::WrongJsonType));
    assert_eq!(lib.json_array_len(obj), Err(StdlibError::WrongJsonType));
    assert_eq!(lib.json_set(b, key, obj), Err(StdlibError::WrongJsonType));
    assert_eq!(lib.json_array_push(b, b), Err(StdlibError::InvalidArgument));
    // Push moves: the pushed handle is freed; the parent's copy is unaffected by `b`.
    let one = lib.json_parse(s(&lib, "1")).unwrap();
    assert_eq!(lib.json_array_push(b, one), Ok(0));
    assert_eq!(lib.json_get_type(one), BAD);
    assert_eq!(lib.json_contents(b).unwrap(), json!([1, 2, 1]));
    assert_eq!(
        lib.json_contents(obj).unwrap(),
        json!({"a": null, "b": [1, 2]})
    );
    assert_eq!(lib.json_set(obj, key, b), Ok(0));
    let out = lib.json_stringify(obj).unwrap();
    assert_eq!(text(&lib, out), r#"{"a":null,"b":[1,2,1]}"#);
    let keys = lib.json_object_keys(obj).unwrap();
    let names: Vec<String> = lib
        .vec_contents(keys)
        .unwrap()
        .into_iter()
        .map(|h| text(&lib, Handle::from_raw(h)))
        .collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(
        lib.json_parse(s(&lib, "[1,]")),
        Err(StdlibError::InvalidJson)
    );
    let too_deep = "[".repeat(200) + &"]".repeat(200);
    assert_eq!(
        lib.json_parse(s(&lib, &too_deep)),
        Err(StdlibError::InvalidJson)
    );
    assert_eq!(lib.json_free(obj), Ok(0));
    assert_eq!(lib.json_free(obj), BAD);
}

#[test]
fn a_value_100_000_deep_builds_stringifies_and_frees() {
    let lib = Stdlib::new();
    let mut cur = lib.json_new_array().unwrap();
    for _ in 0..100_000 {
        let parent = lib.json_new_array().unwrap();
        lib.json_array_push(parent, cur).unwrap();
        cur = parent;
    }
    assert_eq!(lib.live().jsons, 1);
    let out = lib.json_stringify(cur).unwrap();
    assert_eq!(lib.string_len(out), Ok(200_002));
    let child = Handle::from_raw(lib.json_array_get(cur, 0).unwrap());
    assert_eq!(lib.json_array_len(child), Ok(1));
    for h in [child, cur] {
        lib.json_free(h).unwrap();
    }
    lib.string_free(out).unwrap();
    assert_eq!(lib.live(), LiveHandles::default());
}

/// The registry has every op of [`OPS`] under its ID, name and argument count, and
/// [`ops::by_id`] / [`ops::by_name`] find it (the spec's own table is checked against the
/// registry by the conformance cases `stdlib.registry.NAME` and `stdlib.registry_complete`).
#[test]
fn every_op_is_registered_with_its_name() {
    use crate::ext::ExtensionRegistry;
    let r = ExtensionRegistry::with_builtins();
    for op in OPS {
        let info = r
            .info(op.id)
            .unwrap_or_else(|| panic!("{} missing", op.name));
        assert_eq!((info.name.as_str(), info.arg_count), (op.name, op.argc));
        assert_eq!(r.lookup(op.name), Some(op.id));
        assert_eq!(ops::by_id(op.id).map(|o| o.name), Some(op.name));
        assert_eq!(ops::by_name(op.name).map(|o| o.id), Some(op.id));
    }
}

#[test]
fn string_from_bytes_reads_through_a_capability() {
    use crate::cap::{CapPermissions, Token};
    use crate::ext::ids::{STRING_FROM_BYTES, STRING_LEN};
    use crate::ext::{ExtError, ExtensionRegistry};
    let lib = Arc::new(Stdlib::new());
    let mut r = ExtensionRegistry::new();
    register_into(&mut r, Arc::clone(&lib));
    let tok = Token::new_owned(Box::from(&b"hello"[..]), CapPermissions::READ).unwrap();
    let h = r.call(STRING_FROM_BYTES, &[tok.get(), 5], &mut []).unwrap();
    assert_eq!(r.call(STRING_LEN, &[h], &mut []), Ok(5));
    assert_eq!(
        r.call(STRING_FROM_BYTES, &[tok.get(), 6], &mut []),
        Err(ExtError::OutOfBounds)
    );
    let wo = Token::new_owned(Box::from(&b"x"[..]), CapPermissions::WRITE).unwrap();
    assert_eq!(
        r.call(STRING_FROM_BYTES, &[wo.get(), 1], &mut []),
        Err(ExtError::PermissionDenied)
    );
    let bad = Token::new_owned(Box::from(&b"\xff"[..]), CapPermissions::READ).unwrap();
    assert_eq!(
        r.call(STRING_FROM_BYTES, &[bad.get(), 1], &mut []),
        Err(ExtError::InvalidArgument("invalid UTF-8"))
    );
    tok.revoke().unwrap();
    assert_eq!(
        r.call(STRING_FROM_BYTES, &[tok.get(), 5], &mut []),
        Err(ExtError::InvalidCapability)
    );
    assert_eq!(
        r.call(STRING_LEN, &[h.wrapping_add(1 << 32)], &mut []),
        Err(ExtError::InvalidHandle)
    );
    assert_eq!(lib.live().strings, 1);
    wo.revoke().unwrap();
    bad.revoke().unwrap();
}

#[derive(Debug, Clone)]
enum JsonOp {
    NewArray,
    NewObject,
    Parse(u8),
    Push(usize, usize),
    Set(usize, u8, usize),
    Get(usize, u8),
    ArrayGet(usize, u8),
    Free(usize),
}

fn json_op() -> impl Strategy<Value = JsonOp> {
    let i = any::<usize>();
    prop_oneof![
        2 => Just(JsonOp::NewArray),
        2 => Just(JsonOp::NewObject),
        2 => (0u8..4).prop_map(JsonOp::Parse),
        4 => (i, i).prop_map(|(a, b)| JsonOp::Push(a, b)),
        3 => (i, 0u8..3, i).prop_map(|(a, k, b)| JsonOp::Set(a, k, b)),
        2 => (i, 0u8..3).prop_map(|(a, k)| JsonOp::Get(a, k)),
        2 => (i, 0u8..3).prop_map(|(a, k)| JsonOp::ArrayGet(a, k)),
        1 => i.prop_map(JsonOp::Free),
    ]
}

const LEAVES: [&str; 4] = ["null", "true", "-2.5", "\"é\""];

proptest! {
    /// JSON handles agree with a map from handle to `Option<serde_json::Value>`: moves free the
    /// moved handle, gets return copies (new handles), wrong types and stale handles are errors.
    #[test]
    fn json_agrees_with_a_model(ops in proptest::collection::vec(json_op(), 1..200)) {
        use serde_json::Value;
        let lib = Stdlib::new();
        let mut hs: Vec<Handle> = Vec::new();
        let mut model: HashMap<Handle, Option<Value>> = HashMap::new();
        let add = |h: Handle, v: Value, hs: &mut Vec<Handle>, model: &mut HashMap<Handle, Option<Value>>| {
            assert!(model.insert(h, Some(v)).is_none(), "handle reused");
            hs.push(h);
        };
        for op in ops {
            match op {
                JsonOp::NewArray => add(lib.json_new_array().unwrap(), json!([]), &mut hs, &mut model),
                JsonOp::NewObject => add(lib.json_new_object().unwrap(), json!({}), &mut hs, &mut model),
                JsonOp::Parse(i) => {
                    let text = LEAVES[i as usize];
                    let sh = s(&lib, text);
                    let h = lib.json_parse(sh).unwrap();
                    lib.string_free(sh).unwrap();
                    add(h, serde_json::from_str(text).unwrap(), &mut hs, &mut model);
                }
                JsonOp::Push(a, b) => {
                    let (Some(a), Some(b)) = (pick(&hs, a), pick(&hs, b)) else { continue };
                    let got = lib.json_array_push(a, b);
                    let want = match (&model[&a], &model[&b]) {
                        _ if a == b => Err(StdlibError::InvalidArgument),
                        (None, _) => Err(StdlibError::InvalidHandle),
                        (Some(Value::Array(_)), None) => Err(StdlibError::InvalidHandle),
                        (Some(Value::Array(_)), Some(_)) => Ok(0),
                        (Some(_), _) => Err(StdlibError::WrongJsonType),
                    };
                    prop_assert_eq!(got, want);
                    if got.is_ok() {
                        let v = model.get_mut(&b).unwrap().take().unwrap();
                        model.get_mut(&a).unwrap().as_mut().unwrap().as_array_mut().unwrap().push(v);
                    }
                }
                JsonOp::Set(a, k, b) => {
                    let (Some(a), Some(b)) = (pick(&hs, a), pick(&hs, b)) else { continue };
                    let key = format!("k{k}");
                    let kh = s(&lib, &key);
                    let got = lib.json_set(a, kh, b);
                    lib.string_free(kh).unwrap();
                    let want = match (&model[&a], &model[&b]) {
                        _ if a == b => Err(StdlibError::InvalidArgument),
                        (None, _) => Err(StdlibError::InvalidHandle),
                        (Some(Value::Object(_)), None) => Err(StdlibError::InvalidHandle),
                        (Some(Value::Object(_)), Some(_)) => Ok(0),
                        (Some(_), _) => Err(StdlibError::WrongJsonType),
                    };
                    prop_assert_eq!(got, want);
                    if got.is_ok() {
                        let v = model.get_mut(&b).unwrap().take().unwrap();
                        model.get_mut(&a).unwrap().as_mut().unwrap().as_object_mut().unwrap().insert(key, v);
                    }
                }
                JsonOp::Get(a, k) => {
                    let Some(a) = pick(&hs, a) else { continue };
                    let kh = s(&lib, &format!("k{k}"));
                    let got = lib.json_get(a, kh);
                    lib.string_free(kh).unwrap();
                    match &model[&a] {
                        None => prop_assert_eq!(got, BAD),
                        Some(Value::Object(m)) => match m.get(&format!("k{k}")) {
                            None => prop_assert_eq!(got, Ok(0)),
                            Some(v) => {
                                let h = Handle::from_raw(got.unwrap());
                                prop_assert_eq!(&lib.json_contents(h).unwrap(), v);
                                lib.json_free(h).unwrap();
                            }
                        },
                        Some(_) => prop_assert_eq!(got, Err(StdlibError::WrongJsonType)),
                    }
                }
                JsonOp::ArrayGet(a, i) => {
                    let Some(a) = pick(&hs, a) else { continue };
                    let got = lib.json_array_get(a, u64::from(i));
                    match &model[&a] {
                        None => prop_assert_eq!(got, BAD),
                        Some(Value::Array(v)) => match v.get(usize::from(i)) {
                            None => prop_assert_eq!(got, Ok(0)),
                            Some(v) => {
                                let h = Handle::from_raw(got.unwrap());
                                prop_assert_eq!(&lib.json_contents(h).unwrap(), v);
                                lib.json_free(h).unwrap();
                            }
                        },
                        Some(_) => prop_assert_eq!(got, Err(StdlibError::WrongJsonType)),
                    }
                }
                JsonOp::Free(a) => {
                    let Some(a) = pick(&hs, a) else { continue };
                    let want = model.get_mut(&a).unwrap().take().map(|_| 0);
                    prop_assert_eq!(lib.json_free(a).ok(), want);
                }
            }
            for (&h, v) in &model {
                match v {
                    None => prop_assert_eq!(lib.json_get_type(h), BAD),
                    Some(v) => {
                        let sh = lib.json_stringify(h).unwrap();
                        prop_assert_eq!(text(&lib, sh), serde_json::to_string(v).unwrap());
                        lib.string_free(sh).unwrap();
                    }
                }
            }
            prop_assert_eq!(lib.live().jsons, model.values().filter(|v| v.is_some()).count());
            prop_assert_eq!(lib.live().strings, 0);
        }
    }
}

/// Regression (json_handles fuzz target): stringify -> parse must be exact for floats, which
/// needs serde_json's correctly rounded parser (`float_roundtrip`).
#[test]
fn float_text_round_trips_exactly() {
    let lib = Stdlib::new();
    let src = format!("[-0.{}1]", "0".repeat(41));
    let j = lib.json_parse(s(&lib, &src)).unwrap();
    let once = lib.json_stringify(j).unwrap();
    let j2 = lib.json_parse(once).unwrap();
    let twice = lib.json_stringify(j2).unwrap();
    assert_eq!(text(&lib, once), "[-1e-42]");
    assert_eq!(text(&lib, twice), "[-1e-42]");
}

/// `json_parse` takes 127 nested arrays or objects and refuses 128 (the limit in `json.rs`).
#[test]
fn json_parse_takes_127_nested_levels_and_refuses_128() {
    let lib = Stdlib::new();
    for (open, close) in [("[", "]"), ("{\"k\":", "}")] {
        let nested = |n: usize| open.repeat(n) + "0" + &close.repeat(n);
        let ok = lib.json_parse(s(&lib, &nested(127))).unwrap();
        lib.json_free(ok).unwrap();
        assert_eq!(
            lib.json_parse(s(&lib, &nested(128))),
            Err(StdlibError::InvalidJson),
            "{open}"
        );
    }
}

#[test]
fn live_handles_total_counts_every_type() {
    let live = LiveHandles {
        vecs: 1,
        maps: 2,
        strings: 3,
        jsons: 4,
    };
    assert_eq!(live.total(), 10);
    assert_eq!(LiveHandles::default().total(), 0);
}

/// Objects are taken apart on the heap too: a chain of 100 000 nested objects frees without
/// recursion (a recursive drop of it overflows the test thread's stack).
#[test]
fn an_object_100_000_deep_frees() {
    let lib = Stdlib::new();
    let mut v = serde_json::Value::Null;
    for _ in 0..100_000 {
        let mut m = serde_json::Map::new();
        m.insert("k".to_owned(), v);
        v = serde_json::Value::Object(m);
    }
    let h = lib.json_from(v).unwrap();
    assert_eq!(lib.json_get_type(h), Ok(5));
    assert_eq!(lib.json_free(h), Ok(0));
    assert_eq!(lib.live(), LiveHandles::default());
}

/// An error prints as its message.
#[test]
fn an_error_displays_its_message() {
    for e in [StdlibError::OutOfRange, StdlibError::InvalidHandle] {
        assert_eq!(e.to_string(), e.message());
    }
    assert_eq!(StdlibError::OutOfRange.to_string(), "index out of range");
}
