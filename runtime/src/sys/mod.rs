//! The only module that names an operating system.
//!
//! Every backend (`unix`, `windows`, and `shell` for targets the runtime does not support)
//! exports the same items; portable code uses them through `crate::sys::…` and never writes a
//! `#[cfg]` on an OS itself. What every backend must provide:
//!
//! - `HOST_PLATFORM`: the [`Platform`](crate::errno::Platform) whose host error numbers the
//!   errno table maps for this build, if any.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::*;

#[cfg(not(any(unix, windows)))]
mod shell;
#[cfg(not(any(unix, windows)))]
pub use shell::*;
