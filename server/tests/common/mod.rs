//! Helpers of the server's integration tests: a raw-bytes HTTP/1.1 client on `std::net` whose
//! reads all time out (a test fails instead of hanging) and go through the server's own
//! [`Reader`], the exact bytes a 200 must have, and a server started on a free port.

#![allow(dead_code)] // each test binary uses part of this module

use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

pub use neurlang_server::client::{Reader, Response};
use neurlang_server::http::{BODY, SERVER};
use neurlang_server::{Config, Server};

/// Longest wait for any byte the server owes a client.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// `GET /` over HTTP/1.1 (keep-alive by default).
pub const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: t\r\n\r\n";
/// `HEAD /` over HTTP/1.1.
pub const HEAD: &[u8] = b"HEAD / HTTP/1.1\r\nHost: t\r\n\r\n";
/// `GET /` over HTTP/1.1 asking the server to close.
pub const GET_CLOSE: &[u8] = b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
/// `GET /` over HTTP/1.0 (the server closes).
pub const GET_10: &[u8] = b"GET / HTTP/1.0\r\n\r\n";
/// `GET /` over HTTP/1.0 with `Connection: keep-alive`.
pub const GET_10_KEEP: &[u8] = b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";

/// A configuration listening on 127.0.0.1, any free port.
pub fn config() -> Config {
    Config {
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..Config::default()
    }
}

/// Starts a server, panicking with the reason if it cannot.
pub fn start(config: Config) -> Server {
    Server::start(config.clone()).unwrap_or_else(|e| panic!("cannot start {config:?}: {e}"))
}

/// Whether the tests run under an emulator (`$NEURLANG_EMULATOR`, set by ci/test-aarch64.sh).
pub fn emulator() -> Option<String> {
    std::env::var("NEURLANG_EMULATOR")
        .ok()
        .filter(|e| !e.is_empty())
}

/// Waits (polling, at most 10 s) until `cond` holds; false if it never did.
pub fn wait_until(mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    cond()
}

/// Checks a response against the server's 200.
pub trait AssertOk {
    /// Checks the response is byte for byte the server's 200 (nginx's header order), with
    /// `Connection: keep-alive` or `close` and a body unless `head_only`.
    fn assert_ok(&self, head_only: bool, keep_alive: bool);
}

impl AssertOk for Response {
    fn assert_ok(&self, head_only: bool, keep_alive: bool) {
        let date = self
            .header("Date")
            .unwrap_or_else(|| panic!("no Date in {self}"));
        assert!(
            httpdate::parse_http_date(date).is_ok(),
            "Date {date:?} is not an HTTP date"
        );
        let connection = if keep_alive { "keep-alive" } else { "close" };
        let mut expected = format!(
            "HTTP/1.1 200 OK\r\nServer: {SERVER}\r\nDate: {date}\r\nContent-Type: text/plain\r\n\
             Content-Length: {}\r\nConnection: {connection}\r\n\r\n",
            BODY.len()
        )
        .into_bytes();
        if !head_only {
            expected.extend_from_slice(BODY);
        }
        assert_eq!(
            String::from_utf8_lossy(&self.raw),
            String::from_utf8_lossy(&expected),
            "head_only {head_only}, keep_alive {keep_alive}"
        );
    }
}

/// A client connection: raw bytes out, responses read by the server's [`Reader`]. One
/// descriptor each (the descriptor-exhaustion test counts them).
#[derive(Debug)]
pub struct Client {
    reader: Reader<TcpStream>,
}

impl Client {
    /// Connects to `addr`; every read times out after [`READ_TIMEOUT`].
    pub fn connect(addr: SocketAddr) -> io::Result<Client> {
        Client::connect_from(TcpStream::connect(addr)?)
    }

    /// A client on a connected stream; every read times out after [`READ_TIMEOUT`].
    pub fn connect_from(stream: TcpStream) -> io::Result<Client> {
        stream.set_read_timeout(Some(READ_TIMEOUT))?;
        stream.set_write_timeout(Some(READ_TIMEOUT))?;
        stream.set_nodelay(true)?;
        Ok(Client {
            reader: Reader::new(stream),
        })
    }

    /// The connection, for raw reads and writes beside the reader.
    pub fn stream(&mut self) -> &mut TcpStream {
        self.reader.get_mut()
    }

    /// Sends `bytes`, panicking on error.
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream().write_all(bytes).expect("send to the server");
    }

    /// Reads one response (`head_only`: the answer to a HEAD, without a body).
    pub fn response(&mut self, head_only: bool) -> io::Result<Response> {
        self.reader.response(head_only)
    }

    /// Sends `request` and reads its response, panicking on error.
    pub fn request(&mut self, request: &[u8]) -> Response {
        self.send(request);
        self.response(request.starts_with(b"HEAD "))
            .unwrap_or_else(|e| {
                panic!("no response to {:?}: {e}", String::from_utf8_lossy(request))
            })
    }

    /// Whether the server closed the connection: end of stream (or a reset) with nothing
    /// more to read. Bytes arriving instead are an error.
    pub fn closed(&mut self) -> io::Result<bool> {
        self.reader.closed()
    }

    /// Asserts the server closed the connection (within [`READ_TIMEOUT`]).
    pub fn assert_closed(&mut self) {
        match self.closed() {
            Ok(true) => {}
            Ok(false) => panic!("the server did not close the connection"),
            Err(e) => panic!("waiting for the close: {e}"),
        }
    }

    /// Closes the connection with a reset (`SO_LINGER` 0) instead of a FIN: the server's next
    /// read or write on it fails.
    pub fn reset(self) {
        socket2::SockRef::from(self.reader.get_ref())
            .set_linger(Some(Duration::ZERO))
            .expect("SO_LINGER 0");
    }

    /// Shuts down the write side (a half-close).
    pub fn shutdown_write(&self) {
        self.reader
            .get_ref()
            .shutdown(Shutdown::Write)
            .expect("shutdown(Write)");
    }
}
