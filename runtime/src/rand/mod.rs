//! Cryptographic random bytes from the operating system (`getrandom`).

use crate::errno::Errno;

/// Fills `buf` with random bytes from the OS.
pub fn fill(buf: &mut [u8]) -> Result<(), Errno> {
    getrandom::fill(buf).map_err(|e| match e.raw_os_error() {
        Some(code) => Errno::from_host_code(code).unwrap_or(Errno::EIO),
        None => Errno::EIO,
    })
}
