//! Anonymous mappings with guard pages, protection changes, and `MAP_JIT` (the executable
//! pool's single-view backends).
#![allow(unsafe_code)] // mmap, mprotect and munmap are FFI calls on raw addresses.

use std::io;
use std::ptr::NonNull;

/// Page protections the pool asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Prot {
    Rw,
    Rx,
    Rwx,
}

impl Prot {
    fn bits(self) -> libc::c_int {
        match self {
            Prot::Rw => libc::PROT_READ | libc::PROT_WRITE,
            Prot::Rx => libc::PROT_READ | libc::PROT_EXEC,
            Prot::Rwx => libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC,
        }
    }
}

/// The size of a virtual-memory page (4 KiB, 16 KiB, 64 KiB, …), queried once.
pub(crate) fn page_size() -> usize {
    use std::sync::OnceLock;
    static PAGE: OnceLock<usize> = OnceLock::new();
    *PAGE.get_or_init(|| {
        // SAFETY: sysconf has no memory-safety preconditions.
        page_size_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) })
    })
}

/// What `sysconf(_SC_PAGESIZE)` answered, or 4 KiB if it gave no size (-1 or 0).
fn page_size_from(sysconf: libc::c_long) -> usize {
    usize::try_from(sysconf)
        .ok()
        .filter(|&n| n > 0)
        .unwrap_or(4096)
}

/// A reservation of `len + 2 * page` bytes of inaccessible memory: the usable middle starts at
/// `base + page`, and the first and last page stay `PROT_NONE` guards. Unmapped on drop.
#[derive(Debug)]
pub(crate) struct Reservation {
    base: NonNull<u8>,
    total: usize,
}

impl Reservation {
    /// Reserves `len` bytes (a multiple of the page size) between two guard pages.
    pub(crate) fn new(len: usize, extra_flags: libc::c_int) -> io::Result<Reservation> {
        let page = page_size();
        let total = len
            .checked_add(2 * page)
            .ok_or_else(|| io::Error::from_raw_os_error(libc::ENOMEM))?;
        // SAFETY: a fresh anonymous private mapping at an address the kernel chooses; nothing
        // existing is replaced.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                total,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | extra_flags,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base = NonNull::new(p.cast::<u8>()).ok_or_else(io::Error::last_os_error)?;
        Ok(Reservation { base, total })
    }

    /// The first usable byte (after the leading guard page).
    pub(crate) fn usable(&self) -> NonNull<u8> {
        // SAFETY: `total` is at least two pages, so `base + page` is inside the reservation.
        unsafe { self.base.add(page_size()) }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        // SAFETY: the reservation owns `base..base+total` (and whatever was mapped over it with
        // MAP_FIXED); nobody can use it after the owner is dropped.
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.total) };
    }
}

// SAFETY: a Reservation is an owned address range; it can be moved and shared between threads.
unsafe impl Send for Reservation {}
// SAFETY: as above; `&Reservation` only reads the addresses.
unsafe impl Sync for Reservation {}

/// One anonymous view of `len` bytes between guard pages, with protection `prot`.
#[derive(Debug)]
pub(crate) struct Mapping {
    res: Reservation,
    len: usize,
}

impl Mapping {
    /// Maps `len` bytes (a multiple of the page size) with `prot`, between guard pages.
    pub(crate) fn anonymous(len: usize, prot: Prot) -> io::Result<Mapping> {
        Mapping::with_flags(len, prot, 0)
    }

    fn with_flags(len: usize, prot: Prot, flags: libc::c_int) -> io::Result<Mapping> {
        let res = Reservation::new(len, 0)?;
        // SAFETY: the target range lies inside our own reservation (after its first guard
        // page), so MAP_FIXED replaces only memory we own.
        let p = unsafe {
            libc::mmap(
                res.usable().as_ptr().cast(),
                len,
                prot.bits(),
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED | flags,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Mapping { res, len })
    }

    /// The first byte of the view.
    pub(crate) fn ptr(&self) -> NonNull<u8> {
        self.res.usable()
    }

    /// The view's length in bytes.
    #[allow(dead_code)] // read by tests and debugging output
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

/// Changes the protection of `len` bytes at `ptr` (both page-aligned).
///
/// # Safety
///
/// `ptr..ptr+len` must lie inside a [`Mapping`] owned by the caller, and no other thread may be
/// accessing it in a way the new protection forbids.
pub(crate) unsafe fn protect(ptr: *mut u8, len: usize, prot: Prot) -> io::Result<()> {
    // SAFETY: the caller owns the range (contract above).
    if unsafe { libc::mprotect(ptr.cast(), len, prot.bits()) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Maps `len` bytes RWX with `MAP_JIT` (macOS on Apple silicon); writes need
/// [`jit_write_enable`]. Elsewhere: `ENOSYS`.
pub(crate) fn map_jit(len: usize) -> io::Result<Mapping> {
    #[cfg(neurlang_map_jit)]
    {
        Mapping::with_flags(len, Prot::Rwx, libc::MAP_JIT)
    }
    #[cfg(not(neurlang_map_jit))]
    {
        let _ = (len, Mapping::with_flags);
        Err(io::Error::from_raw_os_error(libc::ENOSYS))
    }
}

/// Makes `MAP_JIT` memory writable (and not executable) for the calling thread, or the reverse.
/// A no-op where there is no `MAP_JIT`.
#[inline]
pub(crate) fn jit_write_enable(writable: bool) {
    #[cfg(neurlang_map_jit)]
    // SAFETY: pthread_jit_write_protect_np only flips the calling thread's view of MAP_JIT pages.
    unsafe {
        libc::pthread_jit_write_protect_np(if writable { 0 } else { 1 })
    };
    #[cfg(not(neurlang_map_jit))]
    let _ = writable;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_size_falls_back_to_4_kib_only_without_an_answer() {
        assert_eq!(page_size_from(16384), 16384);
        assert_eq!(page_size_from(65536), 65536);
        assert_eq!(page_size_from(0), 4096);
        assert_eq!(page_size_from(-1), 4096);
        assert!(page_size().is_power_of_two() && page_size() >= 4096);
    }

    #[test]
    fn an_anonymous_mapping_is_readable_and_writable() {
        let len = 2 * page_size();
        let m = Mapping::anonymous(len, Prot::Rw).unwrap();
        assert_eq!(m.len(), len);
        #[allow(unsafe_code)]
        // SAFETY: the mapping is `len` bytes of read-write memory owned by `m`, alive here.
        let bytes = unsafe { std::slice::from_raw_parts_mut(m.ptr().as_ptr(), len) };
        assert!(
            bytes.iter().all(|&b| b == 0),
            "anonymous memory starts zeroed"
        );
        bytes[len - 1] = 7;
        assert_eq!(bytes[len - 1], 7);
    }
}
