//! Reading HTTP/1.1 responses off a connection, byte for byte, as the server's clients need it:
//! its integration tests, the conformance `http` area and the nginx comparison's driver
//! (`neurlang-benches`). No HTTP library: what is checked is exactly what was sent.
//!
//! ```
//! use neurlang_server::client::Reader;
//! let wire = &b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1 100 Continue\r\n\r\n"[..];
//! let mut reader = Reader::new(wire);
//! let r = reader.response(false)?;
//! assert_eq!((r.status, r.header("content-length"), &r.body[..]), (200, Some("2"), &b"hi"[..]));
//! assert_eq!(reader.response(false)?.status, 100); // pipelined: the rest stays buffered
//! assert!(reader.closed()?);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::fmt;
use std::io::{self, ErrorKind, Read};

/// One response as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The status line, without its line end.
    pub status_line: String,
    /// The status code.
    pub status: u16,
    /// The header fields in order: names as sent, values trimmed.
    pub headers: Vec<(String, String)>,
    /// The body (empty in the answer to a HEAD and in a 1xx).
    pub body: Vec<u8>,
    /// Every byte of the response.
    pub raw: Vec<u8>,
}

impl Response {
    /// The value of the first field called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.raw))
    }
}

/// Reads responses from a stream (a `TcpStream`, or a byte slice in tests), keeping what
/// follows a response for the next one (pipelining).
#[derive(Debug)]
pub struct Reader<R> {
    stream: R,
    buf: Vec<u8>,
}

impl<R: Read> Reader<R> {
    /// A reader with nothing buffered.
    pub fn new(stream: R) -> Reader<R> {
        Reader {
            stream,
            buf: Vec::new(),
        }
    }

    /// The stream (to set its read timeout, say).
    pub fn get_ref(&self) -> &R {
        &self.stream
    }

    /// The stream, mutably (to write requests on it).
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.stream
    }

    /// The bytes received after the last response read.
    pub fn buffered(&self) -> &[u8] {
        &self.buf
    }

    /// Reads one response (`bodyless`: the answer to a HEAD). A body needs a `Content-Length`
    /// (this server and nginx always send one); a 1xx has none. Fails on EOF before its end,
    /// on a malformed head, and on a read timeout (an error of kind `TimedOut`).
    pub fn response(&mut self, bodyless: bool) -> io::Result<Response> {
        let head_len = loop {
            if let Some(p) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p + 4;
            }
            if self.fill()? == 0 {
                let what = format!("connection closed before a response head; got {}", self);
                return Err(io::Error::new(ErrorKind::UnexpectedEof, what));
            }
        };
        let head = String::from_utf8_lossy(&self.buf[..head_len - 4]).into_owned();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default().to_string();
        let status = parse_status(&status_line)
            .ok_or_else(|| invalid(format!("not an HTTP/1.x status line: {status_line:?}")))?;
        let headers = lines
            .map(|l| match l.split_once(':') {
                Some((n, v)) => Ok((n.trim().to_string(), v.trim().to_string())),
                None => Err(invalid(format!("malformed header line {l:?}"))),
            })
            .collect::<io::Result<Vec<_>>>()?;
        let mut response = Response {
            status_line,
            status,
            headers,
            body: Vec::new(),
            raw: Vec::new(),
        };
        let body_len = if bodyless || (100..200).contains(&status) {
            0
        } else {
            let length = response.header("content-length");
            length
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| invalid(format!("no valid Content-Length in {head:?}")))?
        };
        while self.buf.len() < head_len + body_len {
            if self.fill()? == 0 {
                let what = format!("connection closed inside a response body; got {}", self);
                return Err(io::Error::new(ErrorKind::UnexpectedEof, what));
            }
        }
        response.raw = self.buf.drain(..head_len + body_len).collect();
        response.body = response.raw[head_len..].to_vec();
        Ok(response)
    }

    /// Whether the peer closed the connection: the end of the stream (or a reset) with nothing
    /// more to read. `Ok(false)` if the read timed out first; bytes arriving instead are an
    /// error.
    pub fn closed(&mut self) -> io::Result<bool> {
        loop {
            if !self.buf.is_empty() {
                return Err(invalid(format!("unexpected bytes {}", self)));
            }
            match self.fill() {
                Ok(0) => return Ok(true),
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::TimedOut => return Ok(false),
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads more bytes into the buffer: `Ok(0)` at the end of the stream, which a reset counts
    /// as (a peer that closes with input unread resets). A read timeout (`WouldBlock` on Unix,
    /// `TimedOut` on Windows) becomes an error of kind `TimedOut` saying what was buffered.
    fn fill(&mut self) -> io::Result<usize> {
        let mut chunk = [0u8; 4096];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(n);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if is_reset(&e) => return Ok(0),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    let what = format!("nothing arrived before the read timeout; got {}", self);
                    return Err(io::Error::new(ErrorKind::TimedOut, what));
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// The buffered bytes, as text.
impl<R> fmt::Display for Reader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.buf))
    }
}

fn is_reset(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted
    )
}

/// The code of an `HTTP/1.x NNN reason` status line.
fn parse_status(line: &str) -> Option<u16> {
    let rest = line.strip_prefix("HTTP/1.")?;
    if !rest.bytes().next()?.is_ascii_digit() {
        return None;
    }
    let code = rest.get(1..5)?.strip_prefix(' ')?;
    let after = rest.get(5..)?;
    if !code.bytes().all(|b| b.is_ascii_digit()) || !(after.is_empty() || after.starts_with(' ')) {
        return None;
    }
    code.parse().ok()
}

fn invalid(what: String) -> io::Error {
    io::Error::new(ErrorKind::InvalidData, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &[u8] = b"HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 5\r\n\r\nHello";

    fn read(wire: &[u8], bodyless: bool) -> io::Result<Response> {
        Reader::new(Trickle::new(wire)).response(bodyless)
    }

    /// A response prints as its raw bytes, quoted and escaped (what a failing test shows).
    #[test]
    fn a_response_displays_its_raw_bytes() {
        let r = read(OK, false).unwrap();
        assert_eq!(
            r.to_string(),
            r#""HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 5\r\n\r\nHello""#
        );
    }

    #[test]
    fn reads_status_fields_and_body() {
        let r = read(OK, false).unwrap();
        assert_eq!((r.status_line.as_str(), r.status), ("HTTP/1.1 200 OK", 200));
        assert_eq!(r.headers[0], ("Server".to_string(), "x".to_string()));
        assert_eq!(r.header("content-LENGTH"), Some("5"));
        assert_eq!((&r.body[..], &r.raw[..]), (&b"Hello"[..], OK));
    }

    #[test]
    fn pipelined_responses_come_one_at_a_time() {
        let head = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
        let wire = [&b"HTTP/1.1 100 Continue\r\n\r\n"[..], OK, head].concat();
        let mut reader = Reader::new(&wire[..]);
        assert_eq!(reader.response(false).unwrap().status, 100);
        assert_eq!(reader.response(false).unwrap().body, b"Hello");
        let r = reader.response(true).unwrap();
        assert!(r.body.is_empty(), "the answer to a HEAD has no body");
        assert!(reader.buffered().is_empty());
        assert!(reader.closed().unwrap());
    }

    #[test]
    fn a_cut_or_malformed_response_is_an_error() {
        let cut = read(&OK[..OK.len() - 1], false).unwrap_err();
        assert_eq!(cut.kind(), ErrorKind::UnexpectedEof);
        assert_eq!(
            read(b"HTTP/1.1 200", false).unwrap_err().kind(),
            ErrorKind::UnexpectedEof
        );
        for bad in [
            &b"HTTP/1.1 200 OK\r\nServer: x\r\n\r\nHello"[..], // no Content-Length
            b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nno colon\r\nContent-Length: 0\r\n\r\n",
            b"HTTP/2 200 OK\r\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.1 20x OK\r\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n",
        ] {
            let e = read(bad, false).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidData, "{bad:?}: {e}");
        }
    }

    /// A stream that fails every read with one error.
    struct Failing(ErrorKind);

    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(self.0.into())
        }
    }

    #[test]
    fn a_reset_is_the_end_and_a_timeout_is_not() {
        assert!(
            Reader::new(Failing(ErrorKind::ConnectionReset))
                .closed()
                .unwrap()
        );
        assert!(
            !Reader::new(Failing(ErrorKind::WouldBlock))
                .closed()
                .unwrap()
        );
        let e = Reader::new(Failing(ErrorKind::TimedOut))
            .response(false)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TimedOut);
        let extra = Reader::new(&b"x"[..]).closed().unwrap_err();
        assert_eq!(extra.kind(), ErrorKind::InvalidData);
    }

    /// A stream that hands out its bytes a few at a time, and fails a test that reads on after
    /// it reported its end (a reader looping at the end would otherwise hang it).
    struct Trickle<'a> {
        rest: &'a [u8],
        ended: bool,
    }

    impl<'a> Trickle<'a> {
        fn new(wire: &'a [u8]) -> Trickle<'a> {
            Trickle {
                rest: wire,
                ended: false,
            }
        }
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            assert!(!self.ended, "read again after the end of the stream");
            let n = buf.len().min(self.rest.len()).min(3);
            buf[..n].copy_from_slice(&self.rest[..n]);
            self.rest = &self.rest[n..];
            self.ended = n == 0;
            Ok(n)
        }
    }

    #[test]
    fn a_response_arriving_a_few_bytes_at_a_time_is_read_whole() {
        let r = read(OK, false).unwrap();
        assert_eq!(
            (r.status, &r.body[..], &r.raw[..]),
            (200, &b"Hello"[..], OK)
        );
    }
}
