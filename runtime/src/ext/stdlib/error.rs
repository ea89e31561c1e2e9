//! What a stdlib operation can fail with, before it is turned into an `ExtError`.

use std::fmt;

/// Why a stdlib operation failed. The spec's in-band results (0 for "missing", `u64::MAX` for
/// "not found") are not errors; these are conditions the spec leaves undefined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StdlibError {
    /// A freed, forged or wrong-type handle.
    InvalidHandle,
    /// An index or range outside the value (`vec_get` past the end, `string_substr` past the end).
    OutOfRange,
    /// A byte offset that is not on a UTF-8 character boundary.
    NotCharBoundary,
    /// Bytes that are not valid UTF-8 (`string_from_bytes`).
    InvalidUtf8,
    /// Text that is not a number (`string_parse_int`, `string_parse_float`).
    NotANumber,
    /// Text that is not JSON, or JSON nested deeper than the parser's limit (128).
    InvalidJson,
    /// A JSON operation on a value of the wrong JSON type (`json_set` on an array, …).
    WrongJsonType,
    /// An argument the operation cannot accept (an empty delimiter, a value pushed into itself).
    InvalidArgument,
    /// An allocation the operation would need failed (`vec_with_cap` with a huge capacity).
    OutOfMemory,
    /// Every slot index of a table is in use or retired.
    TooManyHandles,
    /// A capability token that is forged, revoked, too short or lacks the needed permission.
    BadCapability,
}

impl fmt::Display for StdlibError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            StdlibError::InvalidHandle => "invalid handle (freed, forged or of another type)",
            StdlibError::OutOfRange => "index or range out of bounds",
            StdlibError::NotCharBoundary => "byte offset is not on a UTF-8 character boundary",
            StdlibError::InvalidUtf8 => "bytes are not valid UTF-8",
            StdlibError::NotANumber => "text is not a number",
            StdlibError::InvalidJson => "text is not JSON (or nests deeper than 128)",
            StdlibError::WrongJsonType => "JSON value of the wrong type for this operation",
            StdlibError::InvalidArgument => "invalid argument",
            StdlibError::OutOfMemory => "allocation failed",
            StdlibError::TooManyHandles => "handle table exhausted",
            StdlibError::BadCapability => "bad capability token",
        };
        f.write_str(s)
    }
}

impl std::error::Error for StdlibError {}
