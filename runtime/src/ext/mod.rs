//! The Extension Registry (the spec's "Tier 2"): Rust functions that generated code calls with
//! `ext.call`, identified by a numeric [`ExtId`].
//!
//! * [`ExtensionRegistry`] dispatches through a dense table indexed by ID, not the spec's
//!   `HashMap` (the ext-call row of docs/performance.md has both, from
//!   `cargo bench -p neurlang-benches --bench ext`); the name map serves registration and lookup only.
//! * IDs: [`ids`] names every built-in ([`crypto`], [`stdlib`]) and the ranges; custom
//!   extensions get IDs from [`ids::FIRST_CUSTOM`] up.
//! * Pointer arguments are capability tokens ([`crate::cap`]); built-in extensions declare which
//!   arguments are buffers, with the permission and length each needs, and receive
//!   [`SafeBuffer`]s — never a raw pointer.
//!
//! ```
//! use neurlang::runtime::{ExtCategory, ExtError, ExtensionRegistry};
//! use std::sync::Arc;
//!
//! let mut registry = ExtensionRegistry::new();
//! let id = registry.register(
//!     "my_hash",
//!     "Custom hash function for domain-specific data",
//!     2,    // argument count
//!     true, // propagate taint
//!     ExtCategory::Crypto,
//!     Arc::new(|args, outputs| {
//!         outputs[0] = args[0] ^ args[1];
//!         Ok(0)
//!     }),
//! );
//! let (input_ptr, input_len) = (0x1234, 8);
//! let mut outputs = [0u64; 1];
//! let result = registry.call(id, &[input_ptr, input_len], &mut outputs)?;
//! assert_eq!((result, outputs[0]), (0, 0x123c));
//! assert_eq!(registry.call(id, &[1], &mut outputs), Err(ExtError::WrongArgCount { expected: 2, got: 1 }));
//! # Ok::<(), ExtError>(())
//! ```

mod bridge;
pub mod crypto;
mod gcm;
pub mod ids;
mod registry;
mod safe_buffer;
pub mod stdlib;

use std::fmt;
use std::sync::Arc;

use crate::errno::Errno;

pub use bridge::{BridgedFn, BufArg, BufLen, bridged};
pub use registry::{ExtInfo, ExtensionRegistry, MAX_ID, is_reserved};
pub use safe_buffer::SafeBuffer;

/// The function behind an extension: `(args, outputs) -> result`.
pub type ExtFn = Arc<dyn Fn(&[u64], &mut [u64]) -> Result<u64, ExtError> + Send + Sync>;

/// An extension's numeric ID (the `ext.call` immediate).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExtId(pub u32);

impl ExtId {
    /// The raw number.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl From<u32> for ExtId {
    fn from(id: u32) -> ExtId {
        ExtId(id)
    }
}

impl From<ExtId> for u32 {
    fn from(id: ExtId) -> u32 {
        id.0
    }
}

impl fmt::Display for ExtId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What kind of extension an entry is (informational; used by tooling and the conformance table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExtCategory {
    /// Hashes, MACs, ciphers, signatures, key exchange, random numbers.
    Crypto,
    /// `Vec<u64>` handles ([`ids::VEC_RANGE`]).
    Vec,
    /// `HashMap` handles ([`ids::HASHMAP_RANGE`]).
    HashMap,
    /// String handles ([`ids::STRING_RANGE`]).
    String,
    /// JSON handles ([`ids::JSON_RANGE`]).
    Json,
    /// Anything else a user registers.
    Custom,
}

impl ExtCategory {
    /// A short lower-case name (`crypto`, `vec`, …).
    pub const fn name(self) -> &'static str {
        match self {
            ExtCategory::Crypto => "crypto",
            ExtCategory::Vec => "vec",
            ExtCategory::HashMap => "hashmap",
            ExtCategory::String => "string",
            ExtCategory::Json => "json",
            ExtCategory::Custom => "custom",
        }
    }
}

/// Why an extension call or registration failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExtError {
    /// A stdlib handle is freed, forged or of the wrong type.
    InvalidHandle,
    /// No extension has this ID.
    UnknownExtension(u32),
    /// No extension has this name.
    UnknownName(String),
    /// The call passed the wrong number of arguments.
    WrongArgCount {
        /// Arguments the extension declares.
        expected: usize,
        /// Arguments passed.
        got: usize,
    },
    /// A buffer argument is not a valid capability token (forged, stale, revoked).
    InvalidCapability,
    /// A buffer lacks the permission the operation needs.
    PermissionDenied,
    /// An access falls outside a buffer.
    OutOfBounds,
    /// An argument value is out of its domain (a zero iteration count, a wrong key length, …).
    InvalidArgument(&'static str),
    /// Authentication failed (bad tag, invalid key material, low-order point); nothing written.
    CryptoFailure,
    /// A registration used a name that is already registered.
    DuplicateName(String),
    /// A registration used an ID that is taken or in a reserved range.
    IdUnavailable(u32),
    /// The `outputs` slice is shorter than the extension writes.
    MissingOutputs,
    /// The OS random generator failed.
    RandomUnavailable,
}

impl ExtError {
    /// The canonical error code the C ABI returns (negated) for this error.
    pub fn errno(&self) -> Errno {
        match self {
            ExtError::InvalidHandle => Errno::EBADF,
            ExtError::UnknownExtension(_) | ExtError::UnknownName(_) => Errno::ENOSYS,
            ExtError::InvalidCapability | ExtError::PermissionDenied | ExtError::OutOfBounds => {
                Errno::EFAULT
            }
            ExtError::DuplicateName(_) | ExtError::IdUnavailable(_) => Errno::EEXIST,
            ExtError::RandomUnavailable => Errno::EIO,
            ExtError::WrongArgCount { .. }
            | ExtError::InvalidArgument(_)
            | ExtError::CryptoFailure
            | ExtError::MissingOutputs => Errno::EINVAL,
        }
    }
}

impl From<ExtError> for Errno {
    fn from(e: ExtError) -> Errno {
        e.errno()
    }
}

impl fmt::Display for ExtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExtError::InvalidHandle => f.write_str("invalid handle"),
            ExtError::UnknownExtension(id) => write!(f, "no extension with ID {id}"),
            ExtError::UnknownName(n) => write!(f, "no extension named {n:?}"),
            ExtError::WrongArgCount { expected, got } => {
                write!(f, "expected {expected} arguments, got {got}")
            }
            ExtError::InvalidCapability => f.write_str("invalid capability token"),
            ExtError::PermissionDenied => f.write_str("buffer lacks the needed permission"),
            ExtError::OutOfBounds => f.write_str("access outside the buffer"),
            ExtError::InvalidArgument(what) => write!(f, "invalid argument: {what}"),
            ExtError::CryptoFailure => f.write_str("cryptographic verification failed"),
            ExtError::DuplicateName(n) => write!(f, "an extension named {n:?} exists"),
            ExtError::IdUnavailable(id) => write!(f, "extension ID {id} is taken or reserved"),
            ExtError::MissingOutputs => f.write_str("outputs slice too short"),
            ExtError::RandomUnavailable => f.write_str("OS random generator failed"),
        }
    }
}

impl std::error::Error for ExtError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ext_id_displays_as_its_number() {
        assert_eq!(ExtId::from(1001).to_string(), "1001");
        assert_eq!(format!("{:>5}", ExtId::from(7)), "    7");
    }
}
