//! The stub backend for targets the runtime does not support: it compiles, maps no host error,
//! and every operation that needs the OS fails with [`Errno::ENOSYS`] (as
//! [`Errno::to_io_error`] makes it: there is no host number for it here). Built on Linux with
//! `--cfg neurlang_shell_backend` by `ci/check-cross.sh`.

#![allow(unsafe_code)] // `protect` and `add` are unsafe in the contract; neither does anything here

use super::{Entry, RawEvent};
use crate::errno::{Errno, Platform};
use crate::perm::OpenMode;
use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::path::Path;
use std::ptr::NonNull;
use std::time::Duration;

pub(crate) const HOST_PLATFORM: Option<Platform> = None;

/// The error of every operation this backend cannot do.
fn enosys() -> io::Error {
    Errno::ENOSYS.to_io_error()
}

/// Safe functions (or methods) this backend cannot do: `VIS fn NAME(ARG_TYPE, …) -> T;` becomes
/// a function taking those arguments, unused, that fails with [`enosys`]. (The two `unsafe` ones
/// are written out: an optional `unsafe` before `fn` is ambiguous to `macro_rules!`.)
macro_rules! unsupported {
    ($( $vis:vis fn $name:ident($($arg:ty),*) -> $ret:ty; )*) => {$(
        $vis fn $name($(_: $arg),*) -> io::Result<$ret> {
            Err(enosys())
        }
    )*};
}

// The executable pool.

/// Page protections the pool asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Prot {
    Rw,
    Rx,
    Rwx,
}

/// A conventional page size; nothing is mapped here.
pub(crate) fn page_size() -> usize {
    4096
}

/// No mappings on this target.
#[derive(Debug)]
pub(crate) struct Mapping(NonNull<u8>);

impl Mapping {
    unsupported! {
        pub(crate) fn anonymous(usize, Prot) -> Mapping;
    }
    pub(crate) fn ptr(&self) -> NonNull<u8> {
        self.0
    }
}

/// No mappings on this target.
#[derive(Debug)]
pub(crate) struct DualMapping(NonNull<u8>);

impl DualMapping {
    pub(crate) fn rw(&self) -> NonNull<u8> {
        self.0
    }
    pub(crate) fn rx(&self) -> NonNull<u8> {
        self.0
    }
}

unsupported! {
    pub(crate) fn dual_map(usize) -> DualMapping;
    pub(crate) fn map_jit(usize) -> Mapping;
}

/// # Safety
///
/// Never does anything; the contract is that of the real backends.
pub(crate) unsafe fn protect(_ptr: *mut u8, _len: usize, _prot: Prot) -> io::Result<()> {
    Err(enosys())
}

pub(crate) fn jit_write_enable(_writable: bool) {}

pub(crate) fn flush_icache(_rw: *const u8, _rx: *const u8, _len: usize) {}

// The event loop.

/// No pollable sources on unsupported targets.
pub type RawSource = i32;

/// Something the event loop can register (nothing can on unsupported targets).
pub trait AsRawSource {
    /// The raw handle.
    fn as_raw_source(&self) -> RawSource;
}

impl AsRawSource for RawSource {
    fn as_raw_source(&self) -> RawSource {
        *self
    }
}

/// A borrowed socket or stream has no raw handle here: `-1`, which [`add`] refuses like any
/// other.
impl<T> AsRawSource for &T {
    fn as_raw_source(&self) -> RawSource {
        -1
    }
}

/// # Safety
/// Never registers anything.
pub(crate) unsafe fn add(
    _: &polling::Poller,
    _: RawSource,
    _: polling::Event,
    _: polling::PollMode,
) -> io::Result<()> {
    Err(enosys())
}

unsupported! {
    pub(crate) fn modify(&polling::Poller, RawSource, polling::Event, polling::PollMode) -> ();
    pub(crate) fn delete(&polling::Poller, RawSource) -> ();
}

pub(crate) const WAIT_BLOCKS: bool = false;

pub(crate) const CLOSE_DEREGISTERS: bool = false;

/// Always leaves the waiting to polling's own `wait`.
pub(crate) fn wait_now(
    _: &polling::Poller,
    _: &mut Vec<RawEvent>,
    _: Option<Duration>,
) -> io::Result<bool> {
    Ok(true)
}

pub(crate) fn connect_in_progress(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
}

/// Not reported on unsupported targets.
pub fn thread_cpu_time() -> Option<Duration> {
    None
}

// Listeners.

/// No listeners on unsupported targets.
pub(crate) const REUSE_PORT_BALANCES: bool = false;
/// No listeners on unsupported targets.
pub(crate) const REUSE_PORT_LB: bool = false;

unsupported! {
    pub(crate) fn prepare_listener(&socket2::Socket) -> ();
    pub(crate) fn set_balanced_reuse_port(&socket2::Socket) -> ();
    pub(crate) fn accept_nonblocking(&socket2::Socket) -> (socket2::Socket, socket2::SockAddr);
    pub(crate) fn set_defer_accept(&socket2::Socket, u32) -> ();
}

// The sandbox: no directory can be opened, so every path is refused with ENOSYS.

/// An open directory (none can be opened here).
#[derive(Debug)]
pub(crate) struct Dir(());

impl Dir {
    unsupported! {
        pub(crate) fn open_root(&Path) -> Dir;
    }
}

unsupported! {
    pub(crate) fn open_dir_at(&Dir, &OsStr) -> Entry<Dir>;
    pub(crate) fn open_file_at(&Dir, &OsStr, OpenMode) -> Entry<File>;
    pub(crate) fn unlink_at(&Dir, &OsStr) -> ();
}
