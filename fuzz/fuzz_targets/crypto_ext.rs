//! Every crypto extension on mutated inputs: the body is `neurlang_fuzz_cases::crypto_ext::check`
//! (replayed on stable by the conformance area `fuzz`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use neurlang_fuzz_cases::crypto_ext::{Input, check};

fuzz_target!(|input: Input| check(input));
