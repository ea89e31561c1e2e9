//! The file sandbox: the allowed roots opened once, every path resolved beneath one of them.
//!
//! A [`Sandbox`] opens each entry of [`IOPermissions::file_paths`] when it is made and keeps the
//! handle; a path is then checked lexically ([`IOPermissions::check_path`]) and resolved from
//! its root's handle, never by name from the top again. Two resolvers give one behaviour (see
//! `walk.rs` for the rules):
//!
//! - [`Resolver::Kernel`]: `openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)` on Linux 5.6+, one
//!   system call;
//! - [`Resolver::Walk`]: the portable walk, one component at a time from the root's handle with
//!   no-follow opens, links resolved in user space. It is the only resolver on macOS, FreeBSD and
//!   Windows, and Linux falls back to it for good when `openat2` reports `ENOSYS` (kernels before
//!   5.6, qemu-user) and for the one call when it reports `EPERM` (seccomp profiles that deny it;
//!   a real `EPERM` comes back from the walk too) or `EAGAIN` (a rename raced a `..`). It never
//!   falls back to anything that resolves a checked name again. The `ENOSYS` fallback is what the
//!   `abi.race.*.walk` trials run on Linux (a seccomp filter fails `openat2` with `ENOSYS`, and
//!   each trial fails unless the walk served it); the `EPERM` and `EAGAIN` branches have no
//!   trial yet.
//!
//! Why not `cap-std` (bytecodealliance's capability file system, behind wasmtime's WASI), which
//! does the same on Unix and Windows: it would add several times what the walk adds to the C
//! ABI's size (measured against the spec's ~100 KB by `ci/size.sh`), for the same system call on
//! Linux (one `openat2`). The figures, the open's cost against `open(2)` for each resolver, and
//! their commands are in docs/performance.md ("The file sandbox").
//!
//! An entry of `file_paths` that names a file (not a directory) allows that one file: its own
//! path opens it (without following it if it has become a link), any path beneath it is
//! `ENOTDIR`, and it cannot be unlinked (`EACCES`, like a root directory). A root that cannot be
//! opened when the sandbox is made (not created yet) is opened at its first use and kept.
//!
//! ```
//! use neurlang::runtime::{IOPermissions, OpenMode, Sandbox};
//! let dir = std::env::temp_dir().join(format!("nl-sandbox-doc-{}", std::process::id()));
//! std::fs::create_dir_all(dir.join("a")).unwrap();
//! let sandbox = Sandbox::new(IOPermissions::files_under(&dir));
//! let path = dir.join("a").join("f");
//! let write = OpenMode { write: true, create: true, ..OpenMode::default() };
//! assert!(sandbox.open(path.to_str().unwrap().as_bytes(), write).is_ok());
//! let outside = std::env::temp_dir().join("elsewhere");
//! assert!(sandbox.open(outside.to_str().unwrap().as_bytes(), write).is_err());
//! std::fs::remove_dir_all(&dir).unwrap();
//! ```

use super::{IOPermissions, OpenMode, walk};
use crate::errno::Errno;
use crate::sys::{self, Dir, Entry};
use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// Which resolver a [`Sandbox`] uses (see the documentation of `perm/sandbox.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Resolver {
    /// The kernel resolves beneath the root: `openat2(RESOLVE_BENEATH)` on Linux.
    Kernel,
    /// The portable component-by-component walk.
    Walk,
}

/// An allowed root, opened.
#[derive(Debug)]
enum Root {
    Dir(Dir),
    File { parent: Dir, name: OsString },
}

impl Root {
    fn open(path: &Path) -> Result<Root, Errno> {
        match Dir::open_root(path) {
            Ok(d) => return Ok(Root::Dir(d)),
            Err(e) if Errno::from_io_error(&e) == Errno::ENOTDIR => {}
            Err(e) => return Err(Errno::from_io_error(&e)),
        }
        let file = path.canonicalize().map_err(|e| Errno::from_io_error(&e))?;
        let (Some(parent), Some(name)) = (file.parent(), file.file_name()) else {
            return Err(Errno::ENOTDIR);
        };
        let parent = Dir::open_root(parent).map_err(|e| Errno::from_io_error(&e))?;
        Ok(Root::File {
            parent,
            name: name.to_os_string(),
        })
    }
}

impl From<IOPermissions> for Sandbox {
    fn from(perms: IOPermissions) -> Sandbox {
        Sandbox::new(perms)
    }
}

/// The file sandbox of a context. See the documentation of `perm/sandbox.rs`.
#[derive(Debug)]
pub struct Sandbox {
    perms: IOPermissions,
    roots: Vec<OnceLock<Root>>,
    walk_only: AtomicBool,
}

impl Sandbox {
    /// A sandbox with these permissions, its roots opened now (the best resolver available).
    pub fn new(perms: IOPermissions) -> Sandbox {
        Sandbox::with_resolver(perms, Resolver::Kernel)
    }

    /// A sandbox that uses `resolver` where it is available: [`Resolver::Walk`] never calls the
    /// kernel's resolver (for systems whose `openat2` is not to be trusted, and to test the walk
    /// where the kernel has one).
    pub fn with_resolver(perms: IOPermissions, resolver: Resolver) -> Sandbox {
        let roots: Vec<OnceLock<Root>> = perms
            .file_paths
            .iter()
            .map(|p| {
                let cell = OnceLock::new();
                if let Ok(root) = Root::open(p) {
                    let _ = cell.set(root);
                }
                cell
            })
            .collect();
        Sandbox {
            perms,
            roots,
            walk_only: AtomicBool::new(resolver == Resolver::Walk || !sys::KERNEL_BENEATH),
        }
    }

    /// The permissions it enforces.
    pub fn permissions(&self) -> &IOPermissions {
        &self.perms
    }

    /// The resolver in use now (it changes from `Kernel` to `Walk` once the kernel reports that
    /// it has none).
    pub fn resolver(&self) -> Resolver {
        if self.walk_only.load(Ordering::Relaxed) {
            Resolver::Walk
        } else {
            Resolver::Kernel
        }
    }

    fn root(&self, index: usize) -> Result<&Root, Errno> {
        let cell = &self.roots[index];
        if let Some(root) = cell.get() {
            return Ok(root);
        }
        let root = Root::open(&self.perms.file_paths[index])?;
        Ok(cell.get_or_init(|| root))
    }

    /// The kernel resolver's answer, unless the walk must answer: the kernel has none, or it
    /// reported `ENOSYS` (turns it off for good), `EPERM` or `EAGAIN` (this call goes to the
    /// walk; `openat2` says `EAGAIN` when a concurrent rename kept it from proving that a `..`
    /// stayed beneath the root).
    fn kernel<T>(&self, call: impl FnOnce() -> Option<io::Result<T>>) -> Option<Result<T, Errno>> {
        if self.walk_only.load(Ordering::Relaxed) {
            return None;
        }
        match call()? {
            Ok(v) => Some(Ok(v)),
            Err(e) => match Errno::from_io_error(&e) {
                Errno::ENOSYS => {
                    self.walk_only.store(true, Ordering::Relaxed);
                    None
                }
                Errno::EPERM | Errno::EAGAIN => None,
                other => Some(Err(refusal(other))),
            },
        }
    }

    /// Checks permission for a file operation and opens the file beneath its allowed root.
    pub fn open(&self, raw: &[u8], mode: OpenMode) -> Result<File, Errno> {
        self.perms.check_mode(mode)?;
        let (index, rel) = self.perms.locate(raw)?;
        match self.root(index)? {
            Root::Dir(dir) => self
                .kernel(|| sys::open_beneath(dir, &rel, mode))
                .unwrap_or_else(|| walk::open(dir, &rel, mode).map_err(refusal)),
            Root::File { .. } if !rel.as_os_str().is_empty() => Err(Errno::ENOTDIR),
            Root::File { parent, name } => match sys::open_file_at(parent, name, mode) {
                Ok(Entry::Opened(f)) => Ok(f),
                Ok(Entry::Link(_)) => Err(Errno::EACCES),
                Err(e) => Err(refusal(Errno::from_io_error(&e))),
            },
        }
    }

    /// Checks permission to remove a file and removes it (the name itself) beneath its root.
    pub fn unlink(&self, raw: &[u8]) -> Result<(), Errno> {
        if !self.perms.file_write {
            return Err(Errno::EPERM);
        }
        let (index, rel) = self.perms.locate(raw)?;
        if rel.as_os_str().is_empty() {
            return Err(Errno::EACCES);
        }
        match self.root(index)? {
            Root::Dir(dir) => self
                .kernel(|| sys::unlink_beneath(dir, &rel))
                .unwrap_or_else(|| walk::unlink(dir, &rel).map_err(refusal)),
            Root::File { .. } => Err(Errno::ENOTDIR),
        }
    }
}

/// A resolution the kernel refused (`EXDEV` from `RESOLVE_BENEATH`, `ELOOP` from a loop or a
/// magic link) is a sandbox denial.
fn refusal(e: Errno) -> Errno {
    match e {
        Errno::EXDEV | Errno::ELOOP => Errno::EACCES,
        other => other,
    }
}
