//! Unix backends (Linux, macOS, FreeBSD).

#![allow(unsafe_code)] // System calls through libc; each block has its SAFETY comment.

use crate::errno::Platform;

mod nofollow;
pub(crate) use nofollow::*;

#[cfg(target_os = "linux")]
mod openat2;
#[cfg(target_os = "linux")]
pub(crate) use openat2::*;

#[cfg(not(target_os = "linux"))]
mod beneath_none;
#[cfg(not(target_os = "linux"))]
pub(crate) use beneath_none::*;

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
