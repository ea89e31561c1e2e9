//! No kernel-enforced "open beneath" on this target: the sandbox canonicalises and checks.

use crate::perm::OpenMode;
use std::fs::File;
use std::io;
use std::path::Path;

/// Always `None`: use the canonicalise-and-check fallback.
pub(crate) fn open_beneath(_root: &Path, _rel: &Path, _mode: OpenMode) -> Option<io::Result<File>> {
    None
}

/// Always `None`: use the canonicalise-and-check fallback.
pub(crate) fn unlink_beneath(_root: &Path, _rel: &Path) -> Option<io::Result<()>> {
    None
}
