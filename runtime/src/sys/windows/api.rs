//! The Win32 calls the specification's Platform Abstraction table names, made directly where
//! the standard library would reach others: `ReadFile` / `WriteFile` (std calls `NtReadFile` /
//! `NtWriteFile`), `WSAConnect` on a socket from `WSASocketW` (std calls `connect`) and
//! `GetSystemTimeAsFileTime` (std calls the `Precise` variant; this one ticks with the system
//! timer, about 1-16 ms; `time_monotonic` is the fine clock). The conformance suite checks each
//! through the executable's import table (`abi.syscall.*`).
#![allow(unsafe_code)] // Win32 calls on handles and buffers the caller owns.

use std::fs::File;
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::os::windows::io::{AsRawHandle, AsRawSocket};
use std::ptr;
use std::time::Duration;
use windows_sys::Win32::Foundation::{ERROR_BROKEN_PIPE, ERROR_HANDLE_EOF, FILETIME};
use windows_sys::Win32::Networking::WinSock::{SOCKET, SOCKET_ERROR, WSAConnect, WSAGetLastError};
use windows_sys::Win32::Storage::FileSystem::{ReadFile, WriteFile};
use windows_sys::Win32::System::SystemInformation::GetSystemTimeAsFileTime;

/// 100 ns ticks from 1601-01-01 (the `FILETIME` epoch) to 1970-01-01.
const UNIX_EPOCH_TICKS: u64 = 116_444_736_000_000_000;

/// Reads into `buf` from the file's current position (`ReadFile`); 0 at end of file.
pub(crate) fn file_read(f: &File, buf: &mut [u8]) -> io::Result<usize> {
    let len = u32::try_from(buf.len()).unwrap_or(u32::MAX);
    let mut done = 0u32;
    // SAFETY: the handle is open while `f` is borrowed; `buf` is writable for `len` bytes and
    // `done` for a u32; no OVERLAPPED, as the runtime opens files for synchronous I/O.
    let ok = unsafe {
        ReadFile(
            f.as_raw_handle(),
            buf.as_mut_ptr(),
            len,
            &mut done,
            ptr::null_mut(),
        )
    };
    if ok == 0 {
        let e = io::Error::last_os_error();
        return match e.raw_os_error().map(|c| c as u32) {
            Some(ERROR_HANDLE_EOF | ERROR_BROKEN_PIPE) => Ok(0),
            _ => Err(e),
        };
    }
    Ok(done as usize)
}

/// Writes `buf` at the file's current position, or at its end when opened to append
/// (`WriteFile`).
pub(crate) fn file_write(f: &File, buf: &[u8]) -> io::Result<usize> {
    let len = u32::try_from(buf.len()).unwrap_or(u32::MAX);
    let mut done = 0u32;
    // SAFETY: as in `file_read`, with `buf` readable for `len` bytes.
    let ok = unsafe {
        WriteFile(
            f.as_raw_handle(),
            buf.as_ptr(),
            len,
            &mut done,
            ptr::null_mut(),
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(done as usize)
}

/// Connects a new TCP socket (`WSASocketW`, through socket2) to the first address that
/// accepts (`WSAConnect`); the error of the last address otherwise.
pub(crate) fn tcp_connect(addrs: &[SocketAddr]) -> io::Result<TcpStream> {
    let mut last = io::Error::new(io::ErrorKind::InvalidInput, "no address to connect to");
    for addr in addrs {
        let socket = socket2::Socket::new(
            socket2::Domain::for_address(*addr),
            socket2::Type::STREAM,
            Some(socket2::Protocol::TCP),
        )?;
        let to = socket2::SockAddr::from(*addr);
        // SAFETY: the socket is open while `socket` lives; `to` is a valid address of
        // `to.len()` bytes; no caller or callee data, no QoS.
        let r = unsafe {
            WSAConnect(
                socket.as_raw_socket() as SOCKET,
                to.as_ptr().cast(),
                to.len(),
                ptr::null(),
                ptr::null_mut(),
                ptr::null(),
                ptr::null(),
            )
        };
        if r != SOCKET_ERROR {
            return Ok(socket.into());
        }
        // SAFETY: reads this thread's last WinSock error; no arguments.
        last = io::Error::from_raw_os_error(unsafe { WSAGetLastError() });
    }
    Err(last)
}

/// The wall clock since the Unix epoch (`GetSystemTimeAsFileTime`); `None` before it.
pub(crate) fn wall_clock() -> Option<Duration> {
    let mut ft = FILETIME {
        dwLowDateTime: 0,
        dwHighDateTime: 0,
    };
    // SAFETY: `ft` is a writable FILETIME.
    unsafe { GetSystemTimeAsFileTime(&mut ft) };
    let ticks = (u64::from(ft.dwHighDateTime) << 32) | u64::from(ft.dwLowDateTime);
    let since = ticks.checked_sub(UNIX_EPOCH_TICKS)?;
    Some(Duration::new(
        since / 10_000_000,
        (since % 10_000_000) as u32 * 100,
    ))
}
