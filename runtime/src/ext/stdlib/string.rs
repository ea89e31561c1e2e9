//! String operations over UTF-8 `String` handles (IDs: [`crate::ext::ids::STRING_RANGE`]).
//!
//! Decisions where the spec is silent, each tested in `ext/stdlib/tests.rs` (`string_decisions`,
//! `float_text_round_trips_exactly`, and `strings_agree_with_str` against Rust's `str`):
//!
//! - `string_from_bytes` **rejects** bytes that are not UTF-8 ([`StdlibError::InvalidUtf8`]);
//!   nothing is replaced lossily, so a string handle always holds exactly the bytes given.
//! - Lengths and offsets are in **bytes** (`string_len` is the byte length). `string_substr(h,
//!   start, len)` takes bytes `start..start+len`, with the end clamped to the string's length;
//!   `start` past the end is [`StdlibError::OutOfRange`], and a start or (clamped) end inside a
//!   multi-byte character is [`StdlibError::NotCharBoundary`].
//! - `string_find` returns the byte offset of the first match, or `u64::MAX` (-1) when absent.
//!   An empty needle is found at 0.
//! - `string_replace` replaces every occurrence; `string_split` with an empty delimiter is
//!   [`StdlibError::InvalidArgument`]. `string_split` returns a new vec handle of new string
//!   handles, **all owned by the caller** (free each string, then the vec).
//! - `string_trim`, `string_to_upper`, `string_to_lower` use Unicode whitespace and case maps.
//! - `string_to_bytes` returns a new vec handle with one element (0–255) per byte.
//! - `string_parse_int` accepts an optional sign and decimal digits fitting in `i64` (returned as
//!   its two's-complement `u64`); `string_parse_float` accepts Rust's `f64` syntax (including
//!   `inf` and `NaN`) and returns the `f64` bits. Anything else (including surrounding whitespace)
//!   is [`StdlibError::NotANumber`].
//! - `string_from_int` formats its argument as a signed `i64`; `string_from_float` formats the
//!   `f64` with those bits in the shortest form that parses back to the same bits, always
//!   recognisable as a float: `1.0`, `0.1`, `1e300`, `-2.5e-300`, `inf`, `NaN` (Rust's `{:?}`).
//!
//! `string_concat` holds both strings' locks at once, taken in slot order (no copy of either);
//! the other operations that take several string handles copy the arguments first and never hold
//! two locks.

use super::{Handle, Stdlib, StdlibError};
use crate::cap::Capability;

impl Stdlib {
    /// 140 `string_new`.
    pub fn string_new(&self) -> Result<Handle, StdlibError> {
        self.strings.insert(String::new())
    }

    /// 141 `string_from_bytes` on bytes already read through the capability.
    pub fn string_from_bytes(&self, bytes: &[u8]) -> Result<Handle, StdlibError> {
        let s = std::str::from_utf8(bytes).map_err(|_| StdlibError::InvalidUtf8)?;
        self.strings.insert(s.to_owned())
    }

    /// Wraps an existing string in a new handle.
    pub fn string_from(&self, s: String) -> Result<Handle, StdlibError> {
        self.strings.insert(s)
    }

    /// A copy of a string's contents.
    pub fn string_contents(&self, h: Handle) -> Result<String, StdlibError> {
        self.strings.with(h, |s| s.clone())
    }

    /// 142 `string_len`: the length in bytes.
    pub fn string_len(&self, h: Handle) -> Result<u64, StdlibError> {
        self.strings.with(h, |s| s.len() as u64)
    }

    /// 143 `string_concat`: a new string.
    pub fn string_concat(&self, a: Handle, b: Handle) -> Result<Handle, StdlibError> {
        let joined = self.strings.with2(a, b, |head, tail| {
            let mut out = String::with_capacity(head.len() + tail.len());
            out.push_str(head);
            out.push_str(tail);
            out
        })?;
        self.strings.insert(joined)
    }

    /// 144 `string_substr`: bytes `start..start+len` (end clamped) as a new string.
    pub fn string_substr(&self, h: Handle, start: u64, len: u64) -> Result<Handle, StdlibError> {
        let sub = self.strings.with(h, |s| {
            let start = usize::try_from(start)
                .ok()
                .filter(|&i| i <= s.len())
                .ok_or(StdlibError::OutOfRange)?;
            let len = usize::try_from(len).unwrap_or(usize::MAX);
            let end = start.saturating_add(len).min(s.len());
            s.get(start..end)
                .map(str::to_owned)
                .ok_or(StdlibError::NotCharBoundary)
        })??;
        self.strings.insert(sub)
    }

    /// 145 `string_find`: the byte offset of `needle` in `haystack`, or `u64::MAX`.
    pub fn string_find(&self, haystack: Handle, needle: Handle) -> Result<u64, StdlibError> {
        let needle = self.string_contents(needle)?;
        self.strings
            .with(haystack, |s| s.find(&needle).map_or(u64::MAX, |i| i as u64))
    }

    /// 146 `string_replace`: a new string with every `old` replaced by `new`.
    pub fn string_replace(
        &self,
        h: Handle,
        old: Handle,
        new: Handle,
    ) -> Result<Handle, StdlibError> {
        let old = self.string_contents(old)?;
        let new = self.string_contents(new)?;
        let replaced = self.strings.with(h, |s| s.replace(&old, &new))?;
        self.strings.insert(replaced)
    }

    /// 147 `string_split`: a new vec of new string handles (all owned by the caller).
    pub fn string_split(&self, h: Handle, delim: Handle) -> Result<Handle, StdlibError> {
        let delim = self.string_contents(delim)?;
        if delim.is_empty() {
            return Err(StdlibError::InvalidArgument);
        }
        let parts: Vec<String> = self
            .strings
            .with(h, |s| s.split(&delim).map(str::to_owned).collect())?;
        self.strings_into_vec(parts)
    }

    /// Stores each string under a new handle and returns a new vec of those handles; on failure
    /// frees everything it created.
    pub(crate) fn strings_into_vec(&self, parts: Vec<String>) -> Result<Handle, StdlibError> {
        let mut handles = Vec::with_capacity(parts.len());
        for p in parts {
            match self.strings.insert(p) {
                Ok(h) => handles.push(h.raw()),
                Err(e) => {
                    for h in handles {
                        let _ = self.strings.remove(Handle::from_raw(h));
                    }
                    return Err(e);
                }
            }
        }
        self.vec_from(handles)
    }

    /// 148 `string_trim`.
    pub fn string_trim(&self, h: Handle) -> Result<Handle, StdlibError> {
        let t = self.strings.with(h, |s| s.trim().to_owned())?;
        self.strings.insert(t)
    }

    /// 149 `string_to_upper`.
    pub fn string_to_upper(&self, h: Handle) -> Result<Handle, StdlibError> {
        let t = self.strings.with(h, |s| s.to_uppercase())?;
        self.strings.insert(t)
    }

    /// 150 `string_to_lower`.
    pub fn string_to_lower(&self, h: Handle) -> Result<Handle, StdlibError> {
        let t = self.strings.with(h, |s| s.to_lowercase())?;
        self.strings.insert(t)
    }

    /// 151 `string_starts_with`: 1 or 0.
    pub fn string_starts_with(&self, h: Handle, prefix: Handle) -> Result<u64, StdlibError> {
        let p = self.string_contents(prefix)?;
        self.strings.with(h, |s| u64::from(s.starts_with(&p)))
    }

    /// 152 `string_ends_with`: 1 or 0.
    pub fn string_ends_with(&self, h: Handle, suffix: Handle) -> Result<u64, StdlibError> {
        let p = self.string_contents(suffix)?;
        self.strings.with(h, |s| u64::from(s.ends_with(&p)))
    }

    /// 153 `string_to_bytes`: a new vec handle, one element per byte.
    pub fn string_to_bytes(&self, h: Handle) -> Result<Handle, StdlibError> {
        let bytes = self
            .strings
            .with(h, |s| s.bytes().map(u64::from).collect())?;
        self.vec_from(bytes)
    }

    /// 154 `string_free`.
    pub fn string_free(&self, h: Handle) -> Result<u64, StdlibError> {
        self.strings.remove(h).map(|_| 0)
    }

    /// 155 `string_parse_int`: the `i64` as `u64` bits.
    pub fn string_parse_int(&self, h: Handle) -> Result<u64, StdlibError> {
        self.strings
            .with(h, |s| s.parse::<i64>().map(|i| i as u64))?
            .map_err(|_| StdlibError::NotANumber)
    }

    /// 156 `string_parse_float`: the `f64` bits.
    pub fn string_parse_float(&self, h: Handle) -> Result<u64, StdlibError> {
        self.strings
            .with(h, |s| s.parse::<f64>().map(f64::to_bits))?
            .map_err(|_| StdlibError::NotANumber)
    }

    /// 157 `string_from_int`: the argument as a signed decimal.
    pub fn string_from_int(&self, value: u64) -> Result<Handle, StdlibError> {
        self.strings.insert((value as i64).to_string())
    }

    /// 158 `string_from_float`: the `f64` with these bits, shortest round-trip form.
    pub fn string_from_float(&self, bits: u64) -> Result<Handle, StdlibError> {
        self.strings.insert(format!("{:?}", f64::from_bits(bits)))
    }
}

impl Stdlib {
    /// 141 `string_from_bytes` at the ABI: `len` bytes read through capability token `cap`,
    /// which must grant READ over them (a zero length may pass token 0). A forged, stale or
    /// revoked token is `InvalidCapability`, a token without READ `PermissionDenied`, a length
    /// beyond the capability `OutOfBounds`; the bytes are copied, then checked as UTF-8.
    pub fn string_from_capability(&self, cap: u64, len: u64) -> Result<Handle, StdlibError> {
        let len = usize::try_from(len).map_err(|_| StdlibError::OutOfBounds)?;
        if len == 0 && cap == 0 {
            return self.string_new();
        }
        let cap = Capability::from_raw(cap).map_err(|_| StdlibError::InvalidCapability)?;
        if !cap.has_read_permission() {
            return Err(StdlibError::PermissionDenied);
        }
        if len > cap.length() {
            return Err(StdlibError::OutOfBounds);
        }
        let bytes = cap.to_vec(0, len).map_err(|_| StdlibError::OutOfBounds)?;
        self.string_from_bytes(&bytes)
    }
}
