//! Opening a checked path beneath its allowed root.
//!
//! The kernel-enforced way (`openat2` with `RESOLVE_BENEATH`) lives in `sys`; where it is not
//! available this module canonicalises and checks, then opens without following a final symlink.

use crate::errno::Errno;
use crate::sys;
use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// How a file is opened: the decoded `flags` of `neurlang_file_open`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenMode {
    /// `OPEN_READ` (1).
    pub read: bool,
    /// `OPEN_WRITE` (2).
    pub write: bool,
    /// `OPEN_CREATE` (4): create if missing (needs write).
    pub create: bool,
    /// `OPEN_TRUNC` (8): truncate to 0 (needs write).
    pub truncate: bool,
    /// `OPEN_APPEND` (16): every write at the end (needs write).
    pub append: bool,
    /// `OPEN_EXCL` (32): fail with `EEXIST` if it exists (needs create).
    pub exclusive: bool,
}

impl OpenMode {
    /// Open for reading.
    pub const READ: u64 = 1;
    /// Open for writing.
    pub const WRITE: u64 = 2;
    /// Create the file if it does not exist.
    pub const CREATE: u64 = 4;
    /// Truncate the file.
    pub const TRUNC: u64 = 8;
    /// Append.
    pub const APPEND: u64 = 16;
    /// With `CREATE`: the file must not exist.
    pub const EXCL: u64 = 32;

    /// Decodes flags; unknown bits, no access mode, or a modifier without the access it needs
    /// give `EINVAL`.
    pub fn from_bits(bits: u64) -> Result<OpenMode, Errno> {
        let all = Self::READ | Self::WRITE | Self::CREATE | Self::TRUNC | Self::APPEND | Self::EXCL;
        if bits & !all != 0 {
            return Err(Errno::EINVAL);
        }
        let m = OpenMode {
            read: bits & Self::READ != 0,
            write: bits & Self::WRITE != 0,
            create: bits & Self::CREATE != 0,
            truncate: bits & Self::TRUNC != 0,
            append: bits & Self::APPEND != 0,
            exclusive: bits & Self::EXCL != 0,
        };
        let needs_write = m.create || m.truncate || m.append;
        let no_access = !m.read && !m.write;
        if no_access || (needs_write && !m.write) || (m.exclusive && !m.create) {
            return Err(Errno::EINVAL);
        }
        Ok(m)
    }

    /// Whether this mode modifies the file system.
    pub fn writes(self) -> bool {
        self.write || self.create || self.truncate || self.append
    }

    pub(crate) fn options(self) -> OpenOptions {
        let mut o = OpenOptions::new();
        o.read(self.read)
            .write(self.write && !self.append)
            .append(self.append)
            .truncate(self.truncate);
        if self.exclusive {
            o.create_new(true);
        } else {
            o.create(self.create);
        }
        o
    }
}

/// Opens `root/rel`, never resolving to anything outside `root`.
pub(super) fn open(root: &Path, rel: &Path, mode: OpenMode) -> Result<File, Errno> {
    if let Some(result) = sys::open_beneath(root, rel, mode) {
        return result.map_err(|e| escape_errno(&e));
    }
    let full = checked_target(root, rel, mode.create)?;
    let mut options = mode.options();
    sys::no_follow(&mut options);
    options.open(full).map_err(|e| escape_errno(&e))
}

/// Removes `root/rel` (a file), never outside `root`.
pub(super) fn unlink(root: &Path, rel: &Path) -> Result<(), Errno> {
    if rel.as_os_str().is_empty() {
        return Err(Errno::EACCES);
    }
    if let Some(result) = sys::unlink_beneath(root, rel) {
        return result.map_err(|e| escape_errno(&e));
    }
    // The name itself is removed, never what a symlink points to, so only the parent matters.
    let full = checked_target(root, rel, true)?;
    std::fs::remove_file(full).map_err(|e| escape_errno(&e))
}

/// The fallback check: the canonical parent (and the canonical target, if it exists and is not
/// a symlink) must lie under the canonical root.
fn checked_target(root: &Path, rel: &Path, may_create: bool) -> Result<std::path::PathBuf, Errno> {
    let croot = root.canonicalize().map_err(|e| Errno::from_io_error(&e))?;
    let full = root.join(rel);
    let parent = match full.parent() {
        Some(p) if !rel.as_os_str().is_empty() => p.to_path_buf(),
        _ => root.to_path_buf(),
    };
    let cparent = parent
        .canonicalize()
        .map_err(|e| Errno::from_io_error(&e))?;
    if !cparent.starts_with(&croot) {
        return Err(Errno::EACCES);
    }
    match std::fs::symlink_metadata(&full) {
        Ok(meta) if meta.file_type().is_symlink() => {
            let target = full.canonicalize().map_err(|_| Errno::EACCES)?;
            if !target.starts_with(&croot) {
                return Err(Errno::EACCES);
            }
        }
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound && may_create => {}
        Err(e) => return Err(Errno::from_io_error(&e)),
    }
    Ok(full)
}

/// Resolution refusals (`EXDEV` from `RESOLVE_BENEATH`, `ELOOP` from a refused symlink) are
/// sandbox denials.
fn escape_errno(e: &io::Error) -> Errno {
    match Errno::from_io_error(e) {
        Errno::EXDEV | Errno::ELOOP => Errno::EACCES,
        other => other,
    }
}
