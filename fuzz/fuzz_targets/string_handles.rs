//! String handles against `str`: the body is `neurlang_fuzz_cases::string_handles` (replayed on
//! stable by the conformance area `fuzz`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| neurlang_fuzz_cases::string_handles(data));
