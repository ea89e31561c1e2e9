//! Unix backends (Linux, macOS, FreeBSD).

mod cache;
mod memfd;
mod mmap;

pub(crate) use cache::*;
pub(crate) use memfd::*;
pub(crate) use mmap::*;

use crate::errno::Platform;

/// Which column of the errno table this Unix's host numbers are in.
pub(crate) const HOST_PLATFORM: Option<Platform> = if cfg!(target_os = "linux") {
    Some(Platform::Linux)
} else if cfg!(target_vendor = "apple") {
    Some(Platform::Darwin)
} else if cfg!(target_os = "freebsd") {
    Some(Platform::FreeBsd)
} else {
    None
};
