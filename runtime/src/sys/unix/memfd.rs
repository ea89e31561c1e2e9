//! Dual mapping through `memfd_create`: the same pages mapped twice, once read-write and once
//! read-execute, so no page is ever writable and executable at once (W^X holds even under
//! `PR_SET_MDWE`: the conformance case `pool.hardened.mdwe`), and publishing code needs no system
//! call (`pool.hot_path.no_syscall`).
#![allow(unsafe_code)] // memfd_create, ftruncate and mmap are FFI calls on raw addresses.

use super::mmap::Reservation;
use std::io;
use std::ptr::NonNull;

/// Two views of the same `len` bytes, each between guard pages.
#[derive(Debug)]
pub(crate) struct DualMapping {
    rw: Reservation,
    rx: Reservation,
    len: usize,
}

impl DualMapping {
    /// The writable view.
    pub(crate) fn rw(&self) -> NonNull<u8> {
        self.rw.usable()
    }

    /// The executable view.
    pub(crate) fn rx(&self) -> NonNull<u8> {
        self.rx.usable()
    }

    /// The length of each view.
    #[allow(dead_code)] // read by tests and debugging output
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

/// Creates a dual mapping of `len` bytes (a multiple of the page size).
#[cfg(neurlang_dual_map = "memfd")]
pub(crate) fn dual_map(len: usize) -> io::Result<DualMapping> {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

    // SAFETY: the name is a NUL-terminated static string.
    let fd = unsafe { libc::memfd_create(c"neurlang-pool".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by memfd_create and is owned by nobody else; the mappings
    // keep the memory alive after it is closed.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let size =
        libc::off_t::try_from(len).map_err(|_| io::Error::from_raw_os_error(libc::ENOMEM))?;
    // SAFETY: ftruncate on a file descriptor we own.
    if unsafe { libc::ftruncate(fd.as_raw_fd(), size) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let map = |prot: libc::c_int| -> io::Result<Reservation> {
        let res = Reservation::new(len, 0)?;
        // SAFETY: MAP_FIXED over the middle of our own fresh reservation replaces only memory
        // we own; the file is `len` bytes long.
        let p = unsafe {
            libc::mmap(
                res.usable().as_ptr().cast(),
                len,
                prot,
                libc::MAP_SHARED | libc::MAP_FIXED,
                fd.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(res)
    };
    let rw = map(libc::PROT_READ | libc::PROT_WRITE)?;
    let rx = map(libc::PROT_READ | libc::PROT_EXEC)?;
    Ok(DualMapping { rw, rx, len })
}

/// Dual mapping needs an anonymous shared-memory file; this Unix has none we use.
#[cfg(neurlang_dual_map = "none")]
pub(crate) fn dual_map(len: usize) -> io::Result<DualMapping> {
    let _ = len;
    Err(io::Error::from_raw_os_error(libc::ENOSYS))
}
