//! `http_request`: the HTTP/1.1 request parser of `neurlang-server` on arbitrary bytes.
//!
//! Input: 2 bytes seeding the split points, then the bytes a client sends. Properties: parsing
//! never panics; a complete head is never longer than the input and has a coherent framing;
//! parsing the bytes as they arrive in pieces (the way the server does, resuming its search
//! for the end of the head) gives exactly the answer of parsing them at once; and a chunked
//! body decoded in pieces gives the answer of decoding it at once.

use neurlang_server::http::{Chunked, Framing, Limits, Parsed, parse_head};

/// Small limits, so the fuzzer reaches 414/431/413 with short inputs.
const LIMITS: Limits = Limits {
    max_request_line: 64,
    max_head: 256,
    max_body: 1024,
};

/// Piece sizes from a seed (1 to 16 bytes each).
fn pieces(seed: u16, len: usize) -> Vec<usize> {
    let mut state = u32::from(seed) | 1;
    let mut cuts = Vec::new();
    let mut at = 0;
    while at < len {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        at = (at + 1 + (state >> 16) as usize % 16).min(len);
        cuts.push(at);
    }
    cuts
}

/// The body of the `http_request` fuzz target.
pub fn http_request(data: &[u8]) {
    let Some((seed, input)) = data.split_first_chunk::<2>() else {
        return;
    };
    let seed = u16::from_le_bytes(*seed);
    let whole = parse_head(input, &mut 0, &LIMITS);
    if let Parsed::Complete(head) = whole {
        assert!(head.len <= input.len(), "head longer than the input");
        if let Framing::Length(n) = head.framing {
            assert!(
                n > 0 && n <= LIMITS.max_body,
                "length {n} outside the limits"
            );
        }
    }
    // Arriving in pieces: the first answer that is not Partial must be the one-shot answer of
    // the same prefix, and the one-shot answer of the whole input must agree with it.
    let mut scanned = 0;
    for end in pieces(seed, input.len()) {
        let prefix = &input[..end];
        let incremental = parse_head(prefix, &mut scanned, &LIMITS);
        if incremental == Parsed::Partial {
            continue;
        }
        assert_eq!(
            incremental,
            parse_head(prefix, &mut 0, &LIMITS),
            "incremental parse differs at {end} bytes"
        );
        assert_eq!(
            incremental, whole,
            "a prefix of {end} bytes decided differently"
        );
        break;
    }
    // The same input as a chunked body, at once and in pieces.
    let mut at_once = Chunked::default();
    let once = at_once.feed(input, LIMITS.max_body);
    let mut piecewise = Chunked::default();
    let mut used = 0;
    let mut start = 0;
    let mut result = Ok((0, false));
    for end in pieces(seed.rotate_left(7), input.len()) {
        match piecewise.feed(&input[start..end], LIMITS.max_body) {
            Ok((n, done)) => {
                used += n;
                result = Ok((used, done));
                if done {
                    break;
                }
                assert_eq!(n, end - start, "an unfinished body left bytes unused");
            }
            Err(status) => {
                result = Err(status);
                break;
            }
        }
        start = end;
    }
    if input.is_empty() {
        return;
    }
    assert_eq!(result, once, "chunked decoding in pieces differs");
}
