//! String handles: every string operation on arbitrary bytes and indices, checked against
//! `str` used directly. Input: 8 bytes of indices, a separator byte split, then the text.
//! Invalid UTF-8 must be rejected; nothing may panic; every handle is freed at the end.

use neurlang::ext::stdlib::{Handle, Stdlib, StdlibError};

/// The target body: panics when a result disagrees with `str` or a handle leaks.
///
/// Input: bytes 0–1 the substring start (little endian), 2–5 its length (LE), byte 6 bit 0 set
/// means length `u64::MAX - length`, byte 7 where the rest is cut into the two strings `a`
/// and `b`; the rest is the text. Inputs under 9 bytes are skipped.
pub fn string_handles(data: &[u8]) {
    if data.len() < 9 {
        return;
    }
    let (idx, rest) = data.split_at(8);
    let start = u64::from(idx[0]) | (u64::from(idx[1]) << 8);
    let len = u64::from_le_bytes([idx[2], idx[3], idx[4], idx[5], 0, 0, 0, 0]);
    let len = if idx[6] & 1 == 1 { u64::MAX - len } else { len };
    let cut = (idx[7] as usize).min(rest.len());
    let (a_bytes, b_bytes) = rest.split_at(cut);
    let lib = Stdlib::new();
    let (a, b) = match (
        lib.string_from_bytes(a_bytes),
        lib.string_from_bytes(b_bytes),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (ra, rb) => {
            for (r, bytes) in [(ra, a_bytes), (rb, b_bytes)] {
                match r {
                    Ok(h) => drop(lib.string_free(h).unwrap()),
                    Err(e) => {
                        assert_eq!(e, StdlibError::InvalidUtf8);
                        assert!(std::str::from_utf8(bytes).is_err());
                    }
                }
            }
            assert_eq!(lib.live().total(), 0);
            return;
        }
    };
    let sa = std::str::from_utf8(a_bytes).unwrap();
    let sb = std::str::from_utf8(b_bytes).unwrap();
    let text = |h: Handle| {
        let t = lib.string_contents(h).unwrap();
        lib.string_free(h).unwrap();
        t
    };
    assert_eq!(lib.string_len(a).unwrap(), sa.len() as u64);
    assert_eq!(text(lib.string_concat(a, b).unwrap()), format!("{sa}{sb}"));
    match lib.string_substr(a, start, len) {
        Ok(h) => {
            let end = start.saturating_add(len).min(sa.len() as u64) as usize;
            assert_eq!(text(h), &sa[start as usize..end]);
        }
        Err(StdlibError::OutOfRange) => assert!(start as usize > sa.len()),
        Err(e) => assert_eq!(e, StdlibError::NotCharBoundary),
    }
    let found = lib.string_find(a, b).unwrap();
    assert_eq!(found, sa.find(sb).map_or(u64::MAX, |i| i as u64));
    if sa.len() * (sb.len() + 1) < 1 << 16 {
        assert_eq!(
            text(lib.string_replace(a, b, a).unwrap()),
            sa.replace(sb, sa)
        );
    }
    match lib.string_split(a, b) {
        Ok(v) => {
            let parts: Vec<String> = lib
                .vec_contents(v)
                .unwrap()
                .into_iter()
                .map(|h| text(Handle::from_raw(h)))
                .collect();
            assert_eq!(parts, sa.split(sb).collect::<Vec<_>>());
            lib.vec_free(v).unwrap();
        }
        Err(e) => {
            assert_eq!(e, StdlibError::InvalidArgument);
            assert!(sb.is_empty());
        }
    }
    assert_eq!(text(lib.string_trim(a).unwrap()), sa.trim());
    assert_eq!(text(lib.string_to_upper(a).unwrap()), sa.to_uppercase());
    assert_eq!(text(lib.string_to_lower(a).unwrap()), sa.to_lowercase());
    assert_eq!(
        lib.string_starts_with(a, b).unwrap(),
        u64::from(sa.starts_with(sb))
    );
    assert_eq!(
        lib.string_ends_with(a, b).unwrap(),
        u64::from(sa.ends_with(sb))
    );
    let bytes = lib.string_to_bytes(a).unwrap();
    assert_eq!(
        lib.vec_contents(bytes).unwrap(),
        sa.bytes().map(u64::from).collect::<Vec<_>>()
    );
    lib.vec_free(bytes).unwrap();
    match lib.string_parse_int(a) {
        Ok(v) => assert_eq!(Ok(v as i64), sa.parse::<i64>()),
        Err(e) => {
            assert_eq!(e, StdlibError::NotANumber);
            assert!(sa.parse::<i64>().is_err());
        }
    }
    match lib.string_parse_float(a) {
        Ok(v) => assert_eq!(v, sa.parse::<f64>().unwrap().to_bits()),
        Err(e) => {
            assert_eq!(e, StdlibError::NotANumber);
            assert!(sa.parse::<f64>().is_err());
        }
    }
    let f = lib.string_from_float(len).unwrap();
    let back = lib.string_parse_float(f).unwrap();
    let x = f64::from_bits(len);
    assert!(back == len || (x.is_nan() && f64::from_bits(back).is_nan()));
    lib.string_free(f).unwrap();
    let i = lib.string_from_int(len).unwrap();
    assert_eq!(lib.string_parse_int(i).unwrap(), len);
    lib.string_free(i).unwrap();
    lib.string_free(a).unwrap();
    lib.string_free(b).unwrap();
    assert_eq!(lib.string_free(a), Err(StdlibError::InvalidHandle));
    assert_eq!(lib.live().total(), 0, "leaked handles: {:?}", lib.live());
}
