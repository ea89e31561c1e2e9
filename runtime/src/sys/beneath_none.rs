//! Systems whose kernel does not resolve beneath a directory (all but Linux): the sandbox
//! always uses its portable walk.

use crate::perm::OpenMode;
use crate::sys::Dir;
use std::fs::File;
use std::io;
use std::path::Path;

/// No kernel resolver here.
pub(crate) const KERNEL_BENEATH: bool = false;

/// Never called (`KERNEL_BENEATH` is false): `None`, the walk answers.
pub(crate) fn open_beneath(_root: &Dir, _rel: &Path, _mode: OpenMode) -> Option<io::Result<File>> {
    None
}

/// Never called (`KERNEL_BENEATH` is false): `None`, the walk answers.
pub(crate) fn unlink_beneath(_root: &Dir, _rel: &Path) -> Option<io::Result<()>> {
    None
}
