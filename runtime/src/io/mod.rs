//! Console I/O: `print` (allowed by default) and `read_line` (denied by default).

use crate::errno::Errno;
use crate::perm::IOPermissions;
use std::io::{BufRead, Write};
use std::sync::Mutex;

/// Where a context's `read_line` reads.
pub type Input = Box<dyn BufRead + Send>;
/// Where a context's `print` writes.
pub type Output = Box<dyn Write + Send>;

/// A context's console (see [`Context`](crate::ctx::Context), which owns one).
pub(crate) struct Console {
    stdin: Mutex<Input>,
    stdout: Mutex<Output>,
}

impl Console {
    pub(crate) fn new(stdin: Input, stdout: Output) -> Console {
        Console {
            stdin: Mutex::new(stdin),
            stdout: Mutex::new(stdout),
        }
    }

    /// Writes `bytes` to the output; returns the count. `EPERM` without `io_print`.
    pub(crate) fn print(&self, perms: &IOPermissions, bytes: &[u8]) -> Result<usize, Errno> {
        if !perms.io_print {
            return Err(Errno::EPERM);
        }
        let mut out = self.stdout.lock().unwrap_or_else(|p| p.into_inner());
        out.write_all(bytes)
            .and_then(|()| out.flush())
            .map_err(|e| Errno::from_io_error(&e))?;
        Ok(bytes.len())
    }

    /// Reads one line (with its `\n`, if any) into `buf`; returns its length, 0 at end of input.
    /// A line longer than `buf` is cut: the rest is returned by the next call. `EPERM` without
    /// `io_read`.
    pub(crate) fn read_line(&self, perms: &IOPermissions, buf: &mut [u8]) -> Result<usize, Errno> {
        if !perms.io_read {
            return Err(Errno::EPERM);
        }
        let mut input = self.stdin.lock().unwrap_or_else(|p| p.into_inner());
        let mut n = 0;
        while n < buf.len() {
            let avail = input.fill_buf().map_err(|e| Errno::from_io_error(&e))?;
            if avail.is_empty() {
                break;
            }
            let want = (buf.len() - n).min(avail.len());
            let (take, done) = match avail[..want].iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (want, false),
            };
            buf[n..n + take].copy_from_slice(&avail[..take]);
            input.consume(take);
            n += take;
            if done {
                break;
            }
        }
        Ok(n)
    }
}
