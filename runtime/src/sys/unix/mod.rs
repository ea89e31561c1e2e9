//! Unix backends (Linux, macOS, FreeBSD).

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

mod source;
pub use source::{AsRawSource, RawSource};
pub(crate) use source::{add, connect_in_progress, delete, maybe_pending, modify};

mod cputime;
pub use cputime::thread_cpu_time;
