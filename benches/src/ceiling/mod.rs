//! Ceiling servers for the nginx comparison: HTTP/1.1 "servers" that do the least any server
//! must do per keep-alive request (one read, one write of a constant response; no parsing, a
//! fixed `Date`, no limits or timeouts), to measure how many requests per CPU-second the kernel
//! leaves to a server on this machine at all. Not servers anyone should run: experiments that
//! bound what `neurlang-server` (or any server) can reach against nginx, run through the same
//! driver (`ci/nginx-compare.sh --server 'target/release/ceiling-epoll {port}'`).
//!
//! Both assume each request arrives whole in one read, as wrk's and ab's do.

pub mod epoll;
pub mod uring;

/// The bytes nginx sends for `return 200 "Hello, World!";` with a fixed date.
pub fn response(keep_alive: bool) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Tue, 24 Nov 2026 04:20:00 GMT\r\n\
         Content-Type: text/plain\r\nContent-Length: 13\r\nConnection: {}\r\n\r\nHello, World!",
        if keep_alive { "keep-alive" } else { "close" }
    )
    .into_bytes()
}

/// The requests in `data` (heads ending in a blank line) and whether one is HTTP/1.0 (answered
/// with `Connection: close`, then the connection is closed).
pub fn requests(data: &[u8]) -> (usize, bool) {
    let heads = data.windows(4).filter(|w| w == b"\r\n\r\n").count();
    let http10 = data.windows(8).any(|w| w == b"HTTP/1.0");
    (heads, http10)
}

/// The `main` of the ceiling binary `name`: serves with `serve` on the port of the first
/// argument (default 8080) until killed; a bad port or a failure to serve is reported.
pub fn main(name: &str, serve: fn(u16) -> std::io::Result<()>) -> std::process::ExitCode {
    let port = match std::env::args().nth(1) {
        None => Ok(8080),
        Some(a) => a.parse().map_err(|_| format!("bad port {a:?}")),
    };
    match port.and_then(|p| serve(p).map_err(|e| e.to_string())) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_requests_and_http10() {
        assert_eq!(super::requests(b"GET / HTTP/1.1\r\n\r\n"), (1, false));
        assert_eq!(
            super::requests(b"GET / HTTP/1.0\r\n\r\nGET / HTTP/1.0\r\n\r\n"),
            (2, true)
        );
        assert_eq!(super::requests(b"GET / HTTP/1.1\r\n"), (0, false));
    }
}
