//! What a stdlib operation can fail with, before it is turned into an `ExtError`.

use crate::ext::ExtError;
use crate::handle::HandleError;
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
    /// Text that is not JSON, or JSON nested deeper than the parser's limit (127 levels).
    InvalidJson,
    /// A JSON operation on a value of the wrong JSON type (`json_set` on an array, …).
    WrongJsonType,
    /// An argument the operation cannot accept (an empty delimiter, a value pushed into itself).
    InvalidArgument,
    /// An allocation the operation would need failed (`vec_with_cap` with a huge capacity).
    OutOfMemory,
    /// Every slot index of a table is in use or retired.
    TooManyHandles,
    /// A capability token that is forged, stale or revoked.
    InvalidCapability,
    /// A capability without READ permission.
    PermissionDenied,
    /// A length beyond the capability.
    OutOfBounds,
}

impl fmt::Display for StdlibError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for StdlibError {}

impl From<HandleError> for StdlibError {
    fn from(e: HandleError) -> StdlibError {
        match e {
            HandleError::Invalid => StdlibError::InvalidHandle,
            HandleError::Full => StdlibError::TooManyHandles,
        }
    }
}

impl From<StdlibError> for ExtError {
    fn from(e: StdlibError) -> ExtError {
        match e {
            StdlibError::InvalidHandle => ExtError::InvalidHandle,
            StdlibError::InvalidCapability => ExtError::InvalidCapability,
            StdlibError::PermissionDenied => ExtError::PermissionDenied,
            StdlibError::OutOfBounds => ExtError::OutOfBounds,
            other => ExtError::InvalidArgument(other.message()),
        }
    }
}

impl StdlibError {
    /// The fixed message, also carried by `ExtError::InvalidArgument`.
    pub fn message(self) -> &'static str {
        match self {
            StdlibError::InvalidHandle => "invalid handle",
            StdlibError::OutOfRange => "index out of range",
            StdlibError::NotCharBoundary => "not a char boundary",
            StdlibError::InvalidUtf8 => "invalid UTF-8",
            StdlibError::NotANumber => "not a number",
            StdlibError::InvalidJson => "invalid JSON",
            StdlibError::WrongJsonType => "wrong JSON type",
            StdlibError::InvalidArgument => "invalid argument",
            StdlibError::OutOfMemory => "out of memory",
            StdlibError::TooManyHandles => "too many handles",
            StdlibError::InvalidCapability => "invalid capability token",
            StdlibError::PermissionDenied => "capability lacks READ",
            StdlibError::OutOfBounds => "length beyond the capability",
        }
    }
}
