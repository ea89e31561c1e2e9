//! Area `http`: the HTTP/1.1 server of the nginx comparison (`neurlang-server`) answers raw
//! requests as RFC 9112 asks — responses in order for pipelined requests, 400 for malformed or
//! ambiguous framing (request smuggling shapes) and for a missing, repeated or invalid `Host`,
//! 405/413/414/417/431/501/505 for the rest — and keeps serving other clients after every
//! rejection.
//!
//! A response that closes the connection must be followed by EOF while the client keeps its own
//! write side open, whichever read the request arrived in (the first read of the connection, a
//! later one on a kept-alive connection, or several for a slow client): the client waits
//! [`EOF_WAIT`] for it, and the area's server only times a request head out after
//! [`HEAD_TIMEOUT`], far longer, so only a close that follows the response can pass.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::OnceLock;
use std::time::Duration;

use neurlang_server::client::{Reader, Response};
use neurlang_server::{Config, Server};
use serde::Deserialize;

use crate::{Case, CaseError, CaseResult, Ctx, ensure, ensure_eq, fail};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpFile {
    request: Vec<RequestRow>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestRow {
    name: String,
    send: String,
    statuses: Vec<u16>,
    closes: bool,
    #[serde(default)]
    bodyless: Vec<usize>,
    #[serde(default)]
    kept_alive: bool,
}

const TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client waits for the EOF after a closing response: generous for a slow machine
/// (qemu, Wine), yet far below [`HEAD_TIMEOUT`].
const EOF_WAIT: Duration = Duration::from_secs(30);
/// The area's server's request-head timeout: a connection it forgot to close after an error
/// would be closed by this timer, too late for [`EOF_WAIT`].
const HEAD_TIMEOUT: Duration = Duration::from_secs(120);
/// Between the pieces of a request split by `{pause}` (a slow client).
const PAUSE: Duration = Duration::from_millis(100);
const SIMPLE: &[u8] = b"GET / HTTP/1.1\r\nHost: conformance\r\n\r\n";

pub fn cases(ctx: &Ctx) -> Result<Vec<Case>, String> {
    let file: HttpFile = ctx.table("http.toml")?;
    let mut cases = Vec::new();
    for row in file.request {
        let send = expand(&row.send).map_err(|e| format!("http.toml, {}: {e}", row.name))?;
        let name = format!("request.{}", row.name);
        cases.push(Case::new("http", name, move || exchange(&row, &send)));
    }
    Ok(cases)
}

/// `{N*text}` in a request stands for `text` repeated N times (long lines, many headers);
/// `{pause}` splits it into pieces written separately, [`PAUSE`] apart.
fn expand(template: &str) -> Result<Vec<Vec<u8>>, String> {
    let mut pieces = Vec::new();
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..]
            .find('}')
            .ok_or("unclosed {")?
            .checked_add(open)
            .ok_or("overflow")?;
        let inside = &rest[open + 1..close];
        if inside == "pause" {
            pieces.push(std::mem::take(&mut out).into_bytes());
        } else {
            let (count, text) = inside.split_once('*').ok_or("expected {N*text}")?;
            let n: usize = count.parse().map_err(|_| format!("bad count {count:?}"))?;
            out.push_str(&text.repeat(n));
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    pieces.push(out.into_bytes());
    Ok(pieces)
}

/// One server for the whole area, one worker, default limits, [`HEAD_TIMEOUT`].
fn server() -> Result<SocketAddr, String> {
    static SERVER: OnceLock<Result<SocketAddr, String>> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            let config = Config {
                addr: "127.0.0.1:0".parse().expect("literal address"),
                workers: 1,
                header_timeout: HEAD_TIMEOUT,
                linger: Duration::from_millis(500),
                ..Config::default()
            };
            let server = Server::start(config).map_err(|e| format!("server start: {e}"))?;
            let addr = server.local_addr();
            // Serves until the process exits.
            std::mem::forget(server);
            Ok(addr)
        })
        .clone()
}

fn exchange(row: &RequestRow, send: &[Vec<u8>]) -> CaseResult {
    let addr = server()?;
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(TIMEOUT))?;
    s.set_write_timeout(Some(TIMEOUT))?;
    s.set_nodelay(true)?;
    let mut reader = Reader::new(s.try_clone()?);
    if row.kept_alive {
        s.write_all(SIMPLE)?;
        ensure_eq!(
            response(&mut reader, false)?.status,
            200,
            "the request before"
        );
    }
    for (i, piece) in send.iter().enumerate() {
        if i > 0 {
            std::thread::sleep(PAUSE);
        }
        // A server that rejects early may close before the whole request is written: that is
        // allowed, the response must still arrive.
        if let Err(e) = s.write_all(piece) {
            ensure!(
                !row.statuses.is_empty() && row.closes,
                "writing the request failed: {e}"
            );
            break;
        }
    }
    for (i, want) in row.statuses.iter().enumerate() {
        let got = response(&mut reader, row.bodyless.contains(&i))?;
        ensure_eq!(got.status, *want, "response {i}");
        if got.status >= 400 {
            ensure_eq!(
                got.header("connection"),
                Some("close"),
                "response {i} (an error closes the connection)"
            );
        }
    }
    if row.closes {
        // The write side stays open: a server that closes only once the client does fails.
        eof(&mut reader, EOF_WAIT)?;
    } else {
        // Still usable: one more request on the same connection.
        s.write_all(SIMPLE)?;
        ensure_eq!(
            response(&mut reader, false)?.status,
            200,
            "a request after them"
        );
    }
    // And the server keeps serving other clients.
    let mut other = TcpStream::connect(addr)?;
    other.set_read_timeout(Some(TIMEOUT))?;
    other.write_all(SIMPLE)?;
    ensure_eq!(
        response(&mut Reader::new(other), false)?.status,
        200,
        "another client afterwards"
    );
    Ok(())
}

/// One response off `reader`, which must be HTTP/1.1.
fn response(reader: &mut Reader<TcpStream>, bodyless: bool) -> Result<Response, CaseError> {
    let r = reader.response(bodyless)?;
    ensure!(
        r.status_line.starts_with("HTTP/1.1 "),
        "not an HTTP/1.1 status line: {:?}",
        r.status_line
    );
    Ok(r)
}

/// The connection's end, within `within`, with nothing after the responses read.
fn eof(reader: &mut Reader<TcpStream>, within: Duration) -> CaseResult {
    reader.get_ref().set_read_timeout(Some(within))?;
    match reader.closed() {
        Ok(true) => Ok(()),
        Ok(false) => fail!("the connection stays open after a closing response ({within:?})"),
        Err(e) => fail!("after the responses: {e}"),
    }
}
