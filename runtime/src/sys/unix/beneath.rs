//! The sandbox walk's primitives on Unix: one name opened beneath an open directory with
//! `openat(…, O_NOFOLLOW)`, a symbolic link read with `readlinkat` instead of followed, and
//! `unlinkat` on the parent's descriptor. Nothing here resolves more than one component, so no
//! name that the walk (`perm/walk.rs`) has checked is ever looked up again.

#![allow(unsafe_code)] // openat, readlinkat and unlinkat through libc; each block has its SAFETY.

use crate::perm::OpenMode;
use crate::sys::Entry;
use std::ffi::{CString, OsStr};
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

/// How a directory of the walk is held: on Linux as a path-only descriptor (search permission
/// is enough, as for the kernel's own resolution), elsewhere opened for reading.
#[cfg(neurlang_dir_access = "o_path")]
const DIR_ACCESS: libc::c_int = libc::O_PATH;
#[cfg(neurlang_dir_access = "o_rdonly")]
const DIR_ACCESS: libc::c_int = libc::O_RDONLY;

/// An open directory the sandbox resolves from.
#[derive(Debug)]
pub(crate) struct Dir(OwnedFd);

impl Dir {
    /// Opens an allowed root (the embedder's path, links in it followed); `ENOTDIR` if it is not
    /// a directory.
    pub(crate) fn open_root(path: &Path) -> io::Result<Dir> {
        let name = cstr(path.as_os_str())?;
        // SAFETY: `name` is a NUL-terminated string alive for the call; no pointer is kept.
        let fd = unsafe {
            libc::open(
                name.as_ptr(),
                DIR_ACCESS | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        };
        owned(fd).map(Dir)
    }

    /// The descriptor, for `openat2`.
    pub(crate) fn fd(&self) -> libc::c_int {
        self.0.as_raw_fd()
    }
}

impl From<OwnedFd> for Dir {
    fn from(fd: OwnedFd) -> Dir {
        Dir(fd)
    }
}

/// Opens the directory `name` beneath `parent`; a symbolic link is read, not followed.
pub(crate) fn open_dir_at(parent: &Dir, name: &OsStr) -> io::Result<Entry<Dir>> {
    let c = cstr(name)?;
    let flags = DIR_ACCESS | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    // SAFETY: `parent` is an open descriptor and `c` a NUL-terminated string alive for the call.
    let fd = unsafe { libc::openat(parent.fd(), c.as_ptr(), flags) };
    match owned(fd) {
        Ok(fd) => Ok(Entry::Opened(Dir(fd))),
        Err(e) => link_or(parent, &c, e),
    }
}

/// Opens the file `name` beneath `parent` with `mode` (`"."`: `parent` itself); a symbolic link
/// named `name` is read, not followed (with `mode.exclusive` the kernel reports `EEXIST`).
pub(crate) fn open_file_at(parent: &Dir, name: &OsStr, mode: OpenMode) -> io::Result<Entry<File>> {
    let c = cstr(name)?;
    let flags = open_flags(mode) | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    // SAFETY: as above; the mode argument is read only with O_CREAT, and passed as the
    // variadic's promoted unsigned int.
    let fd = unsafe { libc::openat(parent.fd(), c.as_ptr(), flags, 0o644 as libc::c_uint) };
    match owned(fd) {
        Ok(fd) => Ok(Entry::Opened(File::from(fd))),
        Err(e) => link_or(parent, &c, e),
    }
}

/// Removes the name `name` beneath `parent` (a link itself, never its target).
pub(crate) fn unlink_at(parent: &Dir, name: &OsStr) -> io::Result<()> {
    let c = cstr(name)?;
    // SAFETY: `parent` is an open descriptor and `c` a NUL-terminated string alive for the call.
    if unsafe { libc::unlinkat(parent.fd(), c.as_ptr(), 0) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// The `open(2)` flags of a mode (and `O_NOCTTY`), without the resolution flags.
pub(crate) fn open_flags(mode: OpenMode) -> libc::c_int {
    let mut flags = libc::O_NOCTTY
        | match (mode.read, mode.write || mode.append) {
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
    flags
}

/// After an `O_NOFOLLOW` open failed with `err`: the link's target if `name` is a symbolic link
/// (Linux and macOS report one as `ELOOP`, FreeBSD as `EMLINK`, and `O_DIRECTORY` may say
/// `ENOTDIR` first), else `err`. If the name changed in between, the answer is about what it is
/// now, read from the same directory: never a path outside it.
fn link_or<T>(parent: &Dir, name: &CString, err: io::Error) -> io::Result<Entry<T>> {
    let maybe_link = matches!(
        err.raw_os_error(),
        Some(libc::ELOOP | libc::EMLINK | libc::ENOTDIR)
    );
    if !maybe_link {
        return Err(err);
    }
    let mut buf = vec![0u8; libc::PATH_MAX as usize];
    // SAFETY: `buf` is writable for its length; `parent` and `name` as above.
    let n = unsafe {
        libc::readlinkat(
            parent.fd(),
            name.as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    match usize::try_from(n) {
        Ok(n) if n < buf.len() => {
            buf.truncate(n);
            Ok(Entry::Link(PathBuf::from(std::ffi::OsString::from_vec(
                buf,
            ))))
        }
        Ok(_) => Err(io::Error::from_raw_os_error(libc::ENAMETOOLONG)),
        // Not a link (EINVAL) or gone: the open's own answer stands.
        Err(_) => Err(err),
    }
}

fn cstr(name: &OsStr) -> io::Result<CString> {
    CString::new(name.as_bytes()).map_err(|_| io::Error::from_raw_os_error(libc::EACCES))
}

fn owned(fd: libc::c_int) -> io::Result<OwnedFd> {
    if fd < 0 {
        Err(io::Error::last_os_error())
    } else {
        // SAFETY: `fd` was just returned by the kernel and is owned by nobody else.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }
}
