//! Files: `open` through the sandbox, then read / write / seek / size / close on a descriptor
//! of the context's own table (`Files`); `unlink` through the sandbox.
//!
//! Open flags (`neurlang_file_open`): `READ` 1, `WRITE` 2, `CREATE` 4, `TRUNC` 8, `APPEND` 16,
//! `EXCL` 32 (see [`OpenMode`]). Errors: `EPERM` when the context may not read / write files,
//! `EACCES` for a path outside the allow-list, `ENAMETOOLONG` beyond [`MAX_PATH`](crate::perm::MAX_PATH)
//! bytes, `EINVAL` for bad flags or whence, `EBADF` for a descriptor that is not an open file,
//! and the mapped OS error otherwise.
//!
//! ```
//! use neurlang::runtime::{Context, IOPermissions, OpenMode};
//! let dir = std::env::temp_dir().join(format!("nl-fs-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let ctx = Context::new(IOPermissions::files_under(&dir));
//! let path = dir.join("a.txt");
//! let fd = ctx.file_open(path.to_str().unwrap().as_bytes(), OpenMode::WRITE | OpenMode::CREATE).unwrap();
//! assert_eq!(ctx.file_write(fd, b"hi").unwrap(), 2);
//! assert_eq!(ctx.file_size(fd).unwrap(), 2);
//! ctx.file_close(fd).unwrap();
//! std::fs::remove_dir_all(&dir).unwrap();
//! ```

use crate::errno::Errno;
use crate::handle::{Handle, HandleTable};
use crate::perm::{OpenMode, Sandbox};
use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::sync::Arc;

/// `whence` of [`Context::file_seek`](crate::ctx::Context::file_seek): from the start.
pub const SEEK_SET: u64 = 0;
/// `whence`: from the current position.
pub const SEEK_CUR: u64 = 1;
/// `whence`: from the end.
pub const SEEK_END: u64 = 2;

#[derive(Debug)]
pub(crate) struct OpenFile {
    file: File,
    mode: OpenMode,
    /// A regular file, whose reads and writes run under the descriptor's lock (see [`Files::io`]).
    regular: bool,
}

/// A context's open files (see [`Context`](crate::ctx::Context), which owns one and its
/// [`Sandbox`]), behind `Arc`: an operation that may wait (on a FIFO, a device) keeps its file
/// open across a `close`, which does not wait for it.
pub(crate) type Files = HandleTable<Arc<OpenFile>, Errno>;

impl crate::handle::ContextService for Arc<OpenFile> {
    const TAG: crate::handle::Tag = crate::handle::Tag::File;
}

impl Files {
    /// Whether `fd` is an open file.
    pub(crate) fn contains(&self, fd: Handle) -> bool {
        self.with(fd, |_| ()).is_ok()
    }

    /// Opens `path` through `sandbox` with `flags` (see the module docs); returns its descriptor.
    pub(crate) fn open(&self, sandbox: &Sandbox, path: &[u8], flags: u64) -> Result<Handle, Errno> {
        let mode = OpenMode::from_bits(flags)?;
        let file = sandbox.open(path, mode)?;
        let regular = file.metadata().is_ok_and(|m| m.is_file());
        self.insert(Arc::new(OpenFile {
            file,
            mode,
            regular,
        }))
    }

    /// Runs `op` on open file `fd`. On a regular file it runs under the descriptor's lock,
    /// with no reference taken (two read-modify-writes fewer per call): another operation on the
    /// same descriptor (a `close`, a seek) waits for it, spinning then yielding. A regular file's
    /// read or write does not wait for another program to act, as a FIFO's or a device's may,
    /// but on a network or FUSE file system it waits for the server, and so does that other
    /// operation. On anything else `op` runs on a reference taken under the lock, so a `close`
    /// meanwhile returns at once (`a_close_does_not_wait_for_a_read_blocked_on_a_fifo`).
    fn io<R>(
        &self,
        fd: Handle,
        mut op: impl FnMut(&OpenFile) -> Result<R, Errno>,
    ) -> Result<R, Errno> {
        let held = self.with(fd, |f| {
            if f.regular {
                Ok(op(f))
            } else {
                Err(Arc::clone(f))
            }
        })?;
        match held {
            Ok(done) => done,
            Err(shared) => op(&shared),
        }
    }

    /// Reads up to `buf.len()` bytes; 0 at end of file.
    pub(crate) fn read(&self, fd: Handle, buf: &mut [u8]) -> Result<usize, Errno> {
        self.io(fd, |f| {
            if !f.mode.read {
                return Err(Errno::EBADF);
            }
            crate::sys::file_read(&f.file, buf).map_err(|e| Errno::from_io_error(&e))
        })
    }

    /// Writes up to `buf.len()` bytes; returns how many were written.
    pub(crate) fn write(&self, fd: Handle, buf: &[u8]) -> Result<usize, Errno> {
        self.io(fd, |f| {
            if !f.mode.write {
                return Err(Errno::EBADF);
            }
            crate::sys::file_write(&f.file, buf).map_err(|e| Errno::from_io_error(&e))
        })
    }

    /// Moves the file position; returns the new position from the start, under the
    /// descriptor's lock on any file (a seek does not wait for another program to act).
    pub(crate) fn seek(&self, fd: Handle, offset: i64, whence: u64) -> Result<u64, Errno> {
        self.with(fd, |f| {
            let pos = match whence {
                SEEK_SET => SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::EINVAL)?),
                SEEK_CUR => SeekFrom::Current(offset),
                SEEK_END => SeekFrom::End(offset),
                _ => return Err(Errno::EINVAL),
            };
            (&f.file).seek(pos).map_err(|e| Errno::from_io_error(&e))
        })?
    }

    /// The file's size in bytes (under the descriptor's lock, as a seek).
    pub(crate) fn size(&self, fd: Handle) -> Result<u64, Errno> {
        self.with(fd, |f| {
            f.file
                .metadata()
                .map(|m| m.len())
                .map_err(|e| Errno::from_io_error(&e))
        })?
    }

    /// Closes a file descriptor.
    pub(crate) fn close(&self, fd: Handle) -> Result<(), Errno> {
        self.remove(fd).map(drop)
    }
}

#[cfg(test)]
mod tests;
