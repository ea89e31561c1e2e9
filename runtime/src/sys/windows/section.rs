//! Dual mapping through a pagefile-backed section mapped twice: one read-write view and one
//! read-execute view of the same pages, so no view is ever writable and executable.
#![allow(unsafe_code)] // CreateFileMappingW, MapViewOfFile and UnmapViewOfFile are FFI calls.

use std::io;
use std::ptr::NonNull;
use windows_sys::Win32::Foundation::{CloseHandle, HANDLE, INVALID_HANDLE_VALUE};
use windows_sys::Win32::System::Memory::{
    CreateFileMappingW, FILE_MAP_EXECUTE, FILE_MAP_READ, FILE_MAP_WRITE,
    MEMORY_MAPPED_VIEW_ADDRESS, MapViewOfFile, PAGE_EXECUTE_READWRITE, UnmapViewOfFile,
};

/// Two views of the same `len` bytes. (Views are placed by the system at 64 KiB granularity;
/// there are no explicit guard pages between them.)
#[derive(Debug)]
pub(crate) struct DualMapping {
    section: HANDLE,
    rw: NonNull<u8>,
    rx: Option<NonNull<u8>>,
    len: usize,
}

impl DualMapping {
    /// The writable view.
    pub(crate) fn rw(&self) -> NonNull<u8> {
        self.rw
    }

    /// The executable view.
    pub(crate) fn rx(&self) -> NonNull<u8> {
        self.rx.unwrap_or(self.rw)
    }

    /// The length of each view.
    #[allow(dead_code)] // read by tests and debugging output
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl Drop for DualMapping {
    fn drop(&mut self) {
        for view in [Some(self.rw), self.rx].into_iter().flatten() {
            // SAFETY: the view was returned by MapViewOfFile and is owned by us.
            unsafe {
                UnmapViewOfFile(MEMORY_MAPPED_VIEW_ADDRESS {
                    Value: view.as_ptr().cast(),
                })
            };
        }
        // SAFETY: the section handle is ours and closed once.
        unsafe { CloseHandle(self.section) };
    }
}

// SAFETY: the views are owned address ranges and the handle is process-wide.
unsafe impl Send for DualMapping {}
// SAFETY: as above; `&DualMapping` only reads the addresses.
unsafe impl Sync for DualMapping {}

/// Creates a dual mapping of `len` bytes (a multiple of the page size).
pub(crate) fn dual_map(len: usize) -> io::Result<DualMapping> {
    let size = len as u64;
    // SAFETY: an anonymous (pagefile-backed) section; no name, default security.
    let section = unsafe {
        CreateFileMappingW(
            INVALID_HANDLE_VALUE,
            std::ptr::null(),
            PAGE_EXECUTE_READWRITE,
            (size >> 32) as u32,
            size as u32,
            std::ptr::null(),
        )
    };
    if section.is_null() {
        return Err(io::Error::last_os_error());
    }
    let view = |access| {
        // SAFETY: maps the whole of our own section.
        let v = unsafe { MapViewOfFile(section, access, 0, 0, len) };
        NonNull::new(v.Value.cast::<u8>()).ok_or_else(io::Error::last_os_error)
    };
    let rw = match view(FILE_MAP_WRITE | FILE_MAP_READ) {
        Ok(rw) => rw,
        Err(e) => {
            // SAFETY: the handle is ours and not used again.
            unsafe { CloseHandle(section) };
            return Err(e);
        }
    };
    let mut map = DualMapping {
        section,
        rw,
        rx: None,
        len,
    };
    map.rx = Some(view(FILE_MAP_READ | FILE_MAP_EXECUTE)?);
    Ok(map)
}
