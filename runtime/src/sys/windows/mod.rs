//! Windows backends (Win32, WinSock).

mod api;
mod section;
mod virtual_alloc;

pub(crate) use api::*;
pub(crate) use section::*;
pub(crate) use virtual_alloc::*;

use crate::errno::Platform;

mod beneath_none;
pub(crate) use beneath_none::*;

/// Windows host errors are Win32 and WinSock codes, one number space.
pub(crate) const HOST_PLATFORM: Option<Platform> = Some(Platform::Windows);

/// Windows `CreateFileW` opens a reparse point's target; the fallback check canonicalises it
/// first, so nothing more is set here.
pub(crate) fn no_follow(_options: &mut std::fs::OpenOptions) {}
mod source;
pub use source::{AsRawSource, RawSource};
pub(crate) use source::{WAIT_BLOCKS, add, connect_in_progress, delete, modify, wait_now};

mod cputime;
pub use cputime::thread_cpu_time;

mod listen;
pub(crate) use listen::*;
