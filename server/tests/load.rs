//! 10 000 connections, 1000 open at a time, each with one request: no error, every connection
//! closed afterwards, and (on Linux) not one descriptor leaked. One test in its own binary, so
//! the process's descriptor count is this test's alone.

mod common;

use std::thread;

use common::{AssertOk, Client, GET, GET_CLOSE};
use neurlang_server::Config;

const ROUNDS: usize = 10;
const THREADS: usize = 8;
/// Connections each client thread holds open at once (THREADS × this = 1000).
const PER_THREAD: usize = 125;

/// Open descriptors of this process (Linux: the entries of /proc/self/fd).
#[cfg(target_os = "linux")]
fn open_fds() -> Option<usize> {
    Some(std::fs::read_dir("/proc/self/fd").ok()?.count())
}

#[cfg(not(target_os = "linux"))]
fn open_fds() -> Option<usize> {
    None
}

/// Raises the soft descriptor limit to the hard one: the clients and the server share this
/// process, 2000 descriptors at least.
#[cfg(unix)]
#[allow(unsafe_code)] // getrlimit and setrlimit through libc
fn raise_fd_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid rlimit for getrlimit to fill in.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    if lim.rlim_cur < lim.rlim_max {
        lim.rlim_cur = lim.rlim_max;
        // SAFETY: `lim` is a valid, initialised rlimit.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
    }
    assert!(
        lim.rlim_cur >= 2 * (THREADS * PER_THREAD) as libc::rlim_t + 100,
        "descriptor limit {} is too low for this test",
        lim.rlim_cur
    );
}

#[cfg(not(unix))]
fn raise_fd_limit() {}

/// One thread's share of a round: connect all, send all, read all. Even connections are closed
/// by the client after a keep-alive response, odd ones by the server (`Connection: close`).
fn round(addr: std::net::SocketAddr) {
    let mut conns: Vec<Client> = (0..PER_THREAD)
        .map(|i| Client::connect(addr).unwrap_or_else(|e| panic!("connection {i}: {e}")))
        .collect();
    for (i, c) in conns.iter_mut().enumerate() {
        c.send(if i % 2 == 0 { GET } else { GET_CLOSE });
    }
    for (i, c) in conns.iter_mut().enumerate() {
        let keep_alive = i % 2 == 0;
        let r = c
            .response(false)
            .unwrap_or_else(|e| panic!("connection {i}: {e}"));
        r.assert_ok(false, keep_alive);
        if !keep_alive {
            c.assert_closed();
        }
    }
}

#[test]
fn ten_thousand_connections_leak_nothing() {
    raise_fd_limit();
    let before = open_fds();
    let server = common::start(Config {
        workers: 2,
        ..common::config()
    });
    let addr = server.local_addr();
    for _ in 0..ROUNDS {
        let threads: Vec<_> = (0..THREADS)
            .map(|_| thread::spawn(move || round(addr)))
            .collect();
        for t in threads {
            t.join().expect("a client thread failed");
        }
    }
    assert!(
        common::wait_until(|| server.connections() == 0),
        "{} connections still open",
        server.connections()
    );
    let stats = server.shutdown().expect("shutdown");
    let total = (ROUNDS * THREADS * PER_THREAD) as u64;
    assert_eq!(stats.accepted, total, "{stats:?}");
    assert_eq!(stats.requests, total, "{stats:?}");
    assert!(stats.errors.is_empty(), "{stats:?}");
    assert_eq!(stats.timeouts, 0, "{stats:?}");
    assert_eq!(stats.accept_backoffs, 0, "{stats:?}");
    match (before, open_fds()) {
        (Some(before), Some(after)) => assert_eq!(after, before, "descriptors leaked"),
        _ => eprintln!("descriptor count not checked: no /proc/self/fd on this OS"),
    }
}
