//! Unix backends (Linux, macOS, FreeBSD).

mod cache;
mod memfd;
mod mmap;

pub(crate) use cache::*;
pub(crate) use memfd::*;
pub(crate) use mmap::*;

use crate::errno::Platform;

mod beneath;
pub(crate) use beneath::{Dir, open_dir_at, open_file_at, unlink_at};

#[cfg(neurlang_beneath = "openat2")]
mod openat2;
#[cfg(neurlang_beneath = "openat2")]
pub(crate) use openat2::*;

/// Which column of the errno table this Unix's host numbers are in.
pub(crate) const HOST_PLATFORM: Option<Platform> = if cfg!(neurlang_errno_host = "linux") {
    Some(Platform::Linux)
} else if cfg!(neurlang_errno_host = "darwin") {
    Some(Platform::Darwin)
} else if cfg!(neurlang_errno_host = "freebsd") {
    Some(Platform::FreeBsd)
} else {
    None
};

mod source;
pub use source::{AsRawSource, RawSource};
pub(crate) use source::{add, connect_in_progress, delete, modify};

use super::RawEvent;

// The zero-timeout fast path of the event loop, one mechanism per kernel interface: one
// `epoll_wait(0)` on polling's epoll descriptor, a poll(2) probe of its kqueue descriptor, or
// polling's full `wait` where neither applies (including its forced poll(2) backend).
// (Three module names, not one chosen by `cfg_attr(path)`, so that tools that walk `mod`
// declarations, cargo-mutants among them, find every file.)
#[cfg(neurlang_wait = "epoll")]
mod epoll;
#[cfg(neurlang_wait = "epoll")]
use epoll as wait;
#[cfg(neurlang_wait = "probe")]
mod probe;
#[cfg(neurlang_wait = "probe")]
use probe as wait;
#[cfg(neurlang_wait = "fullwait")]
mod fullwait;
#[cfg(neurlang_wait = "fullwait")]
use fullwait as wait;
pub(crate) use wait::{CLOSE_DEREGISTERS, WAIT_BLOCKS, wait_now};

mod cputime;
pub use cputime::thread_cpu_time;

mod listen;
pub(crate) use listen::*;
