//! JSON handles, differential against serde_json used directly: arbitrary bytes go through
//! `string_from_bytes` → `json_parse`; acceptance, `json_stringify`, and every member and element
//! read through `json_get` / `json_array_get` must match serde_json; then the value is modified
//! through `json_set` / `json_array_push` (moves), stringified, parsed again, and must round-trip.
//! Every handle is freed at the end and the live counts must be back to zero.

use neurlang::ext::stdlib::{Handle, Stdlib, json_type};
use serde_json::Value;

/// The target body: panics when ours and serde_json disagree or a handle leaks.
pub fn json_handles(data: &[u8]) {
    let lib = Stdlib::new();
    let direct: Option<Value> = std::str::from_utf8(data)
        .ok()
        .and_then(|s| serde_json::from_str(s).ok());
    let s = match lib.string_from_bytes(data) {
        Ok(s) => s,
        Err(_) => {
            assert!(std::str::from_utf8(data).is_err());
            return;
        }
    };
    let parsed = lib.json_parse(s);
    lib.string_free(s).unwrap();
    let (j, direct) = match (parsed, direct) {
        (Ok(j), Some(d)) => (j, d),
        (Err(_), None) => return,
        (ours, theirs) => panic!(
            "acceptance differs: ours {ours:?}, serde_json {}",
            theirs.is_some()
        ),
    };
    assert_eq!(stringify(&lib, j), serde_json::to_string(&direct).unwrap());
    check_members(&lib, j, &direct);

    // Modify: push/set a copy of the value into a fresh container and into itself (rejected).
    let text = lib.json_stringify(j).unwrap();
    let copy = lib.json_parse(text).unwrap();
    lib.string_free(text).unwrap();
    let wrapper = lib.json_new_array().unwrap();
    lib.json_array_push(wrapper, copy).unwrap();
    assert!(lib.json_array_push(wrapper, wrapper).is_err());
    let expected = Value::Array(vec![direct.clone()]);
    match lib.json_get_type(j).unwrap() {
        json_type::OBJECT => {
            let key = lib.string_from_bytes(b"fuzz").unwrap();
            lib.json_set(j, key, wrapper).unwrap();
            lib.string_free(key).unwrap();
            let mut d = direct.clone();
            d.as_object_mut().unwrap().insert("fuzz".into(), expected);
            assert_eq!(stringify(&lib, j), serde_json::to_string(&d).unwrap());
        }
        json_type::ARRAY => {
            lib.json_array_push(j, wrapper).unwrap();
            let mut d = direct.clone();
            d.as_array_mut().unwrap().push(expected);
            assert_eq!(stringify(&lib, j), serde_json::to_string(&d).unwrap());
        }
        _ => lib.json_free(wrapper).map(drop).unwrap(),
    }
    // Round trip: stringify -> parse -> stringify is a fixed point (when within the depth limit).
    let text = stringify(&lib, j);
    let s = lib.string_from_bytes(text.as_bytes()).unwrap();
    if let Ok(again) = lib.json_parse(s) {
        assert_eq!(stringify(&lib, again), text);
        lib.json_free(again).unwrap();
    }
    lib.string_free(s).unwrap();
    lib.json_free(j).unwrap();
    assert_eq!(lib.live().total(), 0, "leaked handles: {:?}", lib.live());
}

fn stringify(lib: &Stdlib, j: Handle) -> String {
    let s = lib.json_stringify(j).unwrap();
    let t = lib.string_contents(s).unwrap();
    lib.string_free(s).unwrap();
    t
}

fn check_members(lib: &Stdlib, j: Handle, direct: &Value) {
    match direct {
        Value::Object(m) => {
            let keys = lib.json_object_keys(j).unwrap();
            let hs = lib.vec_contents(keys).unwrap();
            assert_eq!(hs.len(), m.len());
            for (h, (k, v)) in hs.iter().zip(m) {
                let kh = Handle::from_raw(*h);
                assert_eq!(&lib.string_contents(kh).unwrap(), k);
                let member = Handle::from_raw(lib.json_get(j, kh).unwrap());
                assert_eq!(stringify(lib, member), serde_json::to_string(v).unwrap());
                lib.json_free(member).unwrap();
                lib.string_free(kh).unwrap();
            }
            lib.vec_free(keys).unwrap();
            assert!(lib.json_array_len(j).is_err());
        }
        Value::Array(a) => {
            assert_eq!(lib.json_array_len(j).unwrap(), a.len() as u64);
            for (i, v) in a.iter().enumerate() {
                let e = Handle::from_raw(lib.json_array_get(j, i as u64).unwrap());
                assert_eq!(stringify(lib, e), serde_json::to_string(v).unwrap());
                lib.json_free(e).unwrap();
            }
            assert_eq!(lib.json_array_get(j, a.len() as u64).unwrap(), 0);
        }
        _ => assert!(lib.json_array_len(j).is_err()),
    }
}
