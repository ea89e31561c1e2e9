//! The stub backend for targets the runtime does not support: it compiles, maps no host error,
//! and every operation that needs the OS reports `ENOSYS`.

use crate::errno::Platform;

pub(crate) const HOST_PLATFORM: Option<Platform> = None;

/// No "open beneath" here.
pub(crate) fn open_beneath(
    _root: &std::path::Path,
    _rel: &std::path::Path,
    _mode: crate::perm::OpenMode,
) -> Option<std::io::Result<std::fs::File>> {
    Some(Err(crate::errno::Errno::ENOSYS.to_io_error()))
}

/// No "unlink beneath" here.
pub(crate) fn unlink_beneath(
    _root: &std::path::Path,
    _rel: &std::path::Path,
) -> Option<std::io::Result<()>> {
    Some(Err(crate::errno::Errno::ENOSYS.to_io_error()))
}

/// Nothing to set.
pub(crate) fn no_follow(_options: &mut std::fs::OpenOptions) {}

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

fn enosys() -> std::io::Error {
    std::io::Error::from_raw_os_error(38)
}

/// # Safety
/// Never registers anything.
pub(crate) unsafe fn add(
    _: &polling::Poller,
    _: RawSource,
    _: polling::Event,
    _: polling::PollMode,
) -> std::io::Result<()> {
    Err(enosys())
}
pub(crate) fn modify(
    _: &polling::Poller,
    _: RawSource,
    _: polling::Event,
    _: polling::PollMode,
) -> std::io::Result<()> {
    Err(enosys())
}
pub(crate) fn delete(_: &polling::Poller, _: RawSource) -> std::io::Result<()> {
    Err(enosys())
}
/// An event collected by a backend's zero-timeout fast path (none here).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawEvent {
    pub key: usize,
    pub readable: bool,
    pub writable: bool,
    pub error: bool,
}
pub(crate) const WAIT_BLOCKS: bool = false;
pub(crate) fn wait_now(
    _: &polling::Poller,
    _: &mut Vec<RawEvent>,
    _: Option<std::time::Duration>,
) -> std::io::Result<bool> {
    Ok(true)
}
pub(crate) fn connect_in_progress(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::WouldBlock
}

/// Not reported on unsupported targets.
pub fn thread_cpu_time() -> Option<std::time::Duration> {
    None
}
use std::io;
use std::ptr::NonNull;

fn enosys() -> io::Error {
    io::Error::other(crate::errno::Errno::ENOSYS)
}

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
    pub(crate) fn anonymous(_len: usize, _prot: Prot) -> io::Result<Mapping> {
        Err(enosys())
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

pub(crate) fn dual_map(_len: usize) -> io::Result<DualMapping> {
    Err(enosys())
}

pub(crate) fn map_jit(_len: usize) -> io::Result<Mapping> {
    Err(enosys())
}

/// # Safety
///
/// Never does anything; the contract is that of the real backends.
pub(crate) unsafe fn protect(_ptr: *mut u8, _len: usize, _prot: Prot) -> io::Result<()> {
    Err(enosys())
}

pub(crate) fn jit_write_enable(_writable: bool) {}

pub(crate) fn flush_icache(_rw: *const u8, _rx: *const u8, _len: usize) {}

/// No listeners on unsupported targets.
pub(crate) const REUSE_PORT_BALANCES: bool = false;
/// No listeners on unsupported targets.
pub(crate) const REUSE_PORT_LB: bool = false;
pub(crate) fn prepare_listener(_: &socket2::Socket) -> io::Result<()> {
    Err(enosys())
}
pub(crate) fn set_balanced_reuse_port(_: &socket2::Socket) -> io::Result<()> {
    Err(enosys())
}
pub(crate) fn accept_nonblocking(
    _: &socket2::Socket,
) -> io::Result<(socket2::Socket, socket2::SockAddr)> {
    Err(enosys())
}
pub(crate) fn set_defer_accept(_: &socket2::Socket, _: u32) -> io::Result<()> {
    Err(enosys())
}
pub(crate) const CLOSE_DEREGISTERS: bool = false;
