//! `VirtualAlloc` mappings with guard pages, and protection changes (the executable pool's
//! single-view backends).
#![allow(unsafe_code)] // VirtualAlloc, VirtualProtect and VirtualFree are FFI calls.

use std::io;
use std::ptr::NonNull;
use windows_sys::Win32::System::Memory::{
    MEM_COMMIT, MEM_RELEASE, MEM_RESERVE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_NOACCESS,
    PAGE_PROTECTION_FLAGS, PAGE_READWRITE, VirtualAlloc, VirtualFree, VirtualProtect,
};

/// Page protections the pool asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Prot {
    Rw,
    Rx,
    Rwx,
}

impl Prot {
    fn bits(self) -> PAGE_PROTECTION_FLAGS {
        match self {
            Prot::Rw => PAGE_READWRITE,
            Prot::Rx => PAGE_EXECUTE_READ,
            Prot::Rwx => PAGE_EXECUTE_READWRITE,
        }
    }
}

/// The size of a virtual-memory page, queried once.
pub(crate) fn page_size() -> usize {
    use std::sync::OnceLock;
    use windows_sys::Win32::System::SystemInformation::{GetSystemInfo, SYSTEM_INFO};
    static PAGE: OnceLock<usize> = OnceLock::new();
    *PAGE.get_or_init(|| {
        // SAFETY: SYSTEM_INFO is plain data; GetSystemInfo fills it.
        let mut info: SYSTEM_INFO = unsafe { std::mem::zeroed() };
        // SAFETY: `info` is a valid, writable SYSTEM_INFO.
        unsafe { GetSystemInfo(&mut info) };
        (info.dwPageSize as usize).max(4096)
    })
}

/// `len` committed bytes with protection `prot` between two reserved, inaccessible guard pages.
#[derive(Debug)]
pub(crate) struct Mapping {
    base: NonNull<u8>,
    len: usize,
}

impl Mapping {
    /// Commits `len` bytes (a multiple of the page size) with `prot`, between guard pages.
    pub(crate) fn anonymous(len: usize, prot: Prot) -> io::Result<Mapping> {
        let page = page_size();
        let total = len
            .checked_add(2 * page)
            .ok_or_else(|| io::Error::from(io::ErrorKind::OutOfMemory))?;
        // SAFETY: a fresh reservation at an address the system chooses.
        let base = unsafe { VirtualAlloc(std::ptr::null(), total, MEM_RESERVE, PAGE_NOACCESS) };
        let base = NonNull::new(base.cast::<u8>()).ok_or_else(io::Error::last_os_error)?;
        let map = Mapping { base, len };
        // SAFETY: commits the middle of our own reservation; the guard pages stay reserved.
        let p = unsafe { VirtualAlloc(map.ptr().as_ptr().cast(), len, MEM_COMMIT, prot.bits()) };
        if p.is_null() {
            return Err(io::Error::last_os_error());
        }
        Ok(map)
    }

    /// The first usable byte.
    pub(crate) fn ptr(&self) -> NonNull<u8> {
        // SAFETY: the reservation is `len + 2 * page` bytes, so `base + page` is inside it.
        unsafe { self.base.add(page_size()) }
    }

    /// The usable length.
    #[allow(dead_code)] // read by tests and debugging output
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: releases the whole reservation we own; nobody uses it after the owner drops.
        unsafe { VirtualFree(self.base.as_ptr().cast(), 0, MEM_RELEASE) };
    }
}

// SAFETY: a Mapping is an owned address range; it can move between and be shared by threads.
unsafe impl Send for Mapping {}
// SAFETY: as above; `&Mapping` only reads the addresses.
unsafe impl Sync for Mapping {}

/// Changes the protection of `len` bytes at `ptr` (both page-aligned).
///
/// # Safety
///
/// `ptr..ptr+len` must lie inside a [`Mapping`] owned by the caller, and no other thread may be
/// accessing it in a way the new protection forbids.
pub(crate) unsafe fn protect(ptr: *mut u8, len: usize, prot: Prot) -> io::Result<()> {
    let mut old = 0;
    // SAFETY: the caller owns the range (contract above); `old` is a valid out-pointer.
    if unsafe { VirtualProtect(ptr.cast(), len, prot.bits(), &mut old) } != 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `MAP_JIT` is a macOS mechanism.
pub(crate) fn map_jit(len: usize) -> io::Result<Mapping> {
    let _ = len;
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// A no-op: Windows has no per-thread write toggling.
#[inline]
pub(crate) fn jit_write_enable(writable: bool) {
    let _ = writable;
}

/// Makes code written through `rw` visible to instruction fetch through `rx`, as Windows
/// requires after modifying code (`FlushInstructionCache`).
#[inline]
pub(crate) fn flush_icache(rw: *const u8, rx: *const u8, len: usize) {
    use windows_sys::Win32::System::Diagnostics::Debug::FlushInstructionCache;
    use windows_sys::Win32::System::Threading::GetCurrentProcess;
    let _ = rw;
    // SAFETY: GetCurrentProcess returns a pseudo-handle and has no preconditions.
    let me = unsafe { GetCurrentProcess() };
    // SAFETY: FlushInstructionCache only performs cache maintenance on our own process's range.
    unsafe { FlushInstructionCache(me, rx.cast(), len) };
}
