//! SafeBuffer and capability bounds/permissions against a plain model: the body is
//! `neurlang_fuzz_cases::safe_buffer::check` (replayed on stable by the conformance area `fuzz`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use neurlang_fuzz_cases::safe_buffer::{Input, check};

fuzz_target!(|input: Input| check(input));
