//! I/O permissions: the runtime's sandbox, deny by default.
//!
//! [`IOPermissions`] is the specification's struct with the specification's defaults: every
//! file and network operation is denied, printing is allowed. Paths and hosts are allow-lists
//! that cannot be escaped:
//!
//! - a path must be absolute, valid UTF-8, free of NUL bytes, at most [`MAX_PATH`] bytes, free of
//!   `..` components and of a trailing separator, and lie **component-wise** under one of
//!   [`IOPermissions::file_paths`] (`/data-evil` is not under `/data`; components compare byte
//!   for byte, so case tricks do not match on case-insensitive file systems either);
//! - the file is then opened *beneath* that root by the context's [`Sandbox`], from the root's
//!   handle opened once, never by name from the top again (see `sandbox.rs` for the two
//!   resolvers, `walk.rs` for the rules they share): a symbolic link or a concurrent rename
//!   cannot lead outside, and anything outside is `EACCES` whether it exists or not;
//! - a host must equal an entry of [`IOPermissions::net_hosts`] (ASCII case-insensitively, as DNS
//!   names are); numeric spellings of an allowed address (`127.1`, `0x7f.0.0.1`) do not match.
//!
//! Errors: a disabled operation gives `EPERM`; a path or host outside the allow-lists gives
//! `EACCES`; an over-long path gives `ENAMETOOLONG`.
//!
//! ```
//! use neurlang::runtime::IOPermissions;
//! let p = IOPermissions::default();
//! assert!(p.io_print && !p.file_read && !p.net_connect);
//! ```

mod mode;
mod sandbox;
mod walk;

use crate::errno::Errno;
use std::path::{Component, Path, PathBuf};

pub use mode::OpenMode;
pub use sandbox::{Resolver, Sandbox};
pub use walk::MAX_LINKS;

/// The longest path, in bytes, the sandbox accepts.
pub const MAX_PATH: usize = 4096;

/// The longest host name, in bytes, the sandbox accepts (DNS limit).
pub const MAX_HOST: usize = 253;

/// Runtime I/O permissions - deny by default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IOPermissions {
    /// Allow FILE.read.
    pub file_read: bool,
    /// Allow FILE.write (also create, truncate, unlink).
    pub file_write: bool,
    /// Allowed paths (whitelist): directories under which files may be opened, or single files
    /// (see [`Sandbox`]).
    pub file_paths: Vec<PathBuf>,
    /// Allow NET.connect.
    pub net_connect: bool,
    /// Allow NET.listen.
    pub net_listen: bool,
    /// Allowed hosts (whitelist), for both connect and listen.
    pub net_hosts: Vec<String>,
    /// Allow IO.print.
    pub io_print: bool,
    /// Allow IO.read_line.
    pub io_read: bool,
}

impl Default for IOPermissions {
    fn default() -> Self {
        // Deny-by-default is safe
        Self {
            file_read: false,
            file_write: false,
            file_paths: vec![],
            net_connect: false,
            net_listen: false,
            net_hosts: vec![],
            io_print: true, // Allow print by default (safe)
            io_read: false,
        }
    }
}

/// A network operation, for [`IOPermissions::check_host`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NetOp {
    /// An outgoing connection.
    Connect,
    /// A listening socket.
    Listen,
}

impl IOPermissions {
    /// Everything allowed under `root` for files, nothing else beyond the defaults.
    pub fn files_under(root: impl Into<PathBuf>) -> IOPermissions {
        IOPermissions {
            file_read: true,
            file_write: true,
            file_paths: vec![root.into()],
            ..IOPermissions::default()
        }
    }

    /// Checks a guest path (raw bytes) and returns the allowed root it lies under and the path
    /// relative to that root (empty when it names the root itself).
    pub fn check_path(&self, raw: &[u8]) -> Result<(PathBuf, PathBuf), Errno> {
        let (index, rel) = self.locate(raw)?;
        Ok((self.file_paths[index].clone(), rel))
    }

    /// [`check_path`](Self::check_path), naming the root by its index in `file_paths`.
    pub(crate) fn locate(&self, raw: &[u8]) -> Result<(usize, PathBuf), Errno> {
        if raw.len() > MAX_PATH {
            return Err(Errno::ENAMETOOLONG);
        }
        let text = std::str::from_utf8(raw).map_err(|_| Errno::EACCES)?;
        if text.is_empty() || text.contains('\0') || ends_with_separator(text) {
            return Err(Errno::EACCES);
        }
        let path = Path::new(text);
        if !path.is_absolute() {
            return Err(Errno::EACCES);
        }
        if path.components().any(|c| matches!(c, Component::ParentDir)) {
            return Err(Errno::EACCES);
        }
        for (index, root) in self.file_paths.iter().enumerate() {
            if let Ok(rel) = path.strip_prefix(root) {
                let rel: PathBuf = rel
                    .components()
                    .filter(|c| !matches!(c, Component::CurDir))
                    .collect();
                return Ok((index, rel));
            }
        }
        Err(Errno::EACCES)
    }

    pub(crate) fn check_mode(&self, mode: OpenMode) -> Result<(), Errno> {
        if mode.read && !self.file_read {
            return Err(Errno::EPERM);
        }
        if mode.writes() && !self.file_write {
            return Err(Errno::EPERM);
        }
        Ok(())
    }

    /// Checks that `host` may be used for `op`.
    pub fn check_host(&self, host: &[u8], op: NetOp) -> Result<String, Errno> {
        let allowed = match op {
            NetOp::Connect => self.net_connect,
            NetOp::Listen => self.net_listen,
        };
        if !allowed {
            return Err(Errno::EPERM);
        }
        if host.len() > MAX_HOST {
            return Err(Errno::EACCES);
        }
        let host = std::str::from_utf8(host).map_err(|_| Errno::EACCES)?;
        if host.is_empty() || host.contains('\0') {
            return Err(Errno::EACCES);
        }
        if self.net_hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
            Ok(host.to_owned())
        } else {
            Err(Errno::EACCES)
        }
    }
}

fn ends_with_separator(text: &str) -> bool {
    text.ends_with('/') || (cfg!(windows) && text.ends_with('\\'))
}

#[cfg(test)]
mod tests;
