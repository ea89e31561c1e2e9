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
//! - for the file sandbox (`perm/`): `Dir` (an open directory, `Dir::open_root(path)`),
//!   `open_dir_at(parent, name)` and `open_file_at(parent, name, mode)`, which open one name
//!   beneath a directory and report a symbolic link as [`Entry::Link`] instead of following it,
//!   `unlink_at(parent, name)`; and the kernel's own resolver where there is one:
//!   `KERNEL_BENEATH`, `open_beneath(root, rel, mode)` and `unlink_beneath(root, rel)` (`None`
//!   where the system has none).

/// What opening one name beneath a directory found.
#[derive(Debug)]
pub(crate) enum Entry<T> {
    /// The name was opened (it is not a symbolic link).
    Opened(T),
    /// The name is a symbolic link (on Windows a symlink or mount-point reparse point), not
    /// followed: its target as stored, absolute or relative.
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

#[cfg(not(target_os = "linux"))]
mod beneath_none;
#[cfg(not(target_os = "linux"))]
pub(crate) use beneath_none::*;

#[cfg(not(windows))]
mod stdapi;
#[cfg(not(windows))]
pub(crate) use stdapi::*;

#[cfg(not(any(unix, windows)))]
mod shell;
#[cfg(not(any(unix, windows)))]
pub use shell::*;
