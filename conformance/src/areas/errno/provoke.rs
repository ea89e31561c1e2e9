//! Real OS failures, provoked here and mapped through `Errno::from_io_error`.

#![allow(unsafe_code)] // dup2, close, read and lseek through libc on descriptors made here; pre_exec

use crate::{Case, CaseError, CaseResult, Ctx, Scratch, ensure_eq};
use neurlang::runtime::Errno;
use serde::Deserialize;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::collections::BTreeMap;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};

#[derive(Debug, Deserialize)]
struct ProvokeFile {
    provoke: Vec<Provoke>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Provoke {
    name: String,
    action: String,
    expect: String,
    #[serde(default)]
    on: BTreeMap<String, Override>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Override {
    expect: Option<String>,
    why: Option<String>,
    skip: Option<String>,
}

/// An action provokes a failure and returns the error the OS reported (`Err` = it could not
/// even set up, or the operation unexpectedly succeeded).
type Action = fn() -> Result<io::Error, String>;

static ACTIONS: &[(&str, Action)] = &[
    ("open_missing_file", open_missing_file),
    ("open_under_missing_directory", open_under_missing_directory),
    ("read_closed_descriptor", sys::read_closed_descriptor),
    ("connect_refused_loopback", connect_refused_loopback),
    ("permission_denied", sys::permission_denied),
    ("create_new_existing", create_new_existing),
    ("remove_non_empty_directory", remove_non_empty_directory),
    ("bind_address_in_use", bind_address_in_use),
    (
        "accept_nonblocking_nothing_pending",
        accept_nonblocking_nothing_pending,
    ),
    ("udp_datagram_too_large", udp_datagram_too_large),
    ("bind_foreign_address", bind_foreign_address),
    ("seek_before_start", seek_before_start),
    ("recv_never_connected", recv_never_connected),
    ("write_pipe_reader_closed", write_pipe_reader_closed),
    ("connection_reset_by_peer", connection_reset_by_peer),
    ("path_through_regular_file", path_through_regular_file),
    ("open_directory_for_writing", open_directory_for_writing),
    ("file_name_too_long", file_name_too_long),
    ("seek_on_pipe", sys::seek_on_pipe),
    (
        "socket_call_on_regular_file",
        sys::socket_call_on_regular_file,
    ),
];

pub fn cases(ctx: &Ctx) -> Result<Vec<Case>, String> {
    let file: ProvokeFile = ctx.table("errno-provoke.toml")?;
    let platform = ctx.host.platform_name().to_string();
    let mut cases = Vec::new();
    for p in file.provoke {
        let action = ACTIONS
            .iter()
            .find(|(n, _)| *n == p.action)
            .map(|(_, a)| *a)
            .ok_or_else(|| {
                format!(
                    "errno-provoke.toml: `{}` names unknown action `{}`",
                    p.name, p.action
                )
            })?;
        let over = p.on.get(&platform).cloned();
        let expect_name = over
            .as_ref()
            .and_then(|o| o.expect.clone())
            .unwrap_or(p.expect.clone());
        let expect = Errno::from_name(&expect_name).ok_or_else(|| {
            format!(
                "errno-provoke.toml: `{}` expects unknown code `{expect_name}`",
                p.name
            )
        })?;
        let why = over.as_ref().and_then(|o| o.why.clone());
        let skip = over.and_then(|o| o.skip);
        cases.push(
            Case::new("errno", format!("provoke.{}", p.name), move || {
                run(action, expect, why)
            })
            .skip_if(skip),
        );
    }
    Ok(cases)
}

fn run(action: Action, expect: Errno, why: Option<String>) -> CaseResult {
    let err = action().map_err(CaseError::Fail)?;
    let got = Errno::from_io_error(&err);
    let note = why
        .map(|w| format!(" (platform note: {w})"))
        .unwrap_or_default();
    ensure_eq!(
        got.neg(),
        expect.neg(),
        "the OS error `{err}` ({:?}) maps to {got}{note}",
        err.raw_os_error()
    );
    Ok(())
}

/// Turns "the operation succeeded" into a setup error and keeps the failure.
fn expect_err<T>(r: io::Result<T>, what: &str) -> Result<io::Error, String> {
    match r {
        Ok(_) => Err(format!("{what} unexpectedly succeeded")),
        Err(e) => Ok(e),
    }
}

fn scratch(tag: &str) -> Result<Scratch, String> {
    Scratch::new(tag).map_err(|e| format!("cannot create a scratch directory: {e}"))
}

fn open_missing_file() -> Result<io::Error, String> {
    let dir = scratch("enoent")?;
    expect_err(
        std::fs::File::open(dir.join("missing")),
        "opening a missing file",
    )
}

fn open_under_missing_directory() -> Result<io::Error, String> {
    let dir = scratch("enoent-dir")?;
    expect_err(
        std::fs::File::open(dir.join("missing").join("file")),
        "opening under a missing directory",
    )
}

fn connect_refused_loopback() -> Result<io::Error, String> {
    // Bind to learn a free port, then close it so nothing listens there.
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    expect_err(
        TcpStream::connect((Ipv4Addr::LOCALHOST, port)),
        "connecting to a closed port",
    )
}

fn create_new_existing() -> Result<io::Error, String> {
    let dir = scratch("eexist")?;
    let path = dir.join("f");
    std::fs::write(&path, b"x").map_err(|e| e.to_string())?;
    expect_err(
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path),
        "create_new on a file",
    )
}

fn remove_non_empty_directory() -> Result<io::Error, String> {
    let dir = scratch("enotempty")?;
    std::fs::create_dir(dir.join("d")).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("d").join("f"), b"x").map_err(|e| e.to_string())?;
    expect_err(
        std::fs::remove_dir(dir.join("d")),
        "removing a non-empty directory",
    )
}

fn bind_address_in_use() -> Result<io::Error, String> {
    let first = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| e.to_string())?;
    let addr = first.local_addr().map_err(|e| e.to_string())?;
    expect_err(TcpListener::bind(addr), "binding a port that is listening")
}

fn accept_nonblocking_nothing_pending() -> Result<io::Error, String> {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| e.to_string())?;
    l.set_nonblocking(true).map_err(|e| e.to_string())?;
    expect_err(l.accept(), "a non-blocking accept with nothing pending")
}

fn udp_datagram_too_large() -> Result<io::Error, String> {
    let s =
        Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP)).map_err(|e| e.to_string())?;
    s.bind(&SockAddr::from(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))))
        .map_err(|e| e.to_string())?;
    let me = s.local_addr().map_err(|e| e.to_string())?;
    // Larger than any UDP/IPv4 datagram can be (65 507 bytes of payload); sent to itself.
    let big = vec![0u8; 70_000];
    expect_err(s.send_to(&big, &me), "sending a 70 000-byte datagram")
}

fn bind_foreign_address() -> Result<io::Error, String> {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never a local address. Binding sends nothing.
    expect_err(
        TcpListener::bind((Ipv4Addr::new(192, 0, 2, 1), 0)),
        "binding a foreign address",
    )
}

fn seek_before_start() -> Result<io::Error, String> {
    let dir = scratch("einval")?;
    let mut f = std::fs::File::create(dir.join("f")).map_err(|e| e.to_string())?;
    expect_err(
        f.seek(SeekFrom::Current(-10)),
        "seeking before the start of a file",
    )
}

fn recv_never_connected() -> Result<io::Error, String> {
    let s =
        Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP)).map_err(|e| e.to_string())?;
    let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 16];
    expect_err(s.recv(&mut buf), "recv on a never-connected TCP socket")
}

fn write_pipe_reader_closed() -> Result<io::Error, String> {
    let (reader, mut writer) = io::pipe().map_err(|e| e.to_string())?;
    drop(reader);
    expect_err(
        writer.write_all(b"x"),
        "writing to a pipe whose reader is closed",
    )
}

fn connection_reset_by_peer() -> Result<io::Error, String> {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| e.to_string())?;
    let mut client = TcpStream::connect(l.local_addr().map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let (server, _) = l.accept().map_err(|e| e.to_string())?;
    // Linger 0: closing sends RST instead of FIN.
    Socket::from(server)
        .set_linger(Some(std::time::Duration::ZERO))
        .map_err(|e| e.to_string())?;
    client
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let mut buf = [0u8; 16];
    match client.read(&mut buf) {
        Ok(n) => Err(format!("read after a reset returned {n} bytes")),
        Err(e) => Ok(e),
    }
}

fn path_through_regular_file() -> Result<io::Error, String> {
    let dir = scratch("enotdir")?;
    std::fs::write(dir.join("f"), b"x").map_err(|e| e.to_string())?;
    expect_err(
        std::fs::File::open(dir.join("f").join("g")),
        "opening a path through a regular file",
    )
}

fn open_directory_for_writing() -> Result<io::Error, String> {
    let dir = scratch("eisdir")?;
    expect_err(
        std::fs::OpenOptions::new().write(true).open(dir.path()),
        "opening a directory for writing",
    )
}

fn file_name_too_long() -> Result<io::Error, String> {
    let dir = scratch("enametoolong")?;
    // Every supported file system limits one path component to 255 bytes or UTF-16 units.
    expect_err(
        std::fs::File::create(dir.join("n".repeat(300))),
        "creating a 300-byte file name",
    )
}

#[cfg(unix)]
mod sys {
    use super::{expect_err, scratch};
    use std::io;
    use std::os::fd::{AsRawFd, IntoRawFd};
    use std::os::unix::process::CommandExt;

    /// A descriptor number far above any this process has open, so another thread cannot be
    /// handed the same number between close and read.
    const HIGH_FD: i32 = 900;

    pub(super) fn read_closed_descriptor() -> Result<io::Error, String> {
        let dir = scratch("ebadf")?;
        let f = std::fs::File::create(dir.join("f")).map_err(|e| e.to_string())?;
        let fd = f.into_raw_fd();
        // SAFETY: dup2 onto a descriptor number this process does not use, then close both
        // numbers; only descriptors created here are touched.
        let dup = unsafe { libc::dup2(fd, HIGH_FD) };
        // SAFETY: `fd` was obtained from `into_raw_fd` above and is owned here.
        unsafe { libc::close(fd) };
        if dup != HIGH_FD {
            return Err(format!("dup2: {}", io::Error::last_os_error()));
        }
        // SAFETY: closing the duplicate made above.
        unsafe { libc::close(HIGH_FD) };
        let mut buf = [0u8; 8];
        // SAFETY: `buf` is a valid writable buffer of the given length; the descriptor is closed,
        // so the kernel rejects the call without touching memory.
        let n = unsafe { libc::read(HIGH_FD, buf.as_mut_ptr().cast(), buf.len()) };
        if n >= 0 {
            return Err("read on a closed descriptor succeeded".into());
        }
        Ok(io::Error::last_os_error())
    }

    pub(super) fn permission_denied() -> Result<io::Error, String> {
        let dir = scratch("eacces")?;
        let path = dir.join("not-executable");
        std::fs::write(&path, b"#!/bin/sh\nexit 0\n").map_err(|e| e.to_string())?;
        // No execute bit at all: execve refuses it with EACCES, even for root.
        let mut cmd = std::process::Command::new(&path);
        // A pre-exec hook makes std fork and exec instead of using posix_spawn. Under qemu-user,
        // glibc's posix_spawn (clone with CLONE_VFORK | CLONE_VM) runs as a plain fork, so the
        // exec error never reaches the parent and the spawn looks successful.
        // SAFETY: the hook does nothing, so it is trivially async-signal-safe.
        unsafe { cmd.pre_exec(|| Ok(())) };
        expect_err(cmd.status(), "executing a file without execute bits")
    }

    pub(super) fn seek_on_pipe() -> Result<io::Error, String> {
        let (reader, _writer) = io::pipe().map_err(|e| e.to_string())?;
        // SAFETY: lseek on a descriptor owned by `reader`, which outlives the call.
        let r = unsafe { libc::lseek(reader.as_raw_fd(), 0, libc::SEEK_CUR) };
        if r >= 0 {
            return Err("lseek on a pipe succeeded".into());
        }
        Ok(io::Error::last_os_error())
    }

    pub(super) fn socket_call_on_regular_file() -> Result<io::Error, String> {
        let dir = scratch("enotsock")?;
        let f = std::fs::File::create(dir.join("f")).map_err(|e| e.to_string())?;
        let sock = socket2::SockRef::from(&f);
        expect_err(sock.r#type(), "getsockopt(SO_TYPE) on a regular file")
    }
}

#[cfg(windows)]
mod sys {
    use super::{expect_err, scratch};
    use std::io;
    use std::os::windows::io::{AsRawHandle, IntoRawHandle};
    use windows_sys::Win32::Foundation::CloseHandle;
    use windows_sys::Win32::Networking::WinSock::{
        SO_TYPE, SOCKET, SOCKET_ERROR, SOL_SOCKET, WSAGetLastError, getsockopt,
    };
    use windows_sys::Win32::Storage::FileSystem::ReadFile;

    pub(super) fn read_closed_descriptor() -> Result<io::Error, String> {
        let dir = scratch("ebadf")?;
        let f = std::fs::File::create(dir.join("f")).map_err(|e| e.to_string())?;
        let h = f.into_raw_handle();
        // SAFETY: `h` is owned here (from into_raw_handle) and closed exactly once.
        unsafe { CloseHandle(h) };
        let mut buf = [0u8; 8];
        let mut read = 0u32;
        // SAFETY: the buffer and the out-count are valid for the call; the handle is closed, so
        // ReadFile rejects it without touching memory.
        let ok = unsafe {
            ReadFile(
                h,
                buf.as_mut_ptr(),
                buf.len() as u32,
                &mut read,
                std::ptr::null_mut(),
            )
        };
        if ok != 0 {
            return Err("ReadFile on a closed handle succeeded".into());
        }
        Ok(io::Error::last_os_error())
    }

    pub(super) fn permission_denied() -> Result<io::Error, String> {
        let dir = scratch("eacces")?;
        expect_err(
            std::fs::OpenOptions::new().write(true).open(dir.path()),
            "opening a directory for writing",
        )
    }

    pub(super) fn seek_on_pipe() -> Result<io::Error, String> {
        Err("not provoked on Windows".into())
    }

    pub(super) fn socket_call_on_regular_file() -> Result<io::Error, String> {
        let dir = scratch("enotsock")?;
        let f = std::fs::File::create(dir.join("f")).map_err(|e| e.to_string())?;
        // Make sure WinSock is initialised (std does it on first socket use).
        let _ = std::net::UdpSocket::bind("127.0.0.1:0");
        let mut ty = 0i32;
        let mut len = std::mem::size_of::<i32>() as i32;
        // SAFETY: a file handle passed where a SOCKET is expected is rejected by WinSock with
        // WSAENOTSOCK; the out-pointers are valid for the call; `f` outlives it.
        let r = unsafe {
            getsockopt(
                f.as_raw_handle() as SOCKET,
                SOL_SOCKET,
                SO_TYPE,
                (&mut ty as *mut i32).cast(),
                &mut len,
            )
        };
        if r != SOCKET_ERROR {
            return Err("getsockopt on a file handle succeeded".into());
        }
        // SAFETY: reads the calling thread's last WinSock error.
        Ok(io::Error::from_raw_os_error(unsafe { WSAGetLastError() }))
    }
}

#[cfg(not(any(unix, windows)))]
mod sys {
    use std::io;
    pub(super) fn read_closed_descriptor() -> Result<io::Error, String> {
        Err("unsupported OS".into())
    }
    pub(super) fn permission_denied() -> Result<io::Error, String> {
        Err("unsupported OS".into())
    }
    pub(super) fn seek_on_pipe() -> Result<io::Error, String> {
        Err("unsupported OS".into())
    }
    pub(super) fn socket_call_on_regular_file() -> Result<io::Error, String> {
        Err("unsupported OS".into())
    }
}
