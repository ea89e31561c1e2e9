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
