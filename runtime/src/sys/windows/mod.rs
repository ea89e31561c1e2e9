//! Windows backends (Win32, WinSock).

use crate::errno::Platform;

/// Windows host errors are Win32 and WinSock codes, one number space.
pub(crate) const HOST_PLATFORM: Option<Platform> = Some(Platform::Windows);

mod source;
pub use source::{AsRawSource, RawSource};
pub(crate) use source::{RawEvent, add, connect_in_progress, delete, modify, wait_now};

mod cputime;
pub use cputime::thread_cpu_time;
