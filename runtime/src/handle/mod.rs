//! The runtime's one handle table: typed, generational, with a lock per value.
//!
//! Every table of runtime objects named by a `u64` is a [`HandleTable`]: the stdlib's values
//! (vec, hashmap, string, JSON), a [`Context`](crate::ctx::Context)'s files, sockets, tasks and
//! channels, and the async reactor's registrations. The capability table (`cap`) is the one
//! exception, for the reasons in its module docs.
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
//! Every slot has its own lock, folded with its generation into one atomic word (module `slot`):
//! threads working on different handles never contend, and an operation costs one
//! compare-and-swap. Creating and freeing a handle each cost one more: the free list of vacant
//! slots is a lock-free stack (a Treiber stack whose head carries a counter bumped on every
//! change, so a slot that left and rejoined the list meanwhile cannot be mistaken for the old
//! head). A thread that frees a handle keeps the slot as its spare (module `spare`) and reuses
//! it for its next handle of the type, so a create/free cycle on one thread skips the free list
//! altogether. The live-handle count is taken by scanning the slots, so the hot paths keep no
//! shared counter.
//!
//! Freed, forged and wrong-type handles all give [`HandleError::Invalid`], and a table that has
//! handed out its limit of slots gives [`HandleError::Full`], each converted to the table's
//! error type `E` (its second type parameter): `StdlibError` for the stdlib,
//! [`Errno`](crate::errno::Errno) for a context's tables, `HandleError` itself by default.
//!
//! Checked by `handle/tests.rs`: `handles_are_never_zero_and_typed`,
//! `slot_locations_cover_segments`, `a_slot_whose_generation_would_wrap_is_retired`,
//! `a_limited_table_is_full_beyond_its_limit_and_reuses_freed_slots`, the spare-slot tests
//! (`a_freed_slot_is_this_threads_spare_and_comes_back_when_it_exits`,
//! `a_spare_of_a_dropped_table_gives_way`), `threads_on_distinct_handles_agree`, and
//! `agrees_with_a_model` (stale handles included) against a plain map. That threads on
//! different handles do not contend is a cost, not a test: docs/performance.md's stdlib row
//! (two threads against one).

mod slot;
mod spare;

use slot::Slot;
use spare::Orphans;
use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// The type of a handle: its top 8 bits. Never 0, and below 128 (the async runtime marks its
/// timer tokens with the top bit of a `u64`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Tag {
    /// Stdlib `Vec<u64>` (IDs 100–112).
    Vec = 1,
    /// Stdlib `HashMap<u64, u64>` (IDs 120–129).
    HashMap = 2,
    /// Stdlib UTF-8 `String` (IDs 140–158).
    String = 3,
    /// Stdlib JSON value (IDs 170–181).
    Json = 4,
    /// An open file of a context (`fs`).
    File = 5,
    /// A TCP socket of a context (`net`).
    Socket = 6,
    /// A task of a context (`task`).
    Task = 7,
    /// A channel of a context (`chan`).
    Channel = 8,
    /// A registration with the async reactor (`aio`).
    Registration = 9,
}

/// Why a handle was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandleError {
    /// A freed, forged or wrong-type handle.
    Invalid,
    /// Every slot the table may hand out is in use or retired.
    Full,
}

impl From<HandleError> for crate::errno::Errno {
    /// `EBADF` for an invalid handle (a descriptor or channel), `EMFILE` for a full table; a
    /// user with another meaning (tasks: `ESRCH`) maps it itself.
    fn from(e: HandleError) -> Self {
        match e {
            HandleError::Invalid => crate::errno::Errno::EBADF,
            HandleError::Full => crate::errno::Errno::EMFILE,
        }
    }
}

/// The most slots each of a context's tables (files, sockets, tasks, channels) hands out.
pub(crate) const CONTEXT_LIMIT: u64 = 1 << 16;

/// A context's table of one service (files, sockets, tasks, channels): the service's module
/// names it (`fs::Files` is `HandleTable<Arc<OpenFile>, Errno>`) and gives it its operations as
/// inherent methods, each over the table's own `get`, `insert` and `remove`.
/// What a context's service keeps in its table, and the tag its handles carry: declared once,
/// beside the service (`fs`, `net`, `task`, `chan`).
pub(crate) trait ContextService {
    /// The tag of the service's handles.
    const TAG: Tag;
}

impl<T> HandleTable<T, crate::errno::Errno> {
    /// An empty table of a context's service, its handles carrying the service's tag, at most
    /// [`CONTEXT_LIMIT`] of them live.
    pub(crate) fn for_context() -> Self
    where
        T: ContextService,
    {
        Self::with_limit(T::TAG, CONTEXT_LIMIT)
    }
}

/// A handle as the runtime sees it: a non-zero `u64` (bare `u64` only at the ABI). Any value
/// may be wrapped (the table validates it on use).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Handle(pub u64);

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
    pub const fn raw(self) -> u64 {
        self.0
    }

    /// The handle for an ABI value, whatever it is (validated by the table on use).
    pub const fn from_raw(raw: u64) -> Handle {
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

// One spare per tag: `kind()` indexes the threads' spares.
const _: () = assert!(Tag::Registration as usize == spare::KINDS);

/// The free list's empty head.
const EMPTY: u64 = 0;
/// Slot indexes stop one short of `u32::MAX`: the free list stores `index + 1` in 32 bits.
const MAX_SLOTS: u64 = u32::MAX as u64;

/// A table of values of one type, named by generational handles.
pub struct HandleTable<T, E = HandleError> {
    tag: Tag,
    segments: [OnceLock<Segment<T>>; SEGMENTS],
    /// The free list's head: `changes:32 | (index + 1):32`, 0 in the low half when empty.
    free: AtomicU64,
    /// How many slots have ever been handed out (the next fresh index).
    fresh: AtomicU64,
    /// How many slots may ever be handed out.
    limit: u64,
    /// This table's identity for the threads' spare slots, and the spares of exited threads.
    orphans: Arc<Orphans>,
    error: PhantomData<fn() -> E>,
}

impl<T, E> Drop for HandleTable<T, E> {
    fn drop(&mut self) {
        self.orphans.table_dropped();
    }
}

impl<T, E: From<HandleError>> fmt::Debug for HandleTable<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandleTable")
            .field("tag", &self.tag)
            .field("live", &self.live())
            .finish_non_exhaustive()
    }
}

fn locate(slot: u32) -> (usize, usize) {
    let i = u64::from(slot) + FIRST_SEGMENT;
    let k = 63 - i.leading_zeros() - FIRST_SEGMENT.trailing_zeros();
    (k as usize, (i - (FIRST_SEGMENT << k)) as usize)
}

impl<T, E: From<HandleError>> HandleTable<T, E> {
    /// An empty table whose handles carry `tag`.
    pub fn new(tag: Tag) -> Self {
        Self::with_limit(tag, MAX_SLOTS)
    }

    /// An empty table that hands out at most `limit` slots ([`HandleError::Full`] beyond).
    pub fn with_limit(tag: Tag, limit: u64) -> Self {
        HandleTable {
            tag,
            segments: [const { OnceLock::new() }; SEGMENTS],
            free: AtomicU64::new(EMPTY),
            fresh: AtomicU64::new(0),
            limit: limit.min(MAX_SLOTS),
            orphans: Arc::default(),
            error: PhantomData,
        }
    }

    /// How many handles of this table are live (created and not yet freed). Exact when no
    /// other thread is creating or freeing handles of this table; it scans the slots.
    pub fn live(&self) -> usize {
        self.segments
            .iter()
            .filter_map(OnceLock::get)
            .flat_map(|seg| seg.iter())
            .filter(|slot| slot.is_occupied())
            .count()
    }

    fn slot(&self, index: u32) -> &Slot<T> {
        let (k, off) = locate(index);
        let seg = self.segments[k]
            .get_or_init(|| (0..(FIRST_SEGMENT << k)).map(|_| Slot::new()).collect());
        &seg[off]
    }

    fn existing_slot(&self, h: Handle) -> Result<&Slot<T>, HandleError> {
        if h.tag() != self.tag as u64 {
            return Err(HandleError::Invalid);
        }
        let (k, off) = locate(h.slot());
        self.segments[k]
            .get()
            .map(|seg| &seg[off])
            .ok_or(HandleError::Invalid)
    }

    fn kind(&self) -> usize {
        self.tag as usize - 1
    }

    /// Takes a vacant slot off the free list; the caller then owns it.
    fn pop_free(&self) -> Option<u32> {
        let mut head = self.free.load(Ordering::Acquire);
        loop {
            let top = head as u32;
            if top == 0 {
                return None;
            }
            // A slot on the list was handed out before, so its segment exists. If the head
            // changes meanwhile, `next` may be stale, but then the CAS fails on the counter.
            let next = self.slot(top - 1).next_free().load(Ordering::Relaxed);
            let new = ((head >> 32).wrapping_add(1) << 32) | u64::from(next);
            match self
                .free
                .compare_exchange_weak(head, new, Ordering::Acquire, Ordering::Acquire)
            {
                Ok(_) => return Some(top - 1),
                Err(cur) => head = cur,
            }
        }
    }

    /// Puts a vacant slot that the caller owns on the free list.
    fn push_free(&self, index: u32) {
        let slot = self.slot(index);
        let mut head = self.free.load(Ordering::Relaxed);
        loop {
            slot.next_free().store(head as u32, Ordering::Relaxed);
            let new = ((head >> 32).wrapping_add(1) << 32) | (u64::from(index) + 1);
            match self
                .free
                .compare_exchange_weak(head, new, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => return,
                Err(cur) => head = cur,
            }
        }
    }

    /// A never-used slot index, owned by the caller.
    fn fresh_slot(&self) -> Result<u32, HandleError> {
        self.fresh
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < self.limit).then_some(n + 1)
            })
            .map(|n| n as u32)
            .map_err(|_| HandleError::Full)
    }

    /// Stores `value` and returns its new handle.
    #[inline(always)]
    #[allow(unsafe_code)] // filling a vacant slot that the free list handed to this thread alone
    pub fn insert(&self, value: T) -> Result<Handle, E> {
        let index = match spare::take(self.kind(), &self.orphans)
            .or_else(|| self.pop_free())
            .or_else(|| self.orphans.take())
        {
            Some(i) => i,
            None => self.fresh_slot()?,
        };
        // SAFETY: `index` was this thread's spare, or won the free list's CAS, the orphans' lock
        // or the fresh counter's CAS, so this thread alone owns the vacant slot until `fill`
        // publishes it.
        let generation = unsafe { self.slot(index).fill(value) };
        Ok(Handle::new(self.tag, generation, index))
    }

    /// Runs `f` on the value named by `h`, holding only that value's lock.
    pub fn with<R>(&self, h: Handle, f: impl FnOnce(&mut T) -> R) -> Result<R, E> {
        let mut slot = self
            .existing_slot(h)?
            .lock(h.generation())
            .ok_or(HandleError::Invalid)?;
        match slot.value().as_mut() {
            Some(v) => Ok(f(v)),
            None => Err(HandleError::Invalid.into()),
        }
    }

    /// A clone of the value named by `h` (for tables of `Arc`s: the value outlives a `remove`
    /// while an operation on it is in flight, and no lock is held during that operation).
    pub fn get(&self, h: Handle) -> Result<T, E>
    where
        T: Clone,
    {
        self.with(h, |v| v.clone())
    }

    /// The handle of the value now in slot `index`, if the slot is occupied (for a caller that
    /// kept only the slot index of a handle).
    pub fn current(&self, index: u32) -> Option<Handle> {
        let (k, off) = locate(index);
        let generation = self.segments[k].get()?[off].generation()?;
        Some(Handle::new(self.tag, generation, index))
    }

    /// Runs `f` on the values named by `a` and `b` (the same value twice if `a == b`), holding
    /// both locks, taken in slot order so that two threads never wait for each other.
    pub fn with2<R>(&self, a: Handle, b: Handle, f: impl FnOnce(&T, &T) -> R) -> Result<R, E> {
        if a == b {
            return self.with(a, |v| f(v, v));
        }
        let (first, second) = if a.slot() <= b.slot() { (a, b) } else { (b, a) };
        let lock = |h: Handle| {
            self.existing_slot(h)?
                .lock(h.generation())
                .ok_or(HandleError::Invalid)
        };
        // Two handles of one slot at different generations: the second lock fails at once.
        let mut g1 = lock(first)?;
        let mut g2 = lock(second)?;
        let (Some(v1), Some(v2)) = (g1.value().as_ref(), g2.value().as_ref()) else {
            return Err(HandleError::Invalid.into());
        };
        Ok(if first == a { f(v1, v2) } else { f(v2, v1) })
    }

    /// Frees `h`, returning its value (dropped by the caller, outside any lock).
    #[inline(always)]
    pub fn remove(&self, h: Handle) -> Result<T, E> {
        let generation = h.generation();
        // A retired slot keeps its last generation and stays vacant: never handed out again.
        let retired = generation == GEN_MAX;
        let next = if retired { generation } else { generation + 1 };
        let value = self
            .existing_slot(h)?
            .vacate(generation, next)
            .ok_or(HandleError::Invalid)?;
        if !retired && !spare::put(self.kind(), &self.orphans, h.slot()) {
            self.push_free(h.slot());
        }
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
mod tests;
