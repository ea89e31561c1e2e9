//! The only module that names an operating system.
//!
//! Every backend (`unix`, `windows`, and `shell` for targets the runtime does not support)
//! exports the same items; portable code uses them through `crate::sys::…` and never writes a
//! `#[cfg]` on an OS itself. What every backend must provide:
//!
//! - `HOST_PLATFORM`: the [`Platform`](crate::errno::Platform) whose host error numbers the
//!   errno table maps for this build, if any.
//! - for the executable pool: `page_size()`; `Prot`; `Mapping::anonymous(len, prot)` (one view
//!   between guard pages, `ptr()`); `unsafe fn protect(ptr, len, prot)`; `dual_map(len)` giving
//!   a `DualMapping` with `rw()` and `rx()` views of the same pages; `map_jit(len)` (macOS
//!   arm64) with `jit_write_enable(bool)`; `flush_icache(rw, rx, len)` after code changes.
//!   A mechanism a target lacks reports an error (`ENOSYS` or `Unsupported`), never panics.
//! - for the C ABI, the calls of the spec's Platform Abstraction table: `file_read`,
//!   `file_write`, `tcp_connect`, `wall_clock` (std's own calls everywhere but Windows, see
//!   `stdapi.rs`; Windows names its Win32 calls in `windows/api.rs`).
//! - for the file sandbox's walk (`perm`): `Dir` (an open directory, `Dir::open_root(path)`)
//!   and `open_dir_at`, `open_file_at`, `unlink_at`, each resolving one name beneath a `Dir`
//!   without following it: a link comes back as [`Entry::Link`] with its stored target.

/// What opening one name beneath a directory found.
#[allow(dead_code)] // built by the backends' `*_at` calls, which the walk (issue 15) will call
pub(crate) enum Entry<T> {
    /// The name was opened (it was not a link).
    Opened(T),
    /// The name is a symbolic link (on Windows: a reparse point with IO_REPARSE_TAG_SYMLINK or
    /// IO_REPARSE_TAG_MOUNT_POINT) and was NOT followed; this is its target as stored (absolute
    /// or relative path; the walk refuses absolute ones).
    Link(std::path::PathBuf),
}

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::*;

#[cfg(not(windows))]
mod stdapi;
#[cfg(not(windows))]
pub(crate) use stdapi::*;

#[cfg(not(any(unix, windows)))]
mod shell;
#[cfg(not(any(unix, windows)))]
pub use shell::*;
