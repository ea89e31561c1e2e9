//! The stub backend for targets the runtime does not support: it compiles, maps no host error,
//! and every operation that needs the OS reports `ENOSYS`.

use crate::errno::Platform;

pub(crate) const HOST_PLATFORM: Option<Platform> = None;

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
