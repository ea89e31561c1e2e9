//! Each thread's spare slot per handle type: the slot it freed last, reused by its next insert.
//!
//! Taking a slot off the shared free list and putting one back each cost a compare-and-swap.
//! A thread that frees a handle and soon creates one of the same type (`string_concat` then
//! `string_free`, `json_parse` then `json_free`) keeps the freed slot here instead, and its next
//! insert takes it back: no shared write at all. The slot stays vacant meanwhile (its
//! generation already bumped), so stale handles cannot reach it and it is not live.
//!
//! A spare belongs to one table, identified by that table's [`Orphans`] (the spare holds a
//! strong reference, so the identity cannot be reused). A thread that exits while holding a
//! spare hands it to its table's `Orphans`, from which the table takes slots before it opens
//! fresh ones: no slot is lost.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// How many handle types a thread keeps a spare for (one per [`super::Tag`]).
pub(super) const KINDS: usize = 9;

/// Slots returned by threads that exited while holding them as spares.
#[derive(Debug, Default)]
pub(super) struct Orphans {
    any: AtomicBool,
    /// Set when the table is dropped: spares of it are then worthless.
    dropped: AtomicBool,
    list: Mutex<Vec<u32>>,
}

impl Orphans {
    fn list(&self) -> MutexGuard<'_, Vec<u32>> {
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes back an orphaned slot, if any (one relaxed load when there is none).
    #[inline]
    pub(super) fn take(&self) -> Option<u32> {
        if !self.any.load(Ordering::Relaxed) {
            return None;
        }
        let mut list = self.list();
        let index = list.pop();
        self.any.store(!list.is_empty(), Ordering::Relaxed);
        index
    }

    /// Marks the table as dropped.
    pub(super) fn table_dropped(&self) {
        self.dropped.store(true, Ordering::Relaxed);
    }

    fn give(&self, index: u32) {
        let mut list = self.list();
        list.push(index);
        self.any.store(true, Ordering::Relaxed);
    }
}

struct Spare {
    /// The table the spare (if any) belongs to; kept after the spare is taken, so that the
    /// next free on the same table needs no reference-count update.
    home: Option<Arc<Orphans>>,
    index: Option<u32>,
}

struct Spares([Spare; KINDS]);

impl Drop for Spares {
    fn drop(&mut self) {
        for spare in &mut self.0 {
            if let (Some(home), Some(index)) = (&spare.home, spare.index.take()) {
                home.give(index);
            }
        }
    }
}

const NONE: Spare = Spare {
    home: None,
    index: None,
};

thread_local! {
    static SPARES: RefCell<Spares> = const { RefCell::new(Spares([NONE; KINDS])) };
}

/// Takes this thread's spare slot of `home`'s table, if it holds one; the caller then owns it.
#[inline]
pub(super) fn take(kind: usize, home: &Arc<Orphans>) -> Option<u32> {
    SPARES
        .try_with(|s| {
            let mut s = s.try_borrow_mut().ok()?;
            let spare = &mut s.0[kind];
            match &spare.home {
                Some(h) if Arc::ptr_eq(h, home) => spare.index.take(),
                _ => None,
            }
        })
        .ok()
        .flatten()
}

/// Keeps the vacant slot `index` of `home`'s table, which the caller owns, as this thread's
/// spare. `false` (the caller keeps the slot) if the thread already holds a spare of another
/// live table of this kind.
#[inline]
pub(super) fn put(kind: usize, home: &Arc<Orphans>, index: u32) -> bool {
    SPARES
        .try_with(|s| {
            let Ok(mut s) = s.try_borrow_mut() else {
                return false;
            };
            let spare = &mut s.0[kind];
            // The usual case, kept small enough to inline: the spare of this table was taken.
            if spare.index.is_none() && spare.home.as_ref().is_some_and(|h| Arc::ptr_eq(h, home)) {
                spare.index = Some(index);
                return true;
            }
            put_elsewhere(spare, home, index)
        })
        .unwrap_or(false)
}

/// [`put`] when the spare is held, or belongs to another table (or to none yet).
#[cold]
#[inline(never)]
fn put_elsewhere(spare: &mut Spare, home: &Arc<Orphans>, index: u32) -> bool {
    match &spare.home {
        Some(h) if Arc::ptr_eq(h, home) => {
            if spare.index.is_some() {
                return false;
            }
        }
        // The spare of a table that no longer exists is dropped with it.
        Some(h) if spare.index.is_some() && !h.dropped.load(Ordering::Relaxed) => {
            return false;
        }
        _ => spare.home = Some(Arc::clone(home)),
    }
    spare.index = Some(index);
    true
}
