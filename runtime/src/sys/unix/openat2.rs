//! `openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)`: opening beneath a directory with the
//! kernel refusing any resolution (`..`, absolute symlink, symlink pointing outside, magic
//! link) that would leave it, race-free. Linux 5.6+; `None` when the kernel lacks it.

#![allow(unsafe_code)] // the openat2 and unlinkat system calls through libc, on descriptors it owns

use crate::perm::OpenMode;
use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

static MISSING: AtomicBool = AtomicBool::new(false);

fn open_dir(root: &Path) -> io::Result<File> {
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC)
        .open(root)
}

fn beneath(dir: &File, rel: &Path, flags: i32, mode: u32) -> Option<io::Result<i32>> {
    if MISSING.load(Ordering::Relaxed) {
        return None;
    }
    let rel = if rel.as_os_str().is_empty() {
        Path::new(".")
    } else {
        rel
    };
    let Ok(name) = CString::new(rel.as_os_str().as_bytes()) else {
        return Some(Err(io::Error::from_raw_os_error(libc::EACCES)));
    };
    // SAFETY: `open_how` is a plain C struct of integers; all-zero is a valid value.
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = (flags | libc::O_CLOEXEC) as u64;
    how.mode = u64::from(mode);
    how.resolve = libc::RESOLVE_BENEATH | libc::RESOLVE_NO_MAGICLINKS;
    // SAFETY: every pointer argument points at a live, correctly sized value for the call.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            dir.as_raw_fd(),
            name.as_ptr(),
            &raw const how,
            std::mem::size_of::<libc::open_how>(),
        )
    };
    if fd < 0 {
        let err = io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::ENOSYS) {
            MISSING.store(true, Ordering::Relaxed);
            return None;
        }
        return Some(Err(err));
    }
    Some(Ok(fd as i32))
}

/// Opens `root/rel` beneath `root`; `None` if the kernel has no `openat2`.
pub(crate) fn open_beneath(root: &Path, rel: &Path, mode: OpenMode) -> Option<io::Result<File>> {
    if MISSING.load(Ordering::Relaxed) {
        return None;
    }
    let dir = match open_dir(root) {
        Ok(d) => d,
        Err(e) => return Some(Err(e)),
    };
    let mut flags = match (mode.read, mode.write || mode.append) {
        (true, true) => libc::O_RDWR,
        (false, true) => libc::O_WRONLY,
        _ => libc::O_RDONLY,
    };
    if mode.create {
        flags |= libc::O_CREAT;
    }
    if mode.exclusive {
        flags |= libc::O_EXCL;
    }
    if mode.truncate {
        flags |= libc::O_TRUNC;
    }
    if mode.append {
        flags |= libc::O_APPEND;
    }
    let create_mode = if mode.create { 0o644 } else { 0 };
    let fd = beneath(&dir, rel, flags, create_mode)?;
    // SAFETY: `fd` was just returned by openat2 and is owned by nobody else.
    Some(fd.map(|fd| unsafe { File::from_raw_fd(fd) }))
}

/// Removes `root/rel` with its parent opened beneath `root`; `None` if the kernel has no
/// `openat2`.
pub(crate) fn unlink_beneath(root: &Path, rel: &Path) -> Option<io::Result<()>> {
    let dir = match open_dir(root) {
        Ok(d) => d,
        Err(e) => return Some(Err(e)),
    };
    let parent = rel.parent().unwrap_or(Path::new(""));
    let name = rel.file_name()?;
    let pfd = match beneath(&dir, parent, libc::O_PATH | libc::O_DIRECTORY, 0)? {
        Ok(fd) => fd,
        Err(e) => return Some(Err(e)),
    };
    // SAFETY: `pfd` was just returned by openat2 and is owned by nobody else.
    let pdir = unsafe { File::from_raw_fd(pfd) };
    let Ok(cname) = CString::new(name.as_bytes()) else {
        return Some(Err(io::Error::from_raw_os_error(libc::EACCES)));
    };
    // SAFETY: `pdir` is an open directory descriptor and `cname` a NUL-terminated name.
    let r = unsafe { libc::unlinkat(pdir.as_raw_fd(), cname.as_ptr(), 0) };
    Some(if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    })
}
