//! The epoll ceiling: level-triggered listener, edge-triggered connections, per ready
//! connection one `recv` and one `send` per request in it.
#![allow(unsafe_code)] // epoll, accept4, recv, send and close through libc

use std::io;
use std::net::TcpListener;
use std::os::fd::AsRawFd;

/// Serves on 127.0.0.1:`port` until killed.
pub fn serve(port: u16) -> io::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    listener.set_nonblocking(true)?;
    let lfd = listener.as_raw_fd();
    let (keep, close) = (super::response(true), super::response(false));
    // SAFETY: plain system call, no pointers.
    let ep = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if ep < 0 {
        return Err(io::Error::last_os_error());
    }
    add(ep, lfd, libc::EPOLLIN as u32)?;
    let mut events = [libc::epoll_event { events: 0, u64: 0 }; 64];
    let mut buf = [0u8; 4096];
    loop {
        // SAFETY: `events` has room for 64 entries, the size passed.
        let n = unsafe { libc::epoll_wait(ep, events.as_mut_ptr(), 64, -1) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        for ev in &events[..n as usize] {
            let fd = ev.u64 as i32;
            if fd == lfd {
                loop {
                    // SAFETY: no address is requested (null pointers).
                    let c = unsafe {
                        libc::accept4(
                            lfd,
                            std::ptr::null_mut(),
                            std::ptr::null_mut(),
                            libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                        )
                    };
                    if c < 0 {
                        break;
                    }
                    add(
                        ep,
                        c,
                        (libc::EPOLLIN | libc::EPOLLRDHUP | libc::EPOLLET) as u32,
                    )?;
                }
                continue;
            }
            // SAFETY: `buf` is valid for writes of its length.
            let r = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
            if r <= 0 {
                // SAFETY: `fd` is a connection this loop accepted and has not closed.
                unsafe { libc::close(fd) };
                continue;
            }
            let (heads, http10) = super::requests(&buf[..r as usize]);
            let response = if http10 { &close } else { &keep };
            for _ in 0..heads {
                // SAFETY: `response` is valid for reads of its length.
                unsafe {
                    libc::send(
                        fd,
                        response.as_ptr().cast(),
                        response.len(),
                        libc::MSG_NOSIGNAL,
                    )
                };
            }
            if http10 {
                // SAFETY: as above; the descriptor is not used again.
                unsafe { libc::close(fd) };
            }
        }
    }
}

fn add(ep: i32, fd: i32, events: u32) -> io::Result<()> {
    let mut ev = libc::epoll_event {
        events,
        u64: fd as u64,
    };
    // SAFETY: `ev` is a valid epoll_event for the call.
    if unsafe { libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, fd, &mut ev) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
