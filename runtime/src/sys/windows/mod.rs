//! Windows backends (Win32, WinSock).

mod section;
mod virtual_alloc;

pub(crate) use section::*;
pub(crate) use virtual_alloc::*;

use crate::errno::Platform;

/// Windows host errors are Win32 and WinSock codes, one number space.
pub(crate) const HOST_PLATFORM: Option<Platform> = Some(Platform::Windows);
