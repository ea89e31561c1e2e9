//! The defences and the connection handling around requests, each against a server with short
//! timeouts: slowloris, idle keep-alive, a client that never reads, the connection limit,
//! pipelining order, half-close, `Expect: 100-continue`, chunked bodies, clients that reset,
//! graceful shutdown and its grace.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::{AssertOk, Client, GET, GET_CLOSE, HEAD};
use neurlang_server::{Config, Status};

/// Short timeouts; a connection is accepted before it sends anything.
fn short() -> Config {
    Config {
        defer_accept: false,
        header_timeout: Duration::from_secs(1),
        keepalive_timeout: Duration::from_millis(500),
        io_timeout: Duration::from_secs(1),
        linger: Duration::from_millis(300),
        ..common::config()
    }
}

#[test]
fn slowloris_gets_408_while_others_are_served() {
    let server = common::start(short());
    let addr = server.local_addr();
    let done = Arc::new(AtomicBool::new(false));
    let other = {
        let done = done.clone();
        thread::spawn(move || {
            let mut c = Client::connect(addr).unwrap();
            let mut served = 0u64;
            while !done.load(Ordering::SeqCst) {
                c.request(GET).assert_ok(false, true);
                served += 1;
                thread::sleep(Duration::from_millis(5));
            }
            served
        })
    };
    // A head that never ends, one byte every 200 ms.
    let mut slow = Client::connect(addr).unwrap();
    slow.stream()
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let head = b"GET / HTTP/1.1\r\nHost: t\r\nX-Slow: "
        .iter()
        .chain([b'a'; 1000].iter());
    let start = Instant::now();
    let mut got = Vec::new();
    let mut chunk = [0u8; 1024];
    for &b in head {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no 408 after 30 s"
        );
        if slow.stream().write_all(&[b]).is_err() {
            break;
        }
        match slow.stream().read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                got.extend_from_slice(&chunk[..n]);
                if got.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => panic!("slow client: {e}"),
        }
    }
    done.store(true, Ordering::SeqCst);
    let served = other.join().expect("the other client failed");
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
        "{text:?}"
    );
    assert!(text.contains("\r\nConnection: close\r\n"), "{text:?}");
    slow.stream()
        .set_read_timeout(Some(common::READ_TIMEOUT))
        .unwrap();
    // The rest of the 408 (its body), then the close (after the linger time).
    let mut rest = Vec::new();
    match slow.stream().read_to_end(&mut rest) {
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
        Err(e) => panic!("the slow connection was not closed: {e}"),
    }
    // At 5 ms a request, the other client had ~200 turns in the second the slow head took.
    assert!(
        served >= 20,
        "the other client was served only {served} times"
    );
    let stats = server.shutdown().unwrap();
    assert_eq!(stats.errors(Status::RequestTimeout), 1, "{stats:?}");
    assert_eq!(stats.requests, served);
}

#[test]
fn idle_keep_alive_connections_are_closed() {
    let server = common::start(short());
    let mut c = Client::connect(server.local_addr()).unwrap();
    c.request(GET).assert_ok(false, true);
    // No response, just the close after keepalive_timeout.
    c.assert_closed();
    assert!(common::wait_until(|| server.connections() == 0));
    let stats = server.shutdown().unwrap();
    assert_eq!(stats.timeouts, 1, "{stats:?}");
    assert!(stats.errors.is_empty(), "{stats:?}");
}

/// A connection that never sends a byte gets no 408 at the head timeout (as nginx): only the
/// close. (It starts its head timer at accept, so it is "in a head" with nothing read.)
#[test]
fn a_connection_that_sends_nothing_is_closed_without_a_response() {
    let server = common::start(short());
    let mut c = Client::connect(server.local_addr()).unwrap();
    c.assert_closed();
    assert!(common::wait_until(|| server.connections() == 0));
    let stats = server.shutdown().unwrap();
    assert_eq!(stats.timeouts, 1, "{stats:?}");
    assert!(stats.errors.is_empty(), "{stats:?}");
}

#[test]
fn a_client_that_never_reads_does_not_block_others() {
    let server = common::start(Config {
        io_timeout: Duration::from_secs(2),
        ..short()
    });
    let addr = server.local_addr();
    // Pipelines requests without reading until the server, whose output to it is stuck,
    // stops reading and then closes it: the write fails with a reset (or a broken pipe).
    let hog = thread::spawn(move || {
        let mut hog = Client::connect(addr).unwrap();
        let batch = GET.repeat(1000);
        let mut sent = 0usize;
        loop {
            match hog.stream().write(&batch) {
                Ok(n) => sent += n,
                Err(e) => return (sent / GET.len(), e),
            }
            assert!(sent < 1 << 30, "a gigabyte of requests was all read");
        }
    });
    while server.connections() == 0 {
        thread::yield_now();
    }
    thread::sleep(Duration::from_millis(300));
    // Meanwhile another client is served.
    let mut other = Client::connect(addr).unwrap();
    for _ in 0..10 {
        other.request(GET).assert_ok(false, true);
    }
    drop(other);
    assert!(
        !hog.is_finished(),
        "the hog was closed before its io_timeout"
    );
    let (sent, end) = hog.join().unwrap();
    assert!(
        matches!(
            end.kind(),
            ErrorKind::ConnectionReset | ErrorKind::BrokenPipe | ErrorKind::ConnectionAborted
        ),
        "the hog's writes ended with {end}"
    );
    assert!(sent >= 1000, "{sent}");
    assert!(common::wait_until(|| server.connections() == 0));
    let stats = server.shutdown().unwrap();
    assert_eq!(stats.timeouts, 1, "{stats:?}");
    assert!(stats.requests >= 10, "{stats:?}");
}

#[test]
fn the_connection_limit_answers_503() {
    let server = common::start(Config {
        max_connections: 8,
        ..short()
    });
    let addr = server.local_addr();
    let mut idle: Vec<Client> = (0..8).map(|_| Client::connect(addr).unwrap()).collect();
    assert!(common::wait_until(|| server.connections() == 8));
    let mut ninth = Client::connect(addr).unwrap();
    let r = ninth.response(false).expect("the 503");
    assert_eq!(r.status, 503, "{r}");
    assert_eq!(r.header("Connection"), Some("close"), "{r}");
    ninth.assert_closed();
    assert_eq!(server.connections(), 8);
    // One closes: a new connection is served.
    drop(idle.pop());
    assert!(common::wait_until(|| server.connections() == 7));
    let mut c = Client::connect(addr).unwrap();
    c.request(GET).assert_ok(false, true);
    // The idle ones were never refused.
    for c in &mut idle {
        c.request(GET).assert_ok(false, true);
    }
    drop((c, idle));
    let stats = server.shutdown().unwrap();
    assert_eq!(stats.errors(Status::ServiceUnavailable), 1, "{stats:?}");
    assert_eq!((stats.accepted, stats.requests), (10, 8), "{stats:?}");
}

#[test]
fn pipelined_responses_come_in_order() {
    let server = common::start(short());
    let mut c = Client::connect(server.local_addr()).unwrap();
    let heads: Vec<bool> = (0..100).map(|i| i % 3 == 1 || i % 7 == 0).collect();
    let all: Vec<u8> = heads
        .iter()
        .flat_map(|&h| if h { HEAD } else { GET })
        .copied()
        .collect();
    c.send(&all);
    // A HEAD answer read as a GET's (or the reverse) would take the next response's bytes
    // as its body: the order is visible.
    for (i, &head_only) in heads.iter().enumerate() {
        let r = c
            .response(head_only)
            .unwrap_or_else(|e| panic!("response {i}: {e}"));
        r.assert_ok(head_only, true);
    }
    c.request(GET_CLOSE).assert_ok(false, false);
    c.assert_closed();
    assert_eq!(server.shutdown().unwrap().requests, 101);
}

#[test]
fn a_half_closed_client_gets_its_response() {
    let server = common::start(short());
    let mut c = Client::connect(server.local_addr()).unwrap();
    c.send(GET);
    c.shutdown_write();
    let r = c.response(false).unwrap();
    assert_eq!(r.status, 200, "{r}");
    assert_eq!(r.body, b"Hello, World!");
    c.assert_closed();
    // Two pipelined requests and the half-close in one go: both answered.
    let mut c = Client::connect(server.local_addr()).unwrap();
    c.send(&[HEAD, GET].concat());
    c.shutdown_write();
    assert_eq!(c.response(true).unwrap().status, 200);
    assert_eq!(c.response(false).unwrap().body, b"Hello, World!");
    c.assert_closed();
    assert_eq!(server.shutdown().unwrap().requests, 3);
}

#[test]
fn expect_100_continue_then_200() {
    let server = common::start(short());
    let mut c = Client::connect(server.local_addr()).unwrap();
    c.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    let r = c.response(false).unwrap();
    assert_eq!(r.raw, b"HTTP/1.1 100 Continue\r\n\r\n");
    c.send(b"hello");
    c.response(false).unwrap().assert_ok(false, true);
    // The connection goes on.
    c.request(GET).assert_ok(false, true);
    assert_eq!(server.shutdown().unwrap().requests, 2);
}

#[test]
fn a_chunked_body_is_discarded() {
    let server = common::start(short());
    let mut c = Client::connect(server.local_addr()).unwrap();
    let post = b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\
                 5\r\nhello\r\n1b;x=y\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n\r\n0\r\nT: 1\r\n\r\n";
    // In one write with the next request, then split in small writes.
    c.send(&[&post[..], HEAD].concat());
    c.response(false).unwrap().assert_ok(false, true);
    c.response(true).unwrap().assert_ok(true, true);
    for piece in post.chunks(7) {
        c.send(piece);
        thread::sleep(Duration::from_millis(2));
    }
    c.send(GET);
    c.response(false).unwrap().assert_ok(false, true);
    c.response(false).unwrap().assert_ok(false, true);
    let stats = server.shutdown().unwrap();
    assert_eq!(stats.requests, 4, "{stats:?}");
    assert!(stats.errors.is_empty(), "{stats:?}");
}

#[test]
fn graceful_shutdown_finishes_a_request_in_flight() {
    let server = common::start(Config {
        shutdown_grace: Duration::from_secs(60),
        header_timeout: Duration::from_secs(60),
        ..short()
    });
    let mut c = Client::connect(server.local_addr()).unwrap();
    c.request(GET).assert_ok(false, true);
    c.send(b"GET / HTTP/1.1\r\nHo");
    // Wait until the worker read the half head (its keep-alive deadline would close an idle
    // connection): then it is a request in flight.
    thread::sleep(Duration::from_millis(200));
    let shutting = thread::spawn(move || server.shutdown());
    thread::sleep(Duration::from_millis(200));
    assert!(
        !shutting.is_finished(),
        "shutdown returned with a request in flight"
    );
    c.send(b"st: t\r\n\r\n");
    c.response(false).unwrap().assert_ok(false, false);
    c.assert_closed();
    let stats = shutting.join().unwrap().unwrap();
    assert_eq!(stats.requests, 2, "{stats:?}");
    assert_eq!(stats.timeouts, 0, "{stats:?}");
}

#[test]
fn idle_connections_close_at_shutdown() {
    // Long grace and timeouts: only the shutdown can close these connections in time.
    let server = common::start(Config {
        shutdown_grace: Duration::from_secs(60),
        keepalive_timeout: Duration::from_secs(60),
        header_timeout: Duration::from_secs(60),
        workers: 2,
        strategy: neurlang::runtime::WorkerStrategy::SharedListener,
        ..short()
    });
    let addr = server.local_addr();
    let mut served: Vec<Client> = (0..4).map(|_| Client::connect(addr).unwrap()).collect();
    for c in &mut served {
        c.request(GET).assert_ok(false, true);
    }
    // Accepted, never sent anything.
    let mut silent: Vec<Client> = (0..4).map(|_| Client::connect(addr).unwrap()).collect();
    assert!(common::wait_until(|| server.connections() == 8));
    let stats = server.shutdown().unwrap();
    for c in served.iter_mut().chain(&mut silent) {
        c.assert_closed();
    }
    assert_eq!((stats.accepted, stats.requests, stats.timeouts), (8, 4, 0));
}

#[test]
fn shutdown_right_after_a_connection_closes_never_hangs() {
    // A shutdown asked for while the worker is between its zero-timeout poll and its blocking
    // one must still wake it (the wake-up was once consumed by the first poll and lost).
    for round in 0..200 {
        let server = common::start(short());
        let mut c = Client::connect(server.local_addr()).unwrap();
        c.request(GET_CLOSE).assert_ok(false, false);
        c.assert_closed();
        let (tx, rx) = std::sync::mpsc::channel();
        thread::spawn(move || tx.send(server.shutdown()));
        match rx.recv_timeout(common::READ_TIMEOUT) {
            Ok(stats) => assert_eq!(stats.unwrap().requests, 1),
            Err(_) => panic!("round {round}: shutdown did not return"),
        }
    }
}

#[test]
fn each_error_status_is_counted_apart() {
    let server = common::start(short());
    let addr = server.local_addr();
    let send = |request: &[u8]| Client::connect(addr).unwrap().request(request).status;
    assert_eq!(send(b"TRACE / HTTP/1.1\r\nHost: t\r\n\r\n"), 405);
    assert_eq!(send(b"TRACE / HTTP/1.1\r\nHost: t\r\n\r\n"), 405);
    assert_eq!(send(b"GET / HTTP/1.1\r\nHost: t\r\nHost: u\r\n\r\n"), 400);
    let stats = server.shutdown().unwrap();
    assert_eq!(stats.errors(Status::MethodNotAllowed), 2, "{stats:?}");
    assert_eq!(stats.errors(Status::BadRequest), 1, "{stats:?}");
}

#[test]
fn output_stuck_at_a_client_is_bounded_by_the_io_timeout_alone() {
    // Long head and keep-alive timeouts: only the io_timeout can end the stuck connection.
    let server = common::start(Config {
        io_timeout: Duration::from_secs(1),
        header_timeout: Duration::from_secs(120),
        keepalive_timeout: Duration::from_secs(120),
        ..short()
    });
    let mut hog = Client::connect(server.local_addr()).unwrap();
    // A bound for a server that never gives up, well beyond the io_timeout.
    hog.stream()
        .set_write_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let batch = GET.repeat(1000);
    let end = loop {
        if let Err(e) = hog.stream().write(&batch) {
            break e;
        }
    };
    assert!(
        matches!(
            end.kind(),
            ErrorKind::ConnectionReset | ErrorKind::BrokenPipe | ErrorKind::ConnectionAborted
        ),
        "the stuck client's writes ended with {end}"
    );
    assert!(common::wait_until(|| server.connections() == 0));
    assert_eq!(server.shutdown().unwrap().timeouts, 1);
}

/// Long timeouts: only a client's reset (or the shutdown) can end a connection within a test.
fn patient() -> Config {
    Config {
        header_timeout: Duration::from_secs(120),
        keepalive_timeout: Duration::from_secs(120),
        io_timeout: Duration::from_secs(120),
        ..short()
    }
}

#[test]
fn a_reset_idle_connection_is_closed_at_once() {
    let server = common::start(patient());
    let mut c = Client::connect(server.local_addr()).unwrap();
    c.request(GET).assert_ok(false, true);
    c.reset();
    // The read that fails closes it; a failed read taken for "try later" would keep it until
    // the keep-alive timeout.
    assert!(common::wait_until(|| server.connections() == 0));
    let stats = server.shutdown().unwrap();
    assert_eq!((stats.requests, stats.timeouts), (1, 0), "{stats:?}");
}

#[test]
fn a_reset_with_output_pending_closes_the_connection_at_once() {
    let server = common::start(patient());
    let addr = server.local_addr();
    // Pipelines requests without reading until the server, its output to this client stuck,
    // has stopped reading them: no write goes through for a while.
    let mut hog = Client::connect(addr).unwrap();
    hog.stream().set_nonblocking(true).unwrap();
    let batch = GET.repeat(1000);
    let mut stalled = 0;
    while stalled < 30 {
        match hog.stream().write(&batch) {
            Ok(_) => stalled = 0,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                stalled += 1;
                thread::sleep(Duration::from_millis(10));
            }
            Err(e) => panic!("the hog's write failed: {e}"),
        }
    }
    hog.reset();
    // The write that fails closes it, and the worker goes on serving.
    assert!(common::wait_until(|| server.connections() == 0));
    Client::connect(addr)
        .unwrap()
        .request(GET)
        .assert_ok(false, true);
    let stats = server.shutdown().unwrap();
    assert_eq!(stats.timeouts, 0, "{stats:?}");
}

#[test]
fn a_request_in_flight_at_the_end_of_the_grace_is_cut() {
    let server = common::start(Config {
        shutdown_grace: Duration::from_millis(300),
        ..patient()
    });
    let mut c = Client::connect(server.local_addr()).unwrap();
    c.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    // The 100 Continue: the worker has read the head and waits for the body.
    assert_eq!(
        c.response(false).unwrap().raw,
        b"HTTP/1.1 100 Continue\r\n\r\n"
    );
    server.shutdown_handle().shutdown();
    // The body never comes: at the end of the grace the connection is closed, and no longer
    // counted.
    c.assert_closed();
    assert!(common::wait_until(|| server.connections() == 0));
    let stats = server.wait().unwrap();
    assert_eq!((stats.requests, stats.timeouts), (0, 0), "{stats:?}");
}

#[test]
fn a_reset_right_after_the_start_of_a_head_closes_the_connection_at_once() {
    let server = common::start(patient());
    let mut c = Client::connect(server.local_addr()).unwrap();
    c.send(GET);
    // The response has arrived; it stays unread, so the close below is a reset.
    c.stream().peek(&mut [0]).unwrap();
    c.send(b"GET / HTTP/1.1\r\nHo");
    drop(c);
    // The read that fails closes it: not a 408 at the head timeout, not a timeout.
    assert!(common::wait_until(|| server.connections() == 0));
    let stats = server.shutdown().unwrap();
    assert_eq!((stats.requests, stats.timeouts), (1, 0), "{stats:?}");
    assert!(stats.errors.is_empty(), "{stats:?}");
}

#[test]
fn a_half_close_right_after_the_start_of_a_head_closes_the_connection_at_once() {
    let server = common::start(patient());
    let mut c = Client::connect(server.local_addr()).unwrap();
    c.request(GET).assert_ok(false, true);
    c.send(b"GET / HTTP/1.1\r\nHo");
    c.shutdown_write();
    // The end of the stream, read with the half head or right after: the close, not a 408 at
    // the head timeout.
    c.assert_closed();
    let stats = server.shutdown().unwrap();
    assert_eq!((stats.requests, stats.timeouts), (1, 0), "{stats:?}");
    assert!(stats.errors.is_empty(), "{stats:?}");
}
