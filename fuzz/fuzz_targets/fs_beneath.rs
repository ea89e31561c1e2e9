//! The file sandbox's path resolution on arbitrary guest paths over a fixture tree, against a
//! model of the tree: the body is `neurlang_fuzz_cases::fs_beneath` (replayed on stable by the
//! conformance area `fuzz`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| neurlang_fuzz_cases::fs_beneath(data));
