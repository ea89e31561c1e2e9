//! `neurlang-server`: the HTTP server of the nginx comparison.
//!
//! ```text
//! neurlang-server [--workers N] [--strategy auto|reuseport|shared|single] [--port P] [--host ADDR]
//! ```
//! `--workers 0` runs one single-threaded worker. SIGINT/SIGTERM (Ctrl-C on Windows) shut down
//! gracefully: stop accepting, answer requests in flight, exit.

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

use neurlang::runtime::WorkerStrategy;
use neurlang_server::{Config, Server};

mod signal;

const USAGE: &str = "usage: neurlang-server [--workers N] [--strategy auto|reuseport|shared|single] \
                     [--port P] [--host ADDR]";

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Config, String> {
    let mut config = Config::default();
    let mut host: IpAddr = config.addr.ip();
    let mut port = config.addr.port();
    let mut strategy = "auto".to_string();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let value = match inline.or_else(|| args.next()) {
            Some(v) => v,
            None => return Err(format!("{flag} needs a value")),
        };
        let bad = |what: &str| format!("{flag}: {value:?} is not {what}");
        match flag.as_str() {
            "--workers" => config.workers = value.parse().map_err(|_| bad("a number"))?,
            "--strategy" => strategy = value.clone(),
            "--port" => port = value.parse().map_err(|_| bad("a port number"))?,
            "--host" => host = value.parse().map_err(|_| bad("an IP address"))?,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    config.strategy = strategy.parse::<WorkerStrategy>()?;
    if config.workers == 0 {
        config.strategy = WorkerStrategy::SingleThreaded;
    }
    config.addr = SocketAddr::new(host, port);
    Ok(config)
}

fn main() -> ExitCode {
    let config = match parse_args(std::env::args().skip(1)) {
        Ok(c) => c,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("neurlang-server: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // Before any thread starts, so that every worker inherits the blocked signals.
    let signals = signal::Signals::block();
    let workers = config.workers.max(1);
    let server = match Server::start(config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("neurlang-server: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "listening on {} (workers {workers}, strategy {})",
        server.local_addr(),
        server.strategy()
    );
    signals.wait();
    eprintln!("neurlang-server: shutting down");
    match server.shutdown() {
        Ok(stats) => {
            eprintln!(
                "neurlang-server: {} connections, {} requests, {} timeouts, {} accept back-offs",
                stats.accepted, stats.requests, stats.timeouts, stats.accept_backoffs
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("neurlang-server: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, String> {
        parse_args(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn host_and_port_make_the_address() {
        let c = parse(&["--host", "127.0.0.2", "--port=8081"]).unwrap();
        assert_eq!(c.addr, "127.0.0.2:8081".parse::<SocketAddr>().unwrap());
        assert_eq!(
            parse(&["--host", "localhost"]).unwrap_err(),
            "--host: \"localhost\" is not an IP address"
        );
        assert_eq!(
            parse(&["--bogus", "1"]).unwrap_err(),
            "unknown option --bogus"
        );
    }

    #[test]
    fn workers_and_strategy_are_read() {
        let c = parse(&["--workers", "3", "--strategy=shared"]).unwrap();
        assert_eq!(c.workers, 3);
        assert_eq!(c.strategy, WorkerStrategy::SharedListener);
        let c = parse(&["--workers=0"]).unwrap();
        assert_eq!(
            c.strategy,
            WorkerStrategy::SingleThreaded,
            "0 workers: one thread"
        );
        assert_eq!(
            parse(&["--workers", "many"]).unwrap_err(),
            "--workers: \"many\" is not a number"
        );
    }
}
