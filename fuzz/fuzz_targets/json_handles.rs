//! JSON handles, differential against serde_json: the body is
//! `neurlang_fuzz_cases::json_handles` (replayed on stable by the conformance area `fuzz`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| neurlang_fuzz_cases::json_handles(data));
