//! Every worker strategy this OS offers serves many concurrent clients byte-correctly, and the
//! statistics count exactly what the clients sent; `WorkerStrategy` parsing, naming, detection
//! and the errors of `listeners`.

mod common;

use std::io::ErrorKind;
use std::net::{SocketAddr, TcpListener};
use std::thread;

use common::{AssertOk, Client, GET, GET_10, GET_10_KEEP, GET_CLOSE, HEAD};
use neurlang::runtime::WorkerStrategy;
use neurlang_server::{Config, Server};

const CLIENTS: usize = 16;
/// Requests on each client's keep-alive connection.
const KEEP_ALIVE_REQUESTS: usize = 20;
/// Connection-per-request rounds of each client (three connections per round).
const ROUNDS: usize = 5;

/// What one client sent: (requests, connections).
fn client(addr: SocketAddr) -> (u64, u64) {
    let (mut requests, mut connections) = (0, 0);
    // Keep-alive: GET and HEAD alternating on one connection, the last one closing.
    let mut c = Client::connect(addr).expect("connect");
    connections += 1;
    for i in 0..KEEP_ALIVE_REQUESTS {
        let head_only = i % 2 == 1;
        c.request(if head_only { HEAD } else { GET })
            .assert_ok(head_only, true);
        requests += 1;
    }
    c.request(GET_CLOSE).assert_ok(false, false);
    requests += 1;
    c.assert_closed();
    for _ in 0..ROUNDS {
        // One connection per request: closed by the server (HTTP/1.1 `Connection: close`,
        // plain HTTP/1.0) or by the client (HTTP/1.0 keep-alive).
        for (request, keep_alive) in [(GET_CLOSE, false), (GET_10, false), (GET_10_KEEP, true)] {
            let mut c = Client::connect(addr).expect("connect");
            connections += 1;
            c.request(request).assert_ok(false, keep_alive);
            requests += 1;
            if !keep_alive {
                c.assert_closed();
            }
        }
    }
    (requests, connections)
}

/// The strategies to run here with their worker counts; the others with the reason to skip.
fn strategies() -> Vec<(WorkerStrategy, usize)> {
    let mut run = vec![
        (WorkerStrategy::SingleThreaded, 1),
        (WorkerStrategy::SharedListener, 2),
    ];
    let balanced: Result<WorkerStrategy, String> = "reuseport".parse();
    for s in [WorkerStrategy::ReusePort, WorkerStrategy::ReusePortLb] {
        match &balanced {
            Ok(b) if *b == s => run.push((s, 2)),
            Ok(b) => eprintln!("skipping {s}: this OS's balanced variant is {b}"),
            Err(e) => eprintln!("skipping {s}: {e}"),
        }
    }
    run
}

#[test]
fn every_strategy_serves_concurrent_clients() {
    for (strategy, workers) in strategies() {
        let server = common::start(Config {
            workers,
            strategy,
            ..common::config()
        });
        assert_eq!(server.strategy(), strategy);
        let addr = server.local_addr();
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| thread::spawn(move || client(addr)))
            .collect();
        let (mut requests, mut connections) = (0, 0);
        for c in clients {
            let (r, n) = c.join().expect("a client failed");
            requests += r;
            connections += n;
        }
        // Connections the clients closed may still be open on the server's side.
        assert!(
            common::wait_until(|| server.connections() == 0),
            "{strategy}"
        );
        let stats = server.shutdown().expect("shutdown");
        assert_eq!(stats.requests, requests, "{strategy}: {stats:?}");
        assert_eq!(stats.accepted, connections, "{strategy}: {stats:?}");
        assert!(stats.errors.is_empty(), "{strategy}: {stats:?}");
        assert_eq!(stats.timeouts, 0, "{strategy}: {stats:?}");
        assert_eq!(stats.per_worker.len(), workers, "{strategy}: {stats:?}");
        assert_eq!(stats.per_worker.iter().sum::<u64>(), connections);
        // Linux's SO_REUSEPORT hashes connections over the sockets: with this many, both
        // workers get some (the chance that one of 2 gets none of 256 is 2^-255).
        if cfg!(target_os = "linux") && strategy == WorkerStrategy::ReusePort {
            assert!(connections >= 200);
            assert!(
                stats.per_worker.iter().all(|&n| n > 0),
                "unbalanced: {:?}",
                stats.per_worker
            );
        }
    }
}

#[test]
fn strategy_names_parse_and_detect() {
    let all = [
        WorkerStrategy::ReusePort,
        WorkerStrategy::ReusePortLb,
        WorkerStrategy::SharedListener,
        WorkerStrategy::SingleThreaded,
    ];
    let names: Vec<&str> = all.iter().map(|s| s.name()).collect();
    assert_eq!(names, ["reuseport", "reuseport-lb", "shared", "single"]);
    for s in all {
        assert_eq!(s.to_string(), s.name());
    }
    assert_eq!("auto".parse(), Ok(WorkerStrategy::detect()));
    assert_eq!("Shared".parse(), Ok(WorkerStrategy::SharedListener));
    assert_eq!("SINGLE".parse(), Ok(WorkerStrategy::SingleThreaded));
    let err = "fastest".parse::<WorkerStrategy>().unwrap_err();
    assert!(err.contains("unknown strategy \"fastest\""), "{err}");
    // Both reuse-port names mean this OS's balanced variant, or an error naming the fallback.
    let expected = if cfg!(target_os = "linux") || cfg!(target_os = "dragonfly") {
        Some(WorkerStrategy::ReusePort)
    } else if cfg!(target_os = "freebsd") {
        Some(WorkerStrategy::ReusePortLb)
    } else {
        None
    };
    for name in ["reuseport", "reuseport-lb"] {
        match (name.parse::<WorkerStrategy>(), expected) {
            (Ok(s), Some(e)) => assert_eq!(s, e),
            (Err(msg), None) => assert!(msg.contains("--strategy shared"), "{msg}"),
            (got, _) => panic!("{name}: {got:?}, expected {expected:?}"),
        }
    }
    assert_eq!(
        WorkerStrategy::detect(),
        expected.unwrap_or(WorkerStrategy::SharedListener)
    );
    if expected.is_none() {
        let err = WorkerStrategy::ReusePort
            .listeners(SocketAddr::from(([127, 0, 0, 1], 0)), 2, 16)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    }
}

#[test]
fn listeners_reject_bad_worker_counts() {
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    for s in [
        WorkerStrategy::detect(),
        WorkerStrategy::SharedListener,
        WorkerStrategy::SingleThreaded,
    ] {
        let err = s.listeners(any, 0, 16).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{s}: {err}");
    }
    let err = WorkerStrategy::SingleThreaded
        .listeners(any, 2, 16)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    let shared = WorkerStrategy::SharedListener
        .listeners(any, 3, 16)
        .unwrap();
    assert_eq!(shared.len(), 3);
    let port = shared[0].local_addr().unwrap().port();
    assert!(
        shared
            .iter()
            .all(|l| l.local_addr().unwrap().port() == port)
    );
    // `Server::start` with zero workers runs one single-threaded worker.
    let server = common::start(Config {
        workers: 0,
        ..common::config()
    });
    assert_eq!(server.strategy(), WorkerStrategy::SingleThreaded);
    let mut c = Client::connect(server.local_addr()).unwrap();
    c.request(GET).assert_ok(false, true);
    drop(c);
    assert_eq!(server.shutdown().unwrap().per_worker.len(), 1);
}

#[test]
fn a_taken_port_is_addr_in_use() {
    let mut strategies = vec![
        (WorkerStrategy::SingleThreaded, 1),
        (WorkerStrategy::SharedListener, 2),
    ];
    if let Ok(balanced) = "reuseport".parse() {
        strategies.push((balanced, 2));
    }
    // Taken by a plain listener, and by another server (shared listener: no SO_REUSEPORT,
    // which would let a second reuse-port server of the same user share the port).
    let plain = TcpListener::bind("127.0.0.1:0").unwrap();
    let other = common::start(Config {
        workers: 2,
        strategy: WorkerStrategy::SharedListener,
        ..common::config()
    });
    for taken in [plain.local_addr().unwrap(), other.local_addr()] {
        for &(strategy, workers) in &strategies {
            let err = Server::start(Config {
                addr: taken,
                workers,
                strategy,
                ..common::config()
            })
            .expect_err("a second server on a taken port");
            assert_eq!(
                err.kind(),
                ErrorKind::AddrInUse,
                "{strategy} on {taken}: {err}"
            );
        }
    }
    // The server whose port it is still serves.
    let mut c = Client::connect(other.local_addr()).unwrap();
    c.request(GET).assert_ok(false, true);
    drop(c);
    let stats = other.shutdown().unwrap();
    assert_eq!((stats.accepted, stats.requests), (1, 1));
}
