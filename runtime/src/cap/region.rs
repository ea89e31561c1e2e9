#![allow(unsafe_code)] // A region is raw memory shared with generated code: copying in and out is unsafe.

//! The memory behind a capability: a raw range (caller-guaranteed) or an owned boxed buffer,
//! plus the borrow counter that lets [`super::Token::revoke`] wait for in-flight accesses.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Memory a root capability names. Derived capabilities share their root's region.
#[derive(Debug)]
pub(crate) struct Region {
    ptr: *mut u8,
    len: usize,
    /// Whether `ptr` came from `Box::into_raw` and must be freed on drop.
    owned: bool,
    /// Live [`super::Capability`] values that may touch the memory.
    borrows: AtomicUsize,
    /// Set (once) when the root token is revoked.
    revoked: AtomicBool,
}

// SAFETY: a Region only hands out copies of its bytes through `copy_out`/`copy_in`; the memory is
// either owned (a heap allocation nobody else names) or guaranteed valid and shareable across
// threads by the caller of `Region::from_raw`.
unsafe impl Send for Region {}
// SAFETY: as for Send; all shared state is atomic.
unsafe impl Sync for Region {}

impl Region {
    /// A region over memory the caller keeps valid.
    ///
    /// # Safety
    /// `ptr..ptr+len` must be valid for reads and writes (as far as the permissions later granted
    /// allow) until [`Region::revoke_and_wait`] has returned.
    pub(crate) unsafe fn from_raw(ptr: *mut u8, len: usize) -> Region {
        Region {
            ptr,
            len,
            owned: false,
            borrows: AtomicUsize::new(0),
            revoked: AtomicBool::new(false),
        }
    }

    /// A region owning `buf`.
    pub(crate) fn owned(buf: Box<[u8]>) -> Region {
        let len = buf.len();
        let ptr = Box::into_raw(buf).cast::<u8>();
        Region {
            ptr,
            len,
            owned: true,
            borrows: AtomicUsize::new(0),
            revoked: AtomicBool::new(false),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn addr(&self) -> usize {
        self.ptr as usize
    }

    /// Registers an access; fails if the region was revoked.
    pub(crate) fn borrow(&self) -> bool {
        self.borrows.fetch_add(1, Ordering::SeqCst);
        if self.revoked.load(Ordering::SeqCst) {
            self.borrows.fetch_sub(1, Ordering::SeqCst);
            return false;
        }
        true
    }

    /// Ends an access registered by [`Region::borrow`].
    pub(crate) fn release(&self) {
        self.borrows.fetch_sub(1, Ordering::SeqCst);
    }

    /// Marks the region revoked and waits until no access is in flight. After this returns, no
    /// access to the memory will ever happen again through the capability table.
    pub(crate) fn revoke_and_wait(&self) {
        self.revoked.store(true, Ordering::SeqCst);
        while self.borrows.load(Ordering::SeqCst) != 0 {
            std::thread::yield_now();
        }
    }

    /// Copies `dst.len()` bytes starting at `offset` into `dst`. The caller (a live borrow) has
    /// checked `offset + dst.len() <= len`.
    pub(crate) fn copy_out(&self, offset: usize, dst: &mut [u8]) {
        assert!(
            offset
                .checked_add(dst.len())
                .is_some_and(|end| end <= self.len)
        );
        let src = self.ptr.wrapping_add(offset);
        // SAFETY: the range is inside the region (asserted above); the region is valid while a
        // borrow is live (owned: freed only on drop of the last Arc; raw: the `from_raw`
        // contract plus `revoke_and_wait`); `dst` is a distinct Rust allocation, so the ranges do
        // not overlap.
        unsafe { std::ptr::copy_nonoverlapping(src, dst.as_mut_ptr(), dst.len()) }
    }

    /// Copies `src` into the region at `offset` (bounds checked as in `copy_out`).
    pub(crate) fn copy_in(&self, offset: usize, src: &[u8]) {
        assert!(
            offset
                .checked_add(src.len())
                .is_some_and(|end| end <= self.len)
        );
        let dst = self.ptr.wrapping_add(offset);
        // SAFETY: as in `copy_out`; write permission was checked by the caller.
        unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), dst, src.len()) }
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        if self.owned {
            let slice = std::ptr::slice_from_raw_parts_mut(self.ptr, self.len);
            // SAFETY: `ptr`/`len` came from `Box::into_raw` in `Region::owned` and are freed only
            // here, once, when the last Arc to the region goes away.
            drop(unsafe { Box::from_raw(slice) });
        }
    }
}
