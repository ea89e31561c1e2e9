//! Files: `open` through the sandbox, then read / write / seek / size / close on a descriptor
//! of the context's own table; `unlink` through the sandbox.
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

use crate::ctx::{Context, Handle, Object};
use crate::errno::Errno;
use crate::perm::OpenMode;
use std::io::{Seek, SeekFrom};
use std::sync::Arc;

/// `whence` of [`Context::file_seek`]: from the start.
pub const SEEK_SET: u64 = 0;
/// `whence`: from the current position.
pub const SEEK_CUR: u64 = 1;
/// `whence`: from the end.
pub const SEEK_END: u64 = 2;

impl Context {
    fn file(&self, fd: Handle) -> Result<Arc<Object>, Errno> {
        match self.objects.get(fd) {
            Some(obj) if matches!(*obj, Object::File(..)) => Ok(obj),
            _ => Err(Errno::EBADF),
        }
    }

    /// Opens `path` with `flags` (see the module docs); returns its descriptor.
    pub fn file_open(&self, path: &[u8], flags: u64) -> Result<Handle, Errno> {
        let mode = OpenMode::from_bits(flags)?;
        let file = self.sandbox().open(path, mode)?;
        self.objects.insert(Object::File(file, mode))
    }

    /// Reads up to `buf.len()` bytes; 0 at end of file.
    pub fn file_read(&self, fd: Handle, buf: &mut [u8]) -> Result<usize, Errno> {
        let obj = self.file(fd)?;
        let Object::File(f, mode) = &*obj else {
            return Err(Errno::EBADF);
        };
        if !mode.read {
            return Err(Errno::EBADF);
        }
        crate::sys::file_read(f, buf).map_err(|e| Errno::from_io_error(&e))
    }

    /// Writes up to `buf.len()` bytes; returns how many were written.
    pub fn file_write(&self, fd: Handle, buf: &[u8]) -> Result<usize, Errno> {
        let obj = self.file(fd)?;
        let Object::File(f, mode) = &*obj else {
            return Err(Errno::EBADF);
        };
        if !mode.write {
            return Err(Errno::EBADF);
        }
        crate::sys::file_write(f, buf).map_err(|e| Errno::from_io_error(&e))
    }

    /// Moves the file position; returns the new position from the start.
    pub fn file_seek(&self, fd: Handle, offset: i64, whence: u64) -> Result<u64, Errno> {
        let obj = self.file(fd)?;
        let Object::File(f, _) = &*obj else {
            return Err(Errno::EBADF);
        };
        let pos = match whence {
            SEEK_SET => SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::EINVAL)?),
            SEEK_CUR => SeekFrom::Current(offset),
            SEEK_END => SeekFrom::End(offset),
            _ => return Err(Errno::EINVAL),
        };
        (&*f).seek(pos).map_err(|e| Errno::from_io_error(&e))
    }

    /// The file's size in bytes.
    pub fn file_size(&self, fd: Handle) -> Result<u64, Errno> {
        let obj = self.file(fd)?;
        let Object::File(f, _) = &*obj else {
            return Err(Errno::EBADF);
        };
        f.metadata()
            .map(|m| m.len())
            .map_err(|e| Errno::from_io_error(&e))
    }

    /// Closes a file descriptor.
    pub fn file_close(&self, fd: Handle) -> Result<(), Errno> {
        self.file(fd)?;
        self.objects.remove(fd).map(drop).ok_or(Errno::EBADF)
    }

    /// Removes the file at `path` (needs `file_write` and a path on the allow-list).
    pub fn file_unlink(&self, path: &[u8]) -> Result<(), Errno> {
        self.sandbox().unlink(path)
    }
}

#[cfg(test)]
mod tests;
