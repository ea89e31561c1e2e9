//! The HTTP/1.1 server of the nginx comparison, built only on the public API of the Neurlang
//! async runtime ([`AsyncRuntime`](neurlang::runtime::AsyncRuntime),
//! [`AsyncSocket`](neurlang::runtime::AsyncSocket),
//! [`WorkerStrategy`]).
//!
//! It answers every request with the bytes nginx sends for `return 200 "Hello, World!";` (with a
//! `Date` that changes every second). Each worker is a thread with its own event loop; the
//! [`WorkerStrategy`] decides how they share the port. HTTP/1.1 keep-alive and pipelining
//! (responses in order, written in one batch), HTTP/1.0, `Connection: close`, and the defences
//! a public server needs: 400 for malformed or ambiguous requests (request smuggling shapes
//! included) and a missing, repeated or invalid `Host`, 414, 431, 413 (every error response is
//! followed by the close), a header-read timeout from the runtime's timer wheel (slowloris),
//! a connection limit (503), and a back-off when the process runs out of descriptors.
//!
//! ```no_run
//! use neurlang_server::{Config, Server};
//! let server = Server::start(Config { workers: 2, ..Config::default() })?;
//! println!("listening on {}", server.local_addr());
//! let stats = server.shutdown()?; // graceful: stop accepting, finish requests, exit
//! println!("{} requests", stats.requests);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use neurlang::runtime::{Reactor, WorkerStrategy};

pub mod client;
pub mod http;
mod worker;

pub use http::{Limits, Status};

/// How the server runs. `Config::default()` listens on 127.0.0.1:8080 with one worker.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address to listen on (port 0: any free port, see [`Server::local_addr`]).
    pub addr: SocketAddr,
    /// Worker threads, each with its own event loop.
    pub workers: usize,
    /// How the workers share the port.
    pub strategy: WorkerStrategy,
    /// `listen` backlog of each listening socket.
    pub backlog: i32,
    /// Accept connections only once their first data arrived, where the OS can (Linux
    /// `TCP_DEFER_ACCEPT`): the request is then read right after `accept`, and a
    /// connection-per-request client is answered without the connection ever being
    /// registered with the event loop.
    pub defer_accept: bool,
    /// Open connections at most, all workers together; a connection beyond it is answered 503
    /// and closed, so a flood cannot exhaust memory or descriptors.
    pub max_connections: usize,
    /// Time allowed for a request head to arrive, counted from its first byte (or from the
    /// connection's start): 408 and close when exceeded (slowloris).
    pub header_timeout: Duration,
    /// Time an idle keep-alive connection is kept.
    pub keepalive_timeout: Duration,
    /// Time allowed without progress while reading a body or writing a response.
    pub io_timeout: Duration,
    /// After an error response, how long the connection is still read (and discarded) so the
    /// client receives the response instead of a reset.
    pub linger: Duration,
    /// On shutdown, how long in-flight requests may take before connections are dropped.
    pub shutdown_grace: Duration,
    /// Request size limits.
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 8080)),
            workers: 1,
            strategy: WorkerStrategy::detect(),
            backlog: 1024,
            defer_accept: true,
            max_connections: 16_384,
            header_timeout: Duration::from_secs(10),
            keepalive_timeout: Duration::from_secs(75),
            io_timeout: Duration::from_secs(30),
            linger: Duration::from_secs(5),
            shutdown_grace: Duration::from_secs(10),
            limits: Limits::default(),
        }
    }
}

/// What the workers did, summed when the server stops.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Connections accepted (those answered 503 included).
    pub accepted: u64,
    /// Requests answered 200.
    pub requests: u64,
    /// Error responses sent, by status.
    pub errors: Vec<(Status, u64)>,
    /// Connections closed because a timeout expired.
    pub timeouts: u64,
    /// Times accepting paused because descriptors or memory ran out.
    pub accept_backoffs: u64,
    /// Connections each worker accepted, in worker order.
    pub per_worker: Vec<u64>,
}

impl Stats {
    /// Error responses sent with `status`.
    pub fn errors(&self, status: Status) -> u64 {
        self.errors
            .iter()
            .filter(|(s, _)| *s == status)
            .map(|(_, n)| n)
            .sum()
    }

    fn merge(&mut self, other: Stats) {
        self.accepted += other.accepted;
        self.requests += other.requests;
        self.timeouts += other.timeouts;
        self.accept_backoffs += other.accept_backoffs;
        self.per_worker.push(other.accepted);
        for (status, n) in other.errors {
            match self.errors.iter_mut().find(|(s, _)| *s == status) {
                Some((_, m)) => *m += n,
                None => self.errors.push((status, n)),
            }
        }
    }
}

/// State the workers share.
#[derive(Debug, Default)]
struct Shared {
    stop: AtomicBool,
    connections: AtomicUsize,
    reactors: Mutex<Vec<Arc<Reactor>>>,
}

/// A running server: its workers, and a way to stop them.
#[derive(Debug)]
pub struct Server {
    local_addr: SocketAddr,
    strategy: WorkerStrategy,
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<io::Result<Stats>>>,
}

/// Asks a running server to shut down gracefully, from any thread (a signal-handling one).
#[derive(Clone, Debug)]
pub struct ShutdownHandle(Arc<Shared>);

impl ShutdownHandle {
    /// Starts a graceful shutdown: listeners close, idle connections close, requests in
    /// flight are answered (with `Connection: close`), then the workers exit.
    pub fn shutdown(&self) {
        self.0.stop.store(true, Ordering::SeqCst);
        for reactor in self
            .0
            .reactors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = reactor.notify();
        }
    }
}

impl Server {
    /// Binds the listeners (every error, such as `EADDRINUSE`, is returned here) and starts the
    /// workers. `workers == 0` means one worker with [`WorkerStrategy::SingleThreaded`].
    pub fn start(mut config: Config) -> io::Result<Server> {
        if config.workers == 0 {
            config.workers = 1;
            config.strategy = WorkerStrategy::SingleThreaded;
        }
        let mut listeners =
            config
                .strategy
                .listeners(config.addr, config.workers, config.backlog)?;
        if config.defer_accept {
            for listener in &mut listeners {
                match listener.set_defer_accept(config.header_timeout.as_secs().max(1) as u32) {
                    Err(e) if e.kind() == io::ErrorKind::Unsupported => break,
                    other => other?,
                }
            }
        }
        let local_addr = listeners[0].local_addr()?;
        let shared = Arc::new(Shared::default());
        let config = Arc::new(config);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let mut workers = Vec::with_capacity(listeners.len());
        for (i, listener) in listeners.into_iter().enumerate() {
            let (config, shared, ready) = (config.clone(), shared.clone(), ready_tx.clone());
            let worker = std::thread::Builder::new()
                .name(format!("neurlang-worker-{i}"))
                .spawn(move || worker::run(listener, &config, &shared, &ready))?;
            workers.push(worker);
        }
        drop(ready_tx);
        // Every worker has registered its listener (or failed) before start returns.
        for _ in 0..workers.len() {
            if let Ok(Err(e)) = ready_rx.recv() {
                let server = Server {
                    local_addr,
                    strategy: config.strategy,
                    shared,
                    workers,
                };
                let _ = server.shutdown();
                return Err(e);
            }
        }
        Ok(Server {
            local_addr,
            strategy: config.strategy,
            shared,
            workers,
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The strategy the workers use.
    pub fn strategy(&self) -> WorkerStrategy {
        self.strategy
    }

    /// Open connections right now, all workers together.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// A handle that can start the shutdown from another thread.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle(self.shared.clone())
    }

    /// Shuts down gracefully (see [`ShutdownHandle::shutdown`]) and waits for the workers.
    pub fn shutdown(self) -> io::Result<Stats> {
        self.shutdown_handle().shutdown();
        self.wait()
    }

    /// Waits until the workers exit (after a shutdown was asked for); the first worker error,
    /// if any, else the summed statistics.
    pub fn wait(self) -> io::Result<Stats> {
        let mut stats = Stats::default();
        let mut first_error = None;
        for worker in self.workers {
            match worker.join() {
                Ok(Ok(s)) => stats.merge(s),
                Ok(Err(e)) => {
                    first_error.get_or_insert(e);
                }
                Err(_) => {
                    first_error.get_or_insert(io::Error::other("a worker panicked"));
                }
            }
        }
        first_error.map_or(Ok(stats), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Status;

    /// The server's totals are the workers' sums: every count added, the errors of a status
    /// both workers sent added into one entry, each worker's accepts kept in order.
    #[test]
    fn merging_stats_adds_every_count() {
        let worker = |n: u64, errors: Vec<(Status, u64)>| Stats {
            accepted: n,
            requests: 10 * n,
            errors,
            timeouts: 100 * n,
            accept_backoffs: 1000 * n,
            per_worker: Vec::new(),
        };
        let mut total = Stats::default();
        total.merge(worker(1, vec![(Status::BadRequest, 2)]));
        total.merge(worker(
            3,
            vec![(Status::BadRequest, 5), (Status::RequestTimeout, 7)],
        ));
        assert_eq!(
            total,
            Stats {
                accepted: 4,
                requests: 40,
                errors: vec![(Status::BadRequest, 7), (Status::RequestTimeout, 7)],
                timeouts: 400,
                accept_backoffs: 4000,
                per_worker: vec![1, 3],
            }
        );
        assert_eq!(total.errors(Status::BadRequest), 7);
    }
}
