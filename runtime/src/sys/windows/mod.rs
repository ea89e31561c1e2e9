//! Windows backends (Win32, WinSock).

mod api;
mod section;
mod virtual_alloc;

pub(crate) use api::*;
pub(crate) use section::*;
pub(crate) use virtual_alloc::*;

use crate::errno::Platform;

mod beneath;
pub(crate) use beneath::{Dir, open_dir_at, open_file_at, unlink_at};

/// Windows host errors are Win32 and WinSock codes, one number space.
pub(crate) const HOST_PLATFORM: Option<Platform> = Some(Platform::Windows);

mod source;
pub use source::{AsRawSource, RawSource};
pub(crate) use source::{WAIT_BLOCKS, add, connect_in_progress, delete, modify, wait_now};

mod cputime;
pub use cputime::thread_cpu_time;

mod listen;
pub(crate) use listen::*;
