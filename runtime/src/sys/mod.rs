//! The only module that depends on the operating system.
//!
//! Every backend (`unix`, `windows`, and `shell` for targets the runtime does not support)
//! exports the same items; portable code uses them through `crate::sys::…` and never writes a
//! `#[cfg]` on an OS itself. Which backend, and which mechanism inside it (event-loop fast path,
//! beneath-resolver, dual mapping, icache maintenance, listener options), is decided in one
//! place: the runtime's `build.rs` sets the `neurlang_*` cfgs the code selects with. `shell`
//! also builds on Linux with `--cfg neurlang_shell_backend` (`ci/check-cross.sh` does), so it is
//! compiled on every CI run. The contract, every item each
//! backend provides (a mechanism a target lacks reports an error, `ENOSYS` or `Unsupported`, or
//! `None` where the signature says so; it must not panic):
//!
//! - errors: `HOST_PLATFORM`, the [`Platform`](crate::errno::Platform) whose host error numbers
//!   the errno table maps for this build, if any.
//! - executable pool: `page_size()`; `Prot` (`Rw`, `Rx`, `Rwx`); `Mapping::anonymous(len, prot)`
//!   (one view between guard pages) and `Mapping::ptr()`; `unsafe fn protect(ptr, len, prot)`;
//!   `dual_map(len)` giving a `DualMapping` with `rw()` and `rx()` views of the same pages;
//!   `map_jit(len)` (macOS arm64) with `jit_write_enable(bool)`; `flush_icache(rw, rx, len)`
//!   after code changes.
//! - event loop: `RawSource` (a descriptor or socket handle) and `AsRawSource`; `unsafe fn
//!   add(poller, raw, event, mode)`, `modify(…)`, `delete(poller, raw)`; `wait_now(poller,
//!   events, timeout)`, its fast path, filling the one [`RawEvent`] defined here; `WAIT_BLOCKS` (whether
//!   `wait_now` also blocks); `CLOSE_DEREGISTERS` (whether closing a source removes it);
//!   `connect_in_progress(err)`; `thread_cpu_time()`.
//! - listeners: `REUSE_PORT_BALANCES`, `REUSE_PORT_LB`; `prepare_listener(socket)`,
//!   `set_balanced_reuse_port(socket)`, `accept_nonblocking(listener)`,
//!   `set_defer_accept(socket, secs)`.
//! - for the C ABI, the calls of the spec's Platform Abstraction table: `file_read`,
//!   `file_write`, `tcp_connect`, `wall_clock` (std's own calls everywhere but Windows, see
//!   `stdapi.rs`; Windows names its Win32 calls in `windows/api.rs`).
//! - the file sandbox (`perm/`): `Dir` (an open directory, `Dir::open_root(path)`),
//!   `open_dir_at(parent, name)` and `open_file_at(parent, name, mode)`, which open one name
//!   beneath a directory and report a symbolic link as the one [`Entry::Link`] defined here
//!   instead of following it, `unlink_at(parent, name)`; and the kernel's own resolver:
//!   `KERNEL_BENEATH`, `open_beneath(root, rel, mode)` and `unlink_beneath(root, rel)`
//!   (Linux's `openat2.rs`; every other system shares `beneath_none.rs`: false and `None`).

/// What opening one name beneath a directory found.
#[derive(Debug)]
#[cfg_attr(
    neurlang_backend = "shell",
    allow(dead_code) // the shell backend opens nothing
)]
pub(crate) enum Entry<T> {
    /// The name was opened (it is not a symbolic link).
    Opened(T),
    /// The name is a symbolic link (on Windows a symlink or mount-point reparse point), not
    /// followed: its target as stored, absolute or relative.
    Link(std::path::PathBuf),
}

// The backend and each mechanism are chosen by `build.rs`, the one place that names the targets.
#[cfg(neurlang_backend = "unix")]
mod unix;
#[cfg(neurlang_backend = "unix")]
pub use unix::*;

#[cfg(neurlang_backend = "windows")]
mod windows;
#[cfg(neurlang_backend = "windows")]
pub use windows::*;

#[cfg(neurlang_backend = "shell")]
mod shell;
#[cfg(neurlang_backend = "shell")]
pub use shell::*;

#[cfg(neurlang_beneath = "none")]
mod beneath_none;
#[cfg(neurlang_beneath = "none")]
pub(crate) use beneath_none::*;

#[cfg(not(neurlang_backend = "windows"))]
mod stdapi;
#[cfg(not(neurlang_backend = "windows"))]
pub(crate) use stdapi::*;

/// An event collected by a backend's fast path (`wait_now`); the same for every backend.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawEvent {
    pub key: usize,
    pub readable: bool,
    pub writable: bool,
    pub error: bool,
}
