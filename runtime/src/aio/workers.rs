//! [`WorkerStrategy`]: how several workers, each with its own event loop, share one port.
//!
//! The spec's table says SO_REUSEPORT balances on Linux, macOS and FreeBSD. It does on Linux
//! (and DragonFly); FreeBSD needs `SO_REUSEPORT_LB`; macOS's `SO_REUSEPORT` only lets sockets
//! share the port while the most recently bound one receives every connection, so macOS gets a
//! shared listener, as Windows does (with `SO_EXCLUSIVEADDRUSE`, never `SO_REUSEADDR`).
//! [`WorkerStrategy::detect`] follows these facts, not the spec's table.
//!
//! Checked in `server/tests/strategies.rs`: `strategy_names_parse_and_detect` (what `detect`
//! picks on each OS) and `every_strategy_serves_concurrent_clients` (every strategy serves, and
//! on Linux `SO_REUSEPORT` gives both workers connections). The macOS and FreeBSD kernel
//! behaviour above is what those kernels document; no test here observes it.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::str::FromStr;

use super::AsyncSocket;
use crate::sys;

/// How workers receive connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WorkerStrategy {
    /// One listening socket per worker on the same port, `SO_REUSEPORT`: the kernel balances
    /// connections (Linux, DragonFly).
    ReusePort,
    /// The same with FreeBSD's balancing variant, `SO_REUSEPORT_LB`.
    ReusePortLb,
    /// One listening socket shared by every worker; each worker's loop competes for `accept`.
    SharedListener,
    /// One worker, on the calling thread.
    SingleThreaded,
}

impl WorkerStrategy {
    /// The best strategy this OS supports for several workers: a balanced `SO_REUSEPORT` where
    /// the kernel balances, else a shared listener.
    pub fn detect() -> WorkerStrategy {
        if sys::REUSE_PORT_LB {
            WorkerStrategy::ReusePortLb
        } else if sys::REUSE_PORT_BALANCES {
            WorkerStrategy::ReusePort
        } else {
            WorkerStrategy::SharedListener
        }
    }

    /// The name used on the command line (`reuseport`, `reuseport-lb`, `shared`, `single`).
    pub fn name(self) -> &'static str {
        match self {
            WorkerStrategy::ReusePort => "reuseport",
            WorkerStrategy::ReusePortLb => "reuseport-lb",
            WorkerStrategy::SharedListener => "shared",
            WorkerStrategy::SingleThreaded => "single",
        }
    }

    /// Creates the listening sockets for `workers` workers on `addr` (port 0 picks one free port
    /// for all of them): one per worker for the `SO_REUSEPORT` strategies, one socket shared
    /// through cloned handles for [`SharedListener`](Self::SharedListener), exactly one for
    /// [`SingleThreaded`](Self::SingleThreaded). Every socket is non-blocking and listening.
    ///
    /// Errors: `InvalidInput` for zero workers or several single-threaded ones; `Unsupported`
    /// for a reuse-port strategy this OS cannot balance; any error of `socket`/`bind`/`listen`
    /// (`EADDRINUSE` when the port is taken), with every socket already made closed again.
    pub fn listeners(
        self,
        addr: SocketAddr,
        workers: usize,
        backlog: i32,
    ) -> io::Result<Vec<AsyncSocket>> {
        let invalid = |msg: &str| Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
        if workers == 0 {
            return invalid("at least one worker is needed");
        }
        match self {
            WorkerStrategy::SingleThreaded if workers > 1 => {
                invalid("the single-threaded strategy runs exactly one worker")
            }
            WorkerStrategy::SingleThreaded => Ok(vec![listen(addr, backlog, false)?]),
            WorkerStrategy::SharedListener => {
                let first = listen(addr, backlog, false)?;
                let mut all = Vec::with_capacity(workers);
                for _ in 1..workers {
                    all.push(first.try_clone()?);
                }
                all.insert(0, first);
                Ok(all)
            }
            WorkerStrategy::ReusePort | WorkerStrategy::ReusePortLb => {
                if !(sys::REUSE_PORT_BALANCES || sys::REUSE_PORT_LB) {
                    return Err(io::Error::new(
                        io::ErrorKind::Unsupported,
                        "SO_REUSEPORT does not balance connections on this OS (use shared)",
                    ));
                }
                let first = listen(addr, backlog, true)?;
                // Port 0: the others bind the port the first one got.
                let bound = first.local_addr()?;
                let mut all = vec![first];
                for _ in 1..workers {
                    all.push(listen(bound, backlog, true)?);
                }
                Ok(all)
            }
        }
    }
}

fn listen(addr: SocketAddr, backlog: i32, reuse_port: bool) -> io::Result<AsyncSocket> {
    let mut socket = if addr.is_ipv4() {
        AsyncSocket::tcp()?
    } else {
        AsyncSocket::tcp_v6()?
    };
    socket.set_listener_defaults()?;
    if reuse_port {
        socket.set_reuse_port_balanced()?;
    }
    socket.bind(addr)?;
    socket.listen(backlog)?;
    Ok(socket)
}

impl fmt::Display for WorkerStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Parses a command-line strategy: `auto` ([`detect`](WorkerStrategy::detect)), `reuseport`
/// (this OS's balanced variant; an error where there is none), `reuseport-lb`, `shared`,
/// `single`. Case-insensitive.
impl FromStr for WorkerStrategy {
    type Err = String;

    fn from_str(s: &str) -> Result<WorkerStrategy, String> {
        let balanced = || {
            if sys::REUSE_PORT_LB {
                Ok(WorkerStrategy::ReusePortLb)
            } else if sys::REUSE_PORT_BALANCES {
                Ok(WorkerStrategy::ReusePort)
            } else {
                Err(
                    "reuseport: SO_REUSEPORT does not balance connections on this OS; \
                     use --strategy shared (or auto)"
                        .to_string(),
                )
            }
        };
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(WorkerStrategy::detect()),
            "reuseport" | "reuseport-lb" => balanced(),
            "shared" => Ok(WorkerStrategy::SharedListener),
            "single" => Ok(WorkerStrategy::SingleThreaded),
            other => Err(format!(
                "unknown strategy {other:?}: expected auto, reuseport, shared or single"
            )),
        }
    }
}
