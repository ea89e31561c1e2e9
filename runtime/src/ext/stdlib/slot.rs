#![allow(unsafe_code)] // A slot's value lives in an UnsafeCell guarded by the slot's own lock bit.
//! One slot of a [`HandleTable`](super::HandleTable): a value and its generation, guarded by a
//! single atomic word `generation << 1 | locked`.
//!
//! Locking a slot *for a given generation* is one compare-and-swap that checks the generation
//! and takes the lock at once; unlocking is a plain release store. A stale handle's CAS fails on
//! the generation and never waits. This is what keeps a handle operation within a few
//! nanoseconds of the registry's dispatch (a `std::sync::Mutex` costs two read-modify-writes and
//! a separate generation check). Waiters spin briefly, then yield: slots are held only for the
//! duration of one operation on one value.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU64, Ordering};

const LOCKED: u64 = 1;

/// A slot on its own cache lines (128 bytes: two lines, against the adjacent-line prefetcher),
/// so that threads working on neighbouring handles do not false-share.
#[repr(align(128))]
pub(super) struct Slot<T> {
    state: AtomicU64,
    value: UnsafeCell<Option<T>>,
}

// SAFETY: `value` is only reached through a `SlotGuard`, and a guard exists only while its
// thread holds the lock bit (acquired with an Acquire CAS, released with a Release store), so
// accesses from different threads never overlap and are ordered. `T: Send` because the value
// may be created on one thread and used or dropped on another.
unsafe impl<T: Send> Sync for Slot<T> {}

impl<T> Slot<T> {
    pub(super) fn new() -> Slot<T> {
        Slot {
            state: AtomicU64::new(0),
            value: UnsafeCell::new(None),
        }
    }

    /// Locks the slot if it is at `generation`; `None` if it is at another generation.
    pub(super) fn lock(&self, generation: u32) -> Option<SlotGuard<'_, T>> {
        let free = u64::from(generation) << 1;
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
                        generation,
                    });
                }
                Err(cur) if cur & !LOCKED != free => return None,
                Err(_) => backoff(&mut spins),
            }
        }
    }

    /// Locks the slot at whatever generation it is.
    pub(super) fn lock_any(&self) -> SlotGuard<'_, T> {
        let mut spins = 0u32;
        loop {
            let cur = self.state.load(Ordering::Relaxed);
            if cur & LOCKED == 0 {
                if let Some(g) = self.lock((cur >> 1) as u32) {
                    return g;
                }
            } else {
                backoff(&mut spins);
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

/// Exclusive access to a slot's value; unlocks (publishing the generation) on drop.
pub(super) struct SlotGuard<'a, T> {
    slot: &'a Slot<T>,
    generation: u32,
}

impl<T> SlotGuard<'_, T> {
    /// The slot's generation.
    pub(super) fn generation(&self) -> u32 {
        self.generation
    }

    /// Sets the generation published when the guard is dropped.
    pub(super) fn set_generation(&mut self, generation: u32) {
        self.generation = generation;
    }

    /// The value.
    pub(super) fn value(&mut self) -> &mut Option<T> {
        // SAFETY: this guard holds the slot's lock bit (see `Slot::lock`), so no other
        // reference to the value exists until the guard is dropped; the returned borrow is tied
        // to `&mut self`, so it cannot outlive the guard.
        unsafe { &mut *self.slot.value.get() }
    }
}

impl<T> Drop for SlotGuard<'_, T> {
    fn drop(&mut self) {
        self.slot
            .state
            .store(u64::from(self.generation) << 1, Ordering::Release);
    }
}
