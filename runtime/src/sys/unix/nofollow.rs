//! `O_NOFOLLOW`: the fallback sandbox open never follows a final symlink.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;

/// Makes `options` refuse to open through a final symlink.
pub(crate) fn no_follow(options: &mut OpenOptions) {
    options.custom_flags(libc::O_NOFOLLOW);
}
