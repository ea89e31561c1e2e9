//! Every built-in extension ID, named as the spec names the extension (in upper case:
//! [`SHA256`], [`VEC_PUSH`], …), the lists of built-ins and the ID ranges.
//!
//! Each number is written once, in the row that registers its extension (the `builtins!` table of
//! `ext/crypto.rs`, the `ops!` table of `ext/stdlib/ops.rs`); those rows also generate the
//! constants re-exported here. Code, tests, fuzzers and seed generators name these constants, or
//! iterate [`CRYPTO`] and [`STDLIB`], instead of writing numbers; docs point here instead of
//! restating them. The conformance areas `ext` and `stdlib` check the registry against the spec's
//! tables (`cases/ext.toml`, `cases/stdlib-ops.toml`) both ways: a row for every registered
//! built-in (`ext.table.crypto_complete`, `stdlib.registry_complete`) and a registered built-in
//! for every row (`ext.table.ID.NAME`, `stdlib.registry.NAME`).
//!
//! ```
//! use neurlang::ext::ids;
//! use neurlang::runtime::ExtensionRegistry;
//!
//! let registry = ExtensionRegistry::with_builtins();
//! assert_eq!(registry.lookup("sha256"), Some(ids::SHA256));
//! assert!(ids::CRYPTO.iter().all(|id| ids::CRYPTO_RANGE.contains(&id.get())));
//! ```

use std::ops::RangeInclusive;

pub use super::crypto::ids::*;
pub use super::stdlib::ops::ids::*;

/// IDs of the crypto extensions (the built-ins are [`CRYPTO`]).
pub const CRYPTO_RANGE: RangeInclusive<u32> = 1..=99;
/// IDs of the `Vec<u64>` handle operations.
pub const VEC_RANGE: RangeInclusive<u32> = 100..=119;
/// IDs of the `HashMap<u64, u64>` handle operations.
pub const HASHMAP_RANGE: RangeInclusive<u32> = 120..=139;
/// IDs of the string handle operations.
pub const STRING_RANGE: RangeInclusive<u32> = 140..=169;
/// IDs of the JSON handle operations.
pub const JSON_RANGE: RangeInclusive<u32> = 170..=189;
/// IDs of the standard library: [`VEC_RANGE`] through [`JSON_RANGE`] (the built-ins are
/// [`STDLIB`]).
pub const STDLIB_RANGE: RangeInclusive<u32> = *VEC_RANGE.start()..=*JSON_RANGE.end();
/// The first ID handed out to custom extensions by
/// [`ExtensionRegistry::register`](super::ExtensionRegistry::register); every ID below it is
/// reserved for the runtime (the ranges above, and the rest for future built-ins).
pub const FIRST_CUSTOM: u32 = 1000;

/// Writes the constants of one built-in table, inside the table's own macro (`builtins!` in
/// `ext/crypto.rs`, `ops!` in `ext/stdlib/ops.rs`): one `ExtId` constant per row
/// `ID CONSTANT name "description"`, and the list of them all under the given name and doc.
macro_rules! constants {
    ($(#[$doc:meta])* $list:ident: $($id:literal $konst:ident $name:ident $desc:literal)*) => {
        $(
            #[doc = concat!("`", stringify!($name), "`: ", $desc, ".")]
            pub const $konst: $crate::ext::ExtId = $crate::ext::ExtId($id);
        )*
        $(#[$doc])*
        pub const $list: &[$crate::ext::ExtId] = &[$($konst),*];
        /// Each constant's name with its extension's name (a test checks that one is the other
        /// in upper case).
        #[cfg(test)]
        pub(crate) const SPELLINGS: &[(&str, &str)] =
            &[$((stringify!($konst), stringify!($name))),*];
    };
}
pub(crate) use constants;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::{ExtCategory, ExtensionRegistry};

    /// The range each category's built-ins must lie in.
    fn range(category: ExtCategory) -> RangeInclusive<u32> {
        match category {
            ExtCategory::Crypto => CRYPTO_RANGE,
            ExtCategory::Vec => VEC_RANGE,
            ExtCategory::HashMap => HASHMAP_RANGE,
            ExtCategory::String => STRING_RANGE,
            ExtCategory::Json => JSON_RANGE,
            ExtCategory::Custom => FIRST_CUSTOM..=u32::MAX,
        }
    }

    #[test]
    fn the_lists_are_what_with_builtins_registers_each_in_its_range() {
        let r = ExtensionRegistry::with_builtins();
        let listed: Vec<_> = CRYPTO.iter().chain(STDLIB).copied().collect();
        let registered: Vec<_> = r.iter().map(|i| i.id).collect();
        assert_eq!(
            listed, registered,
            "the lists, in order, are the registry's IDs"
        );
        for info in r.iter() {
            let range = range(info.category);
            assert!(
                range.contains(&info.id.get()),
                "{} outside {range:?}",
                info.name
            );
        }
        for id in CRYPTO {
            assert_eq!(r.info(*id).unwrap().category, ExtCategory::Crypto);
        }
        for id in STDLIB {
            assert!(STDLIB_RANGE.contains(&id.get()));
        }
        assert!(*CRYPTO_RANGE.end() < *STDLIB_RANGE.start());
        assert!(*STDLIB_RANGE.end() < FIRST_CUSTOM);
    }

    #[test]
    fn each_constant_is_its_extensions_name_in_upper_case() {
        let r = ExtensionRegistry::with_builtins();
        let spellings = crate::ext::crypto::ids::SPELLINGS
            .iter()
            .zip(CRYPTO)
            .chain(crate::ext::stdlib::ops::ids::SPELLINGS.iter().zip(STDLIB));
        for ((konst, name), id) in spellings {
            assert_eq!(*konst, name.to_uppercase());
            assert_eq!(r.lookup(name), Some(*id), "{konst}");
        }
    }
}
