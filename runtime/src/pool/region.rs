//! One contiguous block of slots in the memory of a backend, and the three ways of changing
//! bytes that will be executed: through a second view, by toggling protections, or by toggling
//! the thread's `MAP_JIT` write permission.
#![allow(unsafe_code)] // raw views of mapped memory that is shared with executing code.

use super::{Backend, arch};
use crate::sys;
use std::io;
use std::ptr::NonNull;

/// Memory owned by a region; dropping it unmaps.
#[derive(Debug)]
#[allow(dead_code)] // held for its Drop only
enum Mem {
    Dual(sys::DualMapping),
    Single(sys::Mapping),
    Heap(HeapBlock),
    #[cfg(test)]
    Pair(sys::Mapping, sys::Mapping),
}

/// A block of slots. `rw` is where bytes are written, `rx` where they execute (the same
/// address except for the dual mapping).
#[derive(Debug)]
pub(crate) struct Region {
    _mem: Mem,
    rw: NonNull<u8>,
    rx: NonNull<u8>,
    len: usize,
}

// SAFETY: a Region owns its mappings; slot bytes are only accessed by the holder of the slot's
// index (which the free list hands out to one holder at a time).
unsafe impl Send for Region {}
// SAFETY: as above; shared access only reads the base addresses.
unsafe impl Sync for Region {}

impl Region {
    /// Maps `len` bytes (a multiple of the page size) with `backend` and fills them with the
    /// trap pattern, leaving them executable (for the executing backends).
    pub(crate) fn new(backend: Backend, len: usize) -> io::Result<Region> {
        let region = match backend {
            Backend::DualMap => {
                let m = sys::dual_map(len)?;
                let (rw, rx) = (m.rw(), m.rx());
                Region {
                    _mem: Mem::Dual(m),
                    rw,
                    rx,
                    len,
                }
            }
            Backend::Mprotect => Region::single(sys::Mapping::anonymous(len, sys::Prot::Rw)?, len),
            Backend::Rwx => Region::single(sys::Mapping::anonymous(len, sys::Prot::Rwx)?, len),
            Backend::MapJit => Region::single(sys::map_jit(len)?, len),
            Backend::Heap => {
                let h = HeapBlock::new(len)?;
                let p = h.ptr;
                Region {
                    _mem: Mem::Heap(h),
                    rw: p,
                    rx: p,
                    len,
                }
            }
        };
        // Mprotect: still RW here, so fill directly and then drop write permission.
        let fill_backend = if backend == Backend::Mprotect {
            Backend::Rwx
        } else {
            backend
        };
        region.modify(fill_backend, 0, len, arch::fill_trap)?;
        if backend == Backend::Mprotect {
            // SAFETY: the whole region is ours and no slot has been handed out yet.
            unsafe { sys::protect(region.rw.as_ptr(), len, sys::Prot::Rx)? };
        }
        Ok(region)
    }

    /// Two unrelated mappings as the writable and the executable view: what the probe sees
    /// under an emulator that does not notice writes through the other view. `rx` starts as
    /// `code` (executable and writable, so nothing here needs the platform's W^X rules).
    #[cfg(test)]
    pub(crate) fn incoherent(len: usize, code: &[u8]) -> io::Result<Region> {
        let rw = sys::Mapping::anonymous(len, sys::Prot::Rw)?;
        let rx = sys::Mapping::anonymous(len, sys::Prot::Rwx)?;
        let (rw_ptr, rx_ptr) = (rw.ptr(), rx.ptr());
        // SAFETY: `rx` is a fresh writable mapping of `len` bytes that nobody else can see;
        // `code` is shorter than a page.
        unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), rx_ptr.as_ptr(), code.len()) };
        sys::flush_icache(rx_ptr.as_ptr(), rx_ptr.as_ptr(), code.len());
        Ok(Region {
            _mem: Mem::Pair(rw, rx),
            rw: rw_ptr,
            rx: rx_ptr,
            len,
        })
    }

    fn single(m: sys::Mapping, len: usize) -> Region {
        let p = m.ptr();
        Region {
            _mem: Mem::Single(m),
            rw: p,
            rx: p,
            len,
        }
    }

    /// The writable and executable addresses of the byte at `offset`.
    #[inline]
    pub(crate) fn at(&self, offset: usize) -> (NonNull<u8>, NonNull<u8>) {
        debug_assert!(offset < self.len);
        // SAFETY: `offset` is inside the region (callers compute it from a slot index).
        let rw = unsafe { self.rw.add(offset) };
        // SAFETY: as above, in the other view of the same length.
        let rx = unsafe { self.rx.add(offset) };
        (rw, rx)
    }

    /// Runs `f` on `len` bytes at `offset` through a writable view, then publishes them for
    /// execution (protections and instruction cache).
    ///
    /// `offset..offset+len` must belong to a slot the caller holds (or, at creation, to a
    /// region nobody else can see); `Mprotect` needs whole pages of its own, which the pool
    /// guarantees by giving that backend page-sized slots.
    pub(crate) fn modify(
        &self,
        backend: Backend,
        offset: usize,
        len: usize,
        f: impl FnOnce(&mut [u8]),
    ) -> io::Result<()> {
        assert!(
            offset <= self.len && len <= self.len - offset,
            "modify outside the region"
        );
        if len == 0 {
            return Ok(());
        }
        let (rw, rx) = self.at(offset);
        let page = sys::page_size();
        // The pages covering the range, for the Mprotect backend.
        let pstart = (rw.as_ptr() as usize) & !(page - 1);
        let plen = (rw.as_ptr() as usize + len).next_multiple_of(page) - pstart;
        match backend {
            // SAFETY: the pages hold only the caller's slot (see above), so nobody executes them
            // while they are writable.
            Backend::Mprotect => unsafe { sys::protect(pstart as *mut u8, plen, sys::Prot::Rw)? },
            Backend::MapJit => sys::jit_write_enable(true),
            Backend::DualMap | Backend::Rwx | Backend::Heap => {}
        }
        // SAFETY: the range is inside the region and writable now; the caller holds it
        // exclusively, so no other reference to these bytes exists.
        let bytes = unsafe { std::slice::from_raw_parts_mut(rw.as_ptr(), len) };
        f(bytes);
        match backend {
            // SAFETY: as above.
            Backend::Mprotect => unsafe { sys::protect(pstart as *mut u8, plen, sys::Prot::Rx)? },
            Backend::MapJit => sys::jit_write_enable(false),
            Backend::DualMap | Backend::Rwx | Backend::Heap => {}
        }
        if backend != Backend::Heap {
            sys::flush_icache(rw.as_ptr(), rx.as_ptr(), len);
        }
        Ok(())
    }
}

/// Plain heap memory for the non-executing backend (Miri, bookkeeping tests).
#[derive(Debug)]
struct HeapBlock {
    ptr: NonNull<u8>,
    layout: std::alloc::Layout,
}

impl HeapBlock {
    fn new(len: usize) -> io::Result<HeapBlock> {
        let layout = std::alloc::Layout::from_size_align(len.max(1), sys::page_size())
            .map_err(|_| io::Error::from(io::ErrorKind::OutOfMemory))?;
        // SAFETY: the layout has a non-zero size.
        let p = unsafe { std::alloc::alloc_zeroed(layout) };
        let ptr = NonNull::new(p).ok_or_else(|| io::Error::from(io::ErrorKind::OutOfMemory))?;
        Ok(HeapBlock { ptr, layout })
    }
}

impl Drop for HeapBlock {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout, freed once.
        unsafe { std::alloc::dealloc(self.ptr.as_ptr(), self.layout) };
    }
}
