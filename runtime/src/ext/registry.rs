//! [`ExtensionRegistry`]: registration by name, dispatch by a dense table indexed by ID.

use super::ids::FIRST_CUSTOM;
use super::{ExtCategory, ExtError, ExtFn, ExtId};
use std::collections::HashMap;
use std::fmt;

/// The largest ID the dense table accepts (keeps a stray `register_with_id` from allocating
/// gigabytes).
pub const MAX_ID: u32 = 1 << 20;

/// What the registry knows about an extension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtInfo {
    /// The ID `ext.call` uses.
    pub id: ExtId,
    /// The unique name (`sha256`, `vec_push`, …).
    pub name: String,
    /// One line for humans.
    pub description: String,
    /// Number of arguments a call must pass.
    pub arg_count: usize,
    /// Whether the result carries the taint of the arguments.
    pub propagate_taint: bool,
    /// The kind of extension.
    pub category: ExtCategory,
}

/// The hot part of an entry: what `call` reads.
#[derive(Clone)]
struct Slot {
    func: ExtFn,
    arg_count: usize,
}

/// The extension registry. Dispatch ([`ExtensionRegistry::call`]) is one bounds-checked index
/// into a `Vec`, one argument-count comparison and one indirect call; names are only consulted by
/// [`ExtensionRegistry::lookup`] and registration.
///
/// The registry is `Send + Sync`: build it, then share it (`Arc<ExtensionRegistry>`) between the
/// threads that call extensions.
#[derive(Default, Clone)]
pub struct ExtensionRegistry {
    slots: Vec<Option<Slot>>,
    info: Vec<Option<ExtInfo>>,
    by_name: HashMap<String, ExtId>,
    next_custom: u32,
}

impl fmt::Debug for ExtensionRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExtensionRegistry")
            .field("extensions", &self.by_name.len())
            .finish()
    }
}

impl ExtensionRegistry {
    /// An empty registry (no built-ins).
    pub fn new() -> ExtensionRegistry {
        ExtensionRegistry {
            next_custom: FIRST_CUSTOM,
            ..Default::default()
        }
    }

    /// A registry with the built-in crypto extensions and the standard library (their IDs:
    /// [`ids`](super::ids)).
    pub fn with_builtins() -> ExtensionRegistry {
        let mut r = ExtensionRegistry::new();
        super::crypto::register_all(&mut r);
        super::stdlib::register_all(&mut r);
        r
    }

    /// Registers a custom extension under the next free ID from [`FIRST_CUSTOM`] up, as in the spec's
    /// example (which uses the returned ID directly, so this returns the ID, not a `Result`).
    ///
    /// # Panics
    /// If `name` is already registered or the ID space is exhausted; use
    /// [`ExtensionRegistry::try_register`] to get these as errors.
    pub fn register(
        &mut self,
        name: &str,
        description: &str,
        arg_count: usize,
        propagate_taint: bool,
        category: ExtCategory,
        func: ExtFn,
    ) -> ExtId {
        match self.try_register(
            name,
            description,
            arg_count,
            propagate_taint,
            category,
            func,
        ) {
            Ok(id) => id,
            Err(e) => panic!("cannot register extension {name:?}: {e}"),
        }
    }

    /// Registers a custom extension under the next free ID from [`FIRST_CUSTOM`] up.
    ///
    /// # Errors
    /// [`ExtError::DuplicateName`] if the name is taken, [`ExtError::IdUnavailable`] if the ID
    /// space is exhausted.
    pub fn try_register(
        &mut self,
        name: &str,
        description: &str,
        arg_count: usize,
        propagate_taint: bool,
        category: ExtCategory,
        func: ExtFn,
    ) -> Result<ExtId, ExtError> {
        let mut id = self.next_custom;
        while self.slots.get(id as usize).is_some_and(Option::is_some) {
            id += 1;
        }
        if id > MAX_ID {
            return Err(ExtError::IdUnavailable(id));
        }
        let info = self.info_for(
            ExtId(id),
            name,
            description,
            arg_count,
            propagate_taint,
            category,
        )?;
        self.insert(info, func);
        self.next_custom = id + 1;
        Ok(ExtId(id))
    }

    /// Registers an extension under a chosen ID: any free ID, including the reserved ranges
    /// of [`ids`](super::ids), which is how built-ins are registered.
    ///
    /// # Errors
    /// [`ExtError::DuplicateName`] if the name is taken, [`ExtError::IdUnavailable`] if the ID is
    /// taken, 0, or above [`MAX_ID`].
    #[allow(clippy::too_many_arguments)] // the spec's six registration fields plus the ID
    pub fn register_with_id(
        &mut self,
        id: ExtId,
        name: &str,
        description: &str,
        arg_count: usize,
        propagate_taint: bool,
        category: ExtCategory,
        func: ExtFn,
    ) -> Result<ExtId, ExtError> {
        let info = self.info_for(id, name, description, arg_count, propagate_taint, category)?;
        self.insert(info, func);
        Ok(id)
    }

    fn info_for(
        &self,
        id: ExtId,
        name: &str,
        description: &str,
        arg_count: usize,
        propagate_taint: bool,
        category: ExtCategory,
    ) -> Result<ExtInfo, ExtError> {
        if id.0 == 0 || id.0 > MAX_ID || self.slots.get(id.0 as usize).is_some_and(Option::is_some)
        {
            return Err(ExtError::IdUnavailable(id.0));
        }
        if self.by_name.contains_key(name) {
            return Err(ExtError::DuplicateName(name.to_owned()));
        }
        Ok(ExtInfo {
            id,
            name: name.to_owned(),
            description: description.to_owned(),
            arg_count,
            propagate_taint,
            category,
        })
    }

    fn insert(&mut self, info: ExtInfo, func: ExtFn) {
        let i = info.id.0 as usize;
        if self.slots.len() <= i {
            self.slots.resize(i + 1, None);
            self.info.resize(i + 1, None);
        }
        self.slots[i] = Some(Slot {
            func,
            arg_count: info.arg_count,
        });
        self.by_name.insert(info.name.clone(), info.id);
        self.info[i] = Some(info);
    }

    /// Calls extension `id` with `args`; the extension may write `outputs`.
    ///
    /// # Errors
    /// [`ExtError::UnknownExtension`] for an unregistered ID, [`ExtError::WrongArgCount`] when
    /// `args.len()` differs from the registered count, or whatever the extension reports. Never
    /// panics on bad input.
    #[inline]
    pub fn call(
        &self,
        id: impl Into<ExtId>,
        args: &[u64],
        outputs: &mut [u64],
    ) -> Result<u64, ExtError> {
        let id = id.into();
        match self.slot(id, args.len()) {
            Some(slot) => (slot.func)(args, outputs),
            None => Err(self.refusal(id, args.len())),
        }
    }

    /// The checks of [`ExtensionRegistry::call`] that need no argument: whether a call of `id`
    /// with `n` arguments reaches the extension (the C ABI makes them before it reads any).
    pub(crate) fn check_args(&self, id: ExtId, n: usize) -> Result<(), ExtError> {
        match self.slot(id, n) {
            Some(_) => Ok(()),
            None => Err(self.refusal(id, n)),
        }
    }

    /// The slot of `id` if it is registered and takes `n` arguments.
    #[inline]
    fn slot(&self, id: ExtId, n: usize) -> Option<&Slot> {
        let slot = self.slots.get(id.0 as usize)?.as_ref()?;
        (slot.arg_count == n).then_some(slot)
    }

    /// Why a call of `id` with `n` arguments has no [`slot`](Self::slot).
    #[cold]
    fn refusal(&self, id: ExtId, n: usize) -> ExtError {
        match self.slots.get(id.0 as usize) {
            Some(Some(slot)) => ExtError::WrongArgCount {
                expected: slot.arg_count,
                got: n,
            },
            _ => ExtError::UnknownExtension(id.0),
        }
    }

    /// The ID registered under `name`.
    pub fn lookup(&self, name: &str) -> Option<ExtId> {
        self.by_name.get(name).copied()
    }

    /// What is registered under `id`.
    pub fn info(&self, id: impl Into<ExtId>) -> Option<&ExtInfo> {
        self.info.get(id.into().0 as usize)?.as_ref()
    }

    /// Every registered extension, by ascending ID.
    pub fn iter(&self) -> impl Iterator<Item = &ExtInfo> {
        self.info.iter().flatten()
    }

    /// The number of registered extensions.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether nothing is registered.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

/// Whether `id` is reserved for the runtime (below [`FIRST_CUSTOM`]: crypto, stdlib, future
/// built-ins).
pub fn is_reserved(id: ExtId) -> bool {
    id.0 < FIRST_CUSTOM
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ext::ids;
    use std::sync::Arc;

    fn noop() -> ExtFn {
        Arc::new(|_, _| Ok(7))
    }

    #[test]
    fn custom_ids_start_at_first_custom_and_names_are_unique() {
        let mut r = ExtensionRegistry::new();
        let a = r.register(
            "a",
            "",
            0,
            false,
            ExtCategory::Custom,
            Arc::new(|_, _| Ok(1)),
        );
        let b = r
            .try_register(
                "b",
                "",
                1,
                true,
                ExtCategory::Custom,
                Arc::new(|a, _| Ok(a[0])),
            )
            .unwrap();
        assert_eq!((a, b), (ExtId(FIRST_CUSTOM), ExtId(FIRST_CUSTOM + 1)));
        assert_eq!(
            r.try_register(
                "a",
                "",
                0,
                false,
                ExtCategory::Custom,
                Arc::new(|_, _| Ok(1))
            ),
            Err(ExtError::DuplicateName("a".into()))
        );
        assert_eq!(r.lookup("b"), Some(b));
        assert_eq!(r.call(b, &[42], &mut []), Ok(42));
        let info = r.info(b).unwrap();
        assert_eq!(
            (info.arg_count, info.propagate_taint, info.category),
            (1, true, ExtCategory::Custom)
        );
    }

    #[test]
    fn bad_calls_are_errors_not_panics() {
        let mut r = ExtensionRegistry::new();
        r.register_with_id(ExtId(5), "five", "", 2, false, ExtCategory::Crypto, noop())
            .unwrap();
        assert_eq!(
            r.call(0u32, &[], &mut []),
            Err(ExtError::UnknownExtension(0))
        );
        assert_eq!(
            r.call(4u32, &[], &mut []),
            Err(ExtError::UnknownExtension(4))
        );
        assert_eq!(
            r.call(u32::MAX, &[], &mut []),
            Err(ExtError::UnknownExtension(u32::MAX))
        );
        assert_eq!(
            r.call(5u32, &[1], &mut []),
            Err(ExtError::WrongArgCount {
                expected: 2,
                got: 1
            })
        );
        assert_eq!(r.call(5u32, &[1, 2], &mut []), Ok(7));
    }

    #[test]
    fn taken_and_invalid_ids_are_refused() {
        let mut r = ExtensionRegistry::new();
        r.register_with_id(ExtId(100), "x", "", 0, false, ExtCategory::Vec, noop())
            .unwrap();
        for id in [0, 100, MAX_ID + 1] {
            assert_eq!(
                r.register_with_id(ExtId(id), "y", "", 0, false, ExtCategory::Vec, noop()),
                Err(ExtError::IdUnavailable(id))
            );
        }
        let (first, last) = (*ids::CRYPTO_RANGE.start(), *ids::STDLIB_RANGE.end());
        assert!(is_reserved(ExtId(first)) && is_reserved(ExtId(last)));
        assert!(is_reserved(ExtId(FIRST_CUSTOM - 1)) && !is_reserved(ExtId(FIRST_CUSTOM)));
    }

    #[test]
    fn custom_ids_run_up_to_max_id_inclusive() {
        let mut r = ExtensionRegistry::new();
        // As if every custom ID below MAX_ID had been handed out.
        r.next_custom = MAX_ID - 1;
        let reg = |r: &mut ExtensionRegistry, name: &str| {
            r.try_register(name, "", 0, false, ExtCategory::Custom, noop())
        };
        assert_eq!(reg(&mut r, "a"), Ok(ExtId(MAX_ID - 1)));
        assert_eq!(reg(&mut r, "b"), Ok(ExtId(MAX_ID)));
        assert_eq!(reg(&mut r, "c"), Err(ExtError::IdUnavailable(MAX_ID + 1)));
        assert_eq!(r.call(MAX_ID, &[], &mut []), Ok(7));
    }

    #[test]
    fn debug_says_how_many_extensions_are_registered() {
        let mut r = ExtensionRegistry::new();
        assert_eq!(format!("{r:?}"), "ExtensionRegistry { extensions: 0 }");
        r.register("a", "", 0, false, ExtCategory::Custom, noop());
        assert_eq!(format!("{r:?}"), "ExtensionRegistry { extensions: 1 }");
    }

    #[test]
    fn len_counts_the_registered_extensions() {
        let mut r = ExtensionRegistry::new();
        assert_eq!((r.len(), r.is_empty()), (0, true));
        r.register("a", "", 0, false, ExtCategory::Custom, noop());
        r.register("b", "", 0, false, ExtCategory::Custom, noop());
        assert_eq!((r.len(), r.is_empty()), (2, false));
    }
}
