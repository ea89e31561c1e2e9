//! A generic, typed, generational handle table.
//!
//! A handle is a `u64` laid out as `tag:8 | generation:24 | slot:32`:
//!
//! - the **tag** names the handle's type ([`Tag`]); it is never 0, so no handle is ever 0 and a
//!   handle of one type is rejected by a table of another type;
//! - the **slot** indexes a segmented slab (segment `k` holds `64 << k` slots; segments are
//!   allocated on first use and never move), so lookups take no table-wide lock;
//! - the **generation** is bumped every time the slot is freed. A stale copy of a freed handle
//!   therefore never names the slot's next value. A slot whose generation would wrap is retired
//!   for good instead of being reused.
//!
//! Every slot has its own lock, folded with its generation into one atomic word ([`super::slot`]):
//! threads working on different handles never contend, and an operation costs one
//! compare-and-swap. Only creating and freeing a handle touch the shared free list.
//!
//! Freed, forged and wrong-type handles all give [`StdlibError::InvalidHandle`].

use super::StdlibError;
use super::slot::Slot;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// The type of a handle: its top 8 bits. Never 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Tag {
    /// `Vec<u64>` (IDs 100–112).
    Vec = 1,
    /// `HashMap<u64, u64>` (IDs 120–129).
    HashMap = 2,
    /// UTF-8 `String` (IDs 140–158).
    String = 3,
    /// JSON value (IDs 170–181).
    Json = 4,
}

/// A handle as the runtime sees it: a non-zero `u64` (bare `u64` only at the ABI).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Handle(u64);

const SLOT_BITS: u32 = 32;
const GEN_BITS: u32 = 24;
const GEN_MAX: u32 = (1 << GEN_BITS) - 1;
const TAG_SHIFT: u32 = SLOT_BITS + GEN_BITS;
const FIRST_SEGMENT: u64 = 64;
/// Enough segments for every 32-bit slot index (`64 * (2^27 - 1) > 2^32`).
const SEGMENTS: usize = 27;

impl Handle {
    fn new(tag: Tag, generation: u32, slot: u32) -> Handle {
        Handle(((tag as u64) << TAG_SHIFT) | (u64::from(generation) << SLOT_BITS) | u64::from(slot))
    }

    /// The handle's ABI value.
    pub fn raw(self) -> u64 {
        self.0
    }

    /// The handle for an ABI value, whatever it is (validated by the table on use).
    pub fn from_raw(raw: u64) -> Handle {
        Handle(raw)
    }

    fn tag(self) -> u64 {
        self.0 >> TAG_SHIFT
    }

    fn generation(self) -> u32 {
        ((self.0 >> SLOT_BITS) as u32) & GEN_MAX
    }

    fn slot(self) -> u32 {
        self.0 as u32
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Handle({:#x})", self.0)
    }
}

/// A run of slots allocated at once; it never moves.
type Segment<T> = Box<[Slot<T>]>;

struct FreeList {
    free: Vec<u32>,
    next: u64,
}

/// A table of values of one type, named by generational handles.
pub struct HandleTable<T> {
    tag: Tag,
    segments: [OnceLock<Segment<T>>; SEGMENTS],
    free: Mutex<FreeList>,
    live: AtomicUsize,
}

impl<T> fmt::Debug for HandleTable<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandleTable")
            .field("tag", &self.tag)
            .field("live", &self.live())
            .finish_non_exhaustive()
    }
}

/// Locks the free list, ignoring poisoning (it is consistent between statements).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn locate(slot: u32) -> (usize, usize) {
    let i = u64::from(slot) + FIRST_SEGMENT;
    let k = 63 - i.leading_zeros() - FIRST_SEGMENT.trailing_zeros();
    (k as usize, (i - (FIRST_SEGMENT << k)) as usize)
}

impl<T> HandleTable<T> {
    /// An empty table whose handles carry `tag`.
    pub fn new(tag: Tag) -> Self {
        HandleTable {
            tag,
            segments: [const { OnceLock::new() }; SEGMENTS],
            free: Mutex::new(FreeList {
                free: Vec::new(),
                next: 0,
            }),
            live: AtomicUsize::new(0),
        }
    }

    /// How many handles of this table are live (created and not yet freed).
    pub fn live(&self) -> usize {
        self.live.load(Ordering::Relaxed)
    }

    fn slot(&self, index: u32) -> &Slot<T> {
        let (k, off) = locate(index);
        let seg = self.segments[k]
            .get_or_init(|| (0..(FIRST_SEGMENT << k)).map(|_| Slot::new()).collect());
        &seg[off]
    }

    fn existing_slot(&self, h: Handle) -> Result<&Slot<T>, StdlibError> {
        if h.tag() != self.tag as u64 {
            return Err(StdlibError::InvalidHandle);
        }
        let (k, off) = locate(h.slot());
        self.segments[k]
            .get()
            .map(|seg| &seg[off])
            .ok_or(StdlibError::InvalidHandle)
    }

    /// Stores `value` and returns its new handle.
    pub fn insert(&self, value: T) -> Result<Handle, StdlibError> {
        let index = {
            let mut fl = lock(&self.free);
            match fl.free.pop() {
                Some(i) => i,
                None if fl.next <= u64::from(u32::MAX) => {
                    fl.next += 1;
                    (fl.next - 1) as u32
                }
                None => return Err(StdlibError::TooManyHandles),
            }
        };
        let mut slot = self.slot(index).lock_any();
        debug_assert!(slot.value().is_none());
        *slot.value() = Some(value);
        self.live.fetch_add(1, Ordering::Relaxed);
        Ok(Handle::new(self.tag, slot.generation(), index))
    }

    /// Runs `f` on the value named by `h`, holding only that value's lock.
    pub fn with<R>(&self, h: Handle, f: impl FnOnce(&mut T) -> R) -> Result<R, StdlibError> {
        let mut slot = self
            .existing_slot(h)?
            .lock(h.generation())
            .ok_or(StdlibError::InvalidHandle)?;
        match slot.value().as_mut() {
            Some(v) => Ok(f(v)),
            None => Err(StdlibError::InvalidHandle),
        }
    }

    /// Frees `h`, returning its value (dropped by the caller, outside the slot's lock).
    pub fn remove(&self, h: Handle) -> Result<T, StdlibError> {
        let value = {
            let mut slot = self
                .existing_slot(h)?
                .lock(h.generation())
                .ok_or(StdlibError::InvalidHandle)?;
            let Some(value) = slot.value().take() else {
                return Err(StdlibError::InvalidHandle);
            };
            // A retired slot keeps its last generation and stays empty: never handed out again.
            let retired = slot.generation() == GEN_MAX;
            if !retired {
                slot.set_generation(slot.generation() + 1);
            }
            drop(slot);
            self.live.fetch_sub(1, Ordering::Relaxed);
            if !retired {
                lock(&self.free).free.push(h.slot());
            }
            value
        };
        Ok(value)
    }

    #[cfg(test)]
    fn set_generation(&self, h: Handle, generation: u32) -> Handle {
        let mut slot = self.existing_slot(h).unwrap().lock_any();
        slot.set_generation(generation);
        Handle::new(self.tag, generation, h.slot())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    #[test]
    fn handles_are_never_zero_and_typed() {
        let vecs = HandleTable::<u32>::new(Tag::Vec);
        let maps = HandleTable::<u32>::new(Tag::HashMap);
        let v = vecs.insert(1).unwrap();
        let m = maps.insert(2).unwrap();
        assert_ne!(v.raw(), 0);
        assert_ne!(v.raw(), m.raw());
        assert_eq!(maps.with(v, |x| *x), Err(StdlibError::InvalidHandle));
        assert_eq!(
            vecs.with(Handle::from_raw(0), |x| *x),
            Err(StdlibError::InvalidHandle)
        );
        assert_eq!(vecs.with(v, |x| *x), Ok(1));
    }

    #[test]
    fn slot_locations_cover_segments() {
        assert_eq!(locate(0), (0, 0));
        assert_eq!(locate(63), (0, 63));
        assert_eq!(locate(64), (1, 0));
        assert_eq!(locate(191), (1, 127));
        assert_eq!(locate(192), (2, 0));
        assert!(locate(u32::MAX).0 < SEGMENTS);
    }

    #[test]
    fn a_slot_whose_generation_would_wrap_is_retired() {
        let t = HandleTable::<u8>::new(Tag::String);
        let h = t.insert(1).unwrap();
        let h = t.set_generation(h, GEN_MAX);
        assert_eq!(t.remove(h), Ok(1));
        let next = t.insert(2).unwrap();
        assert_ne!(next.slot(), h.slot(), "the retired slot was reused");
        assert_eq!(t.with(h, |x| *x), Err(StdlibError::InvalidHandle));
    }

    #[test]
    fn threads_on_distinct_handles_agree() {
        let t = HandleTable::<u64>::new(Tag::Vec);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for i in 0..if cfg!(miri) { 50 } else { 1000u64 } {
                        let h = t.insert(i).unwrap();
                        t.with(h, |x| *x += 1).unwrap();
                        assert_eq!(t.remove(h), Ok(i + 1));
                    }
                });
            }
        });
        assert_eq!(t.live(), 0);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u32),
        Get(usize),
        Set(usize, u32),
        Free(usize),
        Forge(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => any::<u32>().prop_map(Op::Insert),
            3 => any::<usize>().prop_map(Op::Get),
            2 => (any::<usize>(), any::<u32>()).prop_map(|(i, v)| Op::Set(i, v)),
            2 => any::<usize>().prop_map(Op::Free),
            1 => any::<u64>().prop_map(Op::Forge),
        ]
    }

    proptest! {
        /// Random sequences of inserts, reads, writes, frees and forged handles agree with a plain
        /// map from every handle ever issued to its value (None once freed).
        #[test]
        fn agrees_with_a_model(ops in proptest::collection::vec(op(), 1..400)) {
            let t = HandleTable::<u32>::new(Tag::Json);
            let mut issued: Vec<Handle> = Vec::new();
            let mut model: HashMap<Handle, Option<u32>> = HashMap::new();
            let pick = |issued: &[Handle], i: usize| issued.get(i % issued.len().max(1)).copied();
            for op in ops {
                match op {
                    Op::Insert(v) => {
                        let h = t.insert(v).unwrap();
                        prop_assert!(h.raw() != 0);
                        prop_assert!(!model.contains_key(&h), "handle {h:?} issued twice");
                        model.insert(h, Some(v));
                        issued.push(h);
                    }
                    Op::Get(i) => if let Some(h) = pick(&issued, i) {
                        let got = t.with(h, |x| *x).ok();
                        prop_assert_eq!(got, model[&h]);
                    }
                    Op::Set(i, v) => if let Some(h) = pick(&issued, i) {
                        let r = t.with(h, |x| *x = v);
                        prop_assert_eq!(r.is_ok(), model[&h].is_some());
                        if r.is_ok() { model.insert(h, Some(v)); }
                    }
                    Op::Free(i) => if let Some(h) = pick(&issued, i) {
                        prop_assert_eq!(t.remove(h).ok(), model[&h]);
                        model.insert(h, None);
                    }
                    Op::Forge(raw) => {
                        let h = Handle::from_raw(raw);
                        let expected = model.get(&h).copied().flatten();
                        prop_assert_eq!(t.with(h, |x| *x).ok(), expected);
                    }
                }
                prop_assert_eq!(t.live(), model.values().filter(|v| v.is_some()).count());
            }
        }
    }
}
