//! The HTTP/1.1 request parser and chunked decoder of `neurlang-server`, whole against
//! piecewise: the body is `neurlang_fuzz_cases::http_request` (replayed on stable by the
//! conformance area `fuzz`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| neurlang_fuzz_cases::http_request(data));
