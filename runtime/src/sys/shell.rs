//! The stub backend for targets the runtime does not support: it compiles, maps no host error,
//! and every operation that needs the OS reports `ENOSYS`.

use crate::errno::Platform;

pub(crate) const HOST_PLATFORM: Option<Platform> = None;
