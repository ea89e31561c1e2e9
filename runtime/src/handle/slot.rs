#![allow(unsafe_code)] // A slot's value lives in an UnsafeCell guarded by the slot's own state word.
//! One slot of a [`HandleTable`](super::HandleTable): a value, its generation and its place in
//! the table's free list, guarded by a single atomic word `generation << 2 | vacant | locked`.
//!
//! - An **occupied** slot (`vacant` clear) holds a value. Locking it *for a given generation* is
//!   one compare-and-swap that checks the generation and takes the lock at once; unlocking is a
//!   plain release store. A stale handle's CAS fails on the generation and never waits.
//! - **Freeing** is one CAS from "occupied, unlocked, at this generation" to "vacant, at the next
//!   generation": from then on no handle can lock the slot, and the freeing thread alone owns
//!   the value and the slot until it gives the slot back to the free list.
//! - **Filling** a vacant slot that the caller owns (taken off the free list) needs no
//!   read-modify-write: nobody else can touch a vacant slot, so storing the value and then the
//!   occupied state (release) publishes both.
//!
//! Read-modify-writes are the costly part of a handle operation, so the design counts them; what a
//! stdlib operation costs against the registry's dispatch is docs/performance.md's stdlib row.
//! Waiters spin briefly, then yield: slots are held only for the duration of one operation on
//! one value.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

const LOCKED: u64 = 1;
const VACANT: u64 = 2;
const GEN_SHIFT: u32 = 2;

/// A slot on its own cache lines (128 bytes: two lines, against the adjacent-line prefetcher),
/// so that threads working on neighbouring handles do not false-share.
#[repr(align(128))]
pub(super) struct Slot<T> {
    state: AtomicU64,
    /// The next slot of the free list (index + 1; 0 ends the list), while this one is on it.
    next_free: AtomicU32,
    value: UnsafeCell<Option<T>>,
}

// SAFETY: `value` is only reached by the holder of the slot's lock bit (a `SlotGuard`, acquired
// with an Acquire CAS, released with a Release store), by the thread whose CAS made the slot
// vacant, or by the single owner of a vacant slot (see `fill`); these never overlap, and each
// hand-over is a release/acquire pair. `T: Send` because the value may be created on one thread
// and used or dropped on another.
unsafe impl<T: Send> Sync for Slot<T> {}

fn occupied(generation: u32) -> u64 {
    u64::from(generation) << GEN_SHIFT
}

impl<T> Slot<T> {
    /// A vacant slot at generation 0.
    pub(super) fn new() -> Slot<T> {
        Slot {
            state: AtomicU64::new(VACANT),
            next_free: AtomicU32::new(0),
            value: UnsafeCell::new(None),
        }
    }

    /// The free-list link.
    pub(super) fn next_free(&self) -> &AtomicU32 {
        &self.next_free
    }

    /// The generation of the value the slot holds, if it holds one (a snapshot).
    pub(super) fn generation(&self) -> Option<u32> {
        let state = self.state.load(Ordering::Acquire);
        (state & VACANT == 0).then_some((state >> GEN_SHIFT) as u32)
    }

    /// Whether the slot holds a value (a snapshot).
    pub(super) fn is_occupied(&self) -> bool {
        self.state.load(Ordering::Relaxed) & VACANT == 0
    }

    /// Locks the slot if it is occupied at `generation`; `None` otherwise.
    pub(super) fn lock(&self, generation: u32) -> Option<SlotGuard<'_, T>> {
        let free = occupied(generation);
        let mut spins = 0u32;
        loop {
            match self.state.compare_exchange_weak(
                free,
                free | LOCKED,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    return Some(SlotGuard {
                        slot: self,
                        state: free,
                    });
                }
                Err(cur) if cur & !LOCKED != free => return None,
                Err(_) => backoff(&mut spins),
            }
        }
    }

    /// Frees the slot if it is occupied at `generation`: it becomes vacant at `next` (the same
    /// generation retires it for good), and its value is returned. `None` if the slot is not
    /// occupied at `generation`. The caller then owns the vacant slot.
    pub(super) fn vacate(&self, generation: u32, next: u32) -> Option<T> {
        let from = occupied(generation);
        let to = occupied(next) | VACANT;
        let mut spins = 0u32;
        loop {
            match self
                .state
                .compare_exchange_weak(from, to, Ordering::Acquire, Ordering::Relaxed)
            {
                // SAFETY: the CAS made the slot vacant: no lock can be taken on it any more, and
                // it is not on the free list (it was occupied), so no other thread reaches the
                // value; Acquire orders this after the last lock holder's release.
                Ok(_) => return unsafe { (*self.value.get()).take() },
                Err(cur) if cur & !LOCKED != from => return None,
                Err(_) => backoff(&mut spins),
            }
        }
    }

    /// Stores `value` in this vacant slot and publishes it (Release); returns its generation.
    ///
    /// # Safety
    /// The caller must own the slot: it is vacant and was taken off the free list (or never
    /// handed out) by this caller, so no other thread fills or vacates it meanwhile.
    pub(super) unsafe fn fill(&self, value: T) -> u32 {
        let state = self.state.load(Ordering::Relaxed);
        debug_assert!(state & VACANT != 0, "filling an occupied slot");
        // SAFETY: the slot is vacant and owned by the caller (this function's contract), so no
        // lock can be taken on it and nobody else reads or writes the value until the release
        // store below publishes it. A vacant slot holds `None` (new slots start so, `vacate` takes
        // the value), so writing without dropping the old value leaks nothing.
        unsafe { self.value.get().write(Some(value)) };
        let generation = (state >> GEN_SHIFT) as u32;
        self.state.store(occupied(generation), Ordering::Release);
        generation
    }

    /// Locks the occupied slot at whatever generation it is.
    #[cfg(test)]
    pub(super) fn lock_any(&self) -> SlotGuard<'_, T> {
        loop {
            let cur = self.state.load(Ordering::Relaxed);
            assert!(cur & VACANT == 0, "lock_any on a vacant slot");
            if let Some(g) = self.lock((cur >> GEN_SHIFT) as u32) {
                return g;
            }
        }
    }
}

fn backoff(spins: &mut u32) {
    *spins += 1;
    if *spins < 64 {
        std::hint::spin_loop();
    } else {
        std::thread::yield_now();
    }
}

/// Exclusive access to an occupied slot's value; unlocks on drop.
pub(super) struct SlotGuard<'a, T> {
    slot: &'a Slot<T>,
    /// The state published on unlock.
    state: u64,
}

impl<T> SlotGuard<'_, T> {
    /// Sets the generation published when the guard is dropped.
    #[cfg(test)]
    pub(super) fn set_generation(&mut self, generation: u32) {
        self.state = occupied(generation);
    }

    /// The value (always `Some` while the slot is occupied).
    pub(super) fn value(&mut self) -> &mut Option<T> {
        // SAFETY: this guard holds the slot's lock bit (see `Slot::lock`), so no other
        // reference to the value exists until the guard is dropped; the returned borrow is tied
        // to `&mut self`, so it cannot outlive the guard.
        unsafe { &mut *self.slot.value.get() }
    }
}

impl<T> Drop for SlotGuard<'_, T> {
    fn drop(&mut self) {
        self.slot.state.store(self.state, Ordering::Release);
    }
}
