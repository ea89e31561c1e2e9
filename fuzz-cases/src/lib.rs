//! # The bodies of the Neurlang fuzz targets
//!
//! Each fuzz target in `fuzz/` (its own cargo-fuzz workspace, nightly) is a thin wrapper around
//! one function here, so that the same body runs on stable: the conformance area `fuzz` replays
//! every committed regression input (`fuzz/regressions/TARGET/*`) and every seed
//! (`fuzz/seeds/TARGET/*`) through it in plain `cargo test`.
//!
//! A body panics when the property it checks is violated (that is what the fuzzer reports as a
//! crash); inputs it cannot use return quietly. The bodies are the fuzz targets' own: changing
//! one changes what the fuzzer checks.
//!
//! | target | input |
//! |---|---|
//! | [`safe_buffer()`] | a [`safe_buffer::Input`], decoded with `arbitrary` |
//! | [`crypto_ext()`] | a [`crypto_ext::Input`], decoded with `arbitrary` |
//! | [`json_handles()`] | raw bytes (a JSON document, or not) |
//! | [`string_handles()`] | 8 bytes of indices, then the text (see [`string_handles()`]) |
//! | [`http_request()`] | 2 bytes seeding the split points, then what a client sends |
//! | [`fs_beneath()`] | up to 8 lines: an operation, a prefix, a guest path (see [the module](mod@fs_beneath)) |
//!
//! The two structured inputs can also be encoded (`Input::to_bytes`), which is how
//! `cargo run -p neurlang-fuzz-cases --bin fuzz-seeds` writes seeds that decode into real test
//! vectors.

use arbitrary::{Arbitrary, Unstructured};

pub mod crypto_ext;
mod encode;
pub mod fs_beneath;
pub mod http_request;
pub mod json_handles;
pub mod safe_buffer;
pub mod string_handles;

pub use fs_beneath::fs_beneath;
pub use http_request::http_request;
pub use json_handles::json_handles;
pub use string_handles::string_handles;

/// A fuzz target's body on raw input bytes.
pub type Body = fn(&[u8]);

/// Every fuzz target by name (the `[[bin]]` names of `fuzz/Cargo.toml`) with its body.
pub const TARGETS: &[(&str, Body)] = &[
    ("safe_buffer", safe_buffer),
    ("crypto_ext", crypto_ext),
    ("json_handles", json_handles),
    ("string_handles", string_handles),
    ("http_request", http_request),
    ("fs_beneath", fs_beneath),
];

/// Why the target `name` cannot run on this platform, if it cannot (its body does nothing
/// there, so replaying an input would check nothing).
pub fn unsupported(name: &str) -> Option<String> {
    (name == "fs_beneath" && !cfg!(unix))
        .then(|| "fs_beneath builds its fixture with Unix symlinks".to_string())
}

/// The body of the fuzz target `name`, if there is one.
pub fn target(name: &str) -> Option<Body> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// Decodes a structured input exactly as libfuzzer-sys's `fuzz_target!` does for a typed
/// target: too short for the type's minimum size, or not decodable, is `None` (the input is
/// skipped); otherwise the value built from all of `data` (`arbitrary_take_rest`).
pub fn decode<'a, T: Arbitrary<'a>>(data: &'a [u8]) -> Option<T> {
    if data.len() < T::size_hint(0).0 {
        return None;
    }
    T::arbitrary_take_rest(Unstructured::new(data)).ok()
}

/// The `safe_buffer` target on raw bytes: decodes a [`safe_buffer::Input`] and checks it.
pub fn safe_buffer(data: &[u8]) {
    if let Some(input) = decode(data) {
        safe_buffer::check(input);
    }
}

/// The `crypto_ext` target on raw bytes: decodes a [`crypto_ext::Input`] and checks it.
pub fn crypto_ext(data: &[u8]) {
    if let Some(input) = decode(data) {
        crypto_ext::check(input);
    }
}

#[cfg(test)]
mod tests {
    /// [`super::TARGETS`] names exactly the `[[bin]]` targets of `fuzz/Cargo.toml`.
    #[test]
    fn targets_match_the_fuzz_crate() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/Cargo.toml");
        let manifest = std::fs::read_to_string(path).expect("fuzz/Cargo.toml");
        let mut bins: Vec<&str> = manifest
            .split("[[bin]]")
            .skip(1)
            .filter_map(|section| {
                let line = section.lines().find(|l| l.starts_with("name"))?;
                line.split('"').nth(1)
            })
            .collect();
        let mut ours: Vec<&str> = super::TARGETS.iter().map(|(n, _)| *n).collect();
        bins.sort();
        ours.sort();
        assert_eq!(bins, ours);
    }
}
