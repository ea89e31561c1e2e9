//! The sandbox's fast path on Linux 5.6+: `openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)`
//! from the root's descriptor, the kernel refusing any resolution (`..` above the root, an
//! absolute symlink, a magic link) that would leave it. The caller (`perm/sandbox.rs`) falls
//! back to the portable walk when this reports `ENOSYS` (an old kernel, qemu-user), `EPERM`
//! (a seccomp profile that denies the call) or `EAGAIN` (a concurrent rename); see its module
//! docs for which of these branches a trial runs.

#![allow(unsafe_code)] // openat2 and unlinkat through libc; each block has its SAFETY comment.

use super::beneath::{Dir, open_flags};
use crate::perm::OpenMode;
use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// The kernel resolves beneath a directory (Linux 5.6+; an older kernel's `ENOSYS` is handled by
/// the caller).
pub(crate) const KERNEL_BENEATH: bool = true;

fn beneath(dir: &Dir, rel: &Path, flags: i32, mode: u32) -> io::Result<OwnedFd> {
    let rel = if rel.as_os_str().is_empty() {
        Path::new(".")
    } else {
        rel
    };
    let name = CString::new(rel.as_os_str().as_bytes())
        .map_err(|_| io::Error::from_raw_os_error(libc::EACCES))?;
    // SAFETY: `open_how` is a plain C struct of integers; all-zero is a valid value.
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = (flags | libc::O_CLOEXEC) as u64;
    how.mode = u64::from(mode);
    how.resolve = libc::RESOLVE_BENEATH | libc::RESOLVE_NO_MAGICLINKS;
    // SAFETY: every pointer argument points at a live, correctly sized value for the call.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            dir.fd(),
            name.as_ptr(),
            &raw const how,
            std::mem::size_of::<libc::open_how>(),
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by openat2 and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Opens `rel` beneath `root`.
pub(crate) fn open_beneath(root: &Dir, rel: &Path, mode: OpenMode) -> Option<io::Result<File>> {
    let create_mode = if mode.create { 0o644 } else { 0 };
    Some(beneath(root, rel, open_flags(mode), create_mode).map(File::from))
}

/// Removes `rel` (the name itself) with its parent opened beneath `root`.
pub(crate) fn unlink_beneath(root: &Dir, rel: &Path) -> Option<io::Result<()>> {
    let parent = rel.parent().unwrap_or(Path::new(""));
    let name = rel.file_name()?;
    let pdir = match beneath(root, parent, libc::O_PATH | libc::O_DIRECTORY, 0) {
        Ok(fd) => Dir::from(fd),
        Err(e) => return Some(Err(e)),
    };
    Some(super::beneath::unlink_at(&pdir, name))
}
